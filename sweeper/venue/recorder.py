"""The venue side of a sweep: compare with the baseline, record, report to the fleet.

The daemon calls :meth:`Venue.record` with each finished sweep. It annotates the
findings in place (each gets its ``baseline`` dict, new and changed ones first, and the
verdict counts only those), stores the sweep record and hands it to the MQTT publisher.
History or broker trouble is reported and never stops the device: a sweeper that cannot
write its history still finds cameras.
"""
from __future__ import annotations

import hashlib
import socket
from typing import Callable, Dict, Optional

from sweeper import verdicts
from sweeper.findings import ranked, sweep_verdict
from sweeper.venue import baseline as bl
from sweeper.venue.history import HistoryStore, Retention, history_path, iso
from sweeper.venue.observations import finding_key, observe
from sweeper.venue.privacy import MacPrivacy

#: new or changed emitters (not findings) listed per sweep; the counts keep the total
MAX_CHANGES = 50


def device_id(cfg) -> str:
    """``venue.device_id``, or the device name plus 6 hex digits of a hash of the machine
    id: stable across reboots, distinct between devices, not the machine id itself."""
    if cfg.venue.device_id:
        return cfg.venue.device_id
    from sweeper.config import _slug

    try:
        with open("/etc/machine-id") as f:
            seed = f.read().strip()
    except OSError:
        seed = socket.gethostname()
    return f"{_slug(cfg.device_name)}-{hashlib.sha256(seed.encode()).hexdigest()[:6]}"


def fleet_name(cfg, ident: str) -> str:
    """The device's name in Home Assistant: ``device_name`` when set, else its id (ten
    devices left at the default would all be called "sweeper")."""
    from sweeper.config import default_config

    return cfg.device_name if cfg.device_name != default_config().device_name else ident


class Venue:
    """History, baselines and fleet reporting for one device."""

    def __init__(self, cfg, store: Optional[HistoryStore] = None, publisher=None, simulated: bool = False,
                 warn: Callable[[str], None] = lambda m: None):
        self.cfg = cfg
        self.store = store
        self.publisher = publisher
        self.simulated = simulated
        self.warn = warn
        self.device_id = device_id(cfg)
        self.privacy = MacPrivacy.from_config(cfg)
        self.rules = bl.ChangeRules.from_config(cfg)

    @classmethod
    def open(cls, cfg, simulated: bool = False, warn: Callable[[str], None] = lambda m: None,
             fleet: bool = True) -> "Venue":
        """The history (if enabled and usable) and the MQTT publisher (if enabled)."""
        from sweeper.errors import SweeperError

        store = None
        if cfg.history.enabled:
            try:
                store = HistoryStore(history_path(cfg), Retention.from_config(cfg), warn)
            except SweeperError as exc:
                warn(f"sweeps will not be recorded: {exc}")
        venue = cls(cfg, store, None, simulated, warn)
        if fleet and cfg.mqtt.enabled:
            from sweeper import __version__
            from sweeper.venue.mqtt import FleetPublisher, last_sweep_summary, settings_from_config

            # the outbox shares the history's file: one place on the SD card, one backup
            outbox = store.path if store is not None else history_path(cfg)
            try:
                venue.publisher = FleetPublisher(settings_from_config(cfg.mqtt), venue.device_id,
                                                 fleet_name(cfg, venue.device_id), outbox, sw_version=__version__,
                                                 log=warn)
            except SweeperError as exc:  # e.g. a TLS file missing: sweep anyway, say why nothing is sent
                warn(f"fleet reporting is off: {exc}")
                return venue
            latest = store.sweeps(limit=1, device_id=venue.device_id) if store is not None else []
            if latest:  # the retained state keeps showing the last verdict across restarts
                venue.publisher.publish_status({"last_sweep": last_sweep_summary(venue.privacy.scrub(latest[0]))})
            venue.publisher.publish_rooms(venue.rooms_latest())
        return venue

    def rooms_latest(self) -> Dict[str, Optional[dict]]:
        """Every room of the configuration and of this device's history, with the summary
        of its latest sweep by this device (None before the first): each room's camera
        sensor in Home Assistant."""
        from sweeper.venue.mqtt import last_sweep_summary
        from sweeper.venue.rooms import declared

        out: Dict[str, Optional[dict]] = {room: None for room in declared(self.cfg.venue)}
        if self.store is not None:
            for room in self.store.rooms():
                latest = self.store.sweeps(room=room, limit=1, device_id=self.device_id, changes=False)
                if room and latest:
                    out[room] = last_sweep_summary(latest[0])
        return out

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.wait_idle(2.0)
            self.publisher.close()
        if self.store is not None:
            self.store.close()

    # ------------------------------------------------------------------ sweeps

    def record(self, result, room: str, trigger: str, hardware: Dict[str, str],
               started_at: float, finished_at: float) -> dict:
        """Compare ``result`` (a :class:`sweeper.findings.SweepResult`) with the room's
        baseline, annotate its findings, store and publish it; returns the sweep record."""
        now = iso(finished_at)
        # phones with private addresses: counted as a group, never "new" (see baseline.py)
        observations, private = bl.set_aside_private(observe(result.reports, self.privacy.mac))
        sightings = self.store.sightings(room, [o["key"] for o in observations]) if self.store is not None else {}
        compared = bl.compare(observations, sightings, self.rules, now)
        by_key = {o["key"]: o["baseline"] for o in compared}
        annotated = []
        for f in result.findings:
            key = self.privacy.scrub({"key": finding_key(f)})["key"]
            annotated.append(f.with_baseline(by_key.get(key) or {
                "status": "new", "note": None, "key": key, "label": None,
                "first_seen": now, "last_seen": now, "count": 1}))
        result.raw_verdict = verdicts.covered(verdicts.of_findings(f.verdict for f in annotated), result.gaps)
        result.findings = ranked(annotated)
        result.verdict = sweep_verdict(result.findings, result.gaps)
        # news that are not findings, when there is a baseline to be news against (without
        # one, everything is "new": counted, not listed); the strongest MAX_CHANGES
        has_baseline = any(s.get("friendly") for s in sightings.values())
        changes = bl.news_first([o for o in compared if o["verdict"] == "clear" and o["baseline"]["status"] != "known"])
        changes = changes[:MAX_CHANGES] if has_baseline else []
        status = [o["baseline"]["status"] for o in compared]
        record = {
            "started_at": iso(started_at), "finished_at": now, "room": room, "device_id": self.device_id,
            "trigger": trigger, "simulated": self.simulated, "verdict": result.verdict,
            "raw_verdict": result.raw_verdict, "elapsed_s": round(result.elapsed_s, 2), "hardware": dict(hardware),
            "gaps": list(result.gaps), "problems": dict(result.problems),
            "findings": self.privacy.scrub([f.to_json() for f in result.findings]), "changes": changes,
            "counts": {"findings": len(result.findings),
                       "new": status.count("new"), "changed": status.count("changed"), "known": status.count("known"),
                       "missing": len(bl.missing_friendly(compared, sightings, set(result.swept))),
                       "private": len(private),
                       **result.heard},
            **result.record_fields,
        }
        if self.store is not None:
            try:
                record = {"id": self.store.add(record, compared), **record}
            except Exception as exc:  # noqa: BLE001 (a full or failing SD card must not stop the device)
                self.warn(f"could not record the sweep in {self.store.path}: {exc}")
        if "id" not in record:
            record = {"id": None, **record}
        if self.publisher is not None:
            self.publisher.publish_sweep(record)
        return record

    def confirm(self, record: dict, index: int, finding) -> Optional[dict]:
        """A confirmation of one of ``record``'s findings (``finding`` carries it as its
        ``confirmation``): kept with the finding in the history and sent to the fleet
        (the confirmation message: the sweep id, the finding with its confirmation).
        Returns the message."""
        fj = self.privacy.scrub(finding.to_json() if hasattr(finding, "to_json") else dict(finding))
        key = (fj.get("baseline") or {}).get("key")
        if self.store is not None and record.get("id") is not None:
            fj = self.store.confirm(record["id"], index, key, fj["confirmation"])
        if isinstance(record.get("findings"), list) and index < len(record["findings"]):
            record["findings"][index] = fj
        message = {"sweep_id": record.get("id"), "device_id": self.device_id, "room": record.get("room", ""),
                   "finding_index": index, "finding": fj, **fj["confirmation"]}
        if self.publisher is not None:
            self.publisher.publish_confirmation(message)
        return message

    def watch_battery(self, gauge) -> None:
        """Send the fuel gauge's level to the fleet (a Home Assistant battery sensor)."""
        if self.publisher is not None:
            self.publisher.watch_battery(gauge.read)

    def status(self, state: str, room: str, hardware: Dict[str, str]) -> None:
        """The device's state for the fleet (ready, sweeping, ...)."""
        if self.publisher is not None:
            self.publisher.publish_status({"status": state, "room": room, "hardware": dict(hardware)})
