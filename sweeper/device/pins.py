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
