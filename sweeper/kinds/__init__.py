"""Detector kinds: what each kind of finding is, declared in one place (as rtl_433 declares
each decoder in one file and lists them in one registry).

A finding is a detector's dict with a ``type`` (its kind), a ``verdict`` ("camera" or
"suspect"), a ``score``, ``reasons`` and kind-specific fields. The outputs (terminal,
OLED, logs, venue history, baselines, HTML report) render any finding through its
kind's descriptor and never test a kind's name; MQTT carries findings whole. Adding a
kind is one module here and one line in :func:`_load` (or :func:`register` from outside
the package, e.g. a test).

A finding of a type nobody registered still renders, through the generic :class:`Kind`,
from the fields every finding may carry (``label``, ``freq_hz``, ``channel``, ``mac``):
an old history row or a newer device's MQTT message never breaks an output.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional

Ident = Callable[[str], str]


def _num(x) -> Optional[float]:
    return None if x is None else round(float(x), 2)


class Kind:
    """A kind of finding, and how every output shows it. Subclasses override what
    differs; this base renders any finding from its common fields."""

    #: the finding's JSON ``type``
    type = "finding"
    #: what one is, in words ("analog video", "Wi-Fi camera")
    label = "finding"
    #: the OLED finding screen's header tag (a few capitals)
    tag = "FOUND"
    #: the sweep part that finds it (its hardware status and report key: "RF", "Wi-Fi")
    part = ""
    #: a typical finding: the docs' screen images and the outputs' tests draw it
    example: dict = {}

    # ----------------------------------------------------------------- words

    def name(self, f: dict) -> str:
        """One line naming a finding: logs, the terminal, the venue CLI."""
        where = self.where(f) or str(f.get("mac") or f.get("address") or "")
        return f"{self.label} {where}".strip()

    def title(self, f: dict) -> str:
        """A few characters: the OLED's big line and the locate screen's header."""
        return self.where(f) or self.label

    def what(self, f: dict) -> str:
        """What it is, a few words (a table's "what" column)."""
        return self.label

    def big(self, f: dict) -> str:
        """The OLED finding screen's large line."""
        return self.title(f)

    def details(self, f: dict) -> List[str]:
        """Up to three short lines under the title on the OLED finding screen."""
        return [self.what(f), self.signal(f)]

    def describe(self, f: dict) -> str:
        """The report's "what" cell."""
        return str(f.get("label") or self.label[:1].upper() + self.label[1:])

    def where(self, f: dict) -> str:
        if isinstance(f.get("freq_hz"), (int, float)):
            return f"{f['freq_hz'] / 1e6:.1f} MHz"
        if f.get("channel") is not None:
            return f"Wi-Fi ch {f['channel']}"
        return ""

    def signal(self, f: dict) -> str:
        """How strong it is heard, in words with units."""
        if isinstance(f.get("rssi_dbm"), (int, float)):
            return f"{f['rssi_dbm']:.0f} dBm"
        if isinstance(f.get("power_db"), (int, float)):
            return f"{f['power_db']:.0f} dB"
        return ""

    # ----------------------------------------------------------------- baselines

    def key(self, f: dict) -> str:
        """The baseline observation key: the same transmitter gets the same key in every sweep."""
        return f"{self.type}:{f.get('mac') or f.get('address') or f.get('freq_hz') or f.get('label') or '?'}"

    def observation(self, f: dict, ident: Ident) -> dict:
        """The finding as a baseline observation (venue/observations.py's shape)."""
        return {"kind": self.type, "key": self.key(f), "label": self.name(f), "verdict": f.get("verdict"),
                "score": _num(f.get("score")), "power_db": _num(f.get("power_db", f.get("rssi_dbm")))}

    # ----------------------------------------------------------------- hardware

    def locator(self, f: dict, sources: Dict[str, object], cfg):
        """Something whose ``read()`` gives (closeness 0..1, reading text) while the user
        walks with the device, or None when this kind cannot be located."""
        return None


GENERIC = Kind()

#: finding type -> its kind (filled by :func:`_load`, and by :func:`register`)
REGISTRY: Dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add (or replace) a kind; returns it, so it can decorate an instance."""
    REGISTRY[kind.type] = kind
    return kind


def of(finding: dict) -> Kind:
    """The kind of a finding (the generic one for a type nobody registered)."""
    return REGISTRY.get(str(finding.get("type") or ""), GENERIC)


def _load() -> None:
    """The package's kinds. Add a kind by adding its module and naming it here."""
    from sweeper.kinds import analog_video, wifi_camera

    for kind in (analog_video.KIND, wifi_camera.KIND):
        register(kind)


_load()
