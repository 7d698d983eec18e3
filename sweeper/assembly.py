"""One assembly: the sweeps and the device's detector parts, built from the config.

The CLI (``sweeper rf``, ``wifi``, ``demo``) and the daemon (``sweeper run``) both build
their sweeps here, so a setting means the same in both. A :class:`Part` is one detector
the device sweeps with: how to open its hardware (real, or simulated only when asked)
and how to run its sweep on it. The daemon runs whatever parts it is given, in parallel,
and merges their findings; it never names a part. A new detector is a new part.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, List, Optional, Sequence


Progress = Callable[[float, str], None]


# --------------------------------------------------------------------------- sweeps


def select_bands(cfg, names: Optional[Sequence[str]] = None) -> list:
    """The configured bands, or those of them named (InputError for a name not configured)."""
    from sweeper.config import config_bands
    from sweeper.errors import InputError

    plan = config_bands(cfg)
    if names:
        unknown = [b for b in names if b not in {x.name for x in plan}]
        if unknown:
            raise InputError(f"--band {unknown[0]} is not configured (configured: "
                             f"{', '.join(b.name for b in plan)})")
        plan = [b for b in plan if b.name in names]
    return plan


def not_heard_why(band, front_end: str) -> str:
    """Why ``band`` is not heard with ``front_end`` on the dongle, and the fix."""
    from sweeper.rf.paths import one_path_why

    return one_path_why(band, front_end)


def rf_sweep(cfg, source, bands: Optional[list] = None, progress=None, front_end: Optional[str] = None):
    """The RF sweep of ``bands`` (default: all configured) that the receive paths hear.
    One dongle: the path on it (``front_end``, default rf.front_end; a lone simulator
    hears every path). Two paths (a source with ``receive_paths``: two dongles or an RF
    switch): each band on the path that hears it, path by path (sweeper.rf.paths), the
    source looked over again first for a dongle plugged in since. Bands no fitted path
    hears are reported as not covered, not swept. ``source`` must be open."""
    from sweeper.rf.bands import plan_hops, plan_sweep
    from sweeper.rf.engine import Sweep, SweepSettings
    from sweeper.rf.paths import plan_paths

    rf = cfg.rf
    settings = SweepSettings(sample_rate=rf.sample_rate, gain_db=rf.tuner_gain_db, dwell_s=rf.dwell_s,
                             settle_s=rf.settle_s, settle_samples=rf.settle_samples,
                             video_camera_score=cfg.detection.video.camera_score,
                             video_suspect_score=cfg.detection.video.suspect_score)
    plan = bands if bands is not None else select_bands(cfg)
    paths = getattr(source, "receive_paths", None)
    if paths is not None:
        source.refresh()
        legs = plan_paths(plan, paths, source.missing)
        hops = []
        for leg in legs.legs:
            tuner = source.tuner_of(leg.path.front_end)
            for band in leg.bands:
                hops += plan_hops(band, rf.sample_rate, rf.crop, (tuner.min_hz, tuner.max_hz), len(hops))
        return Sweep(source, hops, settings, progress, legs.not_heard)
    tuner = source.tuner
    front = front_end or rf.front_end
    heard = [b for b in plan if source.simulated or b.path == front]
    not_heard = [(b.name, b.path, not_heard_why(b, front)) for b in plan if b not in heard]
    hops = plan_sweep(heard, rf.sample_rate, rf.crop, (tuner.min_hz, tuner.max_hz))
    return Sweep(source, hops, settings, progress, not_heard)


def wifi_sweep(cfg, source, wifi=None, progress=None, recorder=None):
    """The Wi-Fi sweep: ``wifi`` is the config's ``wifi`` section (the CLI passes one
    with its overrides applied)."""
    from sweeper.wifi.engine import WifiSweep

    w = wifi or cfg.wifi
    return WifiSweep(source, w.channels, w.dwell_s, w.linger_s, w.duration_s,
                     cfg.detection.wifi.camera_score, cfg.detection.wifi.suspect_score,
                     progress=progress, recorder=recorder)


# --------------------------------------------------------------------------- parts


class Part:
    """A detector the device sweeps with. ``name`` keys its hardware status, ``key`` its
    report in a sweep's JSON; ``opener`` returns an open source or raises HardwareError
    naming the fix (None: disabled in the configuration)."""

    #: its hardware status key and its name in messages ("RF")
    name = ""
    #: its report's key in a sweep's JSON and its observations' kind in baselines ("rf")
    key = ""
    #: the sweep record's count of what it heard ("rf_emitters")
    heard_key = ""

    def __init__(self, opener: Optional[Callable[[], object]]):
        self.opener = opener

    def sweep(self, cfg, source, stop_event: threading.Event, progress: Progress) -> dict:
        """One sweep on ``source``: a report with ``verdict`` (CLEAR/SUSPECT/CAMERA) and
        ``findings``. Raise HardwareError when the source fails mid-sweep."""
        raise NotImplementedError

    def stop(self) -> None:
        """Cut a running sweep short (it still reports what it heard)."""

    def expected_s(self, cfg, source) -> Optional[float]:
        """How many seconds its sweep on ``source`` is expected to take (None: unknown).
        The device's one progress figure weighs the parts by it until each part's own
        progress says how fast it really goes."""
        return None

    def probes(self, cfg) -> list:
        """The self-test's checks of its hardware: ``(name, probe)`` pairs, each probe
        returning a :class:`sweeper.probe.Check` without opening anything."""
        return []

    def heard(self, report: dict) -> int:
        """How many transmitters its report heard, findings included."""
        return len(report.get("findings", []))

    def record_fields(self, report: dict) -> dict:
        """What its report adds to the venue's sweep record (beyond findings)."""
        return {}


class RfPart(Part):
    """The RF sweep for analog video senders, on an RTL-SDR (local or rtl_tcp)."""

    name = "RF"
    key = "rf"
    heard_key = "rf_emitters"

    def __init__(self, opener, pin_factory=None):
        super().__init__(opener)
        self._running = None
        #: the RF switch's pins (rf.switch), for the self-test
        self.pin_factory = pin_factory

    def sweep(self, cfg, source, stop_event, progress) -> dict:
        from sweeper.rf.engine import summarise_spectrum

        def hop(p):
            if p.kind == "hop":
                progress(p.fraction, f"{p.band} {p.rf_center_hz / 1e6:.0f} MHz")

        self._running = rf_sweep(cfg, source, progress=hop)
        if stop_event.is_set():
            self._running.stop()
        result = self._running.run()
        return {**result.to_dict(), "spectra": [summarise_spectrum(sp) for sp in result.spectra]}

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop()

    def expected_s(self, cfg, source) -> float:
        """Settling and dwelling on every hop: the hops are alike, so its progress (hops
        analysed of planned) is proportional to its time."""
        sweep = rf_sweep(cfg, source)
        return sweep.settings.physical_floor_s(len(sweep.hops))

    def probes(self, cfg) -> list:
        from sweeper.rf.sources import factory

        return factory.probes(cfg.rf, self.pin_factory)

    def heard(self, report: dict) -> int:
        return len(report.get("findings", [])) + len(report.get("emitters", []))

    def record_fields(self, report: dict) -> dict:
        return {"spectra": report.get("spectra") or []}


class WifiPart(Part):
    """The Wi-Fi sweep for cameras by their traffic, on a monitor-mode adapter."""

    name = "Wi-Fi"
    key = "wifi"
    heard_key = "wifi_devices"

    def sweep(self, cfg, source, stop_event, progress) -> dict:
        def hop(p):
            if p.kind == "hop":
                progress(p.fraction, f"Wi-Fi ch {p.channel}")

        return wifi_sweep(cfg, source, progress=hop).run(stop_event)

    def expected_s(self, cfg, source) -> float:
        """Its duration (on its source's clock: a simulator may run faster than that);
        its progress is the share of that time that has passed, reported at least every
        half second and at each new channel."""
        return cfg.wifi.duration_s

    def probes(self, cfg) -> list:
        from sweeper.wifi import factory, monitor, oui

        return [(factory.WIFI_CHECK, lambda: factory.probe(cfg.wifi)), (monitor.IW_CHECK, monitor.probe_iw),
                (monitor.CAPS_CHECK, monitor.probe_capabilities), (oui.VENDORS_CHECK, oui.probe)]

    def heard(self, report: dict) -> int:
        return len(report.get("findings", [])) + len(report.get("devices", []))


class LanPart(Part):
    """The LAN scan for cameras on the network the device has joined (sweeper/lan). Its
    "hardware" is the client interface with an address on a private subnet; not joined,
    it is missing, and the sweep says so."""

    name = "LAN"
    key = "lan"
    heard_key = "lan_hosts"

    def sweep(self, cfg, source, stop_event, progress) -> dict:
        from sweeper.lan.scan import scan
        from sweeper.verdicts import of_findings

        from sweeper.errors import HardwareError, InputError

        where = f"LAN {source.network}"
        budget = self.expected_s(cfg, source)
        scanned = threading.Event()

        def report_time():  # every step of the scan ends by a deadline within its time budget
            start = time.monotonic()
            while not scanned.wait(LAN_PROGRESS_EVERY_S):
                progress(min((time.monotonic() - start) / budget, 0.99), where)

        progress(0.0, where)
        reporter = threading.Thread(target=report_time, name="lan-progress", daemon=True)
        reporter.start()
        try:
            report = scan(source.interface, cfg.lan.mode, cfg.lan.rate_pps).to_json()
        except (InputError, OSError) as exc:  # left the network mid-sweep: the other parts carry on
            raise HardwareError(f"the LAN scan stopped: {exc}") from None
        finally:
            scanned.set()
            reporter.join()
        progress(1.0, where)
        report["verdict"] = of_findings(f["verdict"] for f in report["findings"])
        return report

    def expected_s(self, cfg, source) -> float:
        """The scan mode's time budget, which every step of the scan keeps to."""
        from sweeper.lan.scan import MODES

        return MODES[cfg.lan.mode].total

    def probes(self, cfg) -> list:
        return [(LAN_CHECK, lambda: _lan_probe(cfg))]

    def heard(self, report: dict) -> int:
        return len(report.get("findings", [])) + len(report.get("hosts", []))


LAN_CHECK = "LAN (joined network)"
#: seconds between the LAN scan's progress reports
LAN_PROGRESS_EVERY_S = 0.5


def _lan_probe(cfg):
    from sweeper.errors import HardwareError
    from sweeper.probe import Check

    if not cfg.lan.enabled:
        return Check(LAN_CHECK, True, "disabled (lan.enabled: false): no LAN scan in a sweep")
    try:
        att = _lan_attachment(cfg)
    except HardwareError as exc:
        return Check(LAN_CHECK, False, str(exc))
    return Check(LAN_CHECK, True, f"{att.interface} {att.address} on {att.network}", detects="LAN scan")


def _lan_attachment(cfg):
    """The joined interface, or HardwareError saying how to join (the LAN part's opener)."""
    from sweeper.errors import HardwareError, InputError
    from sweeper.lan.conduct import attachment, check_target

    try:
        att = attachment(cfg.lan.interface)
        check_target(att)
    except InputError as exc:
        raise HardwareError(f"{exc}; join one with: sweeper join SSID") from None
    if att.interface == cfg.wifi.interface:
        raise HardwareError(f"{att.interface} is the monitor-mode adapter; set lan.interface to the client "
                            "interface (e.g. wlan0)")
    return att


def _lan_no_simulator():
    from sweeper.errors import HardwareError

    raise HardwareError("the LAN scan has no simulator: it looks at a real network (run without --simulate, "
                        "or set lan.enabled: false)")


def device_parts(cfg, simulate: bool = False, camera: bool = True, scene: Optional[str] = None,
                 pin_factory=None) -> List[Part]:
    """The device's detector parts. Real hardware unless ``simulate`` (or a section's
    ``source: simulator``): the device never falls back to a simulator by itself (the
    LAN part has none, so a simulated sweep with ``lan.enabled`` says it was not swept).
    ``pin_factory``: the pins of an RF switch (rf.switch), as the buttons'."""
    rf = wifi = lan = None
    if cfg.rf.enabled:
        rf = (lambda: _rf_simulator(scene, camera, cfg, pin_factory)) if simulate else \
            _real_rf_opener(cfg, pin_factory)
    if cfg.wifi.enabled:
        wifi = (lambda: _wifi_simulator(scene, camera, cfg.wifi.snaplen)) if simulate else _real_wifi_opener(cfg)
    if cfg.lan.enabled:
        lan = _lan_no_simulator if simulate else (lambda: _lan_attachment(cfg))
    return [RfPart(rf, pin_factory), WifiPart(wifi), LanPart(lan)]


def _real_rf_opener(cfg, pin_factory=None) -> Callable:
    from sweeper.rf.sources.factory import open_source

    return lambda: open_source(cfg.rf, pin_factory)


def _real_wifi_opener(cfg) -> Callable:
    from sweeper.wifi.factory import open_wifi_source

    return lambda: open_wifi_source(cfg.wifi)


def _rf_simulator(scene: Optional[str], camera: bool = True, cfg=None, pin_factory=None):
    from sweeper.rf.sources.factory import has_paths, open_simulated_paths, open_simulator

    if cfg is not None and has_paths(cfg.rf):  # the simulator stands in for each receive path
        return open_simulated_paths(cfg.rf, scene, camera, pin_factory)

    if scene is None and not camera:
        from sweeper.sim.scene import clear_scene
        from sweeper.rf.sources.simulated import SimulatedSource
        return SimulatedSource(clear_scene())
    return open_simulator(scene)


def _wifi_simulator(scene: Optional[str], camera: bool, snaplen: int):
    from sweeper.wifi.factory import open_wifi_simulator
    return open_wifi_simulator(scene, camera=camera, snaplen=snaplen)
