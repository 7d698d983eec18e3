"""``sweeper history``, ``sweeper baseline``, ``sweeper report`` and ``sweeper trigger``.

Thin: argument handling and printing; the work is in history.py, baseline.py and
report.py. Run them as the service's user (``sudo -u sweeper sweeper history``) or root.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Optional

from sweeper import kinds
from sweeper import watching
from sweeper.findings import as_finding
from sweeper.errors import InputError
from sweeper.venue.baseline import private_words
from sweeper.venue.history import HistoryStore, Retention, history_path, parse_time
from sweeper.venue.privacy import MacPrivacy


def add_parsers(sub) -> None:
    """The venue sub-commands, on the ``sweeper`` parser's subparsers."""
    def filters(p, limit: Optional[int]):
        p.add_argument("--room", metavar="LABEL", help="only this room")
        p.add_argument("--device", metavar="ID", help="only sweeps by this device id")
        p.add_argument("--since", metavar="TIME", help="from this time: 2026-11-01, 2026-11-01T08:00, or 7d, 12h")
        p.add_argument("--until", metavar="TIME", help="up to this time (same forms)")
        p.add_argument("--limit", type=int, default=limit, metavar="N",
                       help=f"at most N sweeps, newest first (default: {limit or 'all'})")
        p.add_argument("--no-simulated", action="store_true", help="leave out sweeps of the simulated room")

    h = sub.add_parser("history", help="list recorded sweeps (or --show one), as a table, JSON or CSV")
    filters(h, 50)
    h.add_argument("--show", type=int, metavar="ID", help="one sweep in full: findings and what changed")
    fmt = h.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON (sweep records)")
    fmt.add_argument("--csv", action="store_true", help="print CSV, one row per sweep")
    h.add_argument("--stats", action="store_true", help="only where the history is and how big")

    r = sub.add_parser("report", help="a report for managers: HTML (spectrum plots, findings tables), "
                       "CSV (one row per finding) or JSON")
    filters(r, None)
    r.add_argument("--format", choices=["html", "csv", "json"], default="html")
    r.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    r.add_argument("--title", default=None, help="report title (default: Sweeper report: venue.name, "
                   "else the room or the device)")

    b = sub.add_parser("baseline", help="a room's friendly emitters: record, list, add, remove")
    bsub = b.add_subparsers(dest="baseline_command", metavar="ACTION")
    rec = bsub.add_parser("record", help="mark everything a sweep of the room heard as friendly")
    rec.add_argument("--room", metavar="LABEL", help="the room (default: venue.room)")
    rec.add_argument("--sweep", type=int, metavar="ID", help="this sweep (default: the room's latest)")
    rec.add_argument("--accept-findings", action="store_true",
                     help="also baseline camera/suspect findings (only your own cameras, after checking)")
    rec.add_argument("--name", help="a note stored with each entry")
    ls = bsub.add_parser("list", help="the friendly emitters, with first and last seen and a count")
    ls.add_argument("--room", metavar="LABEL", help="only this room (default: every room)")
    ls.add_argument("--json", action="store_true")
    add = bsub.add_parser("add", help="add one emitter by hand")
    add.add_argument("--room", metavar="LABEL", help="the room (default: venue.room)")
    what = add.add_mutually_exclusive_group(required=True)
    what.add_argument("--mac", help="a Wi-Fi device's MAC address")
    what.add_argument("--freq", type=float, metavar="MHZ", help="an RF emitter's frequency in MHz")
    add.add_argument("--bandwidth", type=float, default=0.0, metavar="MHZ", help="its bandwidth in MHz")
    add.add_argument("--name", help="what it is, e.g. 'lobby access point'")
    rm = bsub.add_parser("remove", help="make entries unfriendly again (history keeps them)")
    rm.add_argument("--room", metavar="LABEL", help="the room (default: venue.room)")
    rm.add_argument("keys", nargs="*", metavar="KEY", help="keys as `baseline list` shows them")
    rm.add_argument("--all", action="store_true", help="the room's whole baseline")

    t = sub.add_parser("trigger", help="ask the running daemon to sweep now (per-room timers use this)")
    t.add_argument("--room", metavar="LABEL", help="label the sweep with this room (default: venue.room)")


def _store(cfg, must_exist: bool = True) -> HistoryStore:
    def warn(msg):
        print(f"sweeper: warning: {msg}", file=sys.stderr)
    return HistoryStore(history_path(cfg), Retention.from_config(cfg), warn, create=not must_exist)


def _filters(args) -> dict:
    """The history filters of the command line, checked: HistoryStore.sweeps' keywords."""
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    since = parse_time(args.since) if args.since else None
    until = parse_time(args.until) if args.until else None
    if since is not None and until is not None and since > until:
        raise InputError("--since is after --until")
    return {"room": args.room, "device_id": args.device, "limit": args.limit, "since": since, "until": until,
            "simulated": False if args.no_simulated else None}


def _check_room(args, store) -> None:
    """``--room`` must name a room the history has sweeps of (a typo is not an empty room)."""
    if args.room is not None:
        from sweeper.venue.rooms import check_history_room

        check_history_room(args.room, store.rooms())


def _out(text: str, path: Optional[str]) -> None:
    with _open_out(path) as out:
        out.write(text)


def cmd_history(args, cfg) -> int:
    privacy = MacPrivacy.from_config(cfg)
    with _store(cfg) as store:
        if args.stats:
            print(json.dumps(store.stats(), indent=2))
            return 0
        if args.show is not None:
            rec = privacy.scrub(store.sweep(args.show))
            if args.json:
                print(json.dumps(rec, indent=2))
            else:
                _print_sweep(rec)
            return 0
        filters = _filters(args)
        _check_room(args, store)
        if args.json:  # streamed: a year of records with their changes is too much for a Pi at once
            sep = "["
            for batch in store.iter_sweeps(**filters):
                for rec in batch:
                    sys.stdout.write(sep + "\n" + json.dumps(privacy.scrub(rec)))
                    sep = ","
            print("[]" if sep == "[" else "\n]")
            return 0
        records = [privacy.scrub(r) for r in store.sweeps(changes=False, **filters)]
    if args.csv:
        from sweeper.venue.report import sweeps_csv

        sys.stdout.write(sweeps_csv(records))
    else:
        if not records:
            print("no sweeps recorded" + (" for these filters" if any(
                (args.room, args.since, args.until, args.device)) else ""))
            return 0
        print(f"{'ID':>5}  {'FINISHED (UTC)':20} {'ROOM':16} {'VERDICT':8} {'NEW':>4} {'CHG':>4} {'KNOWN':>5}  "
              f"{'TRIGGER':7} NOTES")
        for r in records:
            c = r["counts"]
            notes = [f"{n} missing" for n, v in r["hardware"].items() if v != "ok"]
            notes += [f"{n} lost" for n in r["problems"]]
            if r["simulated"]:
                notes.append("simulated")
            if r["raw_verdict"] != r["verdict"]:
                notes.append(f"{r['raw_verdict']} before baseline")
            print(f"{r['id']:>5}  {r['finished_at']:20} {(r['room'] or '-')[:16]:16} {r['verdict']:8} "
                  f"{c['new']:>4} {c['changed']:>4} {c['known']:>5}  {r['trigger']:7} {', '.join(notes)}")
    return 0


def _print_sweep(r: dict) -> None:
    print(f"Sweep {r['id']} of {r['room'] or '(no room label)'} by {r['device_id']}: {r['verdict']}"
          + (f" ({r['raw_verdict']} before the baseline)" if r["raw_verdict"] != r["verdict"] else ""))
    print(f"  {r['started_at']} to {r['finished_at']}, {r['trigger']}" + (", simulated" if r["simulated"] else ""))
    for name, status in r["hardware"].items():
        print(f"  {name}: {status}")
    for name, problem in r["problems"].items():
        print(f"  {name} lost during the sweep: {problem}")
    for gap in r.get("gaps") or []:
        print(f"  not covered: {gap}")
    c = r["counts"]
    print(f"  heard {c['rf_emitters']} RF emitters and {c['wifi_devices']} Wi-Fi devices: {c['new']} new, "
          f"{c['changed']} changed, {c['known']} known, {c.get('missing', 0)} friendly ones not heard")
    if c.get("private"):
        print(f"  and {private_words(c['private'])} (a new address each time: not compared with the baseline)")
    if r["findings"]:
        print("Findings:")
    for f in r["findings"]:
        _print_item(f["verdict"].upper(), f["baseline"], _finding_what(f))
        confirmation = watching.of(f)
        if confirmation is not None:
            print(f"      is it watching this room? {watching.summary(confirmation)}")
            for reason in confirmation.get("reasons") or []:
                print(f"        {reason}")
    if r["changes"]:
        print("New or changed (not camera-like):")
    for o in r["changes"]:
        _print_item("", o["baseline"], o["label"])


def _finding_what(f: dict) -> str:
    f = as_finding(f)
    return kinds.of(f).name(f)


def _print_item(verdict: str, b: dict, what: str) -> None:
    since = f"seen {b['count']}x since {b['first_seen'][:10]}"
    name = f" \"{b['label']}\"" if b.get("label") else ""
    print(f"  {b['status'].upper():8}{verdict:8} {what}{name} ({since})" + (f": {b['note']}" if b.get("note") else ""))


def cmd_report(args, cfg) -> int:
    from datetime import datetime, timezone

    from sweeper.venue import report

    privacy = MacPrivacy.from_config(cfg)
    meta = {"venue": cfg.venue.name, "timezone": report.zone(cfg.venue.timezone),
            "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "filters": {"room": args.room, "since": args.since, "until": args.until, "device": args.device}}
    filters = _filters(args)
    with _store(cfg) as store:
        _check_room(args, store)
        meta["title"] = args.title or report_title(cfg, args.room, store.device_ids(**filters))
        if args.format == "html":
            # a year of sweeps must fit a 512 MB Pi: the HTML needs the changes and the
            # spectrum of each room's latest sweep only
            records = store.sweeps(changes=False, **filters)
            latest = {}
            for r in records:  # newest first
                latest.setdefault(r["room"], r["id"])
            records = [privacy.scrub(store.sweep(r["id"]) if latest[r["room"]] == r["id"] else r) for r in records]
            meta["device_ids"] = sorted({r["device_id"] for r in records})
            _out(report.render_html(records, meta), args.output)
            return 0
        devices = store.device_ids(**filters)
        batches = (list(map(privacy.scrub, batch)) for batch in store.iter_sweeps(**filters))
        with _open_out(args.output) as out:
            if args.format == "csv":  # one header, then the rows batch by batch
                out.write(report.findings_csv([]))
                for batch in batches:
                    out.write(report.findings_csv(batch).partition("\n")[2])
            else:  # records_json's document, its sweeps streamed (records from history are plain JSON)
                head = {k: v for k, v in meta.items()}
                head["timezone"] = report.zone_name(meta["timezone"])
                head["device_ids"] = devices
                out.write(json.dumps(head, indent=2)[:-2] + ',\n  "sweeps": [')
                sep = "\n"
                for batch in batches:
                    for rec in batch:
                        out.write(sep + json.dumps(rec))
                        sep = ",\n"
                out.write("\n  ]\n}\n")
    return 0


def report_title(cfg, room: Optional[str], device_ids) -> str:
    """"Sweeper report: " and the venue's name (venue.name), else the room asked for,
    else the device (its name, or its id while the name is the default)."""
    from sweeper.venue.recorder import device_id, fleet_name

    if cfg.venue.name:
        return f"Sweeper report: {cfg.venue.name}" + (f", {room}" if room else "")
    if room:
        return f"Sweeper report: {room}"
    device_ids = list(device_ids)
    if len(device_ids) == 1:
        ident = device_ids[0]
        return f"Sweeper report: {fleet_name(cfg, ident) if ident == device_id(cfg) else ident}"
    return "Sweeper report" + (f": {len(device_ids)} devices" if device_ids else "")


class _open_out:
    """Standard output, or a file written whole or not at all (a temporary file renamed
    at the end: an interrupted export leaves no half report)."""

    def __init__(self, path: Optional[str]):
        self.path = None if path in (None, "-") else path

    def __enter__(self):
        if self.path is None:
            return sys.stdout
        import tempfile

        folder = os.path.dirname(os.path.abspath(self.path))
        try:
            fd, self.tmp = tempfile.mkstemp(dir=folder, prefix=".sweeper-report-")
        except OSError as exc:
            raise InputError(f"cannot write {self.path}: {exc.strerror}") from None
        self.file = os.fdopen(fd, "w", encoding="utf-8")
        return self.file

    def __exit__(self, exc_type, exc, tb):
        if self.path is None:
            return False
        self.file.close()
        if exc_type is None:
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.path)
            print(f"sweeper: wrote {self.path}", file=sys.stderr)
        else:
            os.unlink(self.tmp)
        return False


def cmd_baseline(args, cfg) -> int:
    room = args.room if getattr(args, "room", None) is not None else cfg.venue.room
    action = args.baseline_command
    if action is None:
        raise InputError("sweeper baseline: say record, list, add or remove (see --help)")
    privacy = MacPrivacy.from_config(cfg)
    with _store(cfg, must_exist=action != "add") as store:
        if action == "list":
            rows = store.baseline(args.room)
            if args.json:
                print(json.dumps(rows, indent=2))
                return 0
            if not rows:
                print("no friendly emitters recorded" + (f" for {args.room!r}" if args.room else ""))
            for s in rows:
                unit = "dBm" if s["kind"] == "wifi" else "dB over the floor"
                ref = "" if s["ref_power_db"] is None else f", {s['ref_power_db']:.0f} {unit} at baseline"
                name = f" \"{s['name']}\"" if s["name"] else ""
                print(f"{(s['room'] or '-')[:16]:16} {s['key']:32} {s['label'] or ''}{name}  "
                      f"(seen {s['count']}x, {s['first_seen'][:10]} to {s['last_seen'][:10]}{ref})")
            return 0
        if action == "record":
            sweep_id = args.sweep
            if sweep_id is None:
                latest = store.sweeps(room=room, limit=1)
                if not latest:
                    raise InputError(f"no sweep of room {room!r} is recorded yet: sweep it first "
                                     f"(`sweeper run --once --room {room!r}`), then record")
                sweep_id = latest[0]["id"]
            rec = store.sweep(sweep_id)
            if rec["room"] != room and args.room is not None:
                raise InputError(f"sweep {sweep_id} is of room {rec['room']!r}, not {room!r}")
            added, refused = store.baseline_from_sweep(sweep_id, args.accept_findings, args.name)
            print(f"baseline of {rec['room'] or '(no room label)'}: {len(added)} emitters from sweep {sweep_id} "
                  f"({rec['finished_at']}) marked friendly")
            if rec["simulated"]:
                print("note: that sweep was of the simulated room")
            for o in refused:
                print(f"NOT added ({o['verdict']}): {o['label']} -- if it is your own, run again with "
                      "--accept-findings")
            return 0
        if action == "add":
            from sweeper.venue.observations import rf_key
            from sweeper.wifi.frames import mac_from_str, mac_to_str

            if args.mac:
                try:
                    mac = mac_to_str(mac_from_str(args.mac))
                except ValueError:
                    raise InputError(f"--mac {args.mac!r} is not a MAC address (aa:bb:cc:dd:ee:ff)") from None
                obs = {"kind": "wifi", "key": f"wifi:{mac}", "label": f"Wi-Fi {mac}", "mac": mac, "verdict": "clear"}
            else:
                if not 1 <= args.freq <= 7000 or not 0 <= args.bandwidth <= 100:
                    raise InputError("--freq is in MHz (1-7000) and --bandwidth in MHz (0-100)")
                hz = args.freq * 1e6
                obs = {"kind": "rf", "key": rf_key("unknown", hz), "label": f"RF {args.freq:.1f} MHz",
                       "freq_hz": hz, "bandwidth_hz": args.bandwidth * 1e6, "verdict": "clear"}
            obs = privacy.scrub(obs)
            store.baseline_add(room, obs, args.name)
            print(f"added {obs['key']} to the baseline of {room or '(no room label)'}")
            return 0
        if action == "remove":
            if not args.keys and not args.all:
                raise InputError("say which keys to remove (see `sweeper baseline list`), or --all")
            keys = [privacy.scrub({"key": k})["key"] for k in args.keys]
            n = store.baseline_remove(room, keys, everything=args.all)
            print(f"removed {n} entries from the baseline of {room or '(no room label)'}")
            return 0 if n or args.all else 1
    return 0


def cmd_trigger(args, cfg) -> int:
    from sweeper.device.control import check_room, request_sweep, socket_path
    from sweeper.venue.rooms import check_sweep_room

    if args.room is not None:
        check_sweep_room(check_room(args.room), cfg.venue)
    request_sweep(socket_path(), args.room, "timer")
    return 0
