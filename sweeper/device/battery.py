"""The battery level: an optional MAX17048 (or MAX17043) LiPo fuel gauge on the OLED's I2C bus.

A LiPo's voltage says little about what is left (it sits near 3.7-3.8 V for most of the
discharge), so the part is a *fuel gauge*: the MAX1704x runs Maxim's ModelGauge on the
cell and keeps the state of charge in a register. The chip sits on a breakout
(Adafruit 5580 or SparkFun's Qwiic MAX17048) that the cell's lead passes through, and is
powered from the cell: with the cell unplugged nothing answers at its address.

The driver is two register reads over smbus2 (luma.oled's own I2C library), not
Adafruit's CircuitPython driver: that one needs Blinka, and its constructor soft-resets
the chip, so every daemon restart would throw away the gauge's learned state of charge.
Here the chip is only read, so ``sweeper selftest`` may read it while the daemon does.

Pure core: :func:`decode` turns the chip's register words into a :class:`BatteryReading`
(:func:`encode` is its inverse, for the simulator). Edges: :class:`FuelGauge` reads the
registers from a bus: a real ``smbus2.SMBus``, or :class:`SimulatedCell`, a MAX1704x's
registers over a cell that drains slowly and can be set from tests, answering exactly as
the real bus does (a wrong address or an unplugged cell is an I/O error). A read that
fails (a loose wire mid-run) gives None and is reported once; the gauge never raises
from :meth:`FuelGauge.read`.
"""
from __future__ import annotations

import errno
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional

from sweeper.errors import HardwareError

BATTERY_CHECK = "battery gauge"

# MAX17048/MAX17049 and MAX17043 register addresses (datasheets, "Register Summary");
# each register is a 16-bit word, most significant byte first.
VCELL, SOC, VERSION, CRATE = 0x02, 0x04, 0x08, 0x16

#: MAX17048: VCELL is 78.125 uV per LSB; MAX17043: the top 12 bits, 1.25 mV per LSB
MAX17048_VOLTS_PER_LSB = 78.125e-6
MAX17043_VOLTS_PER_LSB = 1.25e-3
#: SOC: the high byte is whole percent, the low byte 1/256 %
SOC_PER_LSB = 1 / 256
#: MAX17048 CRATE: signed, 0.208 % per hour per LSB (positive while charging)
CRATE_PCT_PER_HOUR_PER_LSB = 0.208
#: the charge rate above which the cell counts as charging: a cell at rest reads a few
#: LSBs either side of zero
CHARGING_ABOVE_PCT_PER_HOUR = 1.0
#: MAX17048/49 VERSION reads 0x001X
MAX17048_VERSION_MASK, MAX17048_VERSION = 0xFFF0, 0x0010

#: what each configurable chip is, for messages
CHIPS = {"max17048": "MAX17048", "max17043": "MAX17043"}


@dataclass(frozen=True)
class BatteryReading:
    """One look at the cell: state of charge (0-100 %), its voltage, and whether it is
    charging (None when the chip cannot tell: a MAX17043 has no charge-rate register)."""

    percent: float
    volts: float
    charging: Optional[bool] = None
    #: the chip's charge (+) or discharge (-) rate in % per hour, when it has one
    rate_pct_per_hour: Optional[float] = None

    def text(self) -> str:
        """``73%, 3.91 V`` (``, charging`` while charging): the self-test's and logs' words."""
        return f"{self.percent:.0f}%, {self.volts:.2f} V" + (", charging" if self.charging else "")

    def to_json(self) -> dict:
        """What the fleet gets: whole percent, volts to 10 mV, charging or null."""
        return {"percent": int(round(self.percent)), "volts": round(self.volts, 2), "charging": self.charging}


def _signed16(word: int) -> int:
    return word - 0x10000 if word & 0x8000 else word


def decode(kind: str, vcell: int, soc: int, crate: Optional[int] = None) -> BatteryReading:
    """A reading from the chip's register words (VCELL, SOC and, on a MAX17048, CRATE).

    The SOC register may read a little over 100 % on a full cell (ModelGauge's estimate
    is not clamped): the reading is, to 0-100."""
    if kind == "max17043":
        volts = (vcell >> 4) * MAX17043_VOLTS_PER_LSB
        rate = None
    elif kind == "max17048":
        volts = vcell * MAX17048_VOLTS_PER_LSB
        rate = None if crate is None else _signed16(crate) * CRATE_PCT_PER_HOUR_PER_LSB
    else:
        raise ValueError(f"unknown fuel gauge {kind!r} (known: {', '.join(CHIPS)})")
    percent = min(100.0, max(0.0, soc * SOC_PER_LSB))
    charging = None if rate is None else rate > CHARGING_ABOVE_PCT_PER_HOUR
    return BatteryReading(percent, volts, charging, rate)


def encode(kind: str, percent: float, volts: float, rate_pct_per_hour: float = 0.0) -> Dict[int, int]:
    """The register words a chip of ``kind`` holds for this state (the simulator's)."""
    soc = max(0, min(0xFFFF, int(round(percent / SOC_PER_LSB))))
    if kind == "max17043":
        return {VCELL: (int(round(volts / MAX17043_VOLTS_PER_LSB)) & 0xFFF) << 4, SOC: soc, VERSION: 0x0003}
    crate = int(round(rate_pct_per_hour / CRATE_PCT_PER_HOUR_PER_LSB))
    return {VCELL: max(0, min(0xFFFF, int(round(volts / MAX17048_VOLTS_PER_LSB)))), SOC: soc,
            VERSION: 0x0012, CRATE: max(-0x8000, min(0x7FFF, crate)) & 0xFFFF}


def read_word(bus, address: int, register: int) -> int:
    """One big-endian register word (SMBus word reads are little-endian: read the 2 bytes)."""
    msb, lsb = bus.read_i2c_block_data(address, register, 2)
    return (msb << 8) | lsb


class FuelGauge:
    """A MAX1704x on an I2C bus (``cfg``: the config's ``battery`` section; ``bus``: an
    ``smbus2.SMBus`` or a :class:`SimulatedCell`). :meth:`read` gives a
    :class:`BatteryReading`, or None when the chip does not answer: the first failure and
    the recovery are reported through ``log``, once each. Safe to read from several threads."""

    def __init__(self, cfg, bus, log: Callable[[str], None] = lambda msg: None, where: str = ""):
        self.kind = cfg.kind
        self.address = cfg.i2c_address
        self.low_percent = cfg.low_percent
        self.where = where or f"0x{cfg.i2c_address:02X} on /dev/i2c-{cfg.i2c_port}"
        self.simulated = isinstance(bus, SimulatedCell)
        self.failed: Optional[str] = None  # why the last read failed, until one succeeds
        self.last: Optional[BatteryReading] = None
        self._bus = bus
        self._log = log
        self._lock = threading.Lock()

    @property
    def cell(self) -> Optional["SimulatedCell"]:
        """The simulated cell behind a simulated gauge (tests set its level), else None."""
        return self._bus if self.simulated else None

    def read(self) -> Optional[BatteryReading]:
        """The cell now, or None when the gauge cannot be read (reported once). Never raises
        for a read failure."""
        with self._lock:
            if self._bus is None:
                return None
            try:
                vcell = read_word(self._bus, self.address, VCELL)
                soc = read_word(self._bus, self.address, SOC)
                crate = read_word(self._bus, self.address, CRATE) if self.kind == "max17048" else None
            except OSError as exc:
                if self.failed is None:
                    self.failed = f"{exc.strerror or exc}"
                    self._log(f"the battery gauge ({CHIPS[self.kind]} at {self.where}) does not answer "
                              f"({self.failed}): {gauge_fix(self.kind, self.address)}; "
                              "carrying on without a battery level")
                self.last = None
                return None
            if self.failed is not None:
                self._log(f"the battery gauge ({CHIPS[self.kind]} at {self.where}) answers again")
                self.failed = None
            self.last = decode(self.kind, vcell, soc, crate)
            return self.last

    def is_low(self, reading: Optional[BatteryReading]) -> bool:
        """Whether ``reading`` is at or below ``battery.low_percent`` and not charging."""
        return reading is not None and reading.percent <= self.low_percent and not reading.charging

    def close(self) -> None:
        with self._lock:
            if self._bus is not None:
                try:
                    self._bus.close()
                except OSError:
                    pass
                self._bus = None


def gauge_fix(kind: str, address: int) -> str:
    """What to check when nothing answers at the gauge's address."""
    return (f"check the gauge's wiring (SDA to GPIO2, SCL to GPIO3, 3.3 V, GND, shared with the OLED) "
            f"and that the LiPo is plugged into it (the {CHIPS[kind]} is powered from the cell); "
            f"`i2cdetect -y 1` should show {address:02x}; or set battery.enabled: false")


class GaugeMissing(HardwareError):
    """The gauge's bus cannot be opened: ``detail`` says what was seen, ``fix`` what to do."""

    def __init__(self, detail: str, fix: str):
        self.detail, self.fix = detail, fix
        super().__init__(f"battery gauge: {detail}: {fix}")


def open_bus(cfg):
    """The I2C bus the gauge is on, as ``smbus2.SMBus``; :class:`GaugeMissing` when there
    is none (I2C off, not a Pi, no permission)."""
    node = f"/dev/i2c-{cfg.i2c_port}"
    if not os.path.exists(node):
        raise GaugeMissing(f"{node} not found: I2C is off, or this is not a Raspberry Pi",
                           "enable I2C: add dtparam=i2c_arm=on to /boot/firmware/config.txt (or "
                           "`sudo raspi-config nonint do_i2c 0`) and reboot; or set battery.enabled: false")
    try:
        import smbus2
    except ImportError as exc:
        raise GaugeMissing(f"smbus2 is not installed ({exc})", "pip install smbus2") from None
    try:
        return smbus2.SMBus(cfg.i2c_port)
    except PermissionError:
        raise GaugeMissing(f"no permission to open {node}",
                           "add the user to group i2c (sudo usermod -aG i2c $USER, then log in again)") from None
    except OSError as exc:
        raise GaugeMissing(f"cannot open {node}: {exc}", gauge_fix(cfg.kind, cfg.i2c_address)) from None


def open_gauge(cfg, simulate: bool = False, log: Callable[[str], None] = lambda msg: None) -> FuelGauge:
    """The configured gauge (``cfg``: the ``battery`` section): on its I2C bus, or on a
    :class:`SimulatedCell` when ``simulate``. Raises :class:`GaugeMissing` only when the
    bus itself is missing; a chip that does not answer yet (the cell unplugged) is
    reported through ``log`` and read again later."""
    if simulate:
        return FuelGauge(cfg, SimulatedCell(cfg.kind, cfg.i2c_address), log, where="the simulated bus")
    gauge = FuelGauge(cfg, open_bus(cfg), log)
    gauge.read()  # says now, once, if nothing answers
    return gauge


# --------------------------------------------------------------------------- simulation

#: a LiPo's resting voltage at 0, 10, ... 100 % state of charge (typical single-cell curve)
LIPO_CURVE_V = (3.30, 3.60, 3.69, 3.73, 3.77, 3.80, 3.84, 3.89, 3.95, 4.03, 4.20)


def lipo_volts(percent: float) -> float:
    """A typical LiPo's resting voltage at ``percent`` (linear between the curve's points)."""
    p = min(100.0, max(0.0, percent)) / 10
    i = min(int(p), 9)
    return LIPO_CURVE_V[i] + (LIPO_CURVE_V[i + 1] - LIPO_CURVE_V[i]) * (p - i)


class SimulatedCell:
    """A MAX1704x's registers over a LiPo, behind the same ``read_i2c_block_data`` as
    ``smbus2.SMBus``: :class:`FuelGauge` reads it exactly as it reads the real chip.

    The cell drains ``drain_pct_per_hour`` (the BOM's 2,500 mAh cell lasts about 1.3 hours
    of continuous sweeping: hardware/README.md) or charges at ``charge_pct_per_hour``.
    Tests set it (:meth:`set`) and pull its wire (:meth:`disconnect`)."""

    def __init__(self, kind: str = "max17048", address: int = 0x36, percent: float = 80.0,
                 drain_pct_per_hour: float = 75.0, charge_pct_per_hour: float = 40.0,
                 clock: Callable[[], float] = time.monotonic):
        self.kind, self.address = kind, address
        self.drain_pct_per_hour, self.charge_pct_per_hour = drain_pct_per_hour, charge_pct_per_hour
        self._clock = clock
        self._percent, self._since = float(percent), clock()
        self._volts: Optional[float] = None  # None: follow the LiPo curve
        self.charging = False
        self.connected = True
        self.reads = 0

    @property
    def percent(self) -> float:
        """The state of charge now (drained or charged since the last :meth:`set`)."""
        hours = (self._clock() - self._since) / 3600
        rate = self.charge_pct_per_hour if self.charging else -self.drain_pct_per_hour
        return min(100.0, max(0.0, self._percent + rate * hours))

    def set(self, percent: Optional[float] = None, volts: Optional[float] = None,
            charging: Optional[bool] = None) -> None:
        """Put the cell at ``percent`` (its voltage then follows the LiPo curve unless
        ``volts`` is given), charging or not."""
        now_percent = self.percent
        self._percent = now_percent if percent is None else float(percent)
        self._since = self._clock()
        if volts is not None or percent is not None:
            self._volts = volts
        if charging is not None:
            self.charging = bool(charging)

    def disconnect(self) -> None:
        """A loose wire: every read fails as the real bus's does."""
        self.connected = False

    def reconnect(self) -> None:
        self.connected = True

    def read_i2c_block_data(self, address: int, register: int, length: int):
        if not self.connected or address != self.address:
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        percent = self.percent
        rate = self.charge_pct_per_hour if self.charging else -self.drain_pct_per_hour
        volts = self._volts if self._volts is not None else lipo_volts(percent)
        word = encode(self.kind, percent, volts, rate).get(register, 0)
        self.reads += 1
        return [word >> 8, word & 0xFF][:length]

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- self-test


def probe(cfg, bus=None):
    """Self-test line (``cfg``: the config's ``battery`` section): the bus opens, the chip
    answers at its address, is the configured chip, and its reading. Only reads, so it is
    safe while the daemon runs. ``bus``: another bus to look on (tests: a SimulatedCell)."""
    from sweeper.probe import Check

    if not cfg.enabled:
        return Check(BATTERY_CHECK, True, "not used (battery.enabled: false): no battery level")
    chip = CHIPS[cfg.kind]
    addr = f"0x{cfg.i2c_address:02X}"
    where = f"{addr} on /dev/i2c-{cfg.i2c_port}"
    try:
        bus = bus if bus is not None else open_bus(cfg)
    except GaugeMissing as exc:
        return Check(BATTERY_CHECK, False, exc.detail, exc.fix)
    try:
        try:
            version = read_word(bus, cfg.i2c_address, VERSION)
        except OSError as exc:
            return Check(BATTERY_CHECK, False, f"nothing answers at {where} ({exc.strerror or exc})",
                         gauge_fix(cfg.kind, cfg.i2c_address))
        if cfg.kind == "max17048" and version & MAX17048_VERSION_MASK != MAX17048_VERSION:
            return Check(BATTERY_CHECK, False, f"something answers at {where} but it is not a {chip} "
                         f"(version register 0x{version:04X})",
                         "set battery.kind to the gauge fitted (max17048 or max17043) and "
                         "battery.i2c_address to its address (both MAX1704x use 0x36)")
        reading = FuelGauge(cfg, bus).read()
        if reading is None:
            return Check(BATTERY_CHECK, False, f"the {chip} at {where} stopped answering mid-read",
                         gauge_fix(cfg.kind, cfg.i2c_address))
        return Check(BATTERY_CHECK, True, f"{chip} at {where}: {reading.text()}")
    finally:
        bus.close()
