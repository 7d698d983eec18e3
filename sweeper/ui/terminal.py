"""Terminal output: a progress bar fed by sweep events, and result tables."""
from __future__ import annotations

from typing import List, TextIO

from sweeper import kinds
from sweeper import verdicts
from sweeper.findings import as_finding

MHZ = 1e6
_VERDICT_TEXT = {
    "CLEAR": "CLEAR: no analog video transmitter found",
    "INCOMPLETE": "INCOMPLETE: no analog video transmitter found where the sweep listened, but it could "
                  "not listen everywhere (not a CLEAR):",
    "SUSPECT": "SUSPECT: something looks like an analog video transmitter",
    "CAMERA": "CAMERA: analog video transmitter found",
}


class ProgressBar:
    """Callable progress listener for :class:`sweeper.rf.engine.Sweep`."""

    def __init__(self, stream: TextIO, width: int = 30):
        self.stream = stream
        self.width = width
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, p) -> None:
        if p.kind == "hop":
            filled = int(self.width * p.fraction)
            line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {p.fraction:4.0%} "
                    f"{p.band:>7} {p.rf_center_hz / MHZ:9.2f} MHz")
            if self.tty:
                self.stream.write(line)
            elif p.done == p.total or p.done % max(1, p.total // 10) == 0:
                self.stream.write(line.lstrip("\r") + "\n")
            self.stream.flush()
        elif p.kind == "done" and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _row(cols, widths):
    return "  ".join(str(c).ljust(w) for c, w in zip(cols, widths)).rstrip()


def _table(rows, out: TextIO, header) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out.write(_row(header, widths) + "\n")
    for r in rows:
        out.write(_row(r, widths) + "\n")


FINDINGS_HEADER = ["verdict", "what", "where", "signal", "score", "why"]


def findings_rows(findings) -> List[list]:
    """One row per finding (a Finding or its JSON), through its kind: any kind, one table."""
    rows = []
    for f in map(as_finding, findings):
        kind = kinds.of(f)
        rows.append([f.verdict.word, kind.what(f), kind.where(f), kind.signal(f), f"{f.score:.2f}",
                     f.reasons[0] if f.reasons else ""])
    return rows


def print_findings(findings, out: TextIO) -> None:
    """The findings table; with a baseline, each finding's status against it."""
    findings = [as_finding(f) for f in findings]
    if not findings:
        return
    rows, header = findings_rows(findings), FINDINGS_HEADER
    if any(f.baseline is not None for f in findings):
        header = ["baseline"] + header
        rows = [[str((f.baseline or {}).get("status", "")).upper()] + r for f, r in zip(findings, rows)]
    _table(rows, out, header)
    out.write("\n")


EMITTERS_HEADER = ["other emitters", "MHz", "width MHz", "SNR dB", "score", "why"]


def _emitter_rows(emitters):
    return [[e["class"], f"{e['freq_hz'] / MHZ:.3f}", f"{e['bandwidth_hz'] / MHZ:.2f}", f"{e['snr_db']:.0f}",
             f"{e['score']:.2f}", e["reasons"][0] if e["reasons"] else ""] for e in emitters]


def _print_rf(findings, emitters, out: TextIO) -> None:
    print_findings(findings, out)
    if emitters:
        _table(_emitter_rows(emitters), out, EMITTERS_HEADER)
        out.write("\n")


def verdict_line(text: str, simulated: bool) -> str:
    """A verdict line; a simulated room's says so first, so it never passes for this room's."""
    return ("SIMULATED " + text + " (in the simulated room, not this one)") if simulated else text


def print_gaps(gaps, out: TextIO) -> None:
    """What a sweep did not cover, one indented line each (after its verdict)."""
    for gap in gaps:
        out.write(f"  not covered: {gap}\n")


def print_sweep(result, source_name: str, out: TextIO, simulated: bool = False) -> None:
    out.write(f"Swept {result.hops} hops in {result.elapsed_s:.1f} s from {source_name}\n\n")
    _print_rf(result.findings, result.emitters, out)
    out.write(verdict_line(_VERDICT_TEXT[result.verdict], simulated) + "\n")
    print_gaps(result.gaps, out)


def print_analysis(rep: dict, out: TextIO) -> None:
    """A recording's analysis: the findings (each with when it was on), the other emitters."""
    short = rep.get("duration_s", 1.0) < 1.0

    def when(s: float) -> str:
        return f"{s * 1e3:.2f} ms" if short else f"{s:.2f} s"

    length = f" ({when(rep['duration_s'])})" if "duration_s" in rep else ""
    out.write(f"{rep['file']}: {rep['captures']} x {rep['samples_per_capture']} samples at "
              f"{rep['sample_rate'] / MHZ:g} MS/s{length}\n\n")
    _print_rf(rep["findings"], rep["emitters"], out)
    timed = [f for f in rep["findings"] if f.get("first_s") is not None]
    for f in timed:
        out.write(f"{kinds.of(as_finding(f)).name(as_finding(f))}: on {when(f['on_s'])} between "
                  f"{when(f['first_s'])} and {when(f['last_s'])}\n")
    if timed:
        out.write("\n")
    out.write(_VERDICT_TEXT[verdicts.of_findings(f["verdict"] for f in rep["findings"])] + "\n")


class AnalyzeProgressBar:
    """Progress through a long recording, for a terminal only: called with each
    analysed window's start and length (seconds); :meth:`close` ends the line."""

    def __init__(self, stream: TextIO, duration_s: float, width: int = 30):
        self.stream = stream
        self.duration_s = max(float(duration_s), 1e-9)
        self.width = width

    def __call__(self, t0: float, duration: float) -> None:
        done = min(1.0, (t0 + duration) / self.duration_s)
        filled = int(self.width * done)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done:4.0%} "
                          f"{t0 + duration:8.1f} of {self.duration_s:.1f} s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


_WIFI_VERDICT_TEXT = {
    "CLEAR": "CLEAR: no Wi-Fi transmitter uploads like a camera",
    "INCOMPLETE": "INCOMPLETE: no Wi-Fi transmitter uploads like a camera, but the sweep did not hear "
                  "everything (not a CLEAR):",
    "SUSPECT": "SUSPECT: a Wi-Fi transmitter uploads somewhat like a camera",
    "CAMERA": "CAMERA: a Wi-Fi transmitter uploads like a streaming camera",
}
DEVICES_HEADER = ["other transmitters", "vendor", "ch", "dBm", "up kbit/s", "score", "role"]


def _device_rows(devices):
    return [[d["mac"], (d["vendor"] or ("randomised" if d["locally_administered"] else "?"))[:24],
             d["channel"] or "", "" if d["rssi_dbm"] is None else f"{d['rssi_dbm']:.0f}",
             f"{d['uplink_kbps']:.0f}", f"{d['score']:.2f}", d["role"]] for d in devices]


def print_wifi(rep: dict, out: TextIO, title: str, limit: int = 12) -> None:
    """A Wi-Fi analysis or sweep: findings first, then the busiest other devices."""
    fr = rep["frames"]
    skipped = fr["truncated"] + fr["malformed"] + fr["bad_fcs"]
    out.write(f"{title}: {fr['parsed']} frames from {len(rep['findings']) + len(rep['devices'])} "
              f"transmitters" + (f" ({skipped} damaged frames skipped)" if skipped else "") + "\n\n")
    print_findings(rep["findings"], out)
    if rep["devices"]:
        _table(_device_rows(rep["devices"][:limit]), out, DEVICES_HEADER)
        hidden = len(rep["devices"]) - limit
        if hidden > 0:
            out.write(f"... and {hidden} more quiet devices (--json lists all)\n")
        out.write("\n")
    out.write(verdict_line(_WIFI_VERDICT_TEXT[rep["verdict"]], bool(rep.get("simulated"))) + "\n")
    print_gaps(rep.get("gaps", []), out)


class WifiProgressBar:
    """Callable progress listener for :class:`sweeper.wifi.engine.WifiSweep`."""

    def __init__(self, stream: TextIO, width: int = 30):
        self.stream = stream
        self.width = width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last_tenth = -1

    def __call__(self, p) -> None:
        if p.kind == "hop":
            filled = int(self.width * p.fraction)
            line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {p.fraction:4.0%} "
                    f"channel {p.channel:>3}  {p.transmitters} transmitters, {p.findings} suspicious")
            tenth = int(p.fraction * 10)
            if self.tty:
                self.stream.write(line)
            elif tenth != self._last_tenth:
                self._last_tenth = tenth
                self.stream.write(line.lstrip("\r") + "\n")
            self.stream.flush()
        elif p.kind == "done" and self.tty:
            self.stream.write("\n")
            self.stream.flush()


_LAN_VERDICT_TEXT = {
    "camera": "CAMERA: a camera is on this network",
    "suspect": "SUSPECT: a device on this network may be a camera",
    "none": "NONE: no camera found on this network",
}


def print_lan(rep: dict, out: TextIO) -> None:
    """``sweeper lan``: the verdict, each finding with its reasons, the other hosts'
    count and one line of coverage."""
    from sweeper.errors import terminal_safe

    cov = rep["coverage"]
    out.write(f"{_LAN_VERDICT_TEXT[rep['verdict']]} ({cov['subnet']} on {cov['interface']})\n")
    for f in rep["findings"]:
        what = ", ".join(x for x in [f.get("vendor") or "", *f["names"][:2]] if x)
        services = " ".join(f"{s['port']}/{s['proto']}" for s in f["services"])
        line = f"  {f['verdict'].upper():8} {f['ip']:15} {f.get('mac') or '-':17} {what}  {services}"
        out.write(terminal_safe(line.rstrip()) + "\n")
        for reason in f["reasons"]:
            out.write(f"           {terminal_safe(reason)}\n")
    n = len(rep["hosts"])
    out.write(f"{n} other host{'' if n == 1 else 's'} on the network (--json lists them)\n")
    probes = "; ".join(f"{name}: {what}" for name, what in cov["probes"].items())
    out.write(terminal_safe(f"coverage: {cov['mode']} scan, {cov['seconds']:.0f} s, {cov['packets_sent']} packets "
                            f"at most {cov['rate_limit_pps']:.0f}/s; {probes}") + "\n")
