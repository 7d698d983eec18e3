"""``sweeper selftest``: is every piece of the device there, and if not, what to do.

Users' most common failures on a Pi gadget are a blank display (I2C off, wrong address), a
radio that is not seen (DVB driver, no udev rule, built-in Wi-Fi without monitor mode) and
permissions. The checks are the subsystems' own probes (:mod:`sweeper.probe`): each
detector part's (sweeper.assembly: the RTL-SDR or rtl_tcp server; the Wi-Fi adapter,
``iw``, capabilities, vendor names), the panel's, the battery gauge's, the pins', the
history's and the broker's. Each looks at its piece the way the daemon will use it and takes nothing over,
so the self-test is safe to run while the daemon is running. This module only collects
them and reports.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import textwrap
from typing import Callable, List, Optional, TextIO, Tuple

from sweeper.config import SYSTEM_CONFIG_PATH, Config, default_config, load_config
from sweeper.errors import ConfigError, HardwareError
from sweeper.probe import Check, guarded

CONFIG = "config file"

#: exit codes: one detection path usable / config unreadable / no radio at all
READY, BAD_CONFIG, NO_RADIO = 0, ConfigError.exit_code, HardwareError.exit_code


def check_config(cfg: Config, problem: Optional[str] = None) -> Check:
    """The config file loaded (its path), or the loader's ``FILE:LINE: key: problem``."""
    if problem is not None:
        return Check(CONFIG, False, problem,
                     "correct the line named, then check it with `sweeper --config FILE config`")
    if cfg.source_path is None:
        return Check(CONFIG, True, f"none: built-in defaults ({SYSTEM_CONFIG_PATH} changes them)")
    return Check(CONFIG, True, f"{cfg.source_path} loaded")


def probes(cfg: Config, config_problem: Optional[str] = None) -> List[Tuple[str, Callable[[], Check]]]:
    """Every check in report order: the config, each detector part's, the device's, the venue's."""
    from sweeper.assembly import device_parts
    from sweeper.device import battery, display, led, netpolicy, pins
    from sweeper.venue import history, mqtt

    steps = [(CONFIG, lambda: check_config(cfg, config_problem))]
    for part in device_parts(cfg):
        steps += part.probes(cfg)
    steps += [(display.DISPLAY_CHECK, lambda: display.probe(cfg.display)),
              (battery.BATTERY_CHECK, lambda: battery.probe(cfg.battery)), (pins.GPIO_CHECK, pins.probe),
              (led.LED_CHECK, lambda: led.probe(cfg)),
              (history.HISTORY_CHECK, lambda: history.probe(cfg))]
    if cfg.mqtt.enabled:
        steps.append((mqtt.MQTT_CHECK, lambda: mqtt.probe(mqtt.settings_from_config(cfg.mqtt))))
    else:
        steps.append((mqtt.MQTT_CHECK, lambda: Check(mqtt.MQTT_CHECK, True,
                                                     "disabled (mqtt.enabled: false): no fleet reporting")))
    steps.append((netpolicy.NETWORK_CHECK, lambda: netpolicy.probe(cfg)))
    return steps


def run_selftest(cfg: Optional[Config] = None, config_problem: Optional[str] = None) -> List[Check]:
    """Every check, in report order. ``config_problem`` is the loader's message when the
    file was unreadable (then ``cfg`` is the defaults the rest is checked with)."""
    cfg = cfg if cfg is not None else default_config()
    return [guarded(name, fn) for name, fn in probes(cfg, config_problem)]


def exit_code(checks: List[Check]) -> int:
    """0 when at least one detection path (RTL-SDR, Wi-Fi adapter, ...) is there; 3 when
    none is; 2 when the config file is broken (the daemon would not start)."""
    if any(c.name == CONFIG and not c.ok for c in checks):
        return BAD_CONFIG
    if any(c.ok and c.detects for c in checks):
        return READY
    return NO_RADIO


def _summary(checks: List[Check]) -> str:
    code = exit_code(checks)
    if code == BAD_CONFIG:
        return "NOT READY: the config file is broken (see above); the daemon would not start."
    if code == NO_RADIO:
        return ("NOT READY: no radio to detect with: plug in an RTL-SDR dongle or a "
                "monitor-capable USB Wi-Fi adapter (see the fixes above).")
    paths = [c.detects for c in checks if c.ok and c.detects]
    missing = [c.name for c in checks if not c.ok]
    return "READY: " + " and ".join(paths) + (f"; missing: {', '.join(missing)}" if missing else "")


def format_report(checks: List[Check], width: int = 100) -> str:
    """A table: check, OK/MISSING, what was seen; the fix indented under a missing line."""
    name_w = max([len("CHECK")] + [len(c.name) for c in checks])
    status_w = len("MISSING")
    indent = " " * (name_w + status_w + 4)
    text_w = max(30, width - len(indent))
    lines = [f"{'CHECK':<{name_w}}  {'STATUS':<{status_w}}  DETAIL"]
    for c in checks:
        detail = _wrap(c.detail, text_w) or [""]
        lines.append(f"{c.name:<{name_w}}  {c.status:<{status_w}}  {detail[0]}")
        lines += [indent + more for more in detail[1:]]
        if c.fix:
            lines += [indent + part for part in _wrap("fix: " + c.fix, text_w, "     ")]
    lines.append("")
    lines += _wrap(_summary(checks), width)
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int, hang: str = "") -> List[str]:
    """Wrap at spaces only, so option names and paths are never split at a hyphen."""
    return textwrap.wrap(text, width, subsequent_indent=hang, break_on_hyphens=False,
                         break_long_words=False)


def report_dict(checks: List[Check]) -> dict:
    """The report as JSON-ready data (for scripts and the install check)."""
    return {"checks": [dict(dataclasses.asdict(c), status=c.status) for c in checks],
            "exit_code": exit_code(checks), "summary": _summary(checks)}


def main(config_path: Optional[str] = None, as_json: bool = False,
         out: Optional[TextIO] = None) -> int:
    """``sweeper selftest``: load the config itself (a broken file is a finding, not a
    crash), run every check, print the report, return the exit code."""
    out = out or sys.stdout
    problem = None
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        cfg, problem = default_config(), str(exc)
    checks = run_selftest(cfg, problem)
    if as_json:
        out.write(json.dumps(report_dict(checks), indent=2) + "\n")
    else:
        out.write(format_report(checks))
    return exit_code(checks)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else None))
