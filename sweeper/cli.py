"""The ``sweeper`` command.

Sub-commands: ``run`` (the device daemon), ``rf`` and ``wifi`` (one sweep each),
``demo`` (sweep the built-in simulated room, no hardware needed), ``analyze FILE`` (a
recording), ``selftest``, ``history``, ``report``, ``baseline`` and ``trigger`` (venues:
see sweeper/venue), ``sim rtl-tcp`` (serve a simulated scene over the rtl_tcp protocol),
``lan`` (cameras on the joined network), ``join`` (join a Wi-Fi network as a client, for
the LAN scan), ``config`` (show the effective configuration), ``netpolicy`` (the
service's network allow-list) and ``confirm`` (is a camera watching this room: a stimulus
and a lock-in test). Errors print one line and exit non-zero (2 for bad input).

Why one module of over 400 lines: it is the argument parser and thin sub-commands; the
work is in the modules they call.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from sweeper import __version__
from sweeper.device.keys import SHORT_HELP as KEY_HELP
from sweeper.errors import HardwareError, InputError, SweeperError, terminal_safe


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) like every other error of the command."""

    def error(self, message):
        print(f"{self.prog}: error: {terminal_safe(message)} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _numbers_as_values(argv: List[str]) -> List[str]:
    """``--sample-rate -inf`` is an option's value, not an option: argparse takes any
    word that starts with "-" and is not a plain negative number for an option."""
    out: List[str] = []
    for arg in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and arg.startswith("-"):
            try:
                float(arg)
            except ValueError:
                pass
            else:
                out[-1] = f"{out[-1]}={arg}"
                continue
        out.append(arg)
    return out


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sweeper", description="Find hidden cameras by their radio emissions.")
    p.add_argument("--version", action="version", version=f"sweeper {__version__}")
    p.add_argument("--config", metavar="FILE",
                   help="YAML configuration (default: /etc/sweeper/config.yaml when it exists)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def sweep_args(sp):
        sp.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        sp.add_argument("--band", action="append", metavar="NAME",
                        help="sweep only this configured band (repeatable)")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    rf = sub.add_parser("rf", help="sweep the configured bands for analog video transmitters")
    sweep_args(rf)
    rf.add_argument("--source", choices=["auto", "rtlsdr", "rtl_tcp", "simulator"],
                    help="override rf.source")
    rf.add_argument("--rtl-tcp", metavar="HOST:PORT", help="use an rtl_tcp server (implies --source rtl_tcp)")
    rf.add_argument("--scene", metavar="FILE", help="simulated scene (implies --source simulator)")
    rf.add_argument("--front-end", metavar="PATH",
                    help="what is on the dongle's input now: direct, or a downconverter's name (rf.front_end)")

    wifi = sub.add_parser("wifi", help="hop Wi-Fi channels and find transmitters that upload "
                          "like a camera")
    wifi.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    wifi.add_argument("--quiet", action="store_true", help="no progress bar")
    wifi.add_argument("--source", choices=["auto", "adapter", "simulator"], help="override wifi.source")
    wifi.add_argument("--interface", metavar="IF", help="wireless interface (implies --source adapter)")
    wifi.add_argument("--scene", metavar="FILE", help="simulated scene (implies --source simulator)")
    wifi.add_argument("--wired", metavar="IF",
                      help="listen on a wired mirror/SPAN port instead (Ethernet: no monitor mode, no hopping)")
    wifi.add_argument("--channels", metavar="LIST", help="comma-separated channels, e.g. 1,6,11,36")
    wifi.add_argument("--duration", type=float, metavar="S", help="sweep length in seconds")
    wifi.add_argument("--write", metavar="FILE.pcap",
                      help="also save the captured headers (snaplen bytes per frame) to a pcap")

    run = sub.add_parser("run", help="the device: wait for the button, sweep RF and Wi-Fi together, "
                         "show the verdict (the systemd service runs this)")
    run.add_argument("--once", action="store_true", help="sweep once now, print the result and exit")
    run.add_argument("--json", action="store_true", help="with --once: print one JSON object")
    run.add_argument("--simulate", action="store_true",
                     help="no hardware: simulated radios, mock buttons and buzzer, a virtual display")
    run.add_argument("--clear", action="store_true", help="with --simulate: the room without its cameras")
    run.add_argument("--scene", metavar="FILE", help="with --simulate: another scene file")
    run.add_argument("--png-dir", metavar="DIR", help="with --simulate: save every screen shown as a PNG")
    run.add_argument("--room", metavar="LABEL", help="label sweeps with this room (default: venue.room)")
    run.add_argument("--quiet", action="store_true",
                     help="start in quiet mode: no sound (vibration instead), a dimmed panel, blank after "
                          "each verdict until a button is pressed (SELECT+NEXT together toggles it)")
    run.add_argument("--front-end", metavar="PATH",
                     help="what is on the dongle's input now: direct, or a downconverter's name (rf.front_end)")
    run.add_argument("--terminal", action="store_true",
                     help="with --simulate: draw every screen shown in the terminal (stderr) and press the "
                     f"buttons with keys: {KEY_HELP}")

    st = sub.add_parser("selftest", help="check the radios, display, GPIO and permissions; say how "
                        "to fix what is missing")
    st.add_argument("--json", action="store_true", help="print one JSON object")

    demo = sub.add_parser("demo", help="sweep the built-in simulated room (no hardware needed)")
    sweep_args(demo)
    demo.add_argument("--scene", metavar="FILE", help="another scene file instead of the built-in room")
    demo.add_argument("--clear", action="store_true", help="the same room without the camera")

    an = sub.add_parser("analyze", help="analyse a recording: IQ (cu8, cs8, cf32, npy, SigMF) "
                        "or a Wi-Fi/Ethernet capture (pcap, pcapng)")
    an.add_argument("file")
    an.add_argument("--sample-rate", type=float, metavar="HZ")
    an.add_argument("--center-freq", type=float, metavar="HZ")
    an.add_argument("--format", choices=["cu8", "cs8", "cf32", "npy", "sigmf"])
    an.add_argument("--json", action="store_true", help="print one JSON object")
    an.add_argument("--stimulus", metavar="TIMELINE.json",
                    help="what the room looked like when: [{start_s, end_s, kind: dark|light|motion|flash}], "
                         "seconds from the first record or sample; each finding says whether it followed")

    sim = sub.add_parser("sim", help="simulator tools")
    simsub = sim.add_subparsers(dest="sim_command", metavar="TOOL")
    srv = simsub.add_parser("rtl-tcp", help="serve a simulated scene over the rtl_tcp protocol")
    srv.add_argument("--scene", metavar="FILE", help="scene file (default: the built-in room)")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=1234)
    srv.add_argument("--no-realtime", action="store_true", help="stream as fast as possible")
    srv.add_argument("--front-end", metavar="PATH",
                     help="the simulated dongle's input: direct, or a downconverter's name (default: the "
                     "scene's converter, else rf.front_end, as the device's default hardware)")

    conf = sub.add_parser("confirm", help="is it watching this room? Sweep (or take --mac/--freq), then run a "
                          "stimulus and test whether each camera's transmission follows it")
    conf.add_argument("--mac", help="confirm this Wi-Fi transmitter (with --channel) instead of sweeping first")
    conf.add_argument("--channel", type=int, help="its Wi-Fi channel")
    conf.add_argument("--freq", type=float, metavar="MHZ", help="confirm the analog video carrier at this frequency")
    conf.add_argument("--mode", choices=["led", "lights", "wave"], default="lights",
                      help="led: the device's LED flashes; lights: you switch the room's light when told; "
                           "wave: you wave and keep still when told (default: lights)")
    conf.add_argument("--duration", type=float, metavar="S", help="seconds (default: 15 for led, 30 otherwise)")
    conf.add_argument("--simulate", action="store_true", help="in the built-in simulated room")
    conf.add_argument("--seed", type=int, metavar="N",
                      help="draw the stimulus schedule from this seed (to repeat a run exactly; by default "
                           "it is unpredictable, as the test assumes)")
    conf.add_argument("--json", action="store_true", help="print one JSON object")
    lan = sub.add_parser("lan", help="find cameras on the network this device has joined (ARP, mDNS, "
                         "SSDP, ONVIF, camera ports; read-only, own subnet only)")
    lan.add_argument("--interface", metavar="IF", help="the joined network's interface (default: the default route's)")
    lan.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    depth = lan.add_mutually_exclusive_group()
    depth.add_argument("--quick", dest="mode", action="store_const", const="quick",
                       help="at most 30 s: the common camera ports (default)")
    depth.add_argument("--thorough", dest="mode", action="store_const", const="thorough",
                       help="up to 2 minutes: longer listening, more ports, ONVIF probes to each host")
    lan.add_argument("--rate", type=float, metavar="PPS",
                     help="packets per second at most, all probes together (default lan.rate_pps: 100; "
                          "at most 100)")
    lan.add_argument("--subnet", metavar="CIDR", help="the subnet to scan: only the interface's own is "
                     "accepted (the default); any other is refused")

    sub.add_parser("config", help="print the effective configuration as YAML")
    net = sub.add_parser("netpolicy", help="print (or --install) the service's network allow-list: "
                         "the addresses the config needs, nothing else")
    net.add_argument("--install", nargs="?", const="", metavar="PATH",
                     help="write it as the systemd drop-in (default: "
                          "/etc/systemd/system/sweeper.service.d/20-network.conf)")
    join = sub.add_parser("join", help="join a Wi-Fi network with the built-in Wi-Fi (for sweeper lan); the "
                          "password is prompted, or read from --password-file, and never saved")
    join.add_argument("ssid", metavar="SSID")
    join.add_argument("--interface", metavar="IF", help="the client interface (default: lan.interface, else wlan0)")
    join.add_argument("--password-file", metavar="FILE", help="read the password from the first line of FILE")
    join.add_argument("--open", action="store_true", help="an open network: no password")
    from sweeper.venue.commands import add_parsers

    add_parsers(sub)
    _config_anywhere(p)
    return p


def _config_anywhere(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` after the subcommand too (``sweeper history --config F``), as
    people type it: every subcommand accepts it, and leaves the top-level value alone when
    it is not given there."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sp in action.choices.values():
                if "--config" not in sp._option_string_actions:
                    sp.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                                    help="YAML configuration (as before the subcommand)")
                _config_anywhere(sp)


def _one_line_warnings() -> None:
    """Library warnings (gpiozero's pin factory fallbacks, numpy's) as one line each on
    stderr, never a traceback-like block."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"sweeper: warning: {category.__name__}: {' '.join(str(message).split())}", file=sys.stderr)

    warnings.showwarning = show


def main(argv: Optional[List[str]] = None) -> int:
    _one_line_warnings()
    args = _parser().parse_args(_numbers_as_values(list(sys.argv[1:] if argv is None else argv)))
    if not args.command:
        _parser().print_help()
        return 64
    try:
        return COMMANDS[args.command](args)
    except SweeperError as exc:
        print(f"sweeper: error: {terminal_safe(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sweeper: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `sweeper history | head`
        sys.stderr.close()
        return 0


def _config(args):
    from sweeper.config import load_config

    return _with_front_end(load_config(args.config), getattr(args, "front_end", None))


def _with_front_end(cfg, front_end: Optional[str]):
    """``cfg`` with ``--front-end`` applied (InputError naming the choices)."""
    if front_end is None:
        return cfg
    import dataclasses

    from sweeper.schema import ConfigProblem

    try:  # the rf section's own rule says what a front end may be
        return dataclasses.replace(cfg, rf=dataclasses.replace(cfg.rf, front_end=front_end))
    except ConfigProblem as p:
        raise InputError(f"--front-end: {p.problem} (choices: {p.allowed})") from None


def _warn(msg: str) -> None:
    print(f"sweeper: warning: {msg}", file=sys.stderr)


def cmd_rf(args) -> int:
    cfg = _config(args)
    from sweeper.rf.sources.factory import open_simulator, open_source

    notes: List[str] = []
    if args.scene:
        source = open_simulator(args.scene)
    elif args.rtl_tcp:
        from sweeper.rf.sources.rtltcp import RtlTcpSource

        host, _, port = args.rtl_tcp.rpartition(":")
        if not host or not port.isdigit():
            raise InputError(f"--rtl-tcp wants HOST:PORT, not {args.rtl_tcp!r}")
        source = RtlTcpSource(host, int(port), timeout=cfg.rf.rtl_tcp.timeout_s)
    else:
        rf = cfg.rf
        if args.source:
            import dataclasses

            rf = dataclasses.replace(rf, source=args.source)
        source = open_source(rf)
    return _run_sweep(cfg, source, args, notes)


def _wifi_settings(cfg, args):
    """wifi config with the command line's overrides applied (and checked)."""
    import dataclasses

    from sweeper.wifi.channels import channel_to_mhz

    w = cfg.wifi
    changes = {}
    if getattr(args, "channels", None):
        try:
            chans = tuple(int(c) for c in args.channels.split(",") if c.strip())
            for c in chans:
                channel_to_mhz(c)
        except ValueError as exc:
            raise InputError(f"--channels {args.channels!r}: {exc}") from None
        if not chans:
            raise InputError("--channels: give at least one channel, e.g. 1,6,11")
        changes["channels"] = chans
    if getattr(args, "duration", None) is not None:
        if not 0 < args.duration <= 3600:
            raise InputError("--duration must be between 0 and 3600 seconds")
        changes["duration_s"] = args.duration
    if getattr(args, "interface", None):
        changes.update(interface=args.interface, source="adapter")
    if getattr(args, "source", None):
        changes["source"] = args.source
    return dataclasses.replace(w, **changes) if changes else w


def _run_wifi(cfg, source, args, warnings: List[str], show_progress: bool = True) -> dict:
    from sweeper.assembly import wifi_sweep
    from sweeper.ui.terminal import WifiProgressBar
    from sweeper.wifi.pcapio import PcapWriter

    w = _wifi_settings(cfg, args)
    quiet = not show_progress or getattr(args, "quiet", False) or cfg.output.quiet or args.json
    recorder = None
    if getattr(args, "write", None):
        try:
            recorder = PcapWriter(args.write, source.linktype, snaplen=w.snaplen)
        except OSError as exc:
            raise InputError(f"--write {args.write}: {exc.strerror or exc}") from None
    try:
        with source:
            rep = wifi_sweep(cfg, source, w, None if quiet else WifiProgressBar(sys.stderr), recorder).run()
    finally:
        if recorder is not None:
            recorder.close()
    rep["source"] = source.name
    rep["simulated"] = source.simulated
    rep["warnings"] = list(warnings)
    return rep


def cmd_wifi(args) -> int:
    cfg = _config(args)
    from sweeper.ui.terminal import print_wifi
    from sweeper.wifi.factory import open_wifi_simulator, open_wifi_source

    notes: List[str] = []
    w = _wifi_settings(cfg, args)
    if args.wired:
        from sweeper.wifi.factory import open_wired

        source = open_wired(args.wired, w.snaplen)
    elif args.scene:
        source = open_wifi_simulator(args.scene, snaplen=w.snaplen)
    else:
        source = open_wifi_source(w)
    rep = _run_wifi(cfg, source, args, notes)
    if args.json:
        print(json.dumps(rep, indent=2))
    else:
        where = ("" if args.wired else f" of {len(rep['channels_visited'])} channels")
        print_wifi(rep, sys.stdout, f"Wi-Fi sweep{where} in {rep['elapsed_s']:.1f} s from {rep['source']}")
    return 0


def cmd_run(args) -> int:
    cfg = _config(args)
    from sweeper.device import notify
    from sweeper.device.app import build_device, install_signals
    from sweeper.ui.terminal import print_findings, print_gaps, verdict_line

    if (args.clear or args.scene or args.png_dir or args.terminal) and not args.simulate:
        raise InputError("--clear, --scene, --png-dir and --terminal need --simulate")
    from sweeper.venue.recorder import Venue

    shutdown = (lambda: print("sweeper: (simulated) power off", file=sys.stderr)) if args.simulate else None
    cfg = _with_room(cfg, args.room)
    if args.quiet:
        import dataclasses

        cfg = dataclasses.replace(cfg, output=dataclasses.replace(cfg.output, quiet=True))
    hardware = None
    if args.once:  # nothing to sweep with: say so before opening the display and pins
        from sweeper.assembly import device_parts
        from sweeper.device.sweeping import Hardware

        hardware = Hardware(device_parts(cfg, args.simulate, not args.clear, args.scene))
        status = hardware.probe()
        if not hardware.sources:
            missing = "; ".join(f"{n}: {r}" for n, r in status.items() if r != "ok")
            raise HardwareError(f"nothing to sweep with ({missing})")
    if not (args.simulate or args.once):  # the service's IP allow-list must fit this config
        from sweeper.device import netpolicy

        problem = netpolicy.stale(cfg)
        if problem:
            _warn(problem)
    venue = Venue.open(cfg, simulated=args.simulate, warn=_warn)
    # `run --once` on a terminal: one updating line of progress (never with --json, like every command)
    show_progress = (args.once and not (args.json or args.terminal or cfg.output.quiet)
                     and hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    dev = build_device(cfg, simulate=args.simulate, camera=not args.clear, scene=args.scene, warn=_warn,
                       shutdown=shutdown, notify=None if args.once else notify, venue=venue,
                       png_dir=args.png_dir, screens_to=sys.stderr if args.terminal else None, hardware=hardware,
                       progress_to=sys.stderr if show_progress else None)
    install_signals(dev.daemon)
    control = None
    if not args.once:
        from sweeper.device.control import ControlServer, socket_path

        try:
            control = ControlServer(socket_path(), dev.daemon.post, _warn)
        except SweeperError as exc:
            _warn(f"{exc}; `sweeper trigger` (per-room timers) will not reach this daemon")
    try:
        if args.terminal and not args.once:  # keys press the mock buttons
            from sweeper.device.keys import run_with_keyboard

            outcome = run_with_keyboard(dev, cfg.buttons, sys.stdin, sys.stderr)
        else:
            outcome = dev.daemon.run(once=args.once)
        status_after = dev.hardware.status()
    finally:
        if control is not None:
            control.close()
        dev.close()
    if args.once and outcome is None:  # the radios went away between the two looks
        missing = "; ".join(f"{n}: {r}" for n, r in status_after.items() if r != "ok")
        raise HardwareError(f"nothing to sweep with ({missing})")
    if args.once and outcome is not None:
        if args.json:
            print(json.dumps(outcome.to_json(), indent=2))
        else:
            print_findings(outcome.findings, sys.stdout)
            missing = {n: r for n, r in outcome.hardware.items() if r != "ok"}
            for name, reason in missing.items():
                print(f"missing: {name}: {reason}")
            print(verdict_line(outcome.verdict, outcome.simulated))
            print_gaps(outcome.gaps, sys.stdout)
    return 0


def _with_room(cfg, room: Optional[str]):
    if room is None:
        return cfg
    import dataclasses

    from sweeper.device.control import check_room
    from sweeper.venue.rooms import check_sweep_room

    room = check_sweep_room(check_room(room), cfg.venue)
    return dataclasses.replace(cfg, venue=dataclasses.replace(cfg.venue, room=room))


def cmd_selftest(args) -> int:
    # loads the configuration itself: a broken file is one failed line of the report
    from sweeper.selftest import main as selftest_main

    return selftest_main(args.config, as_json=args.json)


def cmd_demo(args) -> int:
    """Both sweeps of the simulated room: RF, then Wi-Fi from the scene's ``wifi:`` section."""
    cfg = _config(args)
    from sweeper.rf.sources.factory import open_simulator
    from sweeper.wifi.factory import open_wifi_simulator

    if args.clear and not args.scene:
        from sweeper.sim.scene import clear_scene
        from sweeper.rf.sources.simulated import SimulatedSource

        source = SimulatedSource(clear_scene())
    else:
        source = open_simulator(args.scene)
    notes: List[str] = []
    wifi_rep = None
    if cfg.wifi.enabled:
        try:
            wifi_source = open_wifi_simulator(args.scene, camera=not args.clear, snaplen=cfg.wifi.snaplen)
        except InputError as exc:
            if not args.scene or "wifi: missing" not in str(exc):
                raise
            notes.append(f"{args.scene} has no wifi: section; Wi-Fi not simulated")
        else:
            wifi_rep = _run_wifi(cfg, wifi_source, args, notes, show_progress=False)
    return _run_sweep(cfg, source, args, notes, wifi_rep)


def _run_sweep(cfg, source, args, warnings: Optional[List[str]] = None, wifi_rep: Optional[dict] = None) -> int:
    from sweeper.assembly import rf_sweep, select_bands
    from sweeper.verdicts import worst
    from sweeper.ui.terminal import ProgressBar, print_sweep

    bands = select_bands(cfg, args.band)
    with source:
        quiet = args.quiet or cfg.output.quiet or args.json
        result = rf_sweep(cfg, source, bands, None if quiet else ProgressBar(sys.stderr)).run()
    if args.json:
        out = result.to_dict()
        out["source"] = source.name
        out["simulated"] = source.simulated
        out["warnings"] = list(warnings or [])
        if wifi_rep is not None:
            out["wifi"] = wifi_rep
            out["overall_verdict"] = worst(result.verdict, wifi_rep["verdict"])
        print(json.dumps(out, indent=2))
    else:
        print_sweep(result, source.name, sys.stdout, simulated=source.simulated)
        if wifi_rep is not None:
            from sweeper.ui.terminal import print_wifi

            sys.stdout.write("\n")
            print_wifi(wifi_rep, sys.stdout, f"Wi-Fi sweep of {len(wifi_rep['channels_visited'])} channels "
                       f"({wifi_rep['source']})")
            overall = worst(result.verdict, wifi_rep["verdict"])
            sys.stdout.write(f"\nOverall: {'SIMULATED ' if source.simulated else ''}{overall}\n")
    return 0


def _capture_format(path: str):
    """'pcap' or 'pcapng' when the file is (or is named as) a packet capture, else None.
    A path that is there but not a regular file (a named pipe would block, a device
    never end) is an error before anything is read."""
    import os
    import stat

    from sweeper.wifi.pcapio import sniff_format

    fmt = None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a pipe must not wait
    except OSError:
        fd = None  # missing or unreadable: the reader says so
    if fd is not None:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                kind = "a directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "a pipe or a device?"
                raise InputError(f"{path}: is not a regular file ({kind}): give the path of a "
                                 "recording or a capture")
            fmt = sniff_format(os.pread(fd, 4, 0))
        except OSError:
            fmt = None
        finally:
            os.close(fd)
    if fmt is None and path.lower().endswith((".pcap", ".pcapng", ".cap")):
        fmt = "pcapng" if path.lower().endswith(".pcapng") else "pcap"
    return fmt


def cmd_analyze(args) -> int:
    cfg = _config(args)
    if args.stimulus is not None:
        from sweeper.confirm.stimulus import load_timeline

        args.timeline = load_timeline(args.stimulus)  # a bad timeline fails before the long read
    capture = _capture_format(args.file) if args.format is None else None
    if capture:
        return _analyze_capture(args, cfg, capture)
    from sweeper.rf.analysis import MIN_SAMPLES
    from sweeper.rf.sources.recording import ABSURD, open_recording
    from sweeper.rf.timeline import analyze_windows, window_samples
    from sweeper.ui.terminal import AnalyzeProgressBar, print_analysis

    rec = open_recording(args.file, fmt=args.format, sample_rate=args.sample_rate, center_hz=args.center_freq)
    if rec.row_samples < MIN_SAMPLES:
        per = " per capture" if rec.rows > 1 else ""
        raise InputError(f"{args.file}: too short to analyse: {rec.row_samples} sample"
                         f"{'s' if rec.row_samples != 1 else ''}{per}, at least {MIN_SAMPLES}")
    for warning in rec.warnings:
        _warn(warning)
    rate = rec.sample_rate
    per_window = window_samples(rate)
    progress = None
    if (not args.json and not cfg.output.quiet and rec.n_samples > per_window
            and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        progress = AnalyzeProgressBar(sys.stderr, rec.duration_s)
    windows = ((start / rate, x) for start, x in rec.windows(per_window))
    try:
        timeline = analyze_windows(windows, rate, rec.center_hz, cfg.detection.video.camera_score,
                                   cfg.detection.video.suspect_score, progress)
    finally:
        if progress is not None:
            progress.close()
    out = {
        "file": args.file,
        "format": rec.fmt,
        "sample_rate": rate,
        "center_freq_hz": rec.center_hz,
        "captures": rec.rows,
        "samples_per_capture": rec.row_samples,
        # the file ended part-way through a sample (which was left out); the whole of
        # the rest is analysed, however long
        "truncated": rec.trimmed,
        "duration_s": round(rec.duration_s, 6),
        "windows": timeline.windows,
        **timeline.report(),
    }
    if args.stimulus is not None:
        from sweeper.confirm.recordings import confirm_iq_findings

        confirm_iq_findings(rec, out["findings"], args.timeline)
    if rec.trimmed:
        out["note_truncated"] = "; ".join(rec.warnings)
    if rec.masked:
        out["masked_samples"] = rec.masked
        share = rec.masked / max(rec.n_samples, 1)
        out["note_masked"] = (
            f"{rec.masked} sample{'s' if rec.masked != 1 else ''} "
            f"({'under 0.01%' if share < 1e-4 else f'{share:.2%}'}) not finite, beyond "
            f"{ABSURD:g} (full scale is 1.0) or a lone spike far above the samples around it were set to 0 before the analysis: the file is damaged "
            "or tampered with" + ("; so many that it may be scaled in raw ADC counts: scale it to "
                                  "full scale 1.0" if share > 0.01 else ""))
        _warn(f"{args.file}: {out['note_masked']}")
    if not rec.center_hz:
        out["note"] = "no centre frequency given: freq_hz values are offsets from the tuned centre"
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print_analysis(out, sys.stdout)
    return 0


def _analyze_capture(args, cfg, fmt: str) -> int:
    """A pcap/pcapng file: Wi-Fi (radiotap or plain 802.11) or Ethernet traffic."""
    from sweeper.ui.terminal import print_wifi
    from sweeper.wifi.analysis import analyze_capture

    rep = analyze_capture(args.file, cfg.detection.wifi.camera_score, cfg.detection.wifi.suspect_score)
    if args.stimulus is not None:
        from sweeper.confirm.recordings import confirm_capture_findings

        confirm_capture_findings(args.file, rep["findings"], args.timeline)
    out = {"file": args.file, "format": fmt, **rep}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print_wifi(out, sys.stdout, args.file)
    return 0


def cmd_sim(args) -> int:
    if args.sim_command != "rtl-tcp":
        raise InputError("sweeper sim: say which tool, e.g. `sweeper sim rtl-tcp --scene FILE --port 1234`")
    from sweeper.sim.rtltcp_server import RtlTcpServer
    from sweeper.sim.scene import default_scene, load_scene
    from sweeper.rf.sources.simulated import render_cu8

    scene = load_scene(args.scene) if args.scene else default_scene()
    if args.front_end is not None or scene.downconverter is None:
        # the device's receive path: its converter's input filter passes only its own
        # band, so a client tuning the IF hears the converted band and nothing direct
        import dataclasses

        from sweeper.config import converter_for

        cfg = _config(args)
        scene = dataclasses.replace(scene, downconverter=converter_for(cfg, cfg.rf.front_end))
    server = RtlTcpServer(render_cu8(scene), host=args.host, port=args.port,
                          realtime=not args.no_realtime)
    print(f"sweeper: serving scene {scene.name!r} over rtl_tcp on {args.host}:{server.port}",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.shutdown()
    return 0


def cmd_config(args) -> int:
    import yaml

    cfg = _config(args)
    print(f"# effective configuration (file: {cfg.source_path or 'none, built-in defaults'})")
    print(yaml.safe_dump(cfg.to_dict(), sort_keys=False), end="")
    return 0


class _TerminalPrompts:
    """The confirmation's stimulus on a terminal: prompts (and, simulated, the LED) on stderr."""

    def __init__(self, plan, out, led: bool, leds=None):
        self.plan, self.out, self.led, self.leds = plan, out, led, leds

    def set(self, state: str) -> None:
        from sweeper.confirm.live import PROMPTS

        if self.leds is not None:  # the real LED: nothing to print
            self.leds.set("led", state == "flash")
            return
        text = ("LED on" if state == "flash" else "LED off") if self.led else PROMPTS.get(state)
        if text:
            print(f"sweeper: {text}", file=self.out, flush=True)


def cmd_confirm(args) -> int:
    import numpy as np

    from sweeper import kinds
    from sweeper.assembly import device_parts
    from sweeper.confirm.live import make_plan, run_confirmation
    from sweeper.device.sweeping import CombinedSweep, Hardware
    from sweeper.findings import as_finding

    cfg = _config(args)
    if args.duration is not None and not 8 <= args.duration <= 120:
        raise InputError("--duration must be 8-120 seconds")
    if (args.mac is None) != (args.channel is None):
        raise InputError("--mac and --channel go together")
    named = None
    if args.mac is not None or args.freq is not None:  # checked before any hardware is opened
        mac = None
        if args.mac is not None:
            from sweeper.wifi.frames import mac_from_str, mac_to_str

            try:
                mac = mac_to_str(mac_from_str(args.mac))
            except ValueError:
                raise InputError(f"--mac {terminal_safe(args.mac)!r} is not a MAC address") from None
        named = kinds.target(mac=mac, channel=args.channel, freq_hz=None if args.freq is None else args.freq * 1e6)
        if named is None:
            raise InputError("no kind of finding is addressed that way (--mac with --channel, or --freq)")
    led_mode = args.mode == "led" and not args.simulate
    if led_mode and cfg.confirm.led_pin is None:
        raise InputError("--mode led needs the confirmation LED (confirm.led_pin, see hardware/README.md); "
                         "use --mode lights or wave")
    hardware = Hardware(device_parts(cfg, args.simulate))
    status = hardware.probe()
    if not hardware.sources:
        missing = "; ".join(f"{n}: {r}" for n, r in status.items() if r != "ok")
        raise HardwareError(f"nothing to listen with ({missing})")
    leds = None
    try:
        if led_mode:
            from sweeper.device.led import StimulusLeds

            leds = StimulusLeds(cfg.confirm)  # HardwareError (exit 3) naming the part when it cannot open
        if named is not None:
            targets = [named]
        else:
            result = CombinedSweep(cfg, hardware, lambda f, label: None).run()
            targets = [f for f in result.findings if str(f.verdict).upper() in ("CAMERA", "SUSPECT")]
            if not targets:
                print("sweeper: the sweep found no camera to confirm", file=sys.stderr)
        rng = np.random.default_rng(args.seed)
        out = []
        for f in targets:
            confirmer = kinds.of(f).confirmer(f, hardware.sources, cfg)
            if confirmer is None:
                out.append({"finding": f.to_json(), "watching": "unknown", "stimulus_p": None,
                            "stimulus_delay_s": None, "reasons": ["this kind of finding cannot be confirmed "
                                                                  "with what is plugged in"]})
                continue
            plan = make_plan(args.mode, rng, args.duration)
            print(f"sweeper: confirming {kinds.of(f).name(f)} for {plan.duration_s:.0f} s", file=sys.stderr)
            c = run_confirmation(confirmer, plan, _TerminalPrompts(plan, sys.stderr, args.mode == "led", leds),
                                 lambda p: None)
            out.append({"finding": f.to_json(), **c.to_json()})
    finally:
        hardware.close()
        if leds is not None:
            leds.off()
            leds.close()
    if args.json:
        print(json.dumps({"simulated": bool(args.simulate), "confirmations": out}, indent=2))
    else:
        from sweeper.watching import SCREEN_WORDS as words

        for c in out:
            name = kinds.of(as_finding(c["finding"])).name(as_finding(c["finding"]))
            sim = "SIMULATED " if args.simulate else ""
            print(f"{sim}{words[c['watching']]}: {name}")
            for r in c["reasons"]:
                print(f"  {r}")
    return 0


def cmd_lan(args) -> int:
    from sweeper.lan.scan import scan

    cfg = _config(args)
    rate = cfg.lan.rate_pps if args.rate is None else args.rate
    if not 1 <= rate <= 100:
        raise InputError("--rate must be between 1 and 100 packets per second")
    rep = scan(args.interface or cfg.lan.interface, args.mode or cfg.lan.mode, rate, args.subnet).to_json()
    if args.json:
        print(json.dumps(rep, indent=2))
    else:
        from sweeper.ui.terminal import print_lan

        print_lan(rep, sys.stdout)
    return 0


def cmd_netpolicy(args) -> int:
    from sweeper.device import netpolicy

    cfg = _config(args)
    text = netpolicy.render(netpolicy.policy(cfg), cfg.source_path)
    if args.install is None:
        print(text, end="")
        return 0
    from pathlib import Path

    path = Path(args.install) if args.install else netpolicy.DROPIN
    try:
        netpolicy.install(text, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror} (run it with sudo)") from None
    print(f"wrote {path}; now: systemctl daemon-reload && systemctl restart sweeper")
    return 0


def cmd_join(args) -> int:
    from sweeper.lan import join

    cfg = _config(args)
    if args.open:
        password = None
    elif args.password_file:
        password = join.read_password_file(args.password_file)
    else:
        import getpass

        if not sys.stdin.isatty():
            raise InputError("no terminal to ask for the password on: give --password-file FILE or --open")
        password = getpass.getpass(f"password for {terminal_safe(args.ssid)}: ")
    interface = args.interface or cfg.lan.interface or "wlan0"
    monitor = None if cfg.wifi.interface == "auto" else cfg.wifi.interface
    done = join.join(args.ssid, password, interface, monitor)
    print(f"joined {terminal_safe(done.ssid)} on {done.interface} through {done.backend}: {done.address}")
    return 0


def _venue_command(name: str):
    def run(args) -> int:
        from sweeper.venue import commands

        return getattr(commands, f"cmd_{name}")(args, _config(args))
    return run


COMMANDS = {"history": _venue_command("history"), "report": _venue_command("report"),
            "baseline": _venue_command("baseline"), "trigger": _venue_command("trigger"),
            "rf": cmd_rf, "wifi": cmd_wifi, "run": cmd_run, "selftest": cmd_selftest, "demo": cmd_demo, "analyze": cmd_analyze, "sim": cmd_sim, "config": cmd_config,
            "netpolicy": cmd_netpolicy, "confirm": cmd_confirm, "lan": cmd_lan, "join": cmd_join}
