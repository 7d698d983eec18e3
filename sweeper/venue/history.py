"""The local sweep history: SQLite, crash-safe, bounded.

Crash-safe: write-ahead logging with ``synchronous=FULL``, and one transaction per sweep
(its row, its spectra, the sightings it updates), so a power cut mid-write loses at most
the sweep being written, never one already recorded, and never leaves half a sweep. A
database that is damaged anyway (a dying SD card) is moved aside, kept for recovery and
replaced by a new one: the device keeps recording.

Bounded: after each sweep, sweeps older than ``keep_days``, beyond ``max_sweeps``, or
making the file larger than ``max_mb`` are deleted, oldest first, and the space is given
back (incremental vacuum). Sightings that are not friendly and not heard within
``keep_days`` go too, and at most :data:`MAX_SIGHTINGS_PER_ROOM` are kept per room (a
busy venue's phones rotate random MAC addresses).

Tables: ``sweeps`` (one row per sweep; findings, changes and the compact observations as
JSON, changes and observations zlib-compressed: they are the bulk and are read rarely), ``spectra`` (per band, float16 dB over the noise
floor on a uniform grid), ``sightings`` (per room and key: first/last seen, count, last
values, and for friendly ones the baseline reference). Times are Unix seconds; records
carry ISO-8601 UTC.

Why one module of over 400 lines: the schema, durable writes, retention and damage
recovery share one connection, one lock and one transaction discipline.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from sweeper.errors import InputError
from sweeper.venue.jsonable import plain

SCHEMA_VERSION = 1
MAX_SIGHTINGS_PER_ROOM = 5000
#: databases up to this size get a full integrity check when opened
QUICK_CHECK_MAX_BYTES = 8 << 20
#: largest write-ahead log kept between checkpoints
WAL_LIMIT_BYTES = 4 << 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL, finished_at REAL NOT NULL,
    room TEXT NOT NULL, device_id TEXT NOT NULL, trigger TEXT NOT NULL,
    simulated INTEGER NOT NULL, verdict TEXT NOT NULL, raw_verdict TEXT NOT NULL,
    elapsed_s REAL, hardware TEXT NOT NULL, problems TEXT NOT NULL,
    findings TEXT NOT NULL, changes BLOB NOT NULL, counts TEXT NOT NULL,
    observations BLOB, gaps TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS sweeps_by_time ON sweeps(finished_at);
CREATE INDEX IF NOT EXISTS sweeps_by_room ON sweeps(room, finished_at);
CREATE TABLE IF NOT EXISTS spectra(
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    band TEXT NOT NULL, start_hz REAL NOT NULL, stop_hz REAL NOT NULL, snr BLOB NOT NULL,
    PRIMARY KEY(sweep_id, band));
CREATE TABLE IF NOT EXISTS sightings(
    room TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, label TEXT,
    name TEXT, friendly INTEGER NOT NULL DEFAULT 0,
    first_seen REAL NOT NULL, last_seen REAL NOT NULL, count INTEGER NOT NULL,
    last_sweep_id INTEGER, freq_hz REAL, bandwidth_hz REAL, class TEXT,
    power_db REAL, verdict TEXT, uplink_kbps REAL,
    ref_power_db REAL, ref_verdict TEXT, ref_class TEXT, ref_uplink_kbps REAL, baselined_at REAL,
    PRIMARY KEY(room, key));
"""


def iso(t: Optional[float]) -> Optional[str]:
    return None if t is None else datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> float:
    """``2026-11-25``, ``2026-11-25T13:00`` (UTC unless an offset is given), or a span
    back from now: ``7d``, ``12h``, ``30m``."""
    t = text.strip()
    units = {"d": 86400, "h": 3600, "m": 60}
    if t[:-1].replace(".", "", 1).isdigit() and t[-1:] in units:
        return time.time() - float(t[:-1]) * units[t[-1]]
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a time: use 2026-11-25, 2026-11-25T13:00 or 7d / 12h / 30m") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


@dataclass(frozen=True)
class Retention:
    keep_days: float = 365.0
    max_sweeps: int = 20000
    max_mb: float = 100.0

    @classmethod
    def from_config(cls, cfg) -> "Retention":
        h = cfg.history
        return cls(h.keep_days, h.max_sweeps, h.max_mb)


def default_path(environ=os.environ) -> str:
    """Where the history lives when the configuration does not say (see HistoryConfig)."""
    if environ.get("STATE_DIRECTORY"):
        return os.path.join(environ["STATE_DIRECTORY"].split(":")[0], "history.db")
    system = "/var/lib/sweeper"
    if os.path.isdir(system) and os.access(system, os.W_OK | os.X_OK):
        return os.path.join(system, "history.db")
    base = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "sweeper", "history.db")


def history_path(cfg) -> str:
    return cfg.history.path or default_path()


class HistoryStore:
    """The history database. Thread-safe (one connection, one lock)."""

    def __init__(self, path: str, retention: Retention = Retention(), warn: Callable[[str], None] = lambda m: None,
                 create: bool = True):
        self.path = path
        self.retention = retention
        self.warn = warn
        self._lock = threading.RLock()
        if not create and not os.path.exists(path):
            raise InputError(f"no sweep history at {path} yet (set history.path, or sweep first)")
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, mode=0o750, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the history folder {folder}: {exc.strerror}") from None
        self.moved_aside: Optional[str] = None
        self._db = self._open()

    # ------------------------------------------------------------------ opening

    def _open(self) -> sqlite3.Connection:
        db = None
        try:
            db = self._connect()
            # a full check reads the whole file: at start-up only while it is small (a Pi
            # reads an SD card at ~20 MB/s); damage found later is handled by _recover
            small = os.path.getsize(self.path) <= QUICK_CHECK_MAX_BYTES
            check = db.execute("PRAGMA quick_check").fetchone()[0] if small else "ok"
            if check == "ok":
                return db
            problem = check
        except sqlite3.OperationalError as exc:  # locked, unwritable, I/O: not damage; say so
            raise InputError(f"cannot open the history {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:  # not a database, malformed
            problem = str(exc)
        if db is not None:
            db.close()
        return self._set_aside(problem)

    def _set_aside(self, problem: str) -> sqlite3.Connection:
        """Keep a damaged file for recovery under another name (never one already
        taken: two set-asides in one second keep both); start a new history."""
        stem = f"{self.path}.damaged-{time.strftime('%Y%m%dT%H%M%S')}"
        aside, n = stem, 1
        while any(os.path.lexists(aside + suffix) for suffix in ("", "-wal", "-shm")):
            n += 1
            aside = f"{stem}-{n}"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.replace(self.path + suffix, aside + suffix)
        self.moved_aside = aside
        self.warn(f"the history {self.path} was damaged ({problem}); kept it as {aside} and started a new one")
        return self._connect()

    def _connect(self) -> sqlite3.Connection:
        fresh = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
        db.row_factory = sqlite3.Row
        if fresh:
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes effect before the first table
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        db.executescript(_SCHEMA)
        version = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if version is None:
            db.execute("INSERT INTO meta VALUES('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(version[0]) > SCHEMA_VERSION:
            raise InputError(f"the history {self.path} was written by a newer Sweeper (schema {version[0]})")
        columns = {row[1] for row in db.execute("PRAGMA table_info(sweeps)")}
        if "gaps" not in columns:  # a history from before coverage was recorded: nothing was said missing
            db.execute("ALTER TABLE sweeps ADD COLUMN gaps TEXT NOT NULL DEFAULT '[]'")
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()
        _give_back_to_owner(self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ writing

    def add(self, record: dict, observations: List[dict]) -> int:
        """Store one sweep record (without ``id``) and update the room's sightings from
        its compared observations, in one transaction. Returns the new sweep id."""
        try:
            return self._add(record, observations)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):  # one bad record (a constraint, a value of the wrong type):
                # refused, and the history stays as it was (the transaction rolled back)
                raise InputError(f"the history refused a sweep record: {exc}") from None
            # damage found mid-use: set aside, record in a new file
            with self._lock:
                self._db.close()
                self._db = self._set_aside(str(exc))
            return self._add(record, observations)

    def _add(self, record: dict, observations: List[dict]) -> int:
        started, finished = _ts(record["started_at"]), _ts(record["finished_at"])
        with self._lock, _transaction(self._db) as db:
            cur = db.execute(
                "INSERT INTO sweeps(started_at, finished_at, room, device_id, trigger, simulated, verdict,"
                " raw_verdict, elapsed_s, hardware, problems, findings, changes, counts, observations, gaps)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (started, finished, record["room"], record["device_id"], record["trigger"],
                 int(bool(record["simulated"])), record["verdict"], record["raw_verdict"],
                 record.get("elapsed_s"), _js(record["hardware"]), _js(record["problems"]),
                 _js(record["findings"]), zlib.compress(_js(record["changes"]).encode(), 6), _js(record["counts"]),
                 zlib.compress(_js(observations).encode(), 6), _js(record.get("gaps") or [])))
            sweep_id = cur.lastrowid
            for sp in record.get("spectra") or []:
                snr = np.asarray([np.nan if v is None else v for v in sp["snr_db"]], dtype="<f2")
                db.execute("INSERT INTO spectra VALUES(?,?,?,?,?)",
                           (sweep_id, sp["band"], float(sp["start_hz"]), float(sp["stop_hz"]), snr.tobytes()))
            for o in observations:
                self._sight(db, record["room"], o, finished, sweep_id)
            self._prune(db, finished)
        self._maybe_shrink()
        return sweep_id

    def confirm(self, sweep_id: int, index: int, key: Optional[str], confirmation: dict) -> dict:
        """Keep a confirmation ("is it watching this room?") with the finding it tested:
        the sweep's finding ``index`` (checked against its baseline ``key``, found by the
        key if the order differs) gets ``confirmation``, replacing an earlier one. The
        findings are JSON in the sweep's row, so no schema change is needed; a history
        from before confirmations reads unchanged. Returns the updated finding."""
        with self._lock, _transaction(self._db) as db:
            row = db.execute("SELECT findings FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
            if row is None:
                raise InputError(f"there is no sweep {sweep_id} in the history")
            findings = json.loads(row[0])

            def key_of(f):
                return (f.get("baseline") or {}).get("key")

            if not (0 <= index < len(findings)) or (key is not None and key_of(findings[index]) != key):
                index = next((i for i, f in enumerate(findings) if key is not None and key_of(f) == key), -1)
            if index < 0:
                raise InputError(f"sweep {sweep_id} has no such finding ({key})")
            findings[index] = dict(findings[index], confirmation=plain(confirmation))
            db.execute("UPDATE sweeps SET findings=? WHERE id=?", (_js(findings), sweep_id))
        return findings[index]

    @staticmethod
    def _sight(db, room: str, o: dict, when: float, sweep_id: int) -> None:
        key = o["baseline"]["key"]
        db.execute(
            "INSERT INTO sightings(room, key, kind, label, first_seen, last_seen, count, last_sweep_id, freq_hz,"
            " bandwidth_hz, class, power_db, verdict, uplink_kbps) VALUES(?,?,?,?,?,?,1,?,?,?,?,?,?,?)"
            " ON CONFLICT(room, key) DO UPDATE SET label=excluded.label, last_seen=excluded.last_seen,"
            " count=count+1, last_sweep_id=excluded.last_sweep_id, power_db=excluded.power_db,"
            " verdict=excluded.verdict, uplink_kbps=excluded.uplink_kbps, class=excluded.class,"
            " bandwidth_hz=excluded.bandwidth_hz",
            (room, key, o["kind"], o["label"], when, when, sweep_id, o.get("freq_hz"), o.get("bandwidth_hz"),
             o.get("class"), o.get("power_db"), o.get("verdict"), o.get("uplink_kbps")))

    def _prune(self, db, now: float) -> None:
        r = self.retention
        cutoff = now - r.keep_days * 86400
        db.execute("DELETE FROM sweeps WHERE finished_at < ?", (cutoff,))
        db.execute("DELETE FROM sweeps WHERE id <= (SELECT id FROM sweeps ORDER BY id DESC LIMIT 1 OFFSET ?)",
                   (r.max_sweeps,))
        db.execute("DELETE FROM sightings WHERE friendly = 0 AND last_seen < ?", (cutoff,))
        for (room,) in db.execute("SELECT room FROM sightings GROUP BY room HAVING count(*) > ?",
                                  (MAX_SIGHTINGS_PER_ROOM,)).fetchall():
            db.execute("DELETE FROM sightings WHERE rowid IN (SELECT rowid FROM sightings WHERE room=? AND friendly=0"
                       " ORDER BY last_seen DESC LIMIT -1 OFFSET ?)", (room, MAX_SIGHTINGS_PER_ROOM))
        limit = r.max_mb * 1e6
        while self._used_bytes(db) > limit:
            n = db.execute("SELECT count(*) FROM sweeps").fetchone()[0]
            if n <= 1:
                break
            db.execute("DELETE FROM sweeps WHERE id IN (SELECT id FROM sweeps ORDER BY id LIMIT ?)",
                       (max(1, n // 10),))

    @staticmethod
    def _used_bytes(db) -> int:
        page = db.execute("PRAGMA page_size").fetchone()[0]
        used = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
        return used * page

    def _maybe_shrink(self) -> None:
        """Give freed pages back to the file system, and keep the log short."""
        with self._lock:
            free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
            if free > 256:
                self._db.execute("PRAGMA incremental_vacuum")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------ reading

    def sightings(self, room: str, keys: Optional[Iterable[str]] = None) -> Dict[str, dict]:
        """The room's sightings; with ``keys``, only what a comparison can use: those
        keys, every RF one (matched by frequency) and every friendly one (to tell which
        were not heard). A busy venue's random Wi-Fi MACs pile up; this skips them."""
        with self._lock:
            if keys is None:
                rows = self._db.execute("SELECT * FROM sightings WHERE room=?", (room,)).fetchall()
            else:
                rows = self._db.execute("SELECT * FROM sightings WHERE room=? AND (kind='rf' OR friendly=1)",
                                        (room,)).fetchall()
                wanted = [k for k in dict.fromkeys(keys) if not k.startswith("rf:")]
                for i in range(0, len(wanted), 500):
                    chunk = wanted[i:i + 500]
                    rows += self._db.execute(f"SELECT * FROM sightings WHERE room=? AND friendly=0 AND key IN "
                                             f"({','.join('?' * len(chunk))})", (room, *chunk)).fetchall()
        return {r["key"]: _sighting(r) for r in rows}

    def sweeps(self, room: Optional[str] = None, since: Optional[float] = None, until: Optional[float] = None,
               limit: Optional[int] = None, device_id: Optional[str] = None, spectra: bool = False,
               simulated: Optional[bool] = None, changes: bool = True) -> List[dict]:
        """Sweep records, newest first; without ``changes`` their ``changes`` lists are
        left empty (a year of them is most of the memory a report would take)."""
        sql, args = _select("*", room, since, until, limit, device_id, simulated)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
            records = [_record(r, changes) for r in rows]
            if spectra:
                for rec in records:
                    rec["spectra"] = self._spectra(rec["id"])
        return records

    def iter_sweeps(self, batch: int = 500, **filters) -> Iterator[List[dict]]:
        """Like :meth:`sweeps`, in lists of ``batch`` records, so an export of years of
        history streams in bounded memory."""
        sql, args = _select("id", **filters)
        with self._lock:
            ids = [r[0] for r in self._db.execute(sql, args)]
        for i in range(0, len(ids), batch):
            chunk = ids[i:i + batch]
            with self._lock:
                rows = self._db.execute(f"SELECT * FROM sweeps WHERE id IN ({','.join('?' * len(chunk))})",
                                        chunk).fetchall()
            order = {sid: n for n, sid in enumerate(chunk)}
            yield sorted((_record(r) for r in rows), key=lambda rec: order[rec["id"]])

    def device_ids(self, **filters) -> List[str]:
        """The devices whose sweeps match the filters."""
        sql, args = _select("DISTINCT device_id", **filters)
        sql = sql.replace(" ORDER BY finished_at DESC, id DESC", "")
        with self._lock:
            return sorted(r[0] for r in self._db.execute(sql, args))

    def sweep(self, sweep_id: int) -> dict:
        with self._lock:
            row = self._db.execute("SELECT * FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
            if row is None:
                raise InputError(f"there is no sweep {sweep_id} in the history")
            rec = _record(row)
            rec["spectra"] = self._spectra(sweep_id)
        return rec

    def observations(self, sweep_id: int) -> List[dict]:
        with self._lock:
            row = self._db.execute("SELECT observations FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
        if row is None:
            raise InputError(f"there is no sweep {sweep_id} in the history")
        return json.loads(zlib.decompress(row[0])) if row[0] else []

    def _spectra(self, sweep_id: int) -> List[dict]:
        out = []
        for r in self._db.execute("SELECT band, start_hz, stop_hz, snr FROM spectra WHERE sweep_id=? ORDER BY start_hz",
                                  (sweep_id,)):
            snr = np.frombuffer(r["snr"], dtype="<f2").astype(np.float32)
            out.append({"band": r["band"], "start_hz": r["start_hz"], "stop_hz": r["stop_hz"],
                        "snr_db": [None if np.isnan(v) else round(float(v), 1) for v in snr]})
        return out

    def rooms(self) -> List[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT room FROM sweeps UNION SELECT room FROM sightings ORDER BY 1")]

    def stats(self) -> dict:
        with self._lock:
            n = self._db.execute("SELECT count(*), min(finished_at), max(finished_at) FROM sweeps").fetchone()
            return {"path": self.path, "sweeps": n[0], "oldest": iso(n[1]), "newest": iso(n[2]),
                    "bytes": self._used_bytes(self._db)}

    # ------------------------------------------------------------------ baselines

    def baseline(self, room: Optional[str] = None) -> List[dict]:
        """Friendly sightings (of one room, or all), by room then key."""
        sql = "SELECT * FROM sightings WHERE friendly=1" + (" AND room=?" if room is not None else "")
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY room, kind, freq_hz, key", (room,) if room is not None else ())
        return [_sighting(r) for r in rows]

    def baseline_from_sweep(self, sweep_id: int, accept_findings: bool = False,
                            name: Optional[str] = None) -> Tuple[List[dict], List[dict]]:
        """Mark everything a sweep heard friendly, with that sweep's levels as the reference.

        Camera and suspect findings are left out (returned second) unless
        ``accept_findings``: a baseline recorded in a room with a hidden camera would
        hide it for good.
        """
        rec = self.sweep(sweep_id)
        observations = self.observations(sweep_id)
        added, refused = [], []
        when = _ts(rec["finished_at"])
        with self._lock, _transaction(self._db) as db:
            for o in observations:
                if o["verdict"] != "clear" and not accept_findings:
                    refused.append(o)
                    continue
                self._befriend(db, rec["room"], o, when, name)
                added.append(o)
        return added, refused

    def baseline_add(self, room: str, observation: dict, name: Optional[str] = None) -> None:
        """Add one emitter by hand (``sweeper baseline add``): a MAC, or a frequency."""
        obs = dict(observation)
        obs.setdefault("baseline", {"key": obs["key"]})
        with self._lock, _transaction(self._db) as db:
            self._befriend(db, room, obs, time.time(), name, heard=False)

    def _befriend(self, db, room: str, o: dict, when: float, name: Optional[str], heard: bool = True) -> None:
        key = o.get("baseline", {}).get("key") or o["key"]
        db.execute(
            "INSERT INTO sightings(room, key, kind, label, name, friendly, first_seen, last_seen, count, freq_hz,"
            " bandwidth_hz, class, power_db, verdict, uplink_kbps, ref_power_db, ref_verdict, ref_class,"
            " ref_uplink_kbps, baselined_at) VALUES(?,?,?,?,?,1,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(room, key) DO UPDATE SET friendly=1, name=coalesce(excluded.name, name),"
            " ref_power_db=excluded.ref_power_db, ref_verdict=excluded.ref_verdict, ref_class=excluded.ref_class,"
            " ref_uplink_kbps=excluded.ref_uplink_kbps, baselined_at=excluded.baselined_at",
            (room, key, o["kind"], o.get("label"), name, when, when, 1 if heard else 0, o.get("freq_hz"),
             o.get("bandwidth_hz"), o.get("class"), o.get("power_db"), o.get("verdict"), o.get("uplink_kbps"),
             o.get("power_db"), o.get("verdict") or "clear", o.get("class"), o.get("uplink_kbps"), time.time()))

    def baseline_remove(self, room: str, keys: Iterable[str] = (), everything: bool = False) -> int:
        """Make sightings unfriendly again (they stay in the history); returns how many."""
        with self._lock, _transaction(self._db) as db:
            if everything:
                return db.execute("UPDATE sightings SET friendly=0 WHERE room=? AND friendly=1", (room,)).rowcount
            n = 0
            for k in keys:
                n += db.execute("UPDATE sightings SET friendly=0 WHERE room=? AND key=? AND friendly=1",
                                (room, k)).rowcount
            return n


def _select(columns: str, room: Optional[str] = None, since: Optional[float] = None, until: Optional[float] = None,
            limit: Optional[int] = None, device_id: Optional[str] = None, simulated: Optional[bool] = None):
    """SQL and arguments selecting sweeps by the history filters, newest first."""
    where, args = [], []
    for cond, value in (("room = ?", room), ("finished_at >= ?", since), ("finished_at <= ?", until),
                        ("device_id = ?", device_id), ("simulated = ?", None if simulated is None else int(simulated))):
        if value is not None:
            where.append(cond)
            args.append(value)
    sql = f"SELECT {columns} FROM sweeps" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY finished_at DESC, id DESC" + (" LIMIT ?" if limit else "")
    return sql, args + ([limit] if limit else [])


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (the connection is in autocommit)."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """The file is damaged (corrupt, or not a database), not just one record refused."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    return type(exc) is sqlite3.DatabaseError and any(w in str(exc) for w in ("malformed", "not a database"))


def _record(r: sqlite3.Row, changes: bool = True) -> dict:
    return {"id": r["id"], "started_at": iso(r["started_at"]), "finished_at": iso(r["finished_at"]),
            "room": r["room"], "device_id": r["device_id"], "trigger": r["trigger"],
            "simulated": bool(r["simulated"]), "verdict": r["verdict"], "raw_verdict": r["raw_verdict"],
            "elapsed_s": r["elapsed_s"], "hardware": json.loads(r["hardware"]),
            "gaps": json.loads(r["gaps"]), "problems": json.loads(r["problems"]),
            "findings": json.loads(r["findings"]),
            "changes": json.loads(zlib.decompress(r["changes"])) if changes else [],
            "counts": json.loads(r["counts"])}


def _sighting(r: sqlite3.Row) -> dict:
    d = dict(r)
    d["friendly"] = bool(d["friendly"])
    for k in ("first_seen", "last_seen", "baselined_at"):
        d[k] = iso(d[k])
    return d


def _ts(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _js(value) -> str:
    return json.dumps(plain(value), separators=(",", ":"), allow_nan=False)


def _give_back_to_owner(path: str) -> None:
    """Run as root (``sudo sweeper history``), SQLite may have created the -wal/-shm files
    as root, which would lock the service (user sweeper) out: hand them back."""
    if os.geteuid() != 0 or not os.path.exists(path):
        return
    st = os.stat(path)
    for suffix in ("-wal", "-shm"):
        try:
            os.chown(path + suffix, st.st_uid, st.st_gid)
        except OSError:
            pass


HISTORY_CHECK = "sweep history"


def probe(cfg):
    """Self-test: where sweeps are recorded, readable if there, or creatable. Read-only:
    the daemon may be writing it."""
    from sweeper.probe import Check

    if not cfg.history.enabled:
        return Check(HISTORY_CHECK, True, "disabled (history.enabled: false): sweeps are not recorded")
    path = history_path(cfg)
    fix = ("run as the sweeper user (`sudo -u sweeper sweeper ...`), or set history.path to a "
           "writable place")
    if os.path.exists(path):
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                n, = db.execute("SELECT count(*) FROM sweeps").fetchone()
            finally:
                db.close()
        except sqlite3.Error as exc:
            return Check(HISTORY_CHECK, False, f"{path} cannot be read: {exc}", fix)
        writable = os.access(path, os.W_OK) and os.access(os.path.dirname(path), os.W_OK)
        return Check(HISTORY_CHECK, writable, f"{path}: {n} sweeps, {os.path.getsize(path) / 1e6:.1f} MB"
                     + ("" if writable else "; not writable by this user"), None if writable else fix)
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if os.access(folder, os.W_OK | os.X_OK):
        return Check(HISTORY_CHECK, True, f"{path} will be created by the first sweep")
    return Check(HISTORY_CHECK, False, f"{path} cannot be created ({folder} is not writable by this user)", fix)
