"""Deterministic, realistic sample accounts: the default data every command falls back on.

The historical target (hardware + consumable revenue) is generated from the
same signals the ICP components measure, plus noise, so that optimizing the
weights has a real signal whose best mix is not at a corner of the feasible set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from icp_xl.core.model.settings import DEFAULT_VERTICAL_TABLE

_UNKNOWN_INDUSTRIES = ("Retail", "Government", "Agriculture", "Hospitality")
_SYLLABLES = (
    "ab",
    "ar",
    "cor",
    "dyn",
    "el",
    "fab",
    "gen",
    "hel",
    "in",
    "kin",
    "lum",
    "mec",
    "nov",
    "or",
    "pro",
    "quan",
    "ro",
    "syn",
    "tek",
    "ul",
    "ver",
    "xen",
    "zet",
)
_SUFFIXES = ("Inc.", "LLC", "Corp.", "Industries", "Systems", "Group", "Manufacturing", "Labs")


def _display_name(key: str) -> str:
    small = {"&", "and", "of"}
    return " ".join(w if w in small else w[:1].upper() + w[1:] for w in key.split(" "))


def _company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    first = rng.choice(len(_SYLLABLES), size=(n, 3))
    joined = ["".join(_SYLLABLES[i] for i in row).capitalize() for row in first]
    suffix = rng.choice(_SUFFIXES, size=n)
    return np.array([f"{a} {b}" for a, b in zip(joined, suffix, strict=True)], dtype=object)


def make_sample_accounts(n: int = 2000, seed: int = 42) -> pd.DataFrame:
    """Return ``n`` sample accounts with the canonical accounts headers (docs/scoring.md).

    Same ``n`` and ``seed`` give the same table. Includes every industry of the
    default vertical table plus a few unknown ones and blanks; lognormal annual
    revenue from about $1M to tens of $B with about a quarter unknown (blank or
    0); many accounts without printers or software; GP24; and the historical
    target ``Total Hardware + Consumable Revenue``. Money in USD.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    industries = [_display_name(k) for k in DEFAULT_VERTICAL_TABLE] + list(_UNKNOWN_INDUSTRIES)
    fit = np.array(list(DEFAULT_VERTICAL_TABLE.values()) + [0.3] * len(_UNKNOWN_INDUSTRIES))
    weights = 0.5 + fit
    pick = rng.choice(len(industries), size=n, p=weights / weights.sum())
    industry = np.array(industries, dtype=object)[pick]
    vertical_fit = fit[pick]
    industry[rng.random(n) < 0.04] = ""

    revenue = np.exp(rng.normal(np.log(120e6), 1.9, n)).clip(1e6, 60e9).round(-3)
    size_fit = np.where(
        revenue >= 250e6, np.where(revenue >= 1e9, 0.9, 1.0), np.where(revenue >= 50e6, 0.6, 0.4)
    )
    unknown = rng.random(n)
    shown_revenue = np.where(unknown < 0.19, np.nan, np.where(unknown < 0.25, 0.0, revenue))

    engagement = rng.normal(0.0, 1.0, n) + 0.8 * vertical_fit + 0.6 * size_fit
    has_printers = rng.random(n) < 1 / (1 + np.exp(-(engagement - 0.9)))
    big_box = np.where(has_printers, rng.poisson(np.exp(0.25 * engagement - 0.9)), 0)
    small_box = np.where(has_printers, 1 + rng.poisson(np.exp(0.35 * engagement + 0.1)), 0)
    printers = big_box + small_box
    consumables = np.where(
        printers > 0,
        (printers * np.exp(rng.normal(np.log(3000) + 0.3 * engagement, 1.4))).round(2),
        0.0,
    )
    has_software = rng.random(n) < 1 / (1 + np.exp(-(engagement - 0.6)))
    license_revenue = np.where(has_software, np.exp(rng.normal(9.5 + 0.4 * engagement, 1.0, n)), 0)
    saas = np.where(has_software & (rng.random(n) < 0.5), np.exp(rng.normal(8.5, 1.0, n)), 0)
    maintenance = np.where(has_software, 0.18 * license_revenue * rng.lognormal(0, 0.3, n), 0)
    # Hardware buying reflects industry fit, company size and the software relationship:
    # signals the ICP components measure, each only in part.
    hardware = (
        np.where(
            printers > 0,
            (np.sqrt(big_box * 20 + small_box) * rng.lognormal(np.log(15), 1.6, n))
            * np.exp(4.0 * vertical_fit + 3.5 * size_fit + 0.3 * np.log1p(license_revenue)),
            0.0,
        )
        .clip(0, 4e6)
        .round(2)
    )
    extra = (rng.random(n) < 0.08) & (printers == 0)
    hardware = np.where(extra, rng.lognormal(np.log(15_000), 1.0, n).round(2), hardware)
    target = (hardware + consumables).round(2)
    gp24 = (0.22 * target + 0.35 * (license_revenue + saas + maintenance)) * rng.lognormal(
        0, 0.35, n
    )

    return pd.DataFrame(
        {
            "Customer ID": [f"C{i:06d}" for i in range(1, n + 1)],
            "Company Name": _company_names(rng, n),
            "Industry": industry,
            "Annual Revenue": shown_revenue,
            "Big Box Count": big_box,
            "Small Box Count": small_box,
            "Total Hardware Revenue": hardware,
            "Total Consumable Revenue": consumables,
            "Total Software License Revenue": license_revenue.round(2),
            "Total SaaS Revenue": saas.round(2),
            "Total Maintenance Revenue": maintenance.round(2),
            "GP24": gp24.round(2),
            "Total Hardware + Consumable Revenue": target,
        }
    )
