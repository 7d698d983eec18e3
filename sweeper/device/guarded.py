"""A display or buzzer whose failure mid-run is reported once and then ignored."""
from __future__ import annotations

import sys
from typing import Optional

from sweeper.errors import HardwareError


class Guarded:
    """A display or buzzer whose failure (a loose wire mid-run) is reported once and then
    ignored: a blank panel or a silent buzzer is better than no sweeper at all."""

    def __init__(self, part, what: str):
        self._part = part
        self._what = what
        self.failed: Optional[str] = None

    def __setattr__(self, name, value):
        """Settings (``sound.quiet = True``) go to the part itself."""
        if name.startswith("_") or name == "failed":
            object.__setattr__(self, name, value)
        elif self.failed is None:
            setattr(self._part, name, value)

    def __getattr__(self, name):
        attr = getattr(self._part, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if self.failed is not None:
                return None
            try:
                return attr(*args, **kwargs)
            except HardwareError as exc:
                self.failed = str(exc)
                print(f"sweeper: the {self._what} failed: {exc}; carrying on without it", file=sys.stderr)
                return None
        return call
