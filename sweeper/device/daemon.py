"""The device: one button, one verdict. ``sweeper run`` runs this as a systemd service.

:class:`Daemon` is a small state machine driven by events (buttons, the sweep timer's
SIGUSR1, its own threads) through one queue:

    ready --select--> sweeping --done--> result --next--> finding --next--> ...
      ^                  |select (stop)      |hold select: locate (hold again or press: back)
      +------------------+-------------------+--select: sweep again
      |                                      |hold next: confirm --done--> confirmed
      |hold select: meter (next: band;       |   (select or hold next: stop; select: back)
      |  select or hold: back)
    any idle screen --hold select 4 s--> poweroff (next: power off; select or 10 s: back)
    anywhere --select+next together--> quiet mode on/off

Quiet mode (``output.quiet``, ``run --quiet`` or the chord): no sound (the vibration
motor plays the patterns), a dimmed panel, and a blank panel after each verdict until a
button is pressed. A press that wakes a blank panel only wakes it: a hand fumbling in a
pocket must not start or stop anything it cannot see. Idle panels also blank after
``display.sleep_after_s``.

Confirm ("is it watching this room?", issue 16) runs a stimulus on the finding shown
(the top one from the result screen): the LED flashes a pseudo-random sequence, or the
screen prompts "Lights OFF now" / "Wave at the walls" with countdown ticks, while the
finding's kind listens to it (``kinds.of(finding).confirmer``). The verdict (WATCHING
THIS ROOM, NO RESPONSE, UNSURE) is stored with the finding in the history and sent to
the fleet.

With ``venue.rooms`` set, NEXT on the ready screen steps through the room labels, and NEXT
past the last finding returns to it. Each finished sweep goes to the venue (history,
baseline comparison, fleet), which may lower the verdict for friendly emitters.

A sweep runs every detector part that has its hardware at once (sweeping.py: the
hardware, probed again while idle, and the combined sweep), shows one progress figure,
and merges their findings into one ranked list and one verdict. The display, annunciator and controls are the small device classes
in this package; every one has a simulated backend, so the whole device runs in tests and
in ``sweeper run --simulate`` with no hardware.

Why one module of over 400 lines: it is the state machine, and :meth:`Daemon.handle` is
its one table of transitions, so what each event does in each state reads in one place.
The work each state starts lives elsewhere: sweeps in sweeping.py, locate and the
meter's loop in locating.py, confirmation plans in confirming.py, the part guard in
guarded.py.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time
from typing import Callable, Dict, List, Optional

from sweeper import kinds
from sweeper import watching as watching_words
from sweeper.device import confirming
from sweeper.device.guarded import Guarded
from sweeper.device.heap import release_free_memory
from sweeper.device.locating import Readings
from sweeper.device.sweeping import CombinedSweep, Hardware
from sweeper.findings import Finding, SweepResult, as_finding
from sweeper.errors import HardwareError
from sweeper.venue.history import iso

#: idle seconds between looks for hardware that was missing
PROBE_EVERY_S = 5.0
#: display refreshes per second while sweeping or locating
REFRESH_HZ = 4.0
#: how long the power-off question waits for NEXT before going back
POWEROFF_ASK_S = 10.0
#: button events (a press on a blank panel only wakes it)
BUTTON_EVENTS = ("select", "next", "locate", "confirm", "shutdown")
#: screens that wait for the user: the panel may blank here, and power-off may be asked
IDLE_STATES = ("ready", "result", "finding", "confirmed")


def finding_label(f) -> str:
    """One line naming a finding (or its JSON), for logs and the terminal."""
    f = as_finding(f)
    return kinds.of(f).name(f)


class Daemon:
    """The device's state machine. Feed it events with :meth:`post`; :meth:`run` serves
    them until :meth:`quit` (or a shutdown)."""

    def __init__(self, cfg, hardware: Hardware, display, annunciator,
                 shutdown: Optional[Callable[[], None]] = None, notify=None, version: str = "",
                 venue=None, log: Callable[[str], None] = lambda msg: None, leds=None, battery=None):
        self.cfg = cfg
        self.hardware = hardware
        self.display = Guarded(display, "display")
        self.sound = Guarded(annunciator, "buzzer")
        self.shutdown = shutdown or (lambda: None)
        self.notify = notify
        self.version = version
        self.venue = venue  # history, baselines, fleet (sweeper.venue.recorder.Venue) or None
        self.log = log
        self.leds = leds  # the confirmation LEDs (sweeper.device.led.StimulusLeds) or None
        self.battery = battery  # the fuel gauge (sweeper.device.battery) or None
        self.quiet = bool(cfg.output.quiet)
        self.room = cfg.venue.room
        # a handheld visiting rooms: NEXT on the ready screen steps through these
        self.rooms = list(dict.fromkeys((cfg.venue.room, *cfg.venue.rooms))) if cfg.venue.rooms else []
        self._current = {"room": self.room, "trigger": "button", "started": 0.0}
        self.events: "queue.Queue[tuple]" = queue.Queue()
        self.state = "boot"
        self.outcome: Optional[SweepResult] = None
        self.index = 0
        self.history: List[SweepResult] = []
        self._sweep: Optional[CombinedSweep] = None
        self._confirming: Optional[threading.Event] = None  # set() stops the running confirmation
        self._confirm_run = 0  # which confirmation the worker's events belong to
        self._confirm: dict = {}
        #: draws each confirmation's schedule: it must be random (the lock-in test's
        #: p-value relies on it); tests may seed it
        self.rng = None
        self._quit = threading.Event()
        self._last_probe = 0.0
        self._last_touch = time.monotonic()  # the last button press or verdict (the panel's idle clock)
        self._shown_battery: tuple = (None, False)
        self.readings = Readings(self.post)  # the locate or meter loop
        self._meter_band = 0
        self._asked_from: Optional[str] = None  # the state the power-off question interrupted
        self._ask_until = 0.0

    # ------------------------------------------------------------------ plumbing

    def post(self, event: str, payload=None) -> None:
        """Thread-safe: buttons, signals and worker threads all come through here."""
        self.events.put((event, payload))

    def quit(self) -> None:
        self._quit.set()
        self.post("quit")

    def run(self, once: bool = False) -> Optional[SweepResult]:
        """Serve events. With ``once``: sweep immediately and return its outcome."""
        self.display.boot(self.version)
        self._apply_quiet()
        self._ready(self.hardware.probe())
        if self.notify is not None:
            self.notify.ready()
        if once:
            self.post("sweep", {"trigger": "once"})
        interval = self.notify.watchdog_interval() if self.notify is not None else None
        while not self._quit.is_set():
            try:
                event, payload = self.events.get(timeout=min(interval or 1.0, 1.0))
            except queue.Empty:
                event, payload = "tick", None
            if self.notify is not None and interval:
                self.notify.watchdog()
            self.handle(event, payload)
            if once and event in ("swept", "no_detector"):
                break
        if self.notify is not None:
            self.notify.stopping()
        self._stop_reading()
        self._stop_confirm()
        if self._sweep is not None:
            self._sweep.stop()
        return self.outcome

    # ------------------------------------------------------------------ states

    def handle(self, event: str, payload=None) -> None:
        state = self.state
        if event in BUTTON_EVENTS or event == "quiet":
            self._last_touch = time.monotonic()
            if getattr(self.display, "asleep", False) and event != "quiet":
                self.display.wake()  # this press only wakes the panel
                return
        if event == "quiet":
            self.quiet = not self.quiet
            self._apply_quiet()
            self.display.wake()
            self.sound.start()  # a blip, or a buzz of the motor: the mode changed
            if state == "ready":
                self._ready(self.hardware.status())
            self.log(f"quiet mode {'on' if self.quiet else 'off'}")
        elif event == "shutdown":
            if state in ("sweeping", "confirm"):
                self.log("power-off hold ignored while busy: stop first (SELECT)")
                return
            self._stop_reading()
            self._asked_from = "finding" if state in ("locate", "confirmed") else \
                ("ready" if state == "meter" else state)
            self._ask_until = time.monotonic() + POWEROFF_ASK_S
            self.state = "poweroff"
            self.display.poweroff(POWEROFF_ASK_S)
        elif state == "poweroff" and event == "next":
            self._power_off()
        elif state == "poweroff" and event == "select":
            self._resume(self._asked_from)
        elif state == "poweroff" and event == "tick":
            left = self._ask_until - time.monotonic()
            if left <= 0:
                self._resume(self._asked_from)
            else:
                self.display.poweroff(left)
        elif state == "poweroff" and event in BUTTON_EVENTS:
            pass  # only NEXT or SELECT answer the question
        elif event == "tick":
            idle = time.monotonic() - self._last_touch
            sleep_after = self.cfg.display.sleep_after_s
            if state in IDLE_STATES and sleep_after and idle > sleep_after \
                    and not getattr(self.display, "asleep", False):
                self.display.sleep()
            if state in IDLE_STATES and time.monotonic() - self._last_probe > PROBE_EVERY_S:
                self._reprobe()
        elif event == "progress" and state == "sweeping":
            fraction, label = payload
            self.display.sweeping(fraction, label)
        elif event == "swept":
            self._swept(payload)
        elif event == "sweep":  # the timers (SIGUSR1, control socket): sweep now unless busy
            if state in ("ready", "result", "finding", "confirmed"):
                request = payload or {"trigger": "timer"}
                self._start_sweep(request.get("room"), request.get("trigger", "timer"))
            else:
                self.log(f"sweep request ignored: busy ({state})")
        elif event == "select":
            if state == "sweeping":
                self._sweep.stop()  # the "swept" event follows with what was found so far
            elif state == "locate":
                self._stop_reading()
                self._show_finding()
            elif state == "meter":
                self._stop_reading()
                self._ready(self.hardware.status())
            elif state in ("confirm", "confirmed"):
                self._stop_confirm()
                self._show_finding()
            else:
                self._start_sweep(None, "button")
        elif event == "next":
            findings = self.outcome.findings if self.outcome else []
            if state == "ready" and len(self.rooms) > 1:
                self.room = self.rooms[(self.rooms.index(self.room) + 1) % len(self.rooms)]
                self._ready(self.hardware.status())
            elif self.rooms and ((state == "result" and not findings)
                                 or (state == "finding" and self.index == len(findings) - 1)):
                self._ready(self.hardware.status())  # after the last finding: pick the next room
            elif state == "confirmed":
                self._show_finding()
            elif state == "meter":
                self._meter_band += 1
                self._start_meter()
            elif state in ("result", "finding") and findings:
                if state == "finding":
                    self.index = (self.index + 1) % len(findings)
                self._show_finding()
        elif event == "locate":
            if state == "locate":
                self._stop_reading()
                self._show_finding()
            elif state == "meter":
                self._stop_reading()
                self._ready(self.hardware.status())
            elif state == "ready":
                self._start_meter()
            elif state in ("result", "finding") and self.outcome and self.outcome.findings:
                self._start_locate(self.outcome.findings[self.index])
        elif event == "reading" and state in ("locate", "meter"):
            self._show_reading(payload)
        elif event == "confirm":
            if state == "confirm":
                self._stop_confirm()
                self._show_finding()
            elif state in ("result", "finding", "confirmed") and self.outcome and self.outcome.findings:
                self._start_confirm()
        elif event == "confirm_progress" and state == "confirm" and payload[0] == self._confirm_run:
            self._confirm_progress(payload[1])
        elif event == "confirm_done" and state == "confirm" and payload[0] == self._confirm_run:
            self._confirmed(payload[1])
        elif event == "confirm_lost" and state == "confirm" and payload[0] == self._confirm_run:
            self._stop_confirm()
            self.display.error(f"Confirmation stopped: {payload[1]}")
            self.state = "result"
        elif event == "reading_lost" and state in ("locate", "meter") and self.readings.current(payload):
            self._stop_reading()
            self.display.error(f"{'Locate' if state == 'locate' else 'Signal meter'} stopped: {payload[1]}")
            self.state = "result" if state == "locate" else "ready"

    def _ready(self, status: Dict[str, str]) -> None:
        self._last_probe = time.monotonic()
        # the screen first: whoever sees state "ready" (a test, the fleet) may trust the display
        self._shown_battery = percent, low = self._battery()
        self.display.ready({name: ("ok" if v == "ok" else "missing") for name, v in status.items()}, self.room,
                           quiet=self.quiet, battery=percent, battery_low=low)
        self.state = "ready"
        self._fleet_status("ready", status)
        if self.notify is not None:
            missing = [n for n, v in status.items() if v != "ok"]
            self.notify.status("ready" + (f"; missing: {', '.join(missing)}" if missing else ""))

    def _reprobe(self) -> None:
        before = self.hardware.status()
        after = self.hardware.probe()
        self._last_probe = time.monotonic()
        if self.state == "ready" and (after != before or self._battery() != self._shown_battery):
            self._ready(after)

    def _fleet_status(self, state: str, status: Optional[Dict[str, str]] = None) -> None:
        if self.venue is not None:
            try:
                room = self.room if state == "ready" else self._current["room"]
                self.venue.status(state, room, status or self.hardware.status())
            except Exception as exc:  # noqa: BLE001 (reporting must never stop the device)
                self.log(f"fleet status not sent: {exc}")

    def _start_sweep(self, room: Optional[str], trigger: str) -> None:
        status = self.hardware.probe()
        if not self.hardware.sources:
            self.display.error("No detector: " + "; ".join(f"{n}: {r}" for n, r in status.items()))
            self.state = "ready"
            self.post("no_detector", status)  # `run --once` stops here and says why
            return
        self._current = {"room": self.room if room is None else room, "trigger": trigger,
                         "started": time.time(), "hardware": status}
        self._fleet_status("sweeping", status)
        self.state = "sweeping"
        self.sound.start()
        self.display.sweeping(0.0, "starting")
        sweep = CombinedSweep(self.cfg, self.hardware,
                              lambda f, label: self.post("progress", (f, label)))
        self._sweep = sweep
        threading.Thread(target=lambda: self.post("swept", sweep.run()), name="sweep", daemon=True).start()

    def _swept(self, outcome: SweepResult) -> None:
        self._sweep = None
        release_free_memory()  # a long-lived daemon's heap would otherwise climb sweep after sweep
        outcome.room = self._current["room"]
        outcome.hardware = dict(self._current.get("hardware") or self.hardware.status())
        if self.venue is not None:
            try:  # compares with the room's baseline: findings get a status, the verdict may change
                outcome.record = self.venue.record(outcome, outcome.room, self._current["trigger"],
                                                   outcome.hardware, self._current["started"], time.time())
            except Exception as exc:  # noqa: BLE001 (history trouble must never hide a verdict)
                self.log(f"the sweep was not recorded: {exc}")
        self.outcome = outcome
        self.history = (self.history + [outcome])[-10:]
        self.index = 0
        self.state = "result"
        self._last_touch = time.monotonic()
        if self.quiet:  # the motor tells the verdict; the panel stays dark until a press
            self.display.sleep()
        # known (baselined, unchanged) findings stay browsable with NEXT but are not counted
        self.display.result(outcome.verdict, outcome.news(), outcome.gaps)
        {"CLEAR": self.sound.clear, "INCOMPLETE": self.sound.incomplete, "SUSPECT": self.sound.suspect,
         "CAMERA": self.sound.camera}[outcome.verdict]()
        for gap in outcome.gaps:
            self.log(f"not covered: {gap}")
        self._fleet_status("result")
        if self.notify is not None:
            self.notify.status(f"last sweep: {outcome.verdict}, {len(outcome.findings)} findings")

    def _show_finding(self) -> None:
        self.state = "finding"
        self.display.finding(self.index, len(self.outcome.findings), self.outcome.findings[self.index])

    def _start_locate(self, finding: Finding) -> None:
        self._stop_reading()
        self.state = "locate"
        locator = kinds.of(finding).locator(finding, self.hardware.sources, self.cfg)
        what = kinds.of(finding).title(finding)
        if locator is None:
            self.display.locate(what, "cannot locate", hint="SELECT: back")
            return
        self.display.locate(what, "\u2026")
        self._start_reading(locator, what)

    def _start_meter(self) -> None:
        """The signal meter on the chosen band (NEXT steps through rf.bands)."""
        from sweeper.rf.meter import BandMeter, meter_bands

        self._stop_reading()
        self.state = "meter"
        source = self.hardware.sources.get("RF")
        bands = meter_bands(self.cfg, source)
        if not bands:
            self.display.meter("signal meter", "no RTL-SDR" if source is None else "no band heard",
                               hint="SELECT: back")
            return
        band = bands[self._meter_band % len(bands)]
        self.display.meter(band.name, "\u2026")
        self._start_reading(BandMeter(source, band, self.cfg.rf.sample_rate), band.name)

    def _start_reading(self, reader, what: str) -> None:
        self.readings.start(reader, what, 1.0 / REFRESH_HZ, self.state)

    def _show_reading(self, payload) -> None:
        shown = self.readings.accept(payload)
        if shown is not None:
            what, lead = shown
            draw = self.display.locate if self.state == "locate" else self.display.meter
            draw(what, lead.text, lead.level, lead.peak, lead.trend)
            self.sound.proximity(lead.level)  # ticks faster as the bar rises (a buzz rate when quiet)

    def _stop_reading(self) -> None:
        if self.readings.stop():
            self.sound.proximity(0.0)

    # ------------------------------------------------------------------ power, quiet, battery

    def _apply_quiet(self) -> None:
        self.sound.quiet = self.quiet
        self.display.dim(self.quiet)

    def _battery(self) -> tuple:
        """(percent or None, low) for the ready screen; the redraw key of :meth:`_reprobe`."""
        if self.battery is None:
            return None, False
        reading = self.battery.read()
        if reading is None:
            return None, False
        return round(reading.percent), self.battery.is_low(reading)

    def _resume(self, state: Optional[str]) -> None:
        """Back to the screen the power-off question interrupted."""
        findings = self.outcome.findings if self.outcome else []
        if state in ("finding", "confirmed") and findings:
            self._show_finding()
        elif state == "result" and self.outcome is not None:
            self.state = "result"
            self.display.result(self.outcome.verdict, self.outcome.news(), self.outcome.gaps)
        else:
            self._ready(self.hardware.status())

    def _power_off(self) -> None:
        self._stop_reading()
        self._stop_confirm()
        if self._sweep is not None:
            self._sweep.stop()
        self.display.wake()
        self.display.error("Shutting down. Wait for the green light to stop.")
        self.sound.off()
        self.state = "shutdown"
        self.shutdown()
        self._quit.set()

    # ------------------------------------------------------------------ is it watching this room?

    def _start_confirm(self) -> None:
        finding = self.outcome.findings[self.index]
        self._stop_reading()
        self._stop_confirm()
        self._confirm_run += 1
        run = self._confirm_run
        try:
            confirmer = kinds.of(finding).confirmer(finding, self.hardware.sources, self.cfg)
        except HardwareError as exc:
            self.log(f"confirm: {exc}")
            confirmer = None
        if confirmer is None:
            self.state = "confirmed"
            self.display.confirmed(finding, "unknown", "cannot confirm this one")
            self.sound.incomplete()
            return
        from sweeper.confirm import live

        mode, plan = confirming.plan_for(self.cfg.confirm, self.leds, self.rng, self.log)
        self.state = "confirm"
        stop = threading.Event()
        self._confirming = stop
        self._confirm = {"finding": finding, "index": self.index, "mode": mode, "plan": plan, "count": None}
        stimulator = confirming.Stimulator(self.leds, mode, self.sound)
        self.display.confirm(finding, plan.duration_s, confirming.prompt_at(plan, mode, 0.0)[0], 0.0, True)

        def work():
            try:
                result = live.run_confirmation(confirmer, plan, stimulator,
                                               lambda p: self.post("confirm_progress", (run, p)), stop)
                self.post("confirm_done", (run, result))
            except HardwareError as exc:
                self.post("confirm_lost", (run, str(exc)))
            finally:
                stimulator.off()

        threading.Thread(target=work, name="confirm", daemon=True).start()

    def _confirm_progress(self, p) -> None:
        """The prompt (or the one coming, with its countdown), seconds left, the live bar."""
        c = self._confirm
        prompt, count = confirming.prompt_at(c["plan"], c["mode"], p.t_s, p.prompt)
        if count is not None and count != c["count"]:
            self.sound.countdown()  # a tick (a buzz when quiet) each second before a change
        c["count"] = count
        self.display.confirm(c["finding"], p.duration_s - p.t_s, prompt, p.strength, p.heard)

    def _confirmed(self, result) -> None:
        """Keep the verdict with the finding (the outcome, the history, the fleet), show it."""
        c = self._confirm
        self._stop_confirm()
        stored = dict(result.to_json(), mode=c["mode"], duration_s=c["plan"].duration_s,
                      confirmed_at=iso(time.time()))
        index = c["index"]
        finding = dataclasses.replace(c["finding"], evidence={**c["finding"].evidence, "confirmation": stored})
        if self.outcome is not None and index < len(self.outcome.findings) \
                and self.outcome.findings[index] is c["finding"]:
            self.outcome.findings[index] = finding
        if self.venue is not None and self.outcome is not None and self.outcome.record:
            try:
                self.venue.confirm(self.outcome.record, index, finding)
            except Exception as exc:  # noqa: BLE001 (history trouble must never hide a verdict)
                self.log(f"the confirmation was not recorded: {exc}")
        self.state = "confirmed"
        self.display.confirmed(finding, result.watching, watching_words.short_reason(stored))
        (self.sound.camera if result.watching == "yes" else self.sound.incomplete)()
        for reason in result.reasons:
            self.log(f"confirm {finding_label(finding)}: {result.watching}: {reason}")

    def _stop_confirm(self) -> None:
        if self._confirming is not None:
            self._confirming.set()
            self._confirming = None
        if self.leds is not None:
            try:
                self.leds.off()
            except HardwareError as exc:  # a loose LED wire must not stop the device
                self.log(f"confirm: {exc}")

