"""Small JSON state files written atomically (temp file, fsync, rename) and read back safely."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)


def save(path: Path, data: dict[str, Any]) -> None:
    """Write `data` as JSON so a crash leaves either the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load(path: Path) -> dict[str, Any] | None:
    """The saved data, or None when the file is missing or unreadable (logged)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        _LOGGER.warning("cannot read %s: %s", path, err)
        return None
    try:
        data = json.loads(text)
    except ValueError as err:
        _LOGGER.warning("ignoring corrupt state file %s: %s", path, err)
        return None
    if not isinstance(data, dict):
        _LOGGER.warning("ignoring state file %s: not a JSON object", path)
        return None
    return data
