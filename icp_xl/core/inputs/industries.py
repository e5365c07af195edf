"""Industry names as the data spells them -> the industries of the vertical table.

An account's industry is matched, after normalizing (:func:`industry_key`: case, accents,
punctuation, spacing and ``&``/``and`` ignored), first against the vertical table, then
against the *Industry map* (data spelling -> vertical-table industry). These are the only
sources of the vertical score; an industry matched by neither scores the unknown-industry
score and is reported (:func:`resolve_industries` says which).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from icp_xl.core.inputs.arrow_text import is_arrow_text

if TYPE_CHECKING:
    from icp_xl.core.model.settings import Settings


def industry_key(industry: object) -> str:
    """The matching key of an industry name: accents, case, punctuation and the word
    *and* (or ``&``, ``+``) dropped, words single-spaced.
    ``"Aerospace and Défense"`` and ``" AEROSPACE & DEFENSE"`` -> ``"aerospace defense"``."""
    text = unicodedata.normalize("NFKD", str(industry))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.sub(r"[\W_]+", " ", text).split()
    return " ".join(w for w in words if w != "and")


def industry_label(name: str) -> str:
    """How a vertical-table industry is shown: as typed, or title-cased when typed all
    lower-case (the built-in table)."""
    name = name.strip()
    return name if any(c.isupper() for c in name) else name.title()


# Common spellings (CRM picklists, abbreviations) of the built-in vertical table's industries.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "aerospace & defense": ("Aerospace", "Aerospace & Defence", "Defense", "Defence",
                            "Aviation", "Aviation & Aerospace", "A&D", "Airlines/Aviation"),
    "automotive & transportation": ("Automotive", "Transportation", "Auto", "Automobiles",
                                    "Transport", "Automotive & Transport"),
    "consumer goods": ("Consumer Products", "Consumer Packaged Goods", "CPG", "Apparel",
                       "Apparel & Fashion", "Food & Beverage", "Food & Beverages",
                       "Sporting Goods", "Furniture"),
    "high tech": ("High Technology", "Hi-Tech", "Hi Tech", "Hightech", "Technology",
                  "Electronics", "Consumer Electronics", "Computer Hardware",
                  "Computer Software", "Semiconductors", "Information Technology",
                  "Information Technology & Services"),
    "medical devices & life sciences": ("Medical Devices", "Medical Device", "Medical",
                                        "Life Sciences", "Healthcare", "Health Care",
                                        "Hospital & Health Care", "Pharmaceuticals",
                                        "Biotechnology", "Medical Equipment"),
    "engineering services": ("Engineering", "Engineering Service",
                             "Mechanical or Industrial Engineering", "Design Services"),
    "heavy equip & ind. components": ("Heavy Equipment", "Heavy Equipment & Industrial Components",
                                      "Industrial Components", "Heavy Equip"),
    "industrial machinery": ("Machinery", "Industrial Equipment", "Industrial Automation",
                             "Machine Building"),
    "mold, tool & die": ("Mould, Tool & Die", "Tool & Die", "Tool and Die", "Mold Making",
                         "Moldmaking", "Tooling", "Molds & Dies"),
    "other": ("Misc", "Miscellaneous", "Other Industry"),
    "building & construction": ("Construction", "Building", "Building Materials",
                                "Architecture", "Architecture & Planning", "Civil Engineering"),
    "chemicals & related products": ("Chemicals", "Chemical", "Chemical Products", "Plastics"),
    "dental": ("Dentistry", "Dental Lab", "Dental Labs", "Dental Laboratory"),
    "manufactured products": ("Manufacturing", "General Manufacturing",
                              "Fabricated Metal Products", "Manufactured Goods"),
    "services": ("Service", "Business Services", "Professional Services", "Consulting",
                 "Service Bureau"),
    "education & research": ("Education", "Research", "Higher Education",
                             "Education Management", "University", "Universities",
                             "Research & Development", "R&D", "Academic", "E-Learning"),
    "electromagnetic": ("Electromagnetics", "Electrical", "Electrical Equipment",
                        "Electrical/Electronic Manufacturing"),
    "energy": ("Oil & Gas", "Oil & Energy", "Utilities", "Renewables",
               "Renewables & Environment", "Power Generation"),
    "packaging": ("Packaging & Containers", "Packaging Materials"),
    "plant & process": ("Process Industries", "Process Manufacturing", "Plant Engineering",
                        "Process Plant"),
    "shipbuilding": ("Marine", "Maritime", "Shipbuilding & Marine", "Shipyards",
                     "Ship Building"),
}  # fmt: skip
DEFAULT_INDUSTRY_MAP: Mapping[str, str] = MappingProxyType(
    {spelling: industry for industry, names in _SPELLINGS.items() for spelling in names}
)

UNMATCHED = "unmatched"
BLANK = "blank"


@dataclass(frozen=True)
class IndustryResolution:
    """Per account: ``label`` the vertical-table industry it counts as (else its own
    trimmed text, or '' when blank), ``how`` (``table``, ``map``, ``unmatched`` or
    ``blank``) and ``score`` its vertical score."""

    label: np.ndarray
    how: np.ndarray
    score: np.ndarray


def industry_codes(industry: pd.Series) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """``(codes, names)``: the distinct industry cells in order of appearance (blank =
    '') and each account's position in them (Arrow-held text is not turned into Python
    strings)."""
    if is_arrow_text(industry):
        return pd.factorize(industry.fillna(""), sort=False)
    return pd.factorize(industry.astype(object).fillna(""), sort=False)


def resolve_industries(industry: pd.Series, settings: Settings) -> IndustryResolution:
    """Match every account's industry to the vertical table, directly or through the
    Industry map of ``settings`` (see the module docstring)."""
    codes, names = industry_codes(industry)
    table, keys, mapping = settings.vertical_table, settings.vertical_keys, settings.industry_map
    labels, hows, scores = [], [], []
    for name in names:
        text = str(name).strip()
        key = industry_key(text)
        if not key:
            found, how = None, BLANK
        elif key in keys:
            found, how = keys[key], "table"
        elif key in mapping:
            found, how = mapping[key], "map"
        else:
            found, how = None, UNMATCHED
        labels.append(settings.vertical_labels[found] if found else text)
        hows.append(how)
        scores.append(table[found] if found else settings.unknown_industry_score)
    if not len(names):
        n = len(industry)
        return IndustryResolution(
            np.full(n, "", dtype=object),
            np.full(n, BLANK, dtype=object),
            np.full(n, settings.unknown_industry_score),
        )
    return IndustryResolution(
        np.array(labels, dtype=object)[codes],
        np.array(hows, dtype=object)[codes],
        np.array(scores, dtype=float)[codes],
    )
