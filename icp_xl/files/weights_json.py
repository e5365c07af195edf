"""The seed-compatible ``optimized_weights.json`` file: the optimized weights and their metadata."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.model.settings import COMPONENTS, Weights
from icp_xl.files.atomic import atomic_write
from icp_xl.files.input_file import check_input_file


def read_weights_json(path: str | Path) -> tuple[Weights, dict[str, Any]]:
    """Read weights from an ``optimized_weights.json``; return ``(weights, whole document)``.

    Accepts the seed layout ``{"weights": {"vertical_score": ...}, ...}`` and a
    bare ``{"vertical": ...}`` mapping. Raises IcpError naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise IcpError(f"Weights file not found: {path}")
    check_input_file(path, "the weights file (.json)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IcpError(f"Weights file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IcpError(f"{path.name} is not valid JSON ({error})") from None
    except RecursionError:  # [[[[...]]]] thousands deep: Python's parser gives up
        raise IcpError(
            f"{path.name} is nested too deeply to be a weights file "
            "(one JSON object with a 'weights' entry of four numbers)"
        ) from None
    if not isinstance(document, dict):
        raise IcpError(f"{path.name}: expected a JSON object with a 'weights' entry")
    values = document.get("weights", document)
    if not isinstance(values, dict):
        raise IcpError(f"{path.name}: 'weights' must be an object of four numbers")
    try:
        return Weights.from_mapping(values), document
    except IcpError as error:
        raise IcpError(f"{path.name}: {error}") from None


def write_weights_json(
    path: str | Path, weights: Weights, metadata: Mapping[str, Any] | None = None
) -> Path:
    """Write the seed layout: ``{"weights": {"vertical_score", ...}, **metadata}`` atomically."""
    document: dict[str, Any] = {
        "weights": {f"{name}_score": getattr(weights, name) for name in COMPONENTS}
    }
    document.update(metadata or {})
    text = json.dumps(document, indent=2, default=float) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
