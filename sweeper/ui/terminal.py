"""Terminal output: a progress bar fed by sweep events, and result tables."""
from __future__ import annotations

from typing import TextIO

from sweeper import kinds
from sweeper import verdicts

MHZ = 1e6
_VERDICT_TEXT = {
    "CLEAR": "CLEAR: no analog video transmitter found",
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


def _rows(findings, emitters):
    rows = []
    for f in findings:
        rows.append([f["verdict"].upper(), kinds.of(f).what(f),
                     f"{f['freq_hz'] / MHZ:.3f}", f"{f['bandwidth_hz'] / MHZ:.2f}", f"{f['snr_db']:.0f}",
                     f"{f['score']:.2f}", f["reasons"][0] if f["reasons"] else ""])
    for e in emitters:
        rows.append(["", e["class"], f"{e['freq_hz'] / MHZ:.3f}", f"{e['bandwidth_hz'] / MHZ:.2f}",
                     f"{e['snr_db']:.0f}", f"{e['score']:.2f}", e["reasons"][0] if e["reasons"] else ""])
    return rows


HEADER = ["verdict", "what", "MHz", "width MHz", "SNR dB", "score", "why"]


def print_sweep(result, source_name: str, out: TextIO) -> None:
    rows = _rows(result.findings, result.emitters)
    out.write(f"Swept {result.hops} hops in {result.elapsed_s:.1f} s from {source_name}\n\n")
    if rows:
        _table(rows, out, HEADER)
        out.write("\n")
    out.write(_VERDICT_TEXT[result.verdict] + "\n")


def print_analysis(rep: dict, out: TextIO) -> None:
    out.write(f"{rep['file']}: {rep['captures']} x {rep['samples_per_capture']} samples at "
              f"{rep['sample_rate'] / MHZ:g} MS/s\n\n")
    rows = _rows(rep["findings"], rep["emitters"])
    if rows:
        _table(rows, out, HEADER)
        out.write("\n")
    out.write(_VERDICT_TEXT[verdicts.of_findings(f["verdict"] for f in rep["findings"])] + "\n")


_WIFI_VERDICT_TEXT = {
    "CLEAR": "CLEAR: no Wi-Fi transmitter uploads like a camera",
    "SUSPECT": "SUSPECT: a Wi-Fi transmitter uploads somewhat like a camera",
    "CAMERA": "CAMERA: a Wi-Fi transmitter uploads like a streaming camera",
}
WIFI_HEADER = ["verdict", "mac", "vendor", "ch", "dBm", "up kbit/s", "score", "why"]


def _wifi_rows(findings, devices, limit: int = 12):
    rows = []
    for f in findings:
        rows.append([f["verdict"].upper(), f["mac"], (f["vendor"] or "?")[:24], f["channel"] or "",
                     "" if f["rssi_dbm"] is None else f"{f['rssi_dbm']:.0f}", f"{f['uplink_kbps']:.0f}",
                     f"{f['score']:.2f}", "; ".join(f["reasons"][:3])])
    for d in devices[:limit]:
        rows.append(["", d["mac"], (d["vendor"] or ("randomised" if d["locally_administered"] else "?"))[:24],
                     d["channel"] or "", "" if d["rssi_dbm"] is None else f"{d['rssi_dbm']:.0f}",
                     f"{d['uplink_kbps']:.0f}", f"{d['score']:.2f}", d["role"]])
    return rows


def print_wifi(rep: dict, out: TextIO, title: str) -> None:
    """A Wi-Fi analysis or sweep: findings first, then the busiest other devices."""
    fr = rep["frames"]
    skipped = fr["truncated"] + fr["malformed"] + fr["bad_fcs"]
    out.write(f"{title}: {fr['parsed']} frames from {len(rep['findings']) + len(rep['devices'])} "
              f"transmitters" + (f" ({skipped} damaged frames skipped)" if skipped else "") + "\n\n")
    rows = _wifi_rows(rep["findings"], rep["devices"])
    if rows:
        _table(rows, out, WIFI_HEADER)
        hidden = len(rep["devices"]) - 12
        if hidden > 0:
            out.write(f"... and {hidden} more quiet devices (--json lists all)\n")
        out.write("\n")
    out.write(_WIFI_VERDICT_TEXT[rep["verdict"]] + "\n")


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
