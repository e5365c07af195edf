"""LibreOffice as the tests' spreadsheet engine: open an xlsx, recalculate every formula on
load (a temporary user profile sets ``OOXMLRecalcMode`` to 0, "always"), and convert it to
xlsx so its computed values can be read back.

The profile also turns off LibreOffice's threaded calculation of formula groups: with it on
(the default), LibreOffice 25.2 recalculating on load hands an array formula (the Live
sheet's SORTBY) the cached values of the formula cells it reads, not their new values, so
after a weight edit the ranks stay those of the old weights until a second recalculation."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>{recalc_mode}</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Calculation"><prop
 oor:name="UseThreadedCalculationForFormulaGroups" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def libreoffice_profile(folder: Path, recalculate_on_load: bool) -> Path:
    """A new LibreOffice user profile in ``folder`` (for ``-env:UserInstallation``) that
    recalculates every formula of an xlsx on load (``OOXMLRecalcMode`` 0, "always") or never
    (1, so a script can time its own recalculation), without threaded group calculation."""
    (folder / "user").mkdir(parents=True, exist_ok=True)
    mode = 0 if recalculate_on_load else 1
    (folder / "user" / "registrymodifications.xcu").write_text(_PROFILE.format(recalc_mode=mode))
    return folder


def libreoffice_version() -> tuple[int, ...]:
    """LibreOffice's version as numbers ((25, 2, 3, 2)), or () when it is not installed."""
    if SOFFICE is None:
        return ()
    out = subprocess.run([SOFFICE, "--version"], capture_output=True, text=True, timeout=120)
    for word in out.stdout.split():
        if word[:1].isdigit() and "." in word:
            return tuple(int(p) for p in word.split(".") if p.isdigit())
    return ()


def recalculated(sources: list[Path], folder: Path) -> dict[str, Path]:
    """Each of ``sources`` opened in LibreOffice (one start for all) with every formula
    recalculated on load and saved as xlsx in ``folder``: file name -> converted file."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = libreoffice_profile(folder / "profile", recalculate_on_load=True)
    out = folder / "out"
    subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out),
         *(str(s) for s in sources)],
        check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    converted = {}
    for source in sources:
        target = out / f"{source.stem}.xlsx"
        assert target.is_file(), f"LibreOffice did not write {target}"
        converted[source.name] = target
    return converted
