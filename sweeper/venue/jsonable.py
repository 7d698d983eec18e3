"""One conversion to plain JSON data for everything a sweep record may hold.

Detector reports carry numpy scalars and arrays, NaN levels, tuples and the odd date;
the history, the reports and MQTT all need strict JSON (a NaN in a file or a message is
JSON no other tool reads), so they all go through :func:`plain`.
"""
from __future__ import annotations

import math
from typing import Any


def plain(obj: Any) -> Any:
    """A JSON-ready copy: numpy scalars and arrays to Python, NaN/inf to None, tuples and
    sets to lists, dates to ISO text, bytes to hex, keys to text, anything else to str."""
    if isinstance(obj, dict):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [plain(v) for v in obj]
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return plain(obj.tolist())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, bytes):
        return obj.hex()
    return str(obj)
