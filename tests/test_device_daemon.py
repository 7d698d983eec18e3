"""Whole sweeps through the device, as a user drives it: gpiozero's mock pins for the
buttons and buzzer, luma's dummy display, the RF and Wi-Fi simulators as radios."""
import dataclasses
import time


from sweeper.assembly import RfPart, WifiPart
from sweeper.device.app import build_device
from sweeper.device.sweeping import Hardware
from sweeper.errors import HardwareError
from sweeper.wifi.factory import open_wifi_simulator

from device_harness import Running, quick_config


def buzzer_changes(dev, cfg):
    return len(dev.pin_factory.pin(cfg.buzzer.pin).states)


def test_room_with_cameras_one_button_sweep_then_details_and_locate(pins):
    cfg = quick_config()
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    b = cfg.buttons
    with Running(dev, cfg) as run:
        assert dev.display.screen == "ready"
        quiet_before = buzzer_changes(dev, cfg)
        run.press(b.select_pin)
        run.wait_state("sweeping", timeout=10)
        run.wait_state("result")
        out = dev.daemon.outcome
        assert out.verdict == "CAMERA"
        kinds = {f.kind for f in out.findings}
        assert kinds == {"analog_video", "wifi_camera"}  # both halves ran and were merged
        assert out.findings[0].verdict == "camera"  # ranked: cameras first
        run.wait_screen("result", timeout=5)  # the display follows the state machine
        assert buzzer_changes(dev, cfg) > quiet_before  # start and camera sounds
        run.press(b.next_pin)
        run.wait_screen("finding")
        assert dev.daemon.index == 0
        run.press(b.next_pin)
        run.wait_until(lambda: dev.daemon.index == 1 % len(out.findings), "the next finding")
        # hold select: locate mode for the chosen finding, readings several times a second
        for index in range(len(out.findings)):  # locate each finding in turn
            dev.daemon.index = index
            readings = []
            original = dev.display.locate
            dev.display.locate = lambda *a, **k: (readings.append(a), original(*a, **k))
            before = buzzer_changes(dev, cfg)
            run.press(b.select_pin, hold_s=b.long_press_s + 0.3)
            run.wait_state("locate")
            time.sleep(1.5)
            dev.display.locate = original
            assert dev.display.screen == "locate"
            live = [r for r in readings if len(r) > 2]  # (what, reading, level, peak, trend)
            assert len(live) >= 3  # several readings a second
            assert all(r[1].endswith(("dBm", "dBFS")) and 0 < r[2] <= 1 for r in live), live  # heard
            assert buzzer_changes(dev, cfg) > before  # beeping
            run.press(b.select_pin)
            run.wait_state("finding")


def test_room_without_cameras_is_clear(pins):
    cfg = quick_config()
    dev = build_device(cfg, simulate=True, camera=False, pin_factory=pins)
    with Running(dev, cfg) as run:
        run.press(cfg.buttons.select_pin)
        run.wait_state("sweeping", timeout=10)
        run.wait_state("result")
        assert dev.daemon.outcome.verdict == "CLEAR" and dev.daemon.outcome.findings == []
        run.press(cfg.buttons.next_pin)
        assert dev.daemon.state == "result"  # nothing to show


def test_quiet_mode_never_sounds_the_buzzer(pins):
    cfg = quick_config()
    cfg = dataclasses.replace(cfg, output=dataclasses.replace(cfg.output, quiet=True))
    dev = build_device(cfg, simulate=True, pin_factory=pins)
    with Running(dev, cfg) as run:
        before = buzzer_changes(dev, cfg)
        run.press(cfg.buttons.select_pin)
        run.wait_state("sweeping", timeout=10)
        run.wait_state("result")
        assert dev.daemon.outcome.verdict == "CAMERA"
        assert buzzer_changes(dev, cfg) == before


def test_unplugged_adapter_mid_sweep_then_replugged_recovers(pins):
    cfg = quick_config()
    plugged = {"wifi": True}
    opened = []

    def open_wifi():
        if not plugged["wifi"]:
            raise HardwareError("no Wi-Fi adapter found: plug in a USB adapter")
        src = open_wifi_simulator(None, camera=True, realtime=True)
        opened.append(src)
        return src

    dev = build_device(cfg, simulate=True, pin_factory=pins)
    dev.hardware = dev.daemon.hardware = Hardware([RfPart(None), WifiPart(open_wifi)])
    with Running(dev, cfg) as run:
        run.press(cfg.buttons.select_pin)
        run.wait_state("sweeping", timeout=10)
        time.sleep(1.0)
        plugged["wifi"] = False
        opened[-1].unplug()  # pulled out mid-sweep
        run.wait_state("result")
        assert "Wi-Fi" in dev.daemon.outcome.problems
        assert dev.hardware.status()["Wi-Fi"] != "ok"
        # plugged back in: found again without a restart, and the next sweep uses it
        plugged["wifi"] = True
        dev.hardware.probe()
        assert dev.hardware.status()["Wi-Fi"] == "ok"
        run.press(cfg.buttons.select_pin)
        run.wait_state("sweeping", timeout=10)
        run.wait_state("result", timeout=60)
        assert dev.daemon.outcome.verdict == "CAMERA" and not dev.daemon.outcome.problems


def test_long_hold_then_next_shuts_down_safely(pins):
    cfg = quick_config()
    calls = []
    dev = build_device(cfg, simulate=True, pin_factory=pins, shutdown=lambda: calls.append("poweroff"))
    with Running(dev, cfg) as run:
        run.press(cfg.buttons.select_pin, hold_s=cfg.buttons.shutdown_press_s + 0.3)
        run.wait_state("poweroff", timeout=10)
        assert calls == []  # asked first (tests/test_device_handheld.py has the whole question)
        run.press(cfg.buttons.next_pin)
        run.wait_state("shutdown", timeout=10)
        assert calls == ["poweroff"] and dev.display.screen == "error"


def test_a_display_that_fails_mid_run_does_not_stop_the_sweeper(pins):
    cfg = quick_config()
    dev = build_device(cfg, simulate=True, pin_factory=pins)

    def broken(*args, **kwargs):
        raise HardwareError("display at I2C 0x3C stopped answering")

    with Running(dev, cfg) as run:
        dev.display.sweeping = broken  # the wire comes loose just as the sweep starts
        run.press(cfg.buttons.select_pin)
        run.wait_state("result")
        assert dev.daemon.outcome.verdict == "CAMERA"
        assert dev.daemon.display.failed.startswith("display at I2C")
