"""Opening a gpiozero device on a pin, with one error that says what to check."""
from typing import Callable

from sweeper.errors import HardwareError


def open_pin(make: Callable, pin: int, what: str, config_key: str, pin_factory=None):
    """``make(pin, pin_factory=...)``; any backend's failure becomes a HardwareError
    naming the pin, the part and the config key."""
    try:
        return make(pin, pin_factory=pin_factory)
    except Exception as exc:  # gpiozero, lgpio and RPi.GPIO each raise their own kinds
        raise HardwareError(f"cannot use GPIO{pin} for the {what} ({type(exc).__name__}: {exc}): "
                            f"check {config_key} in the config, that no other program uses the pin, "
                            f"and that this is a Raspberry Pi with a GPIO library (python3-lgpio)") from exc


GPIO_CHECK = "GPIO (buttons, buzzer)"


def probe():
    """Self-test: a GPIO chip and a gpiozero backend that loads on it (the one gpiozero
    would pick for the daemon, found through its public ``ensure_pin_factory``; no pin
    is claimed, so the daemon's buttons keep working)."""
    import glob
    import os
    import warnings

    from sweeper.probe import Check

    chips = sorted(glob.glob("/dev/gpiochip*"))
    pi_fix = ("run on a Raspberry Pi; on a Pi 5 install the lgpio backend (sudo apt install "
              "python3-lgpio, with a venv made --system-site-packages, or pip install lgpio); "
              "add the user to group gpio")
    if os.environ.get("GPIOZERO_PIN_FACTORY", "").lower() == "mock":
        return Check(GPIO_CHECK, False, "GPIOZERO_PIN_FACTORY=mock: buttons and buzzer would be simulated",
                     "unset GPIOZERO_PIN_FACTORY")
    try:
        from gpiozero import Device
    except ImportError as exc:
        return Check(GPIO_CHECK, False, f"gpiozero is not installed ({exc})", "pip install 'gpiozero>=2'")
    previous = Device.pin_factory
    Device.pin_factory = None  # find the default backend, not one a caller set
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            Device.ensure_pin_factory()
            factory = Device.pin_factory
        except Exception as exc:  # gpiozero raises BadPinFactory, backends anything
            Device.pin_factory = previous
            tried = "; ".join(str(w.message).replace("Falling back from ", "") for w in caught)
            where = ", ".join(chips) if chips else "no /dev/gpiochip*"
            return Check(GPIO_CHECK, False, f"{where}; no gpiozero backend loads ({tried or exc})", pi_fix)
    try:
        board = getattr(getattr(factory, "board_info", None), "model", "") or ""
    except Exception:  # noqa: BLE001 (board info is a nicety)
        board = ""
    finally:
        Device.pin_factory = previous
        try:
            factory.close()
        except Exception:  # noqa: BLE001
            pass
    backend = type(factory).__name__
    denied = [c for c in chips if not os.access(c, os.R_OK | os.W_OK)]
    if denied:
        return Check(GPIO_CHECK, False, f"{backend}, but no access to {', '.join(denied)}",
                     "add the user to group gpio (sudo usermod -aG gpio $USER, then log in again)")
    if not chips:
        return Check(GPIO_CHECK, False, f"{backend} loaded but there is no /dev/gpiochip*", pi_fix)
    found = f"{backend} on {board or 'this board'} ({', '.join(chips)})"
    if backend == "NativeFactory":  # gpiozero's last resort
        return Check(GPIO_CHECK, True, found + ": gpiozero's fallback backend",
                     "install python3-lgpio (or pip install lgpio): the native backend watches "
                     "buttons through /sys/class/gpio, which the service keeps read-only")
    return Check(GPIO_CHECK, True, found)
