"""A local RTL-SDR dongle through pyrtlsdr 0.3.0.

``rtlsdr`` is imported in the constructor, never at module import: the import itself
raises when librtlsdr is missing, and the rest of Sweeper (simulator, recordings,
rtl_tcp) must keep working on machines without it. The pure helpers here
(:func:`tuner_info_for`, :func:`check_sample_rate`) are shared with the rtl_tcp client.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from sweeper.errors import HardwareError
from sweeper.rf.convert import cu8_to_complex64
from sweeper.rf.sources.base import IQSource, TunerInfo

#: librtlsdr's ``enum rtlsdr_tuner`` (also what rtl_tcp sends in its header)
TUNER_NAMES = {
    0: "unknown",
    1: "E4000",
    2: "FC0012",
    3: "FC0013",
    4: "FC2580",
    5: "R820T",
    6: "R828D",
}

# Approximate tunable ranges (Hz); gaps (E4000 ~1100-1250 MHz, FC2580 308-438 MHz) are
# not modelled: band planning only needs the outer limits.
_TUNER_RANGES = {
    "E4000": (54e6, 2147e6),
    "FC0012": (22e6, 948.6e6),
    "FC0013": (22e6, 1100e6),
    "FC2580": (146e6, 924e6),
    "R820T": (24e6, 1766e6),
    "R828D": (24e6, 1766e6),
}

#: sample rates librtlsdr accepts (S/s), inclusive
SAMPLE_RATE_RANGES = ((225_001, 300_000), (900_001, 3_200_000))

# libusb bulk reads should be whole 512-byte packets; cap one read at 256 KiB.
_USB_PACKET = 512
_MAX_CHUNK = 256 * 1024

_DVB_FIX = (
    "or the DVB-T kernel driver dvb_usb_rtl28xxu has claimed it (fix: "
    "`sudo rmmod dvb_usb_rtl28xxu` and blacklist it with "
    "`echo 'blacklist dvb_usb_rtl28xxu' | sudo tee /etc/modprobe.d/blacklist-rtlsdr.conf`)"
)


def tuner_info_for(tuner_type: int) -> TunerInfo:
    """TunerInfo for a librtlsdr tuner type number; unknown types are assumed to be an
    R820T, by far the most common tuner, so planning still has a range to work with."""
    name = TUNER_NAMES.get(int(tuner_type), "unknown")
    if name not in _TUNER_RANGES:
        lo, hi = _TUNER_RANGES["R820T"]
        return TunerInfo(f"unknown tuner {int(tuner_type)} (assuming R820T)", lo, hi)
    lo, hi = _TUNER_RANGES[name]
    return TunerInfo(name, lo, hi)


def check_sample_rate(sample_rate: float) -> int:
    """Return the rate as librtlsdr's integer, or raise HardwareError if the dongle
    would refuse it (it fails with an opaque code, or rtl_tcp just logs and ignores)."""
    try:
        ok_number = math.isfinite(float(sample_rate))
    except (TypeError, ValueError):
        ok_number = False
    rate = int(round(float(sample_rate))) if ok_number else 0
    if not ok_number or not any(lo <= rate <= hi for lo, hi in SAMPLE_RATE_RANGES):
        raise HardwareError(
            f"sample rate {sample_rate!r} S/s is not supported by the RTL-SDR: use "
            "225,001-300,000 or 900,001-3,200,000 S/s (2.4 MS/s or less is reliable)"
        )
    return rate


def check_center(center_hz: float) -> int:
    """Return the centre as an integer Hz that fits librtlsdr's uint32, or raise."""
    try:
        ok = math.isfinite(float(center_hz)) and 0 < float(center_hz) < 2**32
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise HardwareError(
            f"centre frequency {center_hz!r} Hz is not tunable: give a positive "
            "frequency in Hz below 4.29 GHz (RTL-SDR tuners cover about 24-1766 MHz)"
        )
    return int(round(float(center_hz)))


def _import_rtlsdr():
    """Import pyrtlsdr, turning its many failure modes into one actionable message."""
    try:
        import rtlsdr  # noqa: WPS433 (lazy on purpose: the import loads librtlsdr)
    except ModuleNotFoundError as exc:
        if exc.name == "rtlsdr":
            raise HardwareError(
                "pyrtlsdr is not installed: `pip install pyrtlsdr==0.3.0` "
                "(or `pip install 'sweeper[sdr]'`)"
            ) from None
        raise HardwareError(_lib_message(exc)) from None
    except (ImportError, OSError, AttributeError) as exc:
        raise HardwareError(_lib_message(exc)) from None
    if getattr(rtlsdr, "RtlSdr", None) is None:
        raise HardwareError(
            "pyrtlsdr is in client-only mode (RTLSDR_CLIENT_MODE is set): unset it "
            "to use a local dongle"
        )
    return rtlsdr


def _lib_message(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())[:160]
    return (
        f"cannot load librtlsdr ({detail}): install it with `sudo apt install librtlsdr0`; "
        "with Debian's librtlsdr 0.6.0 use pyrtlsdr==0.3.0 (0.4/0.5 fail with "
        "'undefined symbol: rtlsdr_set_dithering')"
    )


def _usb_error_text(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


class RtlSdrSource(IQSource):
    """A USB RTL-SDR dongle. Construction opens the device (so errors show up before a
    sweep starts); ``close()`` releases it for other programs."""

    def __init__(
        self,
        device_index: int = 0,
        serial: Optional[str] = None,
        ppm: int = 0,
        bias_tee: bool = False,
    ):
        self._sdr = None
        self._carry = np.empty(0, dtype=np.uint8)
        rtlsdr = _import_rtlsdr()
        lib = rtlsdr.librtlsdr
        count = int(lib.rtlsdr_get_device_count())
        if count == 0:
            raise HardwareError(
                "no RTL-SDR dongle found: check it is plugged in (a powered hub helps), "
                "then run `rtl_test` to see whether librtlsdr can see it"
            )
        if serial is not None:
            device_index = self._index_for_serial(rtlsdr, serial)
        elif not 0 <= int(device_index) < count:
            raise HardwareError(
                f"no RTL-SDR dongle at index {device_index}: {count} found, use an index "
                f"from 0 to {count - 1} (`rtl_test` lists them)"
            )
        try:
            self._sdr = rtlsdr.RtlSdr(device_index=int(device_index))
        except IOError as exc:
            raise HardwareError(self._open_message(int(device_index), exc)) from None
        self._device_index = int(device_index)
        try:
            tuner_type = int(self._sdr.get_tuner_type())
        except IOError:
            tuner_type = 0
        self._tuner = tuner_info_for(tuner_type)
        self.name = f"RTL-SDR #{self._device_index} ({self._tuner.name})"
        if ppm:
            self._call(self._sdr.set_freq_correction, int(ppm), what=f"set {ppm} ppm correction")
        if bias_tee:
            self.set_bias_tee(True)

    @staticmethod
    def _index_for_serial(rtlsdr, serial: str) -> int:
        try:
            return int(rtlsdr.RtlSdr.get_device_index_by_serial(serial))
        except IOError:
            try:
                found = rtlsdr.RtlSdr.get_device_serial_addresses()
            except IOError:
                found = []
            raise HardwareError(
                f"no RTL-SDR dongle with serial {serial!r} (found: "
                f"{', '.join(map(repr, found)) or 'none'}): check the serial with "
                "`rtl_test`, or set serials with `rtl_eeprom -s`"
            ) from None

    @staticmethod
    def _open_message(index: int, exc: BaseException) -> str:
        errno = getattr(exc, "errno", None)
        if errno == -3:
            return (
                f"permission denied opening RTL-SDR dongle #{index}: install the udev "
                "rules (`sudo apt install rtl-sdr`), add your user to the plugdev group, "
                "then unplug and replug the dongle"
            )
        return (
            f"cannot open RTL-SDR dongle #{index} ({_usb_error_text(exc)}): it is busy — "
            "another program (rtl_tcp, rtl_433, an SDR app) is using it: stop it; "
            + _DVB_FIX
        )

    def _call(self, fn, *args, what: str):
        """Run a pyrtlsdr call, turning its IOError into a HardwareError."""
        if self._sdr is None:
            raise HardwareError("the RTL-SDR source is closed: create a new one")
        try:
            return fn(*args)
        except IOError as exc:
            raise HardwareError(
                f"RTL-SDR #{self._device_index} could not {what} ({_usb_error_text(exc)}): "
                "replug the dongle; if it keeps failing, check its power supply"
            ) from None

    @property
    def tuner(self) -> TunerInfo:
        return self._tuner

    def tune(self, center_hz: float, sample_rate: float, gain_db: Optional[float] = None) -> None:
        rate = check_sample_rate(sample_rate)
        freq = check_center(center_hz)
        sdr = self._sdr
        self._call(lambda: setattr(sdr, "sample_rate", rate), what=f"set {rate} S/s")
        self._call(lambda: setattr(sdr, "center_freq", freq), what=f"tune to {freq} Hz")
        gain = "auto" if gain_db is None else float(gain_db)
        self._call(lambda: setattr(sdr, "gain", gain), what=f"set gain {gain}")
        self._carry = np.empty(0, dtype=np.uint8)  # old tuning: never hand it out

    def read(self, n: int) -> np.ndarray:
        n = int(n)
        if n <= 0:
            return np.empty(0, dtype=np.complex64)
        want = 2 * n
        out = np.empty(want, dtype=np.uint8)
        got = min(self._carry.size, want)
        out[:got] = self._carry[:got]
        self._carry = self._carry[got:]
        while got < want:
            # whole USB packets only; the excess is kept for the next read
            chunk = min(_MAX_CHUNK, -(-(want - got) // _USB_PACKET) * _USB_PACKET)
            buf = self._call(self._sdr.read_bytes, chunk, what="read samples")
            raw = np.frombuffer(buf, dtype=np.uint8, count=chunk)  # buffer is reused
            take = min(chunk, want - got)
            out[got:got + take] = raw[:take]
            if take < chunk:
                self._carry = raw[take:].copy()
            got += take
        return cu8_to_complex64(out)

    def set_bias_tee(self, on: bool) -> None:
        """Power an LNA or downconverter through the antenna port (RTL-SDR Blog V3+).
        Older librtlsdr builds lack the call: then this does nothing."""
        fn = getattr(self._sdr, "set_bias_tee", None)
        if fn is None:
            return
        try:
            self._call(fn, bool(on), what="switch the bias tee")
        except AttributeError:  # symbol missing from this librtlsdr
            return

    def close(self) -> None:
        sdr, self._sdr = self._sdr, None
        if sdr is not None:
            try:
                sdr.close()
            except IOError:
                pass


SDR_CHECK = "RTL-SDR"
DVB_BLACKLIST = ("echo 'blacklist dvb_usb_rtl28xxu' | sudo tee /etc/modprobe.d/blacklist-rtlsdr.conf"
                 " && sudo rmmod dvb_usb_rtl28xxu")


def probe(device_index: int = 0, serial=None):
    """Self-test: librtlsdr (through pyrtlsdr, as the daemon loads it) sees a dongle.
    The dongles are only counted and named, never opened: the daemon may be using one."""
    import os

    from sweeper.probe import Check

    try:
        _import_rtlsdr()
        from rtlsdr.librtlsdr import librtlsdr as lib  # pyrtlsdr's binding, argument types set
    except HardwareError as exc:
        return Check(SDR_CHECK, False, "pyrtlsdr or librtlsdr cannot be loaded", str(exc))
    count = int(lib.rtlsdr_get_device_count())
    if count == 0:
        return Check(SDR_CHECK, False, "no RTL-SDR dongle on USB (librtlsdr is installed)",
                     "plug the dongle in (a powered USB hub helps) and check with `rtl_test`; if "
                     "the kernel's DVB-T driver grabs it, blacklist dvb_usb_rtl28xxu: " + DVB_BLACKLIST)
    names = [(lib.rtlsdr_get_device_name(i) or b"unknown").decode("utf-8", "replace") for i in range(count)]
    found = f"{count} dongle{'s' if count > 1 else ''}: " + ", ".join(f"#{i} {n}" for i, n in enumerate(names))
    if serial is None and device_index >= count:
        return Check(SDR_CHECK, False, f"{found}; rf.rtlsdr.device_index is {device_index}",
                     f"set rf.rtlsdr.device_index to 0-{count - 1}")
    if os.path.isdir("/sys/module/dvb_usb_rtl28xxu"):
        return Check(SDR_CHECK, True, f"{found} (the kernel DVB-T driver dvb_usb_rtl28xxu is loaded: "
                     "librtlsdr detaches it, but if opening fails blacklist it)", DVB_BLACKLIST, "RF sweep")
    return Check(SDR_CHECK, True, found, detects="RF sweep")


def receiver_check_name(serial: str, front_end: str) -> str:
    """The self-test's name for one dongle of a device with two."""
    return f"RTL-SDR {serial} ({front_end})"


def probe_serial(serial: str, front_end: str):
    """Self-test of one dongle of a two-dongle device: librtlsdr finds its serial (read
    from the USB descriptors; the dongle is not opened, the daemon may be using it)."""
    from sweeper.probe import Check

    name = receiver_check_name(serial, front_end)
    hears = "the bands heard directly" if front_end == "direct" else f"the {front_end} band"
    try:
        _import_rtlsdr()
        from rtlsdr.librtlsdr import librtlsdr as lib
    except HardwareError as exc:
        return Check(name, False, "pyrtlsdr or librtlsdr cannot be loaded", str(exc))
    count = int(lib.rtlsdr_get_device_count())
    if int(lib.rtlsdr_get_index_by_serial(serial.encode())) < 0:
        return Check(name, False, f"no RTL-SDR with serial {serial} among {count} on USB: {hears} will be "
                     "reported not covered",
                     "plug it in (two dongles need a powered USB hub); `rtl_test` lists the serials, "
                     "`rtl_eeprom -d N -s SERIAL` sets one; check rf.receivers")
    return Check(name, True, f"serial {serial} on USB; it hears {hears}", detects="RF sweep")
