"""An RF scene: emitters in a room, as an ideal receiver hears them.

Scene files are YAML::

    name: room
    description: what this room is
    noise_figure_db: 6.0                     # the receiver's (used by the front end)
    downconverter: {lo_mhz: 2000, injection: low}   # optional: a converter in line
    emitters:
      - kind: analog_video                   # one of sweeper.sim.emitters.EMITTERS
        name: hidden camera                  # optional label
        freq_mhz: 2432                       # (Wi-Fi may give `channel: 6` instead)
        power_dbm: -45
        seed: 1
        standard: PAL                        # ... kind-specific parameters

Errors name the file, the line, the key and what is allowed (:class:`InputError`).
With a downconverter the tuner frequency f sees RF ``if_to_rf(f)``; high-side
injection mirrors the spectrum (the rendered baseband is conjugated).
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np
import yaml

from sweeper.errors import ConfigError, InputError
from sweeper.rf.bands import Downconverter
from sweeper.sim.emitters import EMITTERS, SimEmitter, ParamError
from sweeper.yamlfile import compose, read_text

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
ROOM_FILE = os.path.join(DATA_DIR, "scene_room.yaml")
ROOM_CLEAR_FILE = os.path.join(DATA_DIR, "scene_room_clear.yaml")

_SCENE = object()  # "use the scene's own downconverter"
#: ``wifi:`` holds the room's Wi-Fi devices for the traffic simulator
#: (sweeper.sim.wifi.room); the RF scene ignores it
_TOP_KEYS = ("name", "description", "noise_figure_db", "downconverter", "emitters", "wifi")


@dataclass
class Scene:
    """Emitters plus the receiver's noise figure and (optionally) a converter in line."""

    emitters: List[SimEmitter]
    noise_figure_db: float = 6.0
    downconverter: Optional[Downconverter] = None
    name: str = "scene"
    description: str = ""
    path: Optional[str] = field(default=None, compare=False)

    def render(self, center_hz: float, sample_rate: float, t0: float, n: int, downconverter=_SCENE) -> np.ndarray:
        """Sum of all emitters (complex64, sqrt(mW)) for a tuner at ``center_hz``: the
        RF window is the tuner's, or the converter's image of it. Emitters whose span
        misses the window cost nothing."""
        dc = self.downconverter if downconverter is _SCENE else downconverter
        rf = center_hz if dc is None else dc.if_to_rf(center_hz)
        out = np.zeros(int(n), np.complex64)
        lo, hi = rf - sample_rate / 2, rf + sample_rate / 2
        for e in self.emitters:
            a, b = e.span_hz()
            if b <= lo or a >= hi:
                continue
            out += e.render(rf, sample_rate, t0, n)
        if dc is not None and dc.inverted:
            np.conjugate(out, out=out)
        return out

    def emitters_in(self, lo_hz: float, hi_hz: float) -> List[SimEmitter]:
        """Emitters whose span overlaps an RF range (for reports and tests)."""
        return [e for e in self.emitters if e.span_hz()[1] > lo_hz and e.span_hz()[0] < hi_hz]

    def without(self, kind: str) -> "Scene":
        """The same scene with every emitter of one kind removed."""
        return Scene([e for e in self.emitters if e.kind != kind], self.noise_figure_db, self.downconverter,
                     self.name, self.description, self.path)


# ---- loading ------------------------------------------------------------------------

def _line(node) -> int:
    return node.start_mark.line + 1


def _plain(node) -> Any:
    """Python value of a node (safe types only)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _sequence(path: str, node, what: str) -> list:
    """The items of a YAML list (an empty value is an empty list), or a file:line error."""
    if isinstance(node, yaml.ScalarNode) and _plain(node) is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise InputError(f"{path}:{_line(node)}: {what}: must be a list (lines starting with '- kind: ...')")
    return node.value


def _mapping(path: str, node, what: str) -> Dict[str, tuple]:
    """{key: (key_node, value_node)} of a mapping node, rejecting duplicates."""
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"{path}:{_line(node)}: {what} must be a mapping (key: value lines)")
    out: Dict[str, tuple] = {}
    for k, v in node.value:
        key = _plain(k)
        if not isinstance(key, str):
            raise InputError(f"{path}:{_line(k)}: {what}: keys must be text, not {key!r}")
        if key in out:
            raise InputError(f"{path}:{_line(k)}: {what}.{key}: given twice (first on line {_line(out[key][0])})")
        out[key] = (k, v)
    return out


def _unknown(path: str, knode, where: str, key: str, allowed) -> InputError:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InputError(f"{path}:{_line(knode)}: {where}{key}: unknown key{hint}; allowed: {', '.join(allowed)}")


def _number(path, knode, vnode, key, lo=None, hi=None) -> float:
    v = _plain(vnode)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(f"{path}:{_line(vnode)}: {key}: must be a number, not {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise InputError(f"{path}:{_line(vnode)}: {key}: must be between {lo:g} and {hi:g}, not {v:g}")
    return float(v)


def load_scene(path: str) -> Scene:
    """Read and validate a scene file (see the module docstring for the format)."""
    return parse_scene(read_text(path, "scene file", InputError), path)


def parse_scene(text: str, path: str = "<scene>") -> Scene:
    """Validate scene YAML text; ``path`` is used in error messages."""
    root = compose(text, path, InputError)
    if root is None:
        raise InputError(f"{path}:1: the scene is empty: it needs at least `emitters:`")
    top = _mapping(path, root, "the scene")
    for key, (kn, _) in top.items():
        if key not in _TOP_KEYS:
            raise _unknown(path, kn, "", key, _TOP_KEYS)
    name = os.path.splitext(os.path.basename(path))[0]
    desc = ""
    nf = 6.0
    dc = None
    if "name" in top:
        name = str(_plain(top["name"][1]))
    if "description" in top:
        desc = str(_plain(top["description"][1]) or "")
    if "noise_figure_db" in top:
        nf = _number(path, *top["noise_figure_db"], "noise_figure_db", 0.0, 30.0)
    if "downconverter" in top:
        dnode = top["downconverter"][1]
        if not (isinstance(dnode, yaml.ScalarNode) and _plain(dnode) is None):
            d = _mapping(path, dnode, "downconverter")
            for key, (kn, _) in d.items():
                if key not in ("lo_mhz", "injection"):
                    raise _unknown(path, kn, "downconverter.", key, ("lo_mhz", "injection"))
            if "lo_mhz" not in d:
                raise InputError(f"{path}:{_line(dnode)}: downconverter.lo_mhz: missing (the converter's LO in MHz)")
            lo = _number(path, *d["lo_mhz"], "downconverter.lo_mhz", 1.0, 100000.0)
            inj = "low"
            if "injection" in d:
                inj = _plain(d["injection"][1])
                if inj not in ("low", "high"):
                    raise InputError(f"{path}:{_line(d['injection'][1])}: downconverter.injection: must be low or "
                                     f"high, not {inj!r}")
            try:
                dc = Downconverter(lo * 1e6, inj)
            except ConfigError as exc:
                raise InputError(f"{path}:{_line(dnode)}: downconverter: {exc}") from None
    if "emitters" not in top:
        raise InputError(f"{path}:{_line(root)}: emitters: missing (a list of emitters, each with a kind)")
    enode = top["emitters"][1]
    items = _sequence(path, enode, "emitters")
    emitters = []
    for i, item in enumerate(items):
        where = f"emitters[{i}]"
        m = _mapping(path, item, where)
        if "kind" not in m:
            raise InputError(f"{path}:{_line(item)}: {where}.kind: missing; allowed: {', '.join(EMITTERS)}")
        kind = _plain(m["kind"][1])
        if kind not in EMITTERS:
            close = difflib.get_close_matches(str(kind), list(EMITTERS), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"{path}:{_line(m['kind'][1])}: {where}.kind: unknown kind {kind!r}{hint}; "
                             f"allowed: {', '.join(EMITTERS)}")
        params = {k: _plain(v) for k, (_, v) in m.items()}
        try:
            emitters.append(EMITTERS[kind].from_params(params))
        except ParamError as exc:
            node = m[exc.key][1] if exc.key in m else item
            raise InputError(f"{path}:{_line(node)}: {where}.{exc.key}: {exc.detail} (kind {kind})") from None
    return Scene(emitters, nf, dc, name, desc, path)


def default_scene() -> Scene:
    """The built-in room: a hidden PAL camera on 2432 MHz among everyday emitters."""
    return load_scene(ROOM_FILE)


def clear_scene() -> Scene:
    """The same room without the camera."""
    return load_scene(ROOM_CLEAR_FILE)
