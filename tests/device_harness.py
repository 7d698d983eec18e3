"""Driving the device in tests: mock pins, a quick configuration, the daemon in a thread."""
import dataclasses
import threading
import time

from sweeper.config import default_config


def quick_config(**wifi):
    """One RF band and a short Wi-Fi sweep: a whole device sweep in a few seconds."""
    cfg = default_config()
    w = dataclasses.replace(cfg.wifi, channels=(1, 6, 11), duration_s=8.0, **wifi)
    rf = dataclasses.replace(cfg.rf, bands=("2.4GHz",))
    return dataclasses.replace(cfg, wifi=w, rf=rf)


class Running:
    """The daemon in a thread; press buttons on its mock pins; wait for its screens."""

    def __init__(self, device, cfg):
        self.dev, self.cfg = device, cfg
        self.shutdowns = []
        self.thread = threading.Thread(target=device.daemon.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        self.wait_state("ready")
        return self

    def __exit__(self, *exc):
        self.dev.daemon.quit()
        self.thread.join(timeout=30)
        self.dev.close()

    def pin(self, number):
        return self.dev.pin_factory.pin(number)

    def press(self, number, hold_s=0.1):
        pin = self.pin(number)
        pin.drive_low()
        time.sleep(hold_s)
        pin.drive_high()
        time.sleep(0.1)

    def wait_state(self, state, timeout=120):
        deadline = time.monotonic() + timeout
        while self.dev.daemon.state != state:
            assert time.monotonic() < deadline, f"still {self.dev.daemon.state}, wanted {state}"
            time.sleep(0.05)

    def wait_until(self, condition, what, timeout=5):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
            time.sleep(0.05)

    def wait_screen(self, screen, timeout=30):
        deadline = time.monotonic() + timeout
        while self.dev.display.screen != screen:
            assert time.monotonic() < deadline, f"screen {self.dev.display.screen}, wanted {screen}"
            time.sleep(0.05)
