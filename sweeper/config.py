"""Configuration: one YAML file merged over built-in defaults and checked against a schema.

The schema *is* the frozen dataclasses below (the sections); :mod:`sweeper.schema` is the
engine that reads YAML against them, keeping line numbers, so a typo is reported as
``FILE:LINE: key.path: problem``. A new section (wifi, display, buzzer, ...) is a new
dataclass plus one field on :class:`Config`: no new parsing code. The example file is generated from the same
help text (``python -m sweeper.config --example``) and a test keeps the two in step.

Rules that involve several settings live in a section's ``__post_init__`` and raise
:class:`ConfigProblem`; the loader adds the file and line.

Why one module of over 400 lines: it is the schema: each section is a short dataclass,
and they read best together.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import List, Mapping, Optional, Tuple, Union

from yaml.nodes import MappingNode, ScalarNode

from sweeper.errors import ConfigError
from sweeper.rf.bands import BUILTIN_BANDS, MHZ, Band, Downconverter
from sweeper.schema import (_NULL, ConfigProblem, _closest, _emit_section, _line, _num, _Reader, _Section, _show,
                            section, setting)
from sweeper.yamlfile import compose, read_text

#: Read by :func:`load_config` when no path is given (tests point it elsewhere).
SYSTEM_CONFIG_PATH = "/etc/sweeper/config.yaml"
#: The documented example, generated from the schema by :func:`example_yaml`.
EXAMPLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                            "config.example.yaml")


@dataclass(frozen=True)
class RtlSdrConfig(_Section):
    """A local RTL-SDR dongle."""

    device_index: int = setting(0, "Which dongle when several are plugged in (0 = first).",
                                ranges=[(0, None)])
    serial: Optional[str] = setting(None, "Pick the dongle by its serial number instead of its "
                                    "index (see rtl_test); null = use device_index.")
    ppm: int = setting(0, "Crystal frequency correction in parts per million.",
                       ranges=[(-200, 200)])
    bias_tee: bool = setting(False, "Power an LNA or downconverter over the antenna cable "
                             "(RTL-SDR Blog V3/V4 only).")


@dataclass(frozen=True)
class RtlTcpConfig(_Section):
    """A dongle shared over the network by rtl_tcp."""

    host: str = setting("127.0.0.1", "Host running rtl_tcp.")
    port: int = setting(1234, "rtl_tcp's TCP port.", ranges=[(1, 65535)])
    timeout_s: float = setting(5.0, "Seconds to wait for the server before giving up.", above=0)


@dataclass(frozen=True)
class SimulatorConfig(_Section):
    """The built-in RF scene simulator: a sweep with no radio attached."""

    scene: Optional[str] = setting(None, "Scene file to simulate, relative to this file's folder; "
                                   "null = the built-in room with a hidden camera.", path=True)
    realtime: bool = setting(False, "Pace samples like a real dongle instead of as fast as "
                             "possible.")


@dataclass(frozen=True)
class DownconverterConfig(_Section):
    """A mixer in front of the dongle that shifts a band into its tuning range."""

    lo_mhz: float = setting(help="Local oscillator frequency in MHz (required).", above=0)
    injection: str = setting("low", "low: LO below the band (IF = RF - LO); high: LO above "
                             "(IF = LO - RF, spectrum mirrored).", choices=["low", "high"])


@dataclass(frozen=True)
class CustomBandConfig(_Section):
    """A band not in the built-in list."""

    name: str = setting(help="Name shown in reports (required).")
    start_mhz: float = setting(help="Lower edge in MHz (required).", above=0)
    stop_mhz: float = setting(help="Upper edge in MHz (required).", above=0)
    downconverter: Optional[str] = setting(None, "Name of an entry in rf.downconverters, or null "
                                           "when the dongle tunes the band directly.")


def _builtin_band_help() -> str:
    parts = []
    for name, (lo, hi, needs) in BUILTIN_BANDS.items():
        note = ", needs a downconverter" if needs else ""
        parts.append(f"{name} ({lo / MHZ:g}-{hi / MHZ:g} MHz{note})")
    return ", ".join(parts)


@dataclass(frozen=True)
class ReceiverConfig(_Section):
    """One dongle of a device with two (or more): which one, and what is on its input."""

    serial: str = setting(help="The dongle's serial number, as rtl_test lists it (set one with "
                          "rtl_eeprom -s, each dongle its own) (required).")
    front_end: str = setting("direct", "What is on its antenna input: direct (an antenna) or the "
                             "name of the rf.downconverters entry in line.")


@dataclass(frozen=True)
class RfSwitchConfig(_Section):
    """An SPDT RF switch before one dongle: the converter's output or a bypass antenna."""

    pin: Optional[int] = setting(None, "GPIO (BCM) pin driving the switch's control input; null = "
                                 "no switch.", ranges=[(2, 27)], example="pin: 5")
    low: str = setting("direct", "The path the switch selects with the pin low (its rest "
                       "position, also while the Pi boots): direct or an rf.downconverters name.")
    high: str = setting("2.4GHz", "The path it selects with the pin high.")
    settle_s: float = setting(0.01, "Seconds to wait after switching before the first hop.",
                              ranges=[(0, 1)])


@dataclass(frozen=True)
class RfConfig(_Section):
    """The RF sweep with an RTL-SDR."""

    enabled: bool = setting(True, "Sweep RF for analog video transmitters.")
    source: str = setting("auto", "Where samples come from. auto or rtlsdr: the local dongle "
                          "(without it the sweep stops and says so); rtl_tcp: a dongle served over "
                          "the network; simulator: the simulated room, and every result says "
                          "SIMULATED.",
                          choices=["auto", "rtlsdr", "rtl_tcp", "simulator"])
    rtlsdr: RtlSdrConfig = section(RtlSdrConfig, "Local dongle (source: rtlsdr or auto).")
    rtl_tcp: RtlTcpConfig = section(RtlTcpConfig, "Network dongle (source: rtl_tcp).")
    simulator: SimulatorConfig = section(SimulatorConfig, "Simulator (source: simulator).")
    sample_rate: float = setting(2.4e6, "Samples per second, in a range librtlsdr accepts. Above "
                                 "2560000 a Raspberry Pi's USB may drop samples.",
                                 ranges=[(225001, 300000), (900001, 3200000)])
    gain_db: Union[str, float] = setting("auto", "Tuner gain in dB, or auto for automatic gain.",
                                         choices=["auto"], ranges=[(0, 50)])
    dwell_s: float = setting(0.05, "Seconds of samples analysed per hop.", ranges=[(0.005, 5)])
    settle_s: float = setting(0.005, "Seconds discarded after each retune while the tuner "
                              "settles.", ranges=[(0, 1)])
    settle_samples: int = setting(2048, "Samples also discarded after each retune, like "
                                  "rtl_power.", ranges=[(0, None)])
    crop: float = setting(0.25, "Fraction of each hop's width thrown away at its edges, where "
                          "the dongle's filter rolls off.", ranges=[(0, 0.8)])
    bands: Tuple[Union[str, CustomBandConfig], ...] = setting(
        ("900MHz", "1.2GHz", "2.4GHz"),
        f"Bands to sweep, in order. Built-in: {_builtin_band_help()}. A built-in band that "
        "needs a downconverter uses the rf.downconverters entry with its own name. A list here "
        "replaces the default list.",
        choices=list(BUILTIN_BANDS),
        example="bands: [900MHz, {name: drone, start_mhz: 1080, stop_mhz: 1360}]")
    downconverters: Mapping[str, DownconverterConfig] = setting(
        help="Downconverters in front of the dongle, by name. Entries merge with these "
        "defaults; set one to null to remove it. The default 2.4GHz converter puts 2350-2530 "
        "MHz at an IF of 350-530 MHz.",
        factory=lambda: MappingProxyType({
            "2.4GHz": DownconverterConfig(2000.0, "low"),
            "5.8GHz": DownconverterConfig(5000.0, "low"),
        }))

    front_end: str = setting(
        "2.4GHz", "What is on the dongle's antenna input: direct (an antenna on the dongle: the "
        "bands without a downconverter are heard) or the name of the rf.downconverters entry in "
        "line (only the bands through it are heard). A converter's input filter passes little but "
        "its own band, so the other bands are reported as not covered and a sweep without a "
        "finding is INCOMPLETE, not CLEAR. --front-end changes it for one command.",
        example="front_end: direct")
    receivers: Tuple[ReceiverConfig, ...] = setting(
        (), "Two receive paths on two dongles, so one sweep hears every band: each dongle by "
        "its serial and what is on its input. Empty: one dongle, rf.front_end (or rf.switch).",
        example="receivers: [{serial: \"00000001\", front_end: direct}, "
        "{serial: \"00000002\", front_end: 2.4GHz}]")
    switch: RfSwitchConfig = section(RfSwitchConfig, "Two receive paths on one dongle: an RF "
                                     "switch picks the converter or the bypass (set its pin).")

    def __post_init__(self):
        _resolve_bands(self)
        paths = ["direct", *self.downconverters]
        checks = [(("front_end",), self.front_end)]
        checks += [((f"receivers[{i}].front_end", "receivers"), r.front_end) for i, r in enumerate(self.receivers)]
        if self.switch.pin is not None:
            checks += [(("switch.low", "switch"), self.switch.low), (("switch.high", "switch"), self.switch.high)]
        for keys, front_end in checks:
            if front_end not in paths:
                raise ConfigProblem(keys, f"{keys[0].split('.')[-1].split('[')[0]} {front_end!r} is neither "
                                    "direct nor a downconverter", ", ".join(paths), _closest(front_end, paths))
        if self.receivers and self.switch.pin is not None:
            raise ConfigProblem(("switch.pin", "receivers"), "configure two dongles (rf.receivers) or an "
                                "RF switch (rf.switch.pin), not both")
        if self.receivers and self.source == "rtl_tcp":
            raise ConfigProblem(("receivers", "source"), "rf.receivers names local dongles by serial; "
                                "rtl_tcp serves one dongle: set rf.source: auto")
        for attr, what in (("serial", "serial"), ("front_end", "front end")):
            values = [getattr(r, attr) for r in self.receivers]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ConfigProblem(("receivers",), f"two receivers have the {what} {twice[0]!r}: give each "
                                    f"dongle its own")
        if self.switch.pin is not None and self.switch.low == self.switch.high:
            raise ConfigProblem(("switch.high", "switch"), f"the switch's two positions are both "
                                f"{self.switch.low}: one is the converter, the other the bypass")

    @property
    def tuner_gain_db(self) -> Optional[float]:
        """``gain_db`` as :meth:`IQSource.tune` takes it: None means automatic gain."""
        return None if self.gain_db == "auto" else float(self.gain_db)


@dataclass(frozen=True)
class WifiSimulatorConfig(_Section):
    """The built-in Wi-Fi traffic simulator: a sweep with no adapter attached."""

    scene: Optional[str] = setting(None, "Scene file whose wifi: section is simulated, relative "
                                   "to this file's folder; null = the built-in room.", path=True)
    realtime: bool = setting(False, "Pace frames like a real capture instead of as fast as "
                             "possible.")


#: 2.4 GHz channels 1-13 and the 5 GHz channels most access points and cameras use
DEFAULT_WIFI_CHANNELS = (1, 6, 11, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 36, 40, 44, 48, 149, 153,
                         157, 161, 165)


@dataclass(frozen=True)
class WifiConfig(_Section):
    """Wi-Fi sniffing in monitor mode for cameras uploading video."""

    enabled: bool = setting(True, "Sniff Wi-Fi for camera uploads.")
    source: str = setting("auto", "Where frames come from. auto or adapter: a monitor-capable USB "
                          "adapter (without it the sweep stops and says so). wired: the "
                          "Ethernet port named by interface, cabled to a switch's mirror (SPAN) "
                          "port: no monitor mode, no channel hopping. simulator: the simulated "
                          "room, and every result says SIMULATED.",
                          choices=["auto", "adapter", "wired", "simulator"])
    interface: str = setting("auto", "Wireless interface to put in monitor mode, e.g. wlan1; "
                             "auto = the first adapter whose driver supports monitor mode. "
                             "With source: wired, the Ethernet port, e.g. eth0.")
    channels: Tuple[int, ...] = setting(
        DEFAULT_WIFI_CHANNELS, "Channels to hop over, in order (1-14, 36-177).",
        example="channels: [1, 6, 11, 36, 40, 44, 48]")
    dwell_s: float = setting(0.25, "Seconds on each channel when nothing interesting is heard.",
                             ranges=[(0.05, 10)])
    linger_s: float = setting(3.0, "Seconds a channel is kept while a transmitter on it uploads "
                              "steadily, long enough for a verdict.", ranges=[(0.1, 60)])
    duration_s: float = setting(40.0, "Length of one Wi-Fi sweep in seconds.", ranges=[(1, 3600)])
    snaplen: int = setting(256, "Bytes of each frame copied from the kernel, enough for its "
                           "headers; payloads are never stored (--write saves headers only).",
                           ranges=[(64, 65535)])
    simulator: WifiSimulatorConfig = section(WifiSimulatorConfig, "Simulator (source: simulator).")

    def __post_init__(self):
        from sweeper.wifi.channels import channel_to_mhz
        for ch in self.channels:
            try:
                channel_to_mhz(ch)
            except ValueError as exc:
                raise ConfigProblem(("channels",), str(exc)) from None
        if not self.channels:
            raise ConfigProblem(("channels",), "at least one channel is needed")


@dataclass(frozen=True)
class DisplayConfig(_Section):
    """The OLED panel (luma.oled), on I2C."""

    enabled: bool = setting(True, "Use a display when one is connected.")
    driver: str = setting("ssd1306", "Panel controller.",
                          choices=["ssd1306", "sh1106", "ssd1309", "ssd1305", "sh1107"])
    i2c_port: int = setting(1, "I2C bus number (/dev/i2c-N).", ranges=[(0, 20)])
    i2c_address: int = setting(0x3C, "I2C address of the panel (0x3C or 0x3D).",
                               ranges=[(0x03, 0x77)], example="i2c_address: 0x3C")
    rotate: int = setting(0, "Rotation in quarter turns (0-3), to match how it is mounted.",
                          ranges=[(0, 3)])
    width: int = setting(128, "Panel width in pixels.", ranges=[(64, 256)])
    height: int = setting(64, "Panel height in pixels.", ranges=[(32, 128)])
    sleep_after_s: float = setting(300.0, "Blank the panel after this many idle seconds (ready or "
                                   "showing a result); any button wakes it without acting. 0 = never. "
                                   "In quiet mode it also stays blank after each verdict.",
                                   ranges=[(0, 86400)])


@dataclass(frozen=True)
class BatteryConfig(_Section):
    """An optional LiPo fuel gauge on the display's I2C bus (hardware/README.md)."""

    enabled: bool = setting(False, "Read the battery level from a fuel gauge (a LiPo build; a USB "
                            "power bank has no gauge to read).")
    kind: str = setting("max17048", "The gauge chip: max17048 (Adafruit 5580, SparkFun Qwiic "
                        "MAX17048: also says whether it is charging) or max17043 (SparkFun LiPo Fuel "
                        "Gauge).", choices=["max17048", "max17043"])
    i2c_port: int = setting(1, "I2C bus number (/dev/i2c-N); the display's bus 1 is shared.",
                            ranges=[(0, 20)])
    i2c_address: int = setting(0x36, "I2C address of the gauge (both chips: 0x36).",
                               ranges=[(0x03, 0x77)], example="i2c_address: 0x36")
    low_percent: float = setting(15.0, "At or below this charge (and not charging) the battery "
                                 "counts as low.", ranges=[(1, 50)])


@dataclass(frozen=True)
class BuzzerConfig(_Section):
    """Sounds, and an optional vibration motor for quiet mode (gpiozero, BCM pin numbers)."""

    enabled: bool = setting(True, "Use the buzzer.")
    pin: int = setting(18, "GPIO (BCM) pin of the buzzer.", ranges=[(2, 27)])
    kind: str = setting("passive", "active: sounds by itself when powered (one pitch); "
                        "passive: a piezo driven with tones.", choices=["active", "passive"])
    vibration_pin: Optional[int] = setting(None, "GPIO (BCM) pin of a vibration motor (through a "
                                           "transistor), used in quiet mode; null = none.",
                                           ranges=[(2, 27)])


@dataclass(frozen=True)
class ButtonsConfig(_Section):
    """Two push buttons to ground (gpiozero, BCM pin numbers, internal pull-ups)."""

    enabled: bool = setting(True, "Use the buttons.")
    select_pin: int = setting(17, "Select: press to start or stop a sweep; hold for locate mode (the "
                              "signal meter from the ready screen); hold longer to power off (asks "
                              "first). SELECT+NEXT together toggles quiet mode.", ranges=[(2, 27)])
    next_pin: int = setting(27, "Next: press for the next finding; hold to confirm whether the "
                           "finding shown is watching this room.", ranges=[(2, 27)])
    long_press_s: float = setting(1.0, "Hold this long for locate mode (SELECT) or a confirmation (NEXT).",
                                  ranges=[(0.3, 5)])
    shutdown_press_s: float = setting(4.0, "Hold SELECT this long to be asked whether to power off "
                                      "(NEXT powers off; SELECT or waiting cancels).", ranges=[(1, 20)])

    def __post_init__(self):
        if self.select_pin == self.next_pin:
            raise ConfigProblem(("next_pin", "select_pin"), "the two buttons need different pins")
        if self.shutdown_press_s <= self.long_press_s:
            raise ConfigProblem(("shutdown_press_s", "long_press_s"),
                                "shutdown_press_s must be longer than long_press_s")


@dataclass(frozen=True)
class ConfirmConfig(_Section):
    """Is it watching this room: the stimulus a confirmation uses, and its optional LEDs
    (gpiozero, BCM pin numbers, each through a logic-level MOSFET: hardware/README.md)."""

    mode: str = setting("auto", "The stimulus. led: flash the white LED in a pseudo-random on/off "
                        "sequence; ir_led: flash the IR LED (cameras in night mode); lights: prompt "
                        "the user to switch the room's light off and on; wave: prompt the user to wave "
                        "at the walls; auto: led when confirm.led_pin is set, else ir_led when "
                        "confirm.ir_led_pin is set, else lights.",
                        choices=["auto", "led", "ir_led", "lights", "wave"])
    duration_s: Optional[float] = setting(None, "Seconds one confirmation listens to the camera while "
                                          "the stimulus runs; null = the stimulus's own (15 for an LED, "
                                          "which flips every 0.3-1 s; 30 for lights and waving, which "
                                          "a person changes every 1.5-3 s).", ranges=[(10, 30)])
    led_pin: Optional[int] = setting(None, "GPIO (BCM) pin of a bright white LED through a MOSFET; "
                                     "null = not fitted.", ranges=[(2, 27)])
    ir_led_pin: Optional[int] = setting(None, "GPIO (BCM) pin of an infrared (850 nm) LED through a "
                                        "MOSFET; null = not fitted.", ranges=[(2, 27)])

    def __post_init__(self):
        if self.led_pin is not None and self.led_pin == self.ir_led_pin:
            raise ConfigProblem(("ir_led_pin", "led_pin"), "the white and the IR LED need different pins")
        if self.mode == "led" and self.led_pin is None:
            raise ConfigProblem(("mode", "led_pin"), "mode led needs confirm.led_pin (the white LED's pin)")
        if self.mode == "ir_led" and self.ir_led_pin is None:
            raise ConfigProblem(("mode", "ir_led_pin"), "mode ir_led needs confirm.ir_led_pin (the IR LED's pin)")

    def stimulus(self) -> str:
        """The mode ``auto`` stands for with the LEDs this config has."""
        if self.mode != "auto":
            return self.mode
        return "led" if self.led_pin is not None else "ir_led" if self.ir_led_pin is not None else "lights"


@dataclass(frozen=True)
class LanConfig(_Section):
    """Cameras on the network the device has joined (``sweeper lan``): only the subnet of
    an interface it is joined to, with read-only requests, rate-limited (README, "Cameras
    on the network you are on")."""

    enabled: bool = setting(False, "Include a LAN scan in each sweep when a network is joined.")
    interface: Optional[str] = setting(None, "The interface to scan from (e.g. wlan0, eth0); null = "
                                       "the one with the default route. Never the monitor-mode adapter.")
    mode: str = setting("quick", "quick: at most 30 s; thorough: at most 120 s, more ports and longer "
                        "listening for announcements.", choices=["quick", "thorough"])
    rate_pps: int = setting(100, "Packets per second the scan may send, at most.", ranges=[(5, 100)])


@dataclass(frozen=True)
class Thresholds(_Section):
    """A detector's verdict thresholds on its score (0-1)."""

    camera_score: float = setting(0.8, "Score at or above which the verdict is camera.", ranges=[(0, 1)])
    suspect_score: float = setting(0.5, "Score at or above which it is suspect (below: no finding); "
                                   "at most camera_score.", ranges=[(0, 1)])

    def __post_init__(self):
        if self.suspect_score > self.camera_score:
            raise ConfigProblem(
                ("suspect_score", "camera_score"),
                f"suspect_score ({_num(self.suspect_score)}) is above camera_score "
                f"({_num(self.camera_score)}); make it lower or equal")


@dataclass(frozen=True)
class DetectionConfig(_Section):
    """Verdict thresholds, per detector."""

    video: Thresholds = section(Thresholds, "The analog-video score of an RF emitter (rf/video.py).")
    wifi: Thresholds = section(Thresholds, "The Wi-Fi traffic score of a transmitter (wifi/classify.py).")


@dataclass(frozen=True)
class OutputConfig(_Section):
    """What the command prints."""

    quiet: bool = setting(False, "Quiet mode: print only verdicts, no progress; on the device no "
                          "sound (the vibration motor plays the patterns), a dimmed panel, blank "
                          "after each verdict until a button is pressed. SELECT+NEXT together "
                          "toggles it on the device; `sweeper run --quiet` starts in it.")
    log_level: str = setting("info", "Least severe log messages shown.",
                             choices=["debug", "info", "warning", "error"])


@dataclass(frozen=True)
class VenueConfig(_Section):
    """Where this device sweeps, for history, baselines and fleet reports."""

    room: str = setting("", "Room or location label of sweeps started with the button or the "
                        "hourly timer; per-room timers (sweeper-sweep@ROOM.timer) give their own.",
                        example='room: "Room 101"')
    rooms: Tuple[str, ...] = setting((), "Room labels a handheld chooses from: NEXT on the ready screen "
                                     "steps through venue.room and these.",
                                     example='rooms: ["Room 101", "Room 102", "2F east restroom"]')
    device_id: Optional[str] = setting(None, "This device's id in history and MQTT (letters, digits, "
                                       "- and _); null = device_name plus a short hash of the "
                                       "machine id.")
    name: Optional[str] = setting(None, "The venue's name: the title of `sweeper report`; null = "
                                  "\"Sweeper report\" and the room or device.", example='name: "Hotel Aurora"')
    timezone: Optional[str] = setting(None, "Time zone of the times in reports (an IANA name); null = "
                                      "the system's local zone.", example='timezone: "Europe/Berlin"')

    def __post_init__(self):
        for i, label in enumerate((self.room, *self.rooms)):
            if len(label) > 64 or not label.isprintable():
                raise ConfigProblem(("room",) if i == 0 else ("rooms",),
                                    f"{label[:70]!r}: a room label is printable text of at most 64 characters")
        if self.device_id is not None and not _is_slug(self.device_id):
            raise ConfigProblem(("device_id",), f"{self.device_id!r} may only use letters, digits, - and _",
                                suggestion=_slug(self.device_id))
        if self.name is not None and (len(self.name) > 100 or not self.name.isprintable()):
            raise ConfigProblem(("name",), f"{self.name[:110]!r}: the venue's name is printable text of at "
                                "most 100 characters")
        if self.timezone is not None:
            _check_timezone(self.timezone)


@dataclass(frozen=True)
class HistoryConfig(_Section):
    """The local sweep history (SQLite; a power cut never loses a sweep already recorded)."""

    enabled: bool = setting(True, "Record every sweep of `sweeper run`.")
    path: Optional[str] = setting(None, "History database; null = $STATE_DIRECTORY/history.db (the "
                                  "service), else /var/lib/sweeper/history.db when that folder is "
                                  "usable, else ~/.local/state/sweeper/history.db.", path=True)
    keep_days: float = setting(365.0, "Sweeps older than this many days are deleted.", ranges=[(1, 36500)])
    max_sweeps: int = setting(20000, "At most this many sweeps are kept (oldest go first).",
                              ranges=[(10, 10_000_000)])
    max_mb: float = setting(100.0, "The database is kept below this size in MB (oldest sweeps go "
                            "first).", ranges=[(1, 100_000)])


@dataclass(frozen=True)
class BaselineConfig(_Section):
    """When a friendly (baselined) emitter counts as changed, and is reported again."""

    rf_power_change_db: float = setting(10.0, "An RF emitter changed if its level over the noise "
                                        "floor moved this many dB from the baseline.",
                                        ranges=[(1, 60)])
    wifi_power_change_db: float = setting(15.0, "A Wi-Fi device changed if its signal moved this many "
                                          "dB (a handheld moves, so keep it wide).", ranges=[(1, 60)])
    uplink_change_factor: float = setting(8.0, "A Wi-Fi device changed if it uploads this many times "
                                          "more than when baselined (and at least 256 kbit/s).",
                                          ranges=[(1.5, 1000)])


@dataclass(frozen=True)
class PrivacyConfig(_Section):
    """What stored and published records may identify."""

    hash_macs: bool = setting(False, "Replace MAC addresses in history, reports and MQTT by a keyed "
                              "hash (anon:...): the same device matches across sweeps, but the "
                              "address is not stored. Re-record baselines after changing this.")
    salt: Optional[str] = setting(None, "The venue's secret for hash_macs: the same on every device of "
                                  "a venue (so fleet reports agree), different between venues. At "
                                  "least 16 characters.")

    def __post_init__(self):
        if self.hash_macs and not self.salt:
            raise ConfigProblem(("salt", "hash_macs"), "hash_macs needs a salt: a secret of at least 16 "
                                "characters, the same on every device of the venue (e.g. from "
                                "`openssl rand -hex 16`)")
        if self.salt is not None and len(self.salt) < 16:
            raise ConfigProblem(("salt",), f"the salt is {len(self.salt)} characters; use at least 16")


@dataclass(frozen=True)
class MqttConfig(_Section):
    """Fleet reporting to an MQTT broker, with Home Assistant discovery."""

    enabled: bool = setting(False, "Publish sweep results and device status.")
    host: str = setting("localhost", "Broker host name or address.")
    port: int = setting(1883, "Broker port (usually 1883, or 8883 with TLS).", ranges=[(1, 65535)])
    username: Optional[str] = setting(None, "User name, when the broker wants a login.")
    password: Optional[str] = setting(None, "Password for username (keep this file readable by root "
                                      "and the sweeper group only).")
    client_id: Optional[str] = setting(None, "MQTT client id; null = sweeper-DEVICE_ID.")
    keepalive_s: int = setting(60, "Seconds between keep-alives; the broker announces the device "
                               "offline after 1.5 times this without one.", ranges=[(5, 3600)])
    qos: int = setting(1, "Quality of service of sweep results (1: at least once).", ranges=[(0, 2)])
    base_topic: str = setting("sweeper", "Topics are BASE/DEVICE_ID/{availability,state,sweep}.")
    discovery: bool = setting(True, "Announce the device's sensors to Home Assistant.")
    discovery_prefix: str = setting("homeassistant", "Home Assistant's discovery prefix.")
    tls: bool = setting(False, "Connect with TLS.")
    ca_file: Optional[str] = setting(None, "CA certificate(s) to trust (PEM); null = the system's.",
                                     path=True)
    cert_file: Optional[str] = setting(None, "Client certificate (PEM), for brokers that want one.",
                                       path=True)
    key_file: Optional[str] = setting(None, "The client certificate's key (PEM).", path=True)
    tls_insecure: bool = setting(False, "Skip the check that the broker's certificate names host "
                                 "(only for testing).")
    outbox_max: int = setting(5000, "Results kept while the broker is unreachable; the oldest are "
                              "dropped beyond this.", ranges=[(10, 1_000_000)])

    def __post_init__(self):
        for key in ("base_topic", "discovery_prefix"):
            value = getattr(self, key)
            if not value or any(c in value for c in "+#\0") or value.startswith("/") or value.endswith("/"):
                raise ConfigProblem((key,), f"{value!r} is not a usable topic prefix (no +, #, and no "
                                    "leading or trailing /)")
        if (self.cert_file is None) != (self.key_file is None):
            raise ConfigProblem(("key_file" if self.key_file is None else "cert_file", "cert_file"),
                                "a client certificate needs both cert_file and key_file")
        if self.password is not None and self.username is None:
            raise ConfigProblem(("username", "password"), "a password needs a username")


def _check_timezone(name: str) -> None:
    """``venue.timezone`` must be a zone the system's time zone database has."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
        return
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    zones = zoneinfo.available_timezones()
    if not zones:
        raise ConfigProblem(("timezone",), f"{name!r}: this system has no time zone database "
                            "(install the tzdata package)")
    raise ConfigProblem(("timezone",), f"{name!r} is not a time zone (an IANA name such as Europe/Berlin)",
                        suggestion=_closest(name, zones))


def _is_slug(text: str) -> bool:
    return bool(text) and len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_") for c in text)


def _slug(text: str) -> str:
    out = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in text).strip("-")
    return out[:64] or "sweeper"


@dataclass(frozen=True)
class Config(_Section):
    """The whole configuration; ``source_path`` is the file it came from (None: defaults)."""

    device_name: str = setting("sweeper", "Name shown in reports and logs.")
    rf: RfConfig = section(RfConfig, "RF sweep for analog video transmitters, with an RTL-SDR.")
    wifi: WifiConfig = section(WifiConfig, "Wi-Fi sniffing for cameras that upload video.")
    display: DisplayConfig = section(DisplayConfig, "The OLED display.")
    buzzer: BuzzerConfig = section(BuzzerConfig, "The buzzer and vibration motor.")
    battery: BatteryConfig = section(BatteryConfig, "The battery level (an optional fuel gauge).")
    buttons: ButtonsConfig = section(ButtonsConfig, "The buttons.")
    confirm: ConfirmConfig = section(ConfirmConfig, "Is it watching this room: confirming a camera "
                                     "with a stimulus it can see.")
    lan: LanConfig = section(LanConfig, "Cameras on the network the device has joined.")
    detection: DetectionConfig = section(DetectionConfig, "When an emitter counts as a camera.")
    output: OutputConfig = section(OutputConfig, "Messages and logging.")
    venue: VenueConfig = section(VenueConfig, "This device's room and id.")
    history: HistoryConfig = section(HistoryConfig, "The local sweep history.")
    baseline: BaselineConfig = section(BaselineConfig, "Baselines: a room's friendly emitters.")
    privacy: PrivacyConfig = section(PrivacyConfig, "Privacy of stored and published records.")
    mqtt: MqttConfig = section(MqttConfig, "Fleet reporting over MQTT.")
    source_path: Optional[str] = field(default=None, compare=False, metadata={"internal": True})

    def __post_init__(self):
        b, d = self.battery, self.display
        if b.enabled and d.enabled and (b.i2c_port, b.i2c_address) == (d.i2c_port, d.i2c_address):
            raise ConfigProblem(("battery.i2c_address", "battery"), f"0x{b.i2c_address:02X} is the display's "
                                f"address on bus {d.i2c_port}; the fuel gauge answers at 0x36")
        # GPIO pins of the parts that have one: an LED on a button's pin would never light
        if self.rf.enabled and self.rf.switch.pin is not None:
            _check_free_pin(self, self.rf.switch.pin, ("rf.switch.pin", "rf.switch", "rf"))
        used = {"buzzer.pin": self.buzzer.pin if self.buzzer.enabled else None,
                "buzzer.vibration_pin": self.buzzer.vibration_pin,
                "buttons.select_pin": self.buttons.select_pin if self.buttons.enabled else None,
                "buttons.next_pin": self.buttons.next_pin if self.buttons.enabled else None}
        for key in ("led_pin", "ir_led_pin"):
            pin = getattr(self.confirm, key)
            if pin is None:
                continue
            if pin in (2, 3) and (self.display.enabled or self.battery.enabled):
                owner = "display" if self.display.enabled else "battery gauge"
                raise ConfigProblem((f"confirm.{key}", "confirm"), f"GPIO{pin} is the {owner}'s I2C bus; "
                                    "pick a free pin (GPIO23 or GPIO25 suggested)")
            for other, other_pin in used.items():
                if other_pin == pin:
                    raise ConfigProblem((f"confirm.{key}", "confirm"), f"GPIO{pin} is already {other}; "
                                        "pick a free pin (GPIO23 or GPIO25 suggested)")


def _check_free_pin(cfg: Config, pin: int, keys) -> None:
    """ConfigProblem when ``pin`` is already another part's (or the display's I2C bus)."""
    if pin in (2, 3) and cfg.display.enabled:
        raise ConfigProblem(keys, f"GPIO{pin} is the display's I2C bus; pick a free pin (GPIO5 suggested)")
    used = {"buzzer.pin": cfg.buzzer.pin if cfg.buzzer.enabled else None,
            "buzzer.vibration_pin": cfg.buzzer.vibration_pin,
            "buttons.select_pin": cfg.buttons.select_pin if cfg.buttons.enabled else None,
            "buttons.next_pin": cfg.buttons.next_pin if cfg.buttons.enabled else None,
            "confirm.led_pin": cfg.confirm.led_pin, "confirm.ir_led_pin": cfg.confirm.ir_led_pin}
    for other, other_pin in used.items():
        if other_pin == pin:
            raise ConfigProblem(keys, f"GPIO{pin} is already {other}; pick a free pin (GPIO5 suggested)")


def default_config() -> Config:
    """The built-in defaults, used for every key a file leaves out."""
    return Config()


def converter_for(cfg: Config, front_end: str) -> Optional[Downconverter]:
    """The downconverter a receive path puts in line (None for direct)."""
    if front_end == "direct":
        return None
    c = cfg.rf.downconverters[front_end]
    return Downconverter(c.lo_mhz * MHZ, c.injection)


def config_bands(cfg: Config) -> List[Band]:
    """``cfg.rf.bands`` as :class:`Band` objects with their downconverters."""
    return _resolve_bands(cfg.rf)


def _resolve_bands(rf: RfConfig) -> List[Band]:
    bands: List[Band] = []
    seen = set()
    converters = rf.downconverters

    def converter(name: str) -> Downconverter:
        c = converters[name]
        return Downconverter(c.lo_mhz * MHZ, c.injection)

    for i, entry in enumerate(rf.bands):
        key = f"bands[{i}]"
        if isinstance(entry, str):
            if entry not in BUILTIN_BANDS:
                raise ConfigProblem(key, f"unknown band {entry!r}", ", ".join(BUILTIN_BANDS),
                                    _closest(entry, BUILTIN_BANDS))
            name = entry
            start, stop, needs = BUILTIN_BANDS[name]
            dc = None
            if needs:
                if name not in converters:
                    raise ConfigProblem(
                        (key, f"downconverters.{name}", "downconverters", "bands"),
                        f"band {name} needs a downconverter: add rf.downconverters.{name} "
                        f"(e.g. \"{name}\": {{lo_mhz: {_example_lo(name)}, injection: low}})")
                dc = converter(name)
            path = name if needs else "direct"
        else:
            name = entry.name
            if not entry.stop_mhz > entry.start_mhz:
                raise ConfigProblem(
                    (f"{key}.stop_mhz", key), f"stop_mhz ({_num(entry.stop_mhz)}) must be above "
                    f"start_mhz ({_num(entry.start_mhz)})")
            start, stop = entry.start_mhz * MHZ, entry.stop_mhz * MHZ
            dc = None
            if entry.downconverter is not None:
                if entry.downconverter not in converters:
                    raise ConfigProblem(
                        (f"{key}.downconverter", key),
                        f"no downconverter named {entry.downconverter!r} in rf.downconverters",
                        ", ".join(list(converters) + ["null"]),
                        _closest(entry.downconverter, converters))
                dc = converter(entry.downconverter)
            path = entry.downconverter if entry.downconverter is not None else "direct"
        if name in seen:
            raise ConfigProblem(key, f"band {name} is listed twice; remove one")
        seen.add(name)
        bands.append(Band(name, start, stop, dc, path))
    return bands


def _example_lo(band: str) -> str:
    lo = BUILTIN_BANDS[band][0] / MHZ
    return _num(math.floor(lo / 1000) * 1000.0)


# --------------------------------------------------------------------------- loading


def load_config(path: Union[str, os.PathLike, None] = None) -> Config:
    """Load ``path`` over the defaults; without a path, /etc/sweeper/config.yaml if it exists.

    Raises :class:`ConfigError` with ``FILE:LINE: key: problem (allowed: ...)``.
    """
    if path is None:
        if not os.path.exists(SYSTEM_CONFIG_PATH):
            return default_config()
        path = SYSTEM_CONFIG_PATH
    path = os.fspath(path)
    text = read_text(path, "config file", ConfigError)
    return parse_config(text, path)


def parse_config(text: str, filename: str = "<config>") -> Config:
    """Parse YAML ``text`` over the defaults; ``filename`` is used in messages and paths."""
    root = compose(text, filename, ConfigError)
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL):
        cfg = default_config()
    elif not isinstance(root, MappingNode):
        raise ConfigError(
            f"{filename}:{_line(root)}: the file must be a mapping of settings such as "
            f"'rf:' and 'output:', not {_show(root)}")
    else:
        cfg = _Reader(filename).read(root, Config, {}, default_config(), "", _line(root))
    return dataclasses.replace(cfg, source_path=filename)


# --------------------------------------------------------------------------- example file

_EXAMPLE_HEADER = """\
# Sweeper configuration: every setting, with its built-in default.
#
# Copy this file to /etc/sweeper/config.yaml and keep only what you change: a missing
# key takes its default, sections merge with the defaults, lists replace them.
# Check a file with: python -m sweeper.config /etc/sweeper/config.yaml
#
# Generated from sweeper/config.py by: python -m sweeper.config --example"""


def example_yaml() -> str:
    """The documented example config, generated from the schema's help text and defaults."""
    out = _EXAMPLE_HEADER.splitlines()
    _emit_section(Config, default_config(), 0, out)
    return "\n".join(out) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m sweeper.config --example`` prints the example; ``... FILE`` checks a file."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--example"]:
        sys.stdout.write(example_yaml())
        return 0
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m sweeper.config [--example | FILE]", file=sys.stderr)
        return 64
    try:
        cfg = load_config(args[0] if args else None)
    except ConfigError as e:
        print(e, file=sys.stderr)
        return e.exit_code
    print(f"{cfg.source_path or 'built-in defaults'}: OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
