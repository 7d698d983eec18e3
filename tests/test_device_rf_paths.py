"""One press covers every promised band: the device with two receive paths (one dongle
behind an RF switch on a mock pin, or two simulated dongles), driven by its buttons."""
import dataclasses

from sweeper.assembly import RfPart
from sweeper.config import CustomBandConfig, ReceiverConfig
from sweeper.device.app import build_device
from sweeper.device.sweeping import Hardware
from sweeper.rf.sources.factory import open_simulated_paths

from device_harness import Running, quick_config

#: the promised bands by name, each narrowed to the simulated room's emitters in it (the
#: 947.5 MHz broadcast, the 1125 MHz carrier, the 2432 MHz camera): which path hears
#: which band is the same, and a press takes seconds instead of half a minute
PROMISED = (CustomBandConfig("900MHz", 940, 956), CustomBandConfig("1.2GHz", 1116, 1134),
            CustomBandConfig("2.4GHz", 2418, 2446, "2.4GHz"))
SWITCH_PIN = 24


def paths_config(**rf):
    """The quick config with the promised bands and no Wi-Fi (this is about RF)."""
    cfg = quick_config()
    return dataclasses.replace(cfg, rf=dataclasses.replace(cfg.rf, bands=PROMISED, **rf),
                               wifi=dataclasses.replace(cfg.wifi, enabled=False))


def emitters_mhz(outcome):
    return [e["freq_hz"] / 1e6 for e in outcome.reports["rf"]["emitters"]] + \
        [f.freq_hz / 1e6 for f in outcome.findings]


def sweep_once(run, cfg):
    run.press(cfg.buttons.select_pin)
    run.wait_state("sweeping", timeout=10)
    run.wait_state("result")
    return run.dev.daemon.outcome


def test_one_press_sweeps_every_band_switching_the_converter_in_and_out(pins):
    cfg = paths_config(switch=dataclasses.replace(quick_config().rf.switch, pin=SWITCH_PIN))
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    with Running(dev, cfg) as run:
        out = sweep_once(run, cfg)
        assert out.gaps == [] and out.verdict == "CAMERA"
        rows = {r["band"]: (r["path"], r["covered"]) for r in out.reports["rf"]["coverage"]}
        assert rows == {"900MHz": ("direct", True), "1.2GHz": ("direct", True), "2.4GHz": ("2.4GHz", True)}
        heard = emitters_mhz(out)
        assert any(940 <= f <= 955 for f in heard)  # the 947.5 MHz broadcast, through the bypass
        assert any(1120 <= f <= 1130 for f in heard)  # the 1125 MHz carrier
        assert any(2420 <= f.freq_hz / 1e6 <= 2445 for f in out.findings)  # the camera, through the converter
        # the switch: low (bypass) while the direct bands were swept, high for 2.4 GHz, back low
        assert [bool(s.state) for s in pins.pin(SWITCH_PIN).states] == [False, True, False]


def test_an_unplugged_second_dongle_is_reported_not_covered_until_plugged_in(pins):
    cfg = paths_config(receivers=(ReceiverConfig("00000001", "direct"), ReceiverConfig("00000002", "2.4GHz")))
    unplugged = {"00000002"}
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    dev.hardware = dev.daemon.hardware = Hardware([RfPart(lambda: open_simulated_paths(cfg.rf, unplugged=unplugged))])
    with Running(dev, cfg) as run:
        out = sweep_once(run, cfg)
        assert out.verdict == "INCOMPLETE" and out.findings == []  # the camera is on 2.4 GHz
        (gap,) = out.gaps
        assert gap.startswith("2.4GHz: not heard: the RTL-SDR with serial 00000002 (the 2.4GHz converter) "
                              "is missing") and "plug it in" in gap
        assert any(1120 <= f <= 1130 for f in emitters_mhz(out))  # the direct dongle still swept
        unplugged.clear()  # plugged in: the next press uses it, no restart
        out = sweep_once(run, cfg)
        assert out.gaps == [] and out.verdict == "CAMERA"
        assert any(2420 <= f.freq_hz / 1e6 <= 2445 for f in out.findings)
