"""Sweep history for managers: JSON, CSV and one self-contained HTML report.

Managers want a record they can open, print and file without installing anything, so
the HTML report is a single file: inline CSS and inline SVG plots, no JavaScript, no
fonts, images or links that fetch anything. It opens in any browser, offline, years from
now. SSIDs, vendor names, room labels and reasons come from the air or from staff and
must be treated as hostile: every string is HTML-escaped, the page carries a Content
Security Policy that forbids scripts anyway, and CSV cells that a spreadsheet would run
as a formula are prefixed with a quote.

The page is for the person who has to act on it: rooms with a CAMERA or SUSPECT verdict
come first and the summary names them; each finding says what it means in plain words
(its kind's ``plain``), with the detector's technical reasons folded under it, and what
to do about it (its kind's ``action``); times are local (``venue.timezone``) with
seconds, and every sweep shows its ID, to quote when reporting it.

All functions are pure: lists of sweep records (see :mod:`sweeper.venue`) in, strings out
(:func:`zone` reads the system's zone when the configuration names none).

Why one module of over 400 lines: the HTML page (with its SVG spectra) and the CSV and
JSON exports render the same rows with the same helpers.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import os
import zoneinfo
from html import escape
from typing import Any, Dict, Iterable, List, Optional

from sweeper import kinds, watching
from sweeper.findings import as_finding
from sweeper.venue.baseline import private_words
from sweeper.venue.jsonable import plain

STATUS_ORDER = {"new": 0, "changed": 1, "known": 2}
#: the order of the rooms (by their latest sweep) and of the summary's lines
VERDICTS = ("CAMERA", "SUSPECT", "INCOMPLETE", "CLEAR")
UTC = _dt.timezone.utc
MAX_PLOT_POINTS = 600

FINDING_COLUMNS = ["sweep_id", "started_at", "room", "device_id", "sweep_verdict", "row_kind",
                   "type", "verdict", "score", "baseline_status", "what", "frequency_mhz",
                   "channel", "mac", "vendor", "ssid", "power_db", "first_seen", "last_seen",
                   "count", "note", "reasons", "watching", "stimulus_p", "stimulus_delay_s",
                   "confirmation"]
SWEEP_COLUMNS = ["id", "started_at", "finished_at", "room", "device_id", "trigger", "simulated",
                 "verdict", "raw_verdict", "findings", "new", "changed", "known", "rf", "wifi",
                 "problems"]

LIMITS = [
    "Cameras that only record to a memory card and transmit nothing.",
    "Wired cameras (network cable, USB or coax) - they put nothing on the air.",
    "Cameras that are switched off, asleep or waiting for motion during the sweep.",
    "Wi-Fi cameras on bands or channels this sweep did not listen to, and any camera "
    "whose hardware row above says it was not swept.",
]


# ----------------------------------------------------------------------------- plain data

def records_json(records: List[dict], meta: dict) -> str:
    """The records and the report's metadata as pretty JSON."""
    doc = {"generated_at": meta.get("generated_at"), "title": meta.get("title"),
           "filters": meta.get("filters") or {}, "sweeps": list(records)}
    return json.dumps(plain(doc), indent=2, ensure_ascii=False, allow_nan=False, default=str)


# ----------------------------------------------------------------------------- words

def _status(item: dict) -> str:
    return str((item.get("baseline") or {}).get("status") or "")


def _by_status(items: Iterable[dict]) -> List[dict]:
    return sorted(items, key=lambda it: STATUS_ORDER.get(_status(it), 0))


def _mhz(hz: Any) -> Optional[float]:
    return round(float(hz) / 1e6, 3) if isinstance(hz, (int, float)) else None


def _what(item: dict) -> str:
    """A human label for a finding (its kind says) or an observation (its label)."""
    if item.get("type"):
        f = as_finding(item)
        text = kinds.of(f).describe(f)
    else:
        text = str(item.get("label") or item.get("key") or item.get("kind") or "transmitter")
    name = (item.get("baseline") or {}).get("label")
    return f"{name} - {text}" if name else text


def _where(item: dict) -> str:
    f = as_finding(item)  # an observation has no type: the generic kind reads its fields
    return kinds.of(f).where(f)


def _signal(item: dict) -> str:
    if item.get("type"):
        f = as_finding(item)
        return kinds.of(f).signal(f)
    if item.get("kind") == "wifi" and isinstance(item.get("power_db"), (int, float)):
        return f"{item['power_db']:.0f} dBm"  # an observation of a Wi-Fi device: its RSSI
    return kinds.GENERIC.signal(as_finding(item))


def system_zone() -> _dt.tzinfo:
    """The system's local zone, with its daylight saving rules: TZ, else /etc/localtime
    (by its name when it links into the zone database), else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    target = os.path.realpath("/etc/localtime")
    if "/zoneinfo/" in target:
        try:
            return zoneinfo.ZoneInfo(target.split("/zoneinfo/", 1)[1])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as f:
            return zoneinfo.ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError):
        return UTC


def zone(name: Optional[str]) -> _dt.tzinfo:
    """``venue.timezone`` (an IANA name, checked by the config) or the system's zone."""
    return zoneinfo.ZoneInfo(name) if name else system_zone()


def zone_name(tz: _dt.tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz.tzname(None) or "UTC")


def _when(iso: Any, tz: _dt.tzinfo = UTC) -> str:
    """'2026-11-25T13:00:02Z' -> '2026-11-25 14:00:02 CET' in ``tz``; anything else as given."""
    try:
        t = _dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso or "")
    if t.tzinfo is None:
        return t.strftime("%Y-%m-%d %H:%M:%S")
    t = t.astimezone(tz)
    return t.strftime("%Y-%m-%d %H:%M:%S ") + (t.tzname() or t.strftime("%z"))


def _hw_issues(rec: dict) -> List[str]:
    """What a sweep did not cover: its gaps (missing or failed hardware included); for
    records from before coverage was recorded, its missing and failed hardware."""
    if "gaps" in rec:
        return [str(g) for g in rec.get("gaps") or []]
    out = [f"{k}: {v}" for k, v in (rec.get("hardware") or {}).items() if v != "ok"]
    out += [f"{k}: {v}" for k, v in (rec.get("problems") or {}).items()]
    return out


def _room(rec: dict) -> str:
    return str(rec.get("room") or "")


# ----------------------------------------------------------------------------- CSV

def _cell(value: Any) -> Any:
    """Spreadsheet-safe cell: text that would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(columns: List[str], rows: List[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _cell(row.get(c)) for c in columns})
    return buf.getvalue()


def findings_csv(records: List[dict]) -> str:
    """One row per finding and per new/changed observation; a 'sweep' row for sweeps without findings."""
    rows = []
    for rec in plain(records):
        head = {"sweep_id": rec.get("id"), "started_at": rec.get("started_at"), "room": _room(rec),
                "device_id": rec.get("device_id"), "sweep_verdict": rec.get("verdict")}
        findings = rec.get("findings") or []
        if not findings:
            rows.append(dict(head, row_kind="sweep"))
        for kind, items in (("finding", findings), ("change", rec.get("changes") or [])):
            for it in items:
                base = it.get("baseline") or {}
                rows.append(dict(
                    head, row_kind=kind, type=it.get("type") or it.get("kind"),
                    verdict=it.get("verdict"), score=it.get("score"), baseline_status=base.get("status"),
                    what=_what(it), frequency_mhz=_mhz(it.get("freq_hz")), channel=it.get("channel"),
                    mac=it.get("mac"), vendor=it.get("vendor"), ssid=it.get("ssid"),
                    power_db=next((it[k] for k in ("power_db", "rssi_dbm") if it.get(k) is not None), None),
                    first_seen=base.get("first_seen"), last_seen=base.get("last_seen"),
                    count=base.get("count"), note=base.get("note"),
                    reasons="; ".join(str(r) for r in it.get("reasons") or []),
                    **_confirmation_cells(it)))
    return _csv(FINDING_COLUMNS, rows)


def _confirmation_cells(item: dict) -> dict:
    """A finding's "is it watching this room?" columns (empty when never confirmed)."""
    c = watching.of(item)
    if c is None:
        return {}
    return {"watching": c.get("watching"), "stimulus_p": c.get("stimulus_p"),
            "stimulus_delay_s": c.get("stimulus_delay_s"),
            "confirmation": "; ".join([watching.summary(c)] + [str(r) for r in c.get("reasons") or []])}


def sweeps_csv(records: List[dict]) -> str:
    """One row per sweep, with counts and hardware status."""
    rows = []
    for rec in plain(records):
        counts, hw = rec.get("counts") or {}, rec.get("hardware") or {}
        rows.append({
            "id": rec.get("id"), "started_at": rec.get("started_at"),
            "finished_at": rec.get("finished_at"), "room": _room(rec), "device_id": rec.get("device_id"),
            "trigger": rec.get("trigger"), "simulated": bool(rec.get("simulated")),
            "verdict": rec.get("verdict"), "raw_verdict": rec.get("raw_verdict"),
            "findings": counts.get("findings", len(rec.get("findings") or [])),
            "new": counts.get("new"), "changed": counts.get("changed"), "known": counts.get("known"),
            "rf": hw.get("RF"), "wifi": hw.get("Wi-Fi"),
            "problems": "; ".join(f"{k}: {v}" for k, v in (rec.get("problems") or {}).items())})
    return _csv(SWEEP_COLUMNS, rows)


# ----------------------------------------------------------------------------- SVG plot

def _num(v: Any) -> Optional[float]:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _decimate(values: List[Any], start: float, stop: float, limit: int = MAX_PLOT_POINTS) -> list:
    """(freq_hz, value or None) pairs, max-pooled to at most `limit` so peaks survive."""
    vals = [_num(v) for v in values]
    n = len(vals)
    step = (stop - start) / n
    k = max(1, math.ceil(n / limit))
    out = []
    for j in range(0, n, k):
        chunk = [v for v in vals[j:j + k] if v is not None]
        out.append((start + (j + min(k, n - j) / 2) * step, max(chunk) if chunk else None))
    return out


def _ticks(lo: float, hi: float, target: int) -> tuple:
    raw = (hi - lo) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]
    return ticks, step


def _label(v: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    return f"{v:.{decimals}f}"


def _spectrum_svg(spec: dict, markers: List[dict]) -> str:
    """One band panel: trace, MHz and dB axes with ticks, a marker per video finding."""
    W, H, L, R, T, B = 1000, 270, 62, 18, 30, 46
    pw, ph = W - L - R, H - T - B
    start, stop = float(spec["start_hz"]), float(spec["stop_hz"])
    values = list(spec.get("snr_db") or [])
    pts = _decimate(values, start, stop) if values else []
    finite = [v for _, v in pts if v is not None] or [0.0]
    ymin = min(0.0, math.floor(min(finite)))
    top = max(10.0, max(finite))
    yticks, ystep = _ticks(ymin, top, 5)
    if yticks[-1] < top:
        yticks.append(yticks[-1] + ystep)
    ymax = yticks[-1]

    def x(f: float) -> float:
        return L + (f - start) / (stop - start) * pw

    def y(v: float) -> float:
        return T + (ymax - min(max(v, ymin), ymax)) / (ymax - ymin) * ph

    band = escape(str(spec.get("band") or ""))
    out = [f'<svg class="spectrum" viewBox="0 0 {W} {H}" role="img" '
           f'aria-label="Spectrum of the {band} band" preserveAspectRatio="xMidYMid meet">',
           f'<rect class="plot-bg" x="{L}" y="{T}" width="{pw}" height="{ph}"/>']
    xticks, xstep = _ticks(start / 1e6, stop / 1e6, 8)
    for t in xticks:
        tx = x(t * 1e6)
        out.append(f'<line class="grid" x1="{tx:.1f}" y1="{T}" x2="{tx:.1f}" y2="{T + ph}"/>'
                   f'<text class="xtick" x="{tx:.1f}" y="{T + ph + 17}" text-anchor="middle">'
                   f'{_label(t, xstep)}</text>')
    for t in yticks:
        ty = y(t)
        out.append(f'<line class="grid" x1="{L}" y1="{ty:.1f}" x2="{L + pw}" y2="{ty:.1f}"/>'
                   f'<text class="ytick" x="{L - 6}" y="{ty + 4:.1f}" text-anchor="end">'
                   f'{_label(t, ystep)}</text>')
    segment: List[str] = []
    for f, v in pts + [(None, None)]:
        if v is None:
            if len(segment) > 1:
                out.append(f'<polyline class="trace" points="{" ".join(segment)}"/>')
            segment = []
        else:
            segment.append(f"{x(f):.1f},{y(v):.1f}")
    for m in markers:
        f = float(m["freq_hz"])
        if not start <= f <= stop:
            continue
        mx = x(f)
        anchor = "end" if mx > L + 0.8 * pw else "start"
        dx = -4 if anchor == "end" else 4
        out.append(f'<g class="marker" data-freq-mhz="{f / 1e6:.3f}">'
                   f'<line x1="{mx:.1f}" y1="{T}" x2="{mx:.1f}" y2="{T + ph}"/>'
                   f'<text x="{mx + dx:.1f}" y="{T - 8}" text-anchor="{anchor}">'
                   f'{escape(str(m.get("standard") or "video"))} {f / 1e6:.1f} MHz</text></g>')
    out.append(f'<text class="axis-title" x="{L + pw / 2}" y="{H - 6}" text-anchor="middle">MHz</text>'
               f'<text class="axis-title" transform="translate(16 {T + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">dB over noise floor</text></svg>')
    return "".join(out)


# ----------------------------------------------------------------------------- HTML

CSS = """
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 color:#1a1a1a;margin:0 auto;padding:16px;max-width:1160px;overflow-wrap:break-word}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:28px 0 8px}h3{font-size:16px;margin:16px 0 6px}
.meta{color:#444;margin:2px 0}
.summary{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.stat{border:1px solid #ccc;border-radius:6px;padding:6px 12px;min-width:110px}
.stat .num{display:block;font-size:24px;font-weight:700}
.room{border-top:3px solid #333;margin-top:24px}
.verdict{display:inline-block;font-weight:700;border-radius:6px;padding:2px 8px}
.verdict.big{font-size:30px;padding:6px 18px;margin:6px 12px 6px 0}
.v-camera{background:#c62828;color:#fff}.v-suspect{background:#f9a825;color:#1a1a1a}
.v-clear{background:#2e7d32;color:#fff}.v-incomplete{background:#5d4037;color:#fff}.v-unknown{background:#757575;color:#fff}
.badge{display:inline-block;font-size:12px;font-weight:700;border-radius:4px;padding:1px 6px;border:1px solid}
.b-new{background:#fde0e0;color:#8e0000}.b-changed{background:#fff1c9;color:#6d4c00}
.b-known{background:#eee;color:#444}
.warn{background:#fff1c9;border-left:4px solid #f9a825;padding:6px 10px;margin:6px 0}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}
td ul{margin:0;padding-left:16px}td.long{overflow-wrap:anywhere}
.watching{margin:4px 0;padding:2px 6px;border-left:4px solid #888}.w-yes{border-color:#c62828}
.w-no{border-color:#2e7d32}.w-unsure{border-color:#f9a825}
.badge,.verdict{white-space:nowrap}bdi{unicode-bidi:isolate}
figure{margin:8px 0}figcaption{font-weight:600}
svg.spectrum{width:100%;height:auto;display:block;font:13px sans-serif}
.plot-bg{fill:#fafafa;stroke:#999}.grid{stroke:#e0e0e0}
.xtick,.ytick,.axis-title{fill:#333}.trace{fill:none;stroke:#1f4e9c;stroke-width:1.2}
.marker line{stroke:#c62828;stroke-width:1.5;stroke-dasharray:5 3}.marker text{fill:#c62828;font-weight:700}
.limits{border-top:1px solid #999;margin-top:32px;color:#333}
.by-verdict{list-style:none;padding:0;margin:6px 0}.by-verdict li{margin:4px 0}
h2.by-verdict-title{font-size:17px;margin:12px 0 4px}
.plain{margin:0 0 4px;font-weight:600}.note{margin:0 0 4px}
details.technical summary{cursor:pointer;color:#444}details.technical ul{margin:2px 0}
tr.action td{background:#fbf7f0;border-top:0}tr.action ol{margin:4px 0 2px;padding-left:22px}
.private{color:#333;margin:6px 0}.sweep-id{font-weight:700}code{font-size:13px}
@media print{body{max-width:none;padding:0;font-size:12px}tr,figure,.stat{break-inside:avoid}
 thead{display:table-header-group}.room{break-before:page}h2,h3{break-after:avoid}}
"""


# Bidi controls would let a hostile SSID or label reorder the text around it: shown as codes.
_BIDI = {c: f"[U+{c:04X}]" for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
                                      *range(0x2066, 0x206A))}


def _e(v: Any) -> str:
    return escape("" if v is None else str(v)).translate(_BIDI)


def _i(v: Any) -> str:
    """Escaped text isolated from the sentence around it."""
    return f"<bdi>{_e(v)}</bdi>"


def _verdict(word: Any, big: bool = False) -> str:
    word = str(word or "UNKNOWN").upper()
    cls = f"v-{word.lower()}" if word in VERDICTS else "v-unknown"
    return f'<span class="verdict {cls}{" big" if big else ""}">{_e(word)}</span>'


def _badge(item: dict) -> str:
    s = _status(item)
    return f'<span class="badge b-{s}">{_e(s.upper())}</span>' if s in STATUS_ORDER else "-"


def _table(head: List[str], rows: List[str], cls: str) -> str:
    ths = "".join(f"<th>{h}</th>" for h in head)
    return f'<table class="{cls}"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _why(it: dict, findings: bool) -> str:
    """The "why" cell: what it means in plain words (a finding's kind says), the baseline's
    note, the detector's technical reasons folded under them, and the confirmation."""
    base = it.get("baseline") or {}
    out = []
    if findings and it.get("type"):
        f = as_finding(it)
        out.append(f'<p class="plain">{_e(kinds.of(f).plain(f))}</p>')
    if base.get("note"):
        out.append(f'<p class="note">{_e(base["note"])}</p>')
    reasons = "".join(f"<li>{_e(r)}</li>" for r in it.get("reasons") or [])
    if reasons:
        out.append(f'<details class="technical"><summary>Technical detail</summary><ul>{reasons}</ul></details>')
    confirmation = watching.of(it) if findings else None
    if confirmation is not None:
        cls = {"yes": "w-yes", "no_response": "w-no", "unknown": "w-unsure"}[confirmation["watching"]]
        said = "".join(f"<li>{_e(r)}</li>" for r in confirmation.get("reasons") or [])
        out.append(f'<p class="watching {cls}">Is it watching this room? '
                   f"<strong>{_e(watching.summary(confirmation))}</strong></p>" + (f"<ul>{said}</ul>" if said else ""))
    return "".join(out)


def _action_row(it: dict, sweep_id: Any, columns: int) -> str:
    """What to do about a camera or suspect finding (its kind's steps), across the table."""
    f = as_finding(it)
    steps = kinds.of(f).action(f, sweep_id)
    if not steps:
        return ""
    items = "".join(f"<li>{_e(step)}</li>" for step in steps)
    return (f'<tr class="action"><td colspan="{columns}"><strong>What to do</strong>'
            f"<ol>{items}</ol></td></tr>")


def _item_rows(items: List[dict], findings: bool, tz: _dt.tzinfo = UTC, sweep_id: Any = None) -> List[str]:
    rows = []
    for it in _by_status(items):
        base = it.get("baseline") or {}
        verdict = f'<td class="fverdict">{_e(str(it.get("verdict") or "").upper())}</td>' if findings else ""
        rows.append(f'<tr class="{"finding" if findings else "change"}"><td>{_badge(it)}</td>'
                    f'{verdict}<td class="long">{_e(_what(it))}</td>'
                    f"<td>{_e(_where(it))}</td><td>{_e(_signal(it))}</td>"
                    f"<td>{_e(_when(base.get('first_seen'), tz) if base.get('first_seen') else '')}</td>"
                    f"<td>{_e(_when(base.get('last_seen'), tz) if base.get('last_seen') else '')}</td>"
                    f"<td>{_e(base.get('count'))}</td><td class=\"long\">{_why(it, findings)}</td></tr>")
        if findings and it.get("type"):
            rows.append(_action_row(it, sweep_id, len(ITEM_HEAD)))
    return rows


ITEM_HEAD = ["Status", "Verdict", "What", "Where", "Signal", "First seen", "Last seen",
             "Times seen", "Why"]


def _sweep_id(rec: dict) -> str:
    return "-" if rec.get("id") is None else str(rec.get("id"))


def _latest(sweeps: List[dict]) -> dict:
    return max(sweeps, key=lambda r: str(r.get("started_at") or ""))


def _verdict_word(rec: dict) -> str:
    word = str(rec.get("verdict") or "").upper()
    return word if word in VERDICTS else "UNKNOWN"


def _room_name(room: str) -> str:
    return room or "(no room label)"


def _room_section(room: str, sweeps: List[dict], tz: _dt.tzinfo = UTC) -> str:
    sweeps = sorted(sweeps, key=lambda r: str(r.get("started_at") or ""), reverse=True)
    latest = sweeps[0]
    out = [f'<section class="room" data-room="{_e(room)}" data-verdict="{_verdict_word(latest).lower()}">'
           f"<h2>{_e(_room_name(room))}</h2>",
           f'<p class="latest">{_verdict(latest.get("verdict"), big=True)}'
           f'latest sweep <span class="sweep-id">{_e(_sweep_id(latest))}</span>, '
           f'<time>{_e(_when(latest.get("started_at"), tz))}</time> by {_i(latest.get("device_id"))} '
           f'({_i(latest.get("trigger"))}{", simulated room" if latest.get("simulated") else ""})</p>']
    if latest.get("raw_verdict") and latest.get("raw_verdict") != latest.get("verdict"):
        out.append(f'<p class="meta">Counting transmitters already in the baseline too, the '
                   f'verdict would be {_verdict(latest.get("raw_verdict"))}.</p>')
    for issue in _hw_issues(latest):
        out.append(f'<p class="warn">Not fully swept - {_i(issue)}</p>')
    plotted = next((r for r in sweeps if r.get("spectra")), None)
    if plotted is not None:
        out.append(f"<h3>Spectrum, sweep {_e(_sweep_id(plotted))} of {_e(_when(plotted.get('started_at'), tz))}</h3>")
        videos = [f for f in plotted.get("findings") or [] if _num(f.get("freq_hz")) is not None]
        for spec in plotted["spectra"]:
            if not _num(spec.get("stop_hz")) or _num(spec.get("stop_hz")) <= (_num(spec.get("start_hz")) or 0):
                continue
            out.append(f"<figure><figcaption>{_e(spec.get('band'))}</figcaption>"
                       f"{_spectrum_svg(spec, videos)}</figure>")
    findings = latest.get("findings") or []
    out.append("<h3>Findings in the latest sweep</h3>")
    out.append(_table(ITEM_HEAD, _item_rows(findings, True, tz, latest.get("id")), "findings") if findings
               else '<p class="none">No camera or suspect transmitter.</p>')
    if latest.get("changes"):
        out.append("<h3>Other new or changed transmitters (not camera-like)</h3>")
        out.append(_table([h for h in ITEM_HEAD if h != "Verdict"],
                          _item_rows(latest["changes"], False, tz), "changes"))
    private = (latest.get("counts") or {}).get("private")
    if private:
        out.append(f'<p class="private">Also heard: {_e(private_words(private))}. Phones use a new address '
                   "each time, so they are counted together and not compared with the baseline; one that "
                   "transmitted like a camera would be listed with the findings above.</p>")
    out.append("<h3>History</h3>")
    rows = []
    for r in sweeps:
        c = r.get("counts") or {}
        ncnk = " / ".join(_e(c.get(k, "-")) for k in ("new", "changed", "known"))
        rows.append(f'<tr><td class="sweep-id">{_e(_sweep_id(r))}</td><td>{_e(_when(r.get("started_at"), tz))}</td>'
                    f'<td>{_e(r.get("device_id"))}</td>'
                    f'<td>{_e(r.get("trigger"))}</td><td>{_verdict(r.get("verdict"))}</td>'
                    f'<td>{_e(c.get("findings", len(r.get("findings") or [])))}</td><td>{ncnk}</td>'
                    f'<td>{"<br>".join(_e(i) for i in _hw_issues(r)) or "none"}</td></tr>')
    out.append(_table(["Sweep ID", "Time", "Device", "Trigger", "Verdict", "Findings", "New / changed / known",
                       "Hardware issues"], rows, "history"))
    out.append("</section>")
    return "".join(out)


def room_order(rooms: Dict[str, List[dict]]) -> List[str]:
    """Rooms by their latest sweep's verdict (CAMERA, SUSPECT, INCOMPLETE, CLEAR, then any
    other), then by name."""
    rank = {v: i for i, v in enumerate(VERDICTS)}
    return sorted(rooms, key=lambda room: (rank.get(_verdict_word(_latest(rooms[room])), len(VERDICTS)),
                                           room.casefold()))


def _summary(rooms: Dict[str, List[dict]], records: List[dict]) -> str:
    """Counts, then each verdict with the rooms whose latest sweep has it, named."""
    stats = [("sweeps", len(records), "sweeps"), ("rooms", len(rooms), "rooms"),
             ("hardware", sum(1 for r in records if _hw_issues(r)), "not fully swept")]
    boxes = "".join(f'<div class="stat" data-stat="{k}"><span class="num">{n}</span>{label}</div>'
                    for k, n, label in stats)
    by_verdict: Dict[str, List[str]] = {}
    for room in room_order(rooms):
        by_verdict.setdefault(_verdict_word(_latest(rooms[room])), []).append(room)
    lines = "".join(f'<li data-verdict="{v.lower()}">{_verdict(v)} in '
                    f'{", ".join(_i(_room_name(r)) for r in by_verdict[v])}</li>'
                    for v in (*VERDICTS, "UNKNOWN") if v in by_verdict)
    return (f'<div class="summary">{boxes}</div><h2 class="by-verdict-title">Each room\'s latest sweep</h2>'
            f'<ul class="by-verdict">{lines}</ul>')


def render_html(records: List[dict], meta: dict) -> str:
    """The whole report as one self-contained HTML5 page (no scripts, nothing fetched).
    ``meta``: title, venue, generated_at, filters, device_ids, and timezone (an IANA
    name or a tzinfo; default UTC) for every time shown."""
    records = plain(list(records))
    tz = meta.get("timezone") or UTC
    tz = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    title = str(meta.get("title") or "Sweeper report")
    filters = meta.get("filters") or {}
    starts = sorted(str(r.get("started_at")) for r in records if r.get("started_at"))
    since = filters.get("since") or (starts[0] if starts else None)
    until = filters.get("until") or (starts[-1] if starts else None)
    devices = meta.get("device_ids") or sorted({str(r.get("device_id")) for r in records})
    head = [f"<h1>{_e(title)}</h1>"]
    if meta.get("venue"):
        head.append(f'<p class="meta">Venue: {_i(meta["venue"])}</p>')
    head.append(f'<p class="meta">Device(s): {", ".join(map(_i, devices)) or "-"}</p>')
    if filters.get("room") is not None:
        head.append(f'<p class="meta">Room: {_i(filters["room"] or "(no room label)")}</p>')
    head.append(f'<p class="meta">Period: {_e(_when(since, tz) if since else "start")} to '
                f'{_e(_when(until, tz) if until else "now")}</p>'
                f'<p class="meta">Generated: {_e(_when(meta.get("generated_at"), tz))}</p>'
                f'<p class="meta tz">Times are local to {_i(zone_name(tz))}. Each sweep has an ID: quote it '
                "when you report a finding or ask about a sweep (<code>sweeper history --show ID</code> "
                "shows that sweep in full).</p>")
    rooms: Dict[str, List[dict]] = {}
    for r in records:
        rooms.setdefault(_room(r), []).append(r)
    if not records:
        body = '<p class="empty">No sweeps in this period.</p>'
    else:
        head.append(_summary(rooms, records))
        body = "".join(_room_section(room, rooms[room], tz) for room in room_order(rooms))
    limits = "".join(f"<li>{_e(x)}</li>" for x in LIMITS)
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f'<header>{"".join(head)}</header><main>{body}</main>'
            f'<footer class="limits"><h2>What a sweep cannot find</h2><ul>{limits}</ul>'
            "<p>A CLEAR verdict means nothing camera-like was heard on the bands and channels "
            "swept, and every one configured was swept; it is not proof that a room has no camera. "
            "INCOMPLETE means nothing was found where the sweep could listen, but it could not "
            "listen everywhere (each sweep says where not).</p></footer></body></html>\n")
