"""Venues: rooms, baselines, history, reports and fleet reporting.

Staff who sweep many rooms on a schedule own Wi-Fi access points and IoT devices, so
"something transmits" is not news; what is new or changed is. This package turns each
sweep of the device into a *sweep record*, compares what it heard with the room's
baseline, keeps the record in a local SQLite history, and sends it to a fleet broker.

    SweepResult (findings)--observations.py-->  observations (pure: keys, labels, power)
                           --baseline.py------>  new / changed / known (pure comparison)
                           --history.py------->  SQLite: sweeps, spectra, sightings
                           --report.py-------->  JSON, CSV, HTML for managers
                           --mqtt.py---------->  MQTT with Home Assistant discovery
    privacy.py hashes MAC addresses with a per-venue salt before anything leaves memory.

A **sweep record** is a JSON-ready dict; history, reports and MQTT all speak it::

    {
      "id": 17,                                  # history row id
      "started_at": "2026-11-25T13:00:02Z",      # ISO-8601 UTC
      "finished_at": "2026-11-25T13:00:44Z",
      "room": "Room 101",                        # "" when unlabelled
      "device_id": "sweeper-3fa9c2",
      "trigger": "button",                       # button | timer | remote | once
      "simulated": False,                        # swept the built-in simulated room
      "verdict": "CAMERA",                       # over new and changed findings only
      "raw_verdict": "CAMERA",                   # over every finding, baseline ignored
      "elapsed_s": 41.2,
      "hardware": {"RF": "ok", "Wi-Fi": "no monitor-mode adapter ..."},  # ok, or why not
      "problems": {},                            # hardware lost during the sweep
      "findings": [finding, ...],                # camera/suspect, new and changed first
      "changes": [observation, ...],             # new or changed emitters that are not findings
      "counts": {"findings": 2, "new": 5, "changed": 1, "known": 30,
                 "private": 3,                   # phones with private addresses (a group,
                                                 # never new: baseline.py says why)
                 "rf_emitters": 33, "wifi_devices": 12},
      "spectra": [{"band": "2.4 GHz", "start_hz": 2.4e9, "stop_hz": 2.4835e9,
                   "snr_db": [3.1, None, ...]}],  # point i at start + (i + 0.5) * step
    }

A finding is the detector's dict (``type``, ``verdict`` camera|suspect, ``score``,
``reasons`` and the fields of its kind: see :mod:`sweeper.kinds`) plus a ``baseline``
dict. An observation is one emitter or Wi-Fi device in a compact form
(``kind`` rf|wifi, ``key``, ``label``, ``power_db``, ``verdict``...; see
:mod:`sweeper.venue.observations`) plus the same ``baseline`` dict::

    {"status": "new",            # new | changed | known (known = friendly, unchanged)
     "note": None,               # why it counts as changed, in words
     "key": "wifi:24:0a:c4:5b:19:e2",
     "label": None,              # the name staff gave it in the baseline
     "first_seen": "2026-11-01T09:00:00Z", "last_seen": "2026-11-25T13:00:44Z",
     "count": 12}                # sweeps of this room it was heard in

A finding the user confirmed on the device ("is it watching this room?", issue 16) also
has a ``confirmation`` dict (:mod:`sweeper.watching`), written into its stored record
when the confirmation ends (a later one replaces it)::

    {"watching": "yes",          # yes | no_response (not proof it is elsewhere) | unknown
     "stimulus_p": 0.0005, "stimulus_delay_s": 0.4, "reasons": ["..."],
     "mode": "led",              # led | ir_led | lights | wave
     "duration_s": 15.0, "confirmed_at": "2026-11-25T13:02:10Z"}

With ``privacy.hash_macs`` every MAC address in a record (``mac``, ``bssid`` and keys)
is ``anon:`` and 12 hex digits of an HMAC with the venue's salt.
"""
