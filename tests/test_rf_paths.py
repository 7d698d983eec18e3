"""Two receive paths: the sweep plan (which band on which path), the config that names
them, the simulator standing in for each path, and the self-test's check of each."""
import textwrap

import numpy as np
import pytest

from sweeper.config import ConfigError, config_bands, load_config
from sweeper.rf.bands import MHZ, Band, Downconverter
from sweeper.rf.paths import ReceivePath, paths_from_config, plan_paths
from sweeper.rf.sources.factory import SWITCH_CHECK, open_simulated_paths, probes
from sweeper.selftest import run_selftest

DC24 = Downconverter(2000 * MHZ)
B900 = Band("900MHz", 900 * MHZ, 1000 * MHZ)
B1200 = Band("1.2GHz", 1040 * MHZ, 1400 * MHZ)
B24 = Band("2.4GHz", 2350 * MHZ, 2530 * MHZ, DC24, "2.4GHz")
B58 = Band("5.8GHz", 5630 * MHZ, 5970 * MHZ, Downconverter(5000 * MHZ), "5.8GHz")
DIRECT, CONVERTER = ReceivePath("direct", switch_high=False), ReceivePath("2.4GHz", switch_high=True)

TWO_DONGLES = """\
    rf:
      receivers:
        - {serial: "00000001", front_end: direct}
        - {serial: "00000002", front_end: 2.4GHz}
    """
SWITCHED = "rf:\n  switch: {pin: 24}\n"


def load(tmp_path, text):
    path = tmp_path / "sweeper.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(str(path))


def error_for(tmp_path, text):
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, text)
    return str(exc.value)


# --------------------------------------------------------------------------- the plan


def test_each_band_goes_to_the_path_that_hears_it_rest_position_first():
    plan = plan_paths([B24, B900, B1200], [DIRECT, CONVERTER])
    assert [(leg.path.front_end, [b.name for b in leg.bands]) for leg in plan.legs] == [
        ("direct", ["900MHz", "1.2GHz"]), ("2.4GHz", ["2.4GHz"])]
    assert plan.not_heard == ()


def test_a_missing_path_reports_its_bands_with_the_reason():
    plan = plan_paths([B900, B1200, B24], [DIRECT, CONVERTER], {"2.4GHz": "the dongle is unplugged"})
    assert [leg.path.front_end for leg in plan.legs] == ["direct"]
    assert plan.not_heard == (("2.4GHz", "2.4GHz", "not heard: the dongle is unplugged"),)


def test_a_band_no_path_hears_names_the_fix():
    plan = plan_paths([B900, B58], [DIRECT, CONVERTER])
    ((name, path, why),) = plan.not_heard
    assert (name, path) == ("5.8GHz", "5.8GHz")
    assert "the receive paths are direct and 2.4GHz" in why and "add a path with front_end 5.8GHz" in why


def test_one_path_keeps_todays_reason_word_for_word():
    (one,) = paths_from_config(load_config(None).rf)
    plan = plan_paths([B900, B24], [one])
    assert plan.not_heard == (("900MHz", "direct",
                               "not heard: it needs an antenna on the dongle, and the 2.4GHz converter is in "
                               "line (rf.front_end); put the antenna on the dongle and sweep with "
                               "--front-end direct"),)


def test_paths_from_the_config(tmp_path):
    assert paths_from_config(load(tmp_path, TWO_DONGLES).rf) == [
        ReceivePath("direct", serial="00000001"), ReceivePath("2.4GHz", serial="00000002")]
    assert paths_from_config(load(tmp_path, SWITCHED).rf) == [DIRECT, CONVERTER]
    assert paths_from_config(load(tmp_path, "rf: {front_end: direct}\n").rf) == [ReceivePath("direct")]


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize("text, words", [
    ("rf:\n  receivers:\n    - {serial: '1', front_end: 2.4ghz}\n",
     ":3: rf.receivers[0].front_end: front_end '2.4ghz' is neither direct nor a downconverter"),
    ("rf:\n  receivers:\n    - {serial: '1'}\n    - {serial: '1', front_end: 2.4GHz}\n",
     "two receivers have the serial '1'"),
    ("rf:\n  receivers: [{serial: '1'}]\n  switch: {pin: 24}\n", "not both"),
    ("rf:\n  switch: {pin: 24, high: direct}\n", "both direct"),
    ("rf:\n  switch: {pin: 27}\n", "rf.switch.pin: GPIO27 is already buttons.next_pin"),
    ("rf:\n  source: rtl_tcp\n  receivers: [{serial: '1'}]\n", "rtl_tcp serves one dongle"),
])
def test_bad_receive_paths_are_one_line_errors(tmp_path, text, words):
    msg = error_for(tmp_path, text)
    assert words in msg and "\n" not in msg


# --------------------------------------------------------------------------- simulation


def heard_db(src, tune_hz):
    """The power the selected dongle hears tuned to ``tune_hz`` (the settling transient dropped)."""
    src.tune(tune_hz, 2.4e6, 30.0)
    x = src.read(65536)[8192:]
    return 10 * np.log10(np.mean(np.abs(x) ** 2))


CAMERA_IF = DC24.rf_to_if(2432 * MHZ)  # the 2432 MHz camera, as the 2.4 GHz leg tunes it


def test_the_simulated_switch_pin_decides_what_the_dongle_hears(tmp_path, pins):
    cfg = load(tmp_path, SWITCHED)
    src = open_simulated_paths(cfg.rf, pin_factory=pins)
    try:
        src.select_path("2.4GHz")
        assert pins.pin(24).state == 1
        through_converter = heard_db(src, CAMERA_IF)
        src.switch.off()  # the same tuning with the switch on the bypass: the camera is not there
        through_bypass = heard_db(src, CAMERA_IF)
        assert through_converter > through_bypass + 10
        # and the 947.5 MHz broadcast is on the bypass, not through the converter
        assert heard_db(src, 947.5 * MHZ) > through_bypass + 10
        src.switch.on()
        assert heard_db(src, 947.5 * MHZ) < through_bypass + 3
        src.rest_path()
        assert [bool(s.state) for s in pins.pin(24).states] == [False, True, False, True, False]
    finally:
        src.close()


def test_each_simulated_dongle_hears_its_own_path(tmp_path):
    cfg = load(tmp_path, TWO_DONGLES)
    src = open_simulated_paths(cfg.rf)
    try:
        src.select_path("2.4GHz")
        through_converter = heard_db(src, CAMERA_IF)
        src.select_path("direct")
        assert through_converter > heard_db(src, CAMERA_IF) + 10
    finally:
        src.close()
    half = open_simulated_paths(cfg.rf, unplugged={"00000002"})
    assert half.missing.keys() == {"2.4GHz"} and "serial 00000002" in half.missing["2.4GHz"]
    half.close()


def test_a_dongle_pulled_out_mid_sweep_loses_only_its_own_bands(tmp_path):
    """Two dongles: the converter's dongle fails during the sweep (pulled out). The direct
    dongle's bands are still swept and reported; the converter's become gaps naming the
    path and the failure, so the verdict is not CLEAR. Both failing is a failed sweep."""
    from sweeper.assembly import rf_sweep
    from sweeper.errors import HardwareError

    cfg = load(tmp_path, TWO_DONGLES)
    near = [Band("1.2GHz", 1115 * MHZ, 1135 * MHZ), Band("2.4GHz", 2425 * MHZ, 2440 * MHZ, DC24, "2.4GHz")]
    src = open_simulated_paths(cfg.rf)
    try:
        sweep = rf_sweep(cfg, src, bands=near)
        src.sources["2.4GHz"].unplug()
        result = sweep.run()
        rows = {r["band"]: r for r in result.coverage}
        assert rows["1.2GHz"]["covered"] and not rows["2.4GHz"]["covered"]
        assert any(g.startswith("2.4GHz: swept 0 of") and "receive path (2.4GHz) failed" in g
                   and "unplugged" in g for g in result.gaps), result.gaps
        assert result.verdict == "INCOMPLETE"
        sweep = rf_sweep(cfg, src, bands=near)
        src.sources["direct"].unplug()
        with pytest.raises(HardwareError):
            sweep.run()
    finally:
        src.close()


# --------------------------------------------------------------------------- self-test


def test_selftest_checks_each_dongle_by_its_serial(tmp_path):
    cfg = load(tmp_path, TWO_DONGLES)
    got = {c.name: c for c in run_selftest(cfg)}
    for serial, front_end in (("00000001", "direct"), ("00000002", "2.4GHz")):
        check = got[f"RTL-SDR {serial} ({front_end})"]
        assert not check.ok  # no dongle on this machine
        assert "rtl_eeprom" in check.fix or "librtlsdr" in check.detail


def test_selftest_checks_the_switch_pin_opens(tmp_path, pins):
    cfg = load(tmp_path, SWITCHED)
    checks = dict(probes(cfg.rf, pins))
    ok = checks[SWITCH_CHECK]()
    assert ok.ok and "GPIO24" in ok.detail and ok.detects
    assert pins.pin(24).state == 0  # the self-test left it as it was
    from gpiozero import LED

    taken = LED(24, pin_factory=pins)  # another program holds the pin
    try:
        busy = checks[SWITCH_CHECK]()
        assert not busy.ok and "GPIO24" in busy.detail and "rf.switch.pin" in busy.fix
    finally:
        taken.close()


def test_the_bands_of_the_default_config_are_unchanged():
    assert [b.path for b in config_bands(load_config(None))] == ["direct", "direct", "2.4GHz"]


def test_the_manual_states_the_switch_settling_time_of_the_code():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    ms = re.search(r"`rf\.switch\.settle_s` \((\d+) ms\)", readme)
    assert ms and int(ms.group(1)) == round(load_config(None).rf.switch.settle_s * 1000)


def test_a_path_nobody_fitted_cannot_be_selected(tmp_path):
    from sweeper.errors import HardwareError

    src = open_simulated_paths(load(tmp_path, TWO_DONGLES).rf)
    try:
        with pytest.raises(HardwareError, match="no receive path has 5.8GHz"):
            src.select_path("5.8GHz")
    finally:
        src.close()
