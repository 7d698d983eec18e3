"""The confirmation LEDs: a bright white LED and an infrared one, each switched by a
logic-level MOSFET on a GPIO (hardware/README.md), flashed by a confirmation's
pseudo-random schedule so a camera that sees the room shows the pattern in what it sends.

:class:`StimulusLeds` opens the fitted ones (``confirm.led_pin``, ``confirm.ir_led_pin``;
null = not fitted) as gpiozero outputs, on the real pins or gpiozero's mock pins, like
the buzzer. ``set(which, on)`` switches one; ``off()`` switches both off. A pin that
cannot be opened raises :class:`HardwareError` naming the part and the config key.
"""
from __future__ import annotations

from typing import Dict, Optional

from sweeper.device.pins import open_pin
from sweeper.errors import HardwareError

#: the LEDs by the confirm mode that flashes them: (config key, what it is)
LEDS = {"led": ("led_pin", "white confirmation LED"), "ir_led": ("ir_led_pin", "IR confirmation LED")}

LED_CHECK = "confirmation LEDs"


class StimulusLeds:
    """The fitted confirmation LEDs (``cfg``: the config's ``confirm`` section)."""

    def __init__(self, cfg, pin_factory=None):
        from gpiozero import DigitalOutputDevice

        self.outputs: Dict[str, object] = {}
        try:
            for which, (key, what) in LEDS.items():
                pin = getattr(cfg, key)
                if pin is not None:
                    self.outputs[which] = open_pin(
                        lambda p, **kw: DigitalOutputDevice(p, initial_value=False, **kw),
                        pin, what, f"confirm.{key}", pin_factory)
        except HardwareError:
            self.close()
            raise

    def fitted(self, which: str) -> bool:
        return which in self.outputs

    def set(self, which: str, on: bool) -> None:
        """Switch one LED (``led`` or ``ir_led``); an LED that is not fitted is ignored."""
        out = self.outputs.get(which)
        if out is None:
            return
        try:
            out.on() if on else out.off()
        except Exception as exc:  # noqa: BLE001 (a backend's own errors)
            raise HardwareError(f"the {LEDS[which][1]} failed ({exc}): check its wiring") from exc

    def is_on(self, which: str) -> bool:
        out = self.outputs.get(which)
        return bool(out is not None and out.value)

    def off(self) -> None:
        for which in list(self.outputs):
            self.set(which, False)

    def close(self) -> None:
        for out in self.outputs.values():
            try:
                out.off()
                out.close()
            except Exception:  # closing is best effort
                pass
        self.outputs = {}


def probe(cfg, opener=None):
    """Self-test line: the LEDs the config names, each opened and switched off again.
    Nothing is claimed while the daemon runs: a pin the daemon holds is reported as in use
    by it, which is what a working device looks like."""
    from sweeper.probe import Check

    c = cfg.confirm
    fitted = {which: getattr(c, key) for which, (key, _) in LEDS.items() if getattr(c, key) is not None}
    if not fitted:
        return Check(LED_CHECK, True, f"none fitted (confirm.led_pin and confirm.ir_led_pin are null): "
                     f"confirmations prompt the user ({c.stimulus()})")
    names = ", ".join(f"{LEDS[w][1]} on GPIO{p}" for w, p in fitted.items())
    part = ("a bright white LED (or an 850 nm IR LED) through a logic-level MOSFET (AO3400 or IRLZ44N) "
            "with its series resistor (hardware/README.md)")
    try:
        leds = (opener or StimulusLeds)(c)
    except HardwareError as exc:
        text = str(exc)
        if "busy" in text.lower() or "in use" in text.lower():
            return Check(LED_CHECK, True, f"{names}: in use (by the running daemon)")
        return Check(LED_CHECK, False, f"{names} configured but not usable: {text}",
                     f"wire {part}, or set the pin to null when no LED is fitted")
    leds.close()
    return Check(LED_CHECK, True, f"{names}: the pin opens (a GPIO output cannot tell whether the LED "
                 "is wired: watch it flash during a confirmation)")
