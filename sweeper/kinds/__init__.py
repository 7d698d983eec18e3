"""Detector kinds: what each kind of finding is, declared in one place (as rtl_433 declares
each decoder in one file and lists them in one registry).

A finding (:class:`sweeper.findings.Finding`) has a ``kind``, a verdict, a score,
reasons, where it is and how strong, and its kind's own evidence. Its kind's descriptor
says how it is written in JSON (:attr:`Kind.json_keys`), keyed in baselines and located,
and how every output (terminal, OLED, logs, venue history, baselines, HTML report)
shows it; the outputs never test a kind's name, and MQTT carries findings whole. Adding
a kind is one module here and one line in :func:`_load` (or :func:`register` from
outside the package, e.g. a test).

A finding of a type nobody registered still renders, through the generic :class:`Kind`,
from its evidence (``label``, ``freq_hz``, ``channel``, ``mac``): an old history row or a
newer device's MQTT message never breaks an output.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Union

if TYPE_CHECKING:
    from sweeper.findings import Finding

Ident = Callable[[str], str]


def _num(x) -> Optional[float]:
    return None if x is None else round(float(x), 2)


#: What to do about a finding, per verdict, in one place (the HTML report shows it under
#: each camera and suspect finding). ``{find}`` is the kind's :meth:`Kind.find_it`,
#: ``{sweep}`` the sweep's ID. Calm and practical: evidence first, nothing touched before
#: it is photographed.
ACTIONS: Dict[str, List[str]] = {
    "camera": [
        "Stay calm and leave it as it is for now: do not touch, unplug or switch it off yet.",
        "Find it: {find}.",
        "Check that it can see the room: look for a lens pointing at the bed, shower, toilet or "
        "changing area, or use the device's \"is it watching this room?\" test on this finding.",
        "Before touching it, take photos: where it is, what it points at, and close-ups of any "
        "label or cable. Keep it powered until the photos are taken: its memory card may hold evidence.",
        "Keep this report and note its sweep ID ({sweep}), the time and who was present.",
        "Then report it to the police (and to the venue's manager or your host) and leave it for them "
        "if you can; if you must remove it, keep it and its memory card in a bag. A camera that is the "
        "venue's own and disclosed goes in the room's baseline instead, after checking.",
    ],
    "suspect": [
        "Something here transmits partly like a camera. Often it is a harmless device: a phone "
        "streaming video, a baby monitor, a smart-home hub.",
        "Find it: {find}.",
        "A device you cannot explain that could see the room is treated as a camera: photos before "
        "touching it, and keep this report with its sweep ID ({sweep}).",
        "A device the venue knows goes in the room's baseline, after checking "
        "(`sweeper baseline record --accept-findings`), so it is not reported again.",
    ],
    "known": [
        "In this room's baseline as the venue's own device: nothing to do, unless it is no longer "
        "the device recorded there (then as for a camera; sweep ID {sweep}).",
    ],
}


class Kind:
    """A kind of finding, and how every output shows it. Subclasses override what
    differs; this base renders any finding from its common fields."""

    #: the finding's JSON ``type``
    type = "finding"
    #: what one is, in words ("analog video", "Wi-Fi camera")
    label = "finding"
    #: the OLED finding screen's header tag (a few capitals)
    tag = "FOUND"
    #: the sweep part that finds it (its hardware status key: "RF", "Wi-Fi")
    part = ""
    #: the JSON key of each typed field the kind has (freq_hz, channel, address,
    #: strength_db; span_s as (first, last)); the rest of its JSON is its evidence
    json_keys: Dict[str, object] = {}
    #: a typical finding's JSON: the docs' screen images and the outputs' tests draw it
    example: dict = {}

    # ----------------------------------------------------------------- words

    def name(self, f: "Finding") -> str:
        """One line naming a finding: logs, the terminal, the venue CLI."""
        where = self.where(f) or str(f.address or f.get("mac") or f.get("address") or "")
        return f"{self.label} {where}".strip()

    def title(self, f: "Finding") -> str:
        """A few characters: the OLED's big line and the locate screen's header."""
        return self.where(f) or self.label

    def what(self, f: "Finding") -> str:
        """What it is, a few words (a table's "what" column)."""
        return self.label

    def big(self, f: "Finding") -> str:
        """The OLED finding screen's large line."""
        return self.title(f)

    def details(self, f: "Finding") -> List[str]:
        """Up to three short lines under the title on the OLED finding screen."""
        return [self.what(f), self.signal(f)]

    def describe(self, f: "Finding") -> str:
        """The report's "what" cell."""
        return str(f.get("label") or self.label[:1].upper() + self.label[1:])

    def where(self, f: "Finding") -> str:
        """Where it is, in words: a frequency, a channel, an address."""
        freq = f.freq_hz if f.freq_hz is not None else f.get("freq_hz")
        channel = f.channel if f.channel is not None else f.get("channel")
        if isinstance(freq, (int, float)):
            return f"{freq / 1e6:.1f} MHz"
        if channel is not None:
            return f"Wi-Fi ch {channel}"
        return str(f.address or "")

    def signal(self, f: "Finding") -> str:
        """How strong it is heard, in words with units."""
        if isinstance(f.strength_db, (int, float)):
            return f"{f.strength_db:.0f} dB"
        for key, unit in (("rssi_dbm", "dBm"), ("power_db", "dB")):
            if isinstance(f.get(key), (int, float)):
                return f"{f.get(key):.0f} {unit}"
        return ""

    # ----------------------------------------------------------------- plain words

    def plain(self, f: "Finding") -> str:
        """What the finding means, in words anyone understands (the report shows this and
        folds the technical reasons under it)."""
        if str(f.verdict) == "camera":
            return "It transmits the way a hidden camera does."
        return "Some of what it transmits looks like a camera's."

    def find_it(self, f: "Finding") -> str:
        """How to find it in the room: a step of :meth:`action` (no full stop)."""
        return ("walk the room with the device's locate screen on this finding and look where the "
                "signal is strongest: smoke detectors, clocks, chargers, vents, picture frames")

    def action(self, f: "Finding", sweep_id=None) -> List[str]:
        """What to do about it, step by step: :data:`ACTIONS` for its verdict (a known one's
        when the room's baseline has it), with this kind's way of finding it."""
        steps = ACTIONS.get("known" if f.known else str(f.verdict), [])
        sweep = "not recorded" if sweep_id is None else str(sweep_id)
        return [step.format(find=self.find_it(f), sweep=sweep) for step in steps]

    # ----------------------------------------------------------------- baselines

    def key(self, f: "Finding") -> str:
        """The baseline observation key: the same transmitter gets the same key in every sweep."""
        ident = f.address or f.get("mac") or f.get("address") or f.freq_hz or f.get("freq_hz") or f.get("label")
        return f"{self.type}:{ident or '?'}"

    def observation(self, f: "Finding", ident: Ident) -> dict:
        """The finding as a baseline observation (venue/observations.py's shape)."""
        strength = f.strength_db if f.strength_db is not None else f.get("power_db", f.get("rssi_dbm"))
        return {"kind": f.kind or self.type, "key": self.key(f), "label": self.name(f), "verdict": str(f.verdict),
                "score": _num(f.score), "power_db": _num(strength)}

    # ----------------------------------------------------------------- hardware

    def locator(self, f: "Finding", sources: Dict[str, object], cfg):
        """Something whose ``read()`` gives the finding's received strength in dB (or None
        when it was not heard this time) while the user walks with the device, with a
        ``unit`` attribute ("dBm", "dBFS"); or None when this kind cannot be located.
        sweeper/device/locating.py turns the readings into a bar, a peak and a trend."""
        return None

    def target(self, mac: Optional[str] = None, channel: Optional[int] = None,
               freq_hz: Optional[float] = None) -> Optional["Finding"]:
        """A finding to confirm or locate, named on the command line (``sweeper confirm
        --mac/--channel`` or ``--freq``), when this kind is addressed that way; else None."""
        return None

    def confirmer(self, f: "Finding", sources: Dict[str, object], cfg):
        """A :class:`sweeper.confirm.live.Confirmer` that parks a radio on the finding and
        collects its response to a stimulus, or None when this kind cannot be confirmed."""
        return None


GENERIC = Kind()

#: finding type -> its kind (filled by :func:`_load`, and by :func:`register`)
REGISTRY: Dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add (or replace) a kind; returns it, so it can decorate an instance."""
    REGISTRY[kind.type] = kind
    return kind


def target(**named) -> Optional["Finding"]:
    """The finding the first registered kind makes of a command line's target, or None."""
    for kind in REGISTRY.values():
        f = kind.target(**named)
        if f is not None:
            return f
    return None


def of(finding: Union["Finding", dict]) -> Kind:
    """The kind of a finding or of its JSON (the generic one for a type nobody registered)."""
    name = finding.get("type") if isinstance(finding, dict) else finding.kind
    return REGISTRY.get(str(name or ""), GENERIC)


def _load() -> None:
    """The package's kinds. Add a kind by adding its module and naming it here."""
    from sweeper.kinds import analog_video, lan_camera, wifi_camera

    for kind in (analog_video.KIND, wifi_camera.KIND, lan_camera.KIND):
        register(kind)


_load()
