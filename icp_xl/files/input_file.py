"""The one check every file the commands read goes through before it is opened."""

from __future__ import annotations

from pathlib import Path

from icp_xl.core.errors import IcpError


def check_input_file(path: Path, give: str) -> None:
    """Raise IcpError unless ``path`` is a regular file: a folder (``give`` says what to
    give instead, e.g. ``"the workbook file"``), nothing at all, or a pipe, device or
    socket (``/dev/stdin``, ``<(...)``), which cannot be read twice nor have its size
    checked before it is parsed."""
    if path.is_dir():
        raise IcpError(f"{path} is a folder; give {give}")
    if not path.exists():
        raise IcpError(f"File not found: {path}")
    if not path.is_file():
        raise IcpError(
            f"{path} is not a regular file (a pipe or device, such as /dev/stdin); save "
            "the data to a file and give that file"
        )
