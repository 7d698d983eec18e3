"""The OLED screens: one method per screen, each drawing a whole 128x64 1-bit frame.

The layout is meant to be read at arm's length at a glance: the verdict is the biggest
thing on its screen and alarms are drawn inverted (a white block), details come in a
second, smaller line. Text uses the DejaVu fonts shipped in ``sweeper/data/fonts`` with
Pillow's basic layout, so a frame is pixel-identical on every machine and the PNGs in
``docs/screens`` double as golden images for the tests.

``python -m sweeper.device.display --screens docs/screens`` renders every screen with
example data; ``--terminal`` prints them as text art.

Why one module of over 400 lines: every screen draws on the same 128x64 canvas helpers
and shipped fonts, and the example screens that render the docs' images must be the same
code; the self-test's probe of the panel sits beside the code that opens it.
"""
from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import threading
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from PIL import Image, ImageDraw, ImageFont

from sweeper import kinds
from sweeper.findings import as_finding
from sweeper.errors import HardwareError

#: every screen is laid out for this size; other panels get it fitted (see _fit_to_device)
FRAME_SIZE = (128, 64)
FONT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "fonts")
BOLD_FONT = "DejaVuSans-Bold.ttf"
#: docs PNGs are scaled up so a 1-pixel stroke is visible on a web page
PNG_SCALE = 4
DRIVERS = ("ssd1306", "sh1106", "ssd1309", "ssd1305", "sh1107")
ALARM_VERDICTS = ("SUSPECT", "CAMERA")

LIT, DARK = 1, 0
W, H = FRAME_SIZE


@functools.lru_cache(maxsize=None)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The shipped font; the basic layout engine avoids raqm/harfbuzz version differences."""
    path = os.path.join(FONT_DIR, BOLD_FONT)
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


# --------------------------------------------------------------------------- drawing helpers


def _text_width(text: str, f: ImageFont.FreeTypeFont) -> int:
    """Pixels the text covers as drawn on a 1-bit frame (hinting differs from anti-aliased
    text): its advance, or its ink when a glyph overhangs the advance."""
    if not text:
        return 0
    return max(int(math.ceil(f.getlength(text, mode="1"))), f.getbbox(text, mode="1")[2])


def _fitting_font(text: str, max_width: int, largest: int, smallest: int) -> ImageFont.FreeTypeFont:
    """The largest size (down to ``smallest``) at which ``text`` fits ``max_width``."""
    for size in range(largest, smallest - 1, -1):
        f = font(size)
        if _text_width(text, f) <= max_width:
            return f
    return font(smallest)


def _clip(text: str, f: ImageFont.FreeTypeFont, max_width: int) -> str:
    """Cut text to fit, marking the cut with an ellipsis, so nothing spills off the panel."""
    if _text_width(text, f) <= max_width:
        return text
    while text and _text_width(text + "\u2026", f) > max_width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _wrap(text: str, f: ImageFont.FreeTypeFont, max_width: int, max_lines: int) -> List[str]:
    """Greedy word wrap by pixel width; words longer than a line are broken; the last
    kept line gets an ellipsis when text is left over."""
    words = text.split()
    lines: List[str] = []
    line = ""
    while words:
        word = words.pop(0)
        candidate = f"{line} {word}" if line else word
        if _text_width(candidate, f) <= max_width:
            line = candidate
            continue
        if not line:  # a single word wider than the panel: break it
            cut = len(word)
            while cut > 1 and _text_width(word[:cut], f) > max_width:
                cut -= 1
            line, rest = word[:cut], word[cut:]
            if rest:
                words.insert(0, rest)
            continue
        lines.append(line)
        line = ""
        words.insert(0, word)
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _clip(lines[-1] + " \u2026", f, max_width)
    return lines


class _Canvas:
    """A blank 1-bit frame with the few drawing primitives the screens share."""

    def __init__(self):
        self.image = Image.new("1", FRAME_SIZE, DARK)
        self.draw = ImageDraw.Draw(self.image)
        self.words: List[str] = []  # every text drawn, in order: what tests and logs read

    def text(self, xy: Tuple[int, int], text: str, f, fill: int = LIT) -> None:
        self.draw.text(xy, text, font=f, fill=fill)
        self.words.append(text)

    def centered(self, y: int, text: str, f, fill: int = LIT, x0: int = 0, x1: int = W) -> None:
        x = x0 + (x1 - x0 - _text_width(text, f)) // 2
        self.text((x, y), text, f, fill)

    def right(self, xy: Tuple[int, int], text: str, f, fill: int = LIT) -> None:
        self.text((xy[0] - _text_width(text, f), xy[1]), text, f, fill)

    def header(self, left: str, right: str = "") -> None:
        """An inverted title strip (rows 0-12): says which screen this is at a glance."""
        self.draw.rectangle((0, 0, W - 1, 12), fill=LIT)
        f = font(10)
        room = W - 8 - _text_width(right, f) if right else W - 4
        self.text((2, 0), _clip(left, f, room), f, fill=DARK)  # words in reading order
        if right:
            self.right((W - 2, 0), right, f, fill=DARK)

    def bar(self, box: Tuple[int, int, int, int], fraction: float, ticks: int = 0) -> None:
        """An outlined bar filled left to right; ``ticks`` marks equal steps below the fill."""
        x0, y0, x1, y1 = box
        self.draw.rectangle(box, outline=LIT, fill=DARK)
        inner = x1 - x0 - 3
        filled = int(round(inner * _unit(fraction)))
        if filled > 0:
            self.draw.rectangle((x0 + 2, y0 + 2, x0 + 1 + filled, y1 - 2), fill=LIT)
        for i in range(1, ticks):
            x = x0 + 2 + round(inner * i / ticks)
            self.draw.line((x, y1 - 3, x, y1 - 2), fill=DARK if x <= x0 + 1 + filled else LIT)

    def peak_mark(self, box: Tuple[int, int, int, int], fraction: float) -> int:
        """A peak-hold marker on a bar drawn by :meth:`bar`: a notch above and below it
        and a line through it (dark on the fill, lit beyond it). Returns its x."""
        x0, y0, x1, y1 = box
        x = x0 + 2 + int(round((x1 - x0 - 3) * _unit(fraction)))
        x = min(x, x1 - 2)
        self.draw.line((x, y0 + 2, x, y1 - 2), fill=DARK if self.image.getpixel((x, (y0 + y1) // 2)) else LIT)
        self.draw.polygon([(x - 3, y0 - 4), (x + 3, y0 - 4), (x, y0 - 1)], fill=LIT)  # a notch on top
        return x


def _unit(value: float) -> float:
    """Clamp to 0..1; NaN counts as 0 so a bad reading never draws garbage."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def _percent(score) -> str:
    return "?" if score is None else f"{_unit(score) * 100:.0f}%"


def finding_title(finding) -> str:
    """What a finding is in a few characters (its kind says: a frequency, a maker and MAC tail)."""
    finding = as_finding(finding)
    return kinds.of(finding).title(finding)


# --------------------------------------------------------------------------- the display


class Display:
    """Screens on a luma device (a real panel, or luma's in-memory dummy for tests).

    Every screen method records ``screen`` (its name), ``image`` (the 128x64 frame) and
    ``text`` (the words on it, one per line). Methods may be called from any thread; one
    frame is drawn at a time.

    Discretion: :meth:`dim` lowers the panel's contrast; :meth:`sleep` blanks the panel
    while screens go on being drawn (``screen``/``image`` say what :meth:`wake` will show).
    """

    #: panel contrast (0-255) normally, and dimmed (quiet mode): low enough not to light a
    #: face or a cubicle wall in the dark, still readable held close
    CONTRAST = 255
    DIM_CONTRAST = 8

    def __init__(self, device, name: str = "display"):
        self.device = device
        self.name = name
        self.screen: Optional[str] = None
        self.room: Optional[str] = None
        self.image: Optional[Image.Image] = None
        self.text = ""
        self.dimmed = False
        self.asleep = False
        self._lock = threading.Lock()
        self._hidden = False
        self._closed = False

    @classmethod
    def dummy(cls, width: int = 128, height: int = 64) -> "Display":
        """An in-memory panel (luma's dummy device): tests, demos and the simulator."""
        from luma.core.device import dummy

        return cls(dummy(width=width, height=height, mode="1"), name="dummy display")

    # ----------------------------------------------------------------- screens

    def boot(self, version: str) -> None:
        c = _Canvas()
        c.centered(2, "SWEEPER", font(22))
        c.centered(29, "hidden-camera sweeper", font(9))
        c.centered(40, f"v{version}" if version and version[0].isdigit() else str(version), font(10))
        c.centered(53, "starting\u2026", font(9))
        self._show("boot", c)

    def ready(self, hardware: Dict[str, str], room: str = "", quiet: bool = False,
              battery: Optional[float] = None, battery_low: bool = False) -> None:
        """What is plugged in (a tick or a cross per part, missing parts first), the room
        the next sweep is labelled with (NEXT changes it when venue.rooms lists several),
        quiet mode and the battery level when a gauge is fitted (LOW at battery.low_percent),
        and how to start."""
        c = _Canvas()
        small = font(9)
        marks = []
        if quiet:
            marks.append("QUIET")
        if battery is not None:
            marks.append(("LOW " if battery_low else "") + f"{_unit(battery / 100.0) * 100:.0f}%")
        x = W - 1
        tags = []
        for mark in reversed(marks):  # inverted tags at the top right
            w = _text_width(mark, small)
            tags.append((x - w - 1, mark))
            c.draw.rectangle((x - w - 3, 1, x, 11), fill=LIT)
            x -= w + 6
        tf = _fitting_font("READY", x - 2, 13, 8)
        c.text((2, 13 - tf.size), "READY", tf)
        for tx, mark in reversed(tags):  # drawn after the title: words in reading order
            c.text((tx, 1), mark, small, fill=DARK)
        f = font(11)
        self.room = room  # what the screen shows, for tests and --terminal
        if room:
            c.text((1, 37), _clip(f"\u2302 {room}", f, W - 2), f)  # a house: the room
        parts = sorted(hardware.items(), key=lambda kv: str(kv[1]).lower() == "ok")  # missing first
        cells = 4 if room else 6
        if len(parts) > cells:  # the last cell counts what did not fit (all working: missing come first)
            parts = parts[:cells - 1] + [(f"+{len(parts) - cells + 1} ok", "ok")]
        for i, (part, status) in enumerate(parts):
            x, y = 1 + (i % 2) * 64, 15 + (i // 2) * 11
            if str(status).lower() == "ok":
                c.text((x, y), "\u2714", f)
            else:  # a drawn cross reads better than the font's small ballot X
                c.draw.line((x + 1, y + 3, x + 8, y + 10), fill=LIT, width=2)
                c.draw.line((x + 1, y + 10, x + 8, y + 3), fill=LIT, width=2)
            c.text((x + 12, y), _clip(str(part), f, 51), f)
        c.draw.rectangle((0, 52, W - 1, H - 1), fill=LIT)
        c.centered(52, "press SELECT to sweep", font(10), fill=DARK)
        self._show("ready", c)

    def sweeping(self, fraction: float, label: str) -> None:
        """Progress and what is being listened to right now."""
        c = _Canvas()
        percent = f"{_unit(fraction) * 100:.0f}%"
        pf = font(14)
        tf = _fitting_font("SWEEPING", W - 10 - _text_width(percent, pf), 14, 10)  # room for "100%"
        c.text((2, 14 - tf.size), "SWEEPING", tf)
        c.right((W - 2, 0), percent, pf)
        label = str(label)
        lf = _fitting_font(label, W - 4, 13, 9)
        c.centered(20, _clip(label, lf, W - 4), lf)
        c.bar((0, 37, W - 1, 52), fraction, ticks=4)
        c.centered(54, "SELECT: stop", font(9))
        self._show("sweeping", c)

    def result(self, verdict: str, n_findings: int, missing: Sequence[str] = ()) -> None:
        """The verdict, huge; an alarm verdict is a solid white block, an incomplete one
        a frame, with what was not heard under it (``missing``: the sweep's gaps)."""
        c = _Canvas()
        verdict = str(verdict).upper()
        alarm = verdict in ALARM_VERDICTS
        vf = _fitting_font(verdict, W - 6, 28, 12)
        if alarm:
            c.draw.rectangle((0, 0, W - 1, 33), fill=LIT)
        elif verdict == "INCOMPLETE":
            c.draw.rectangle((0, 0, W - 1, 33), outline=LIT, width=2)
        _, top, _, bottom = vf.getbbox(verdict, mode="1")
        c.centered(17 - (top + bottom) // 2, verdict, vf, fill=DARK if alarm else LIT)
        if n_findings:
            count = f"{n_findings} finding" + ("" if n_findings == 1 else "s")
        elif missing:  # "900MHz: ..." -> "900MHz": the subjects fit, the reasons go to the log
            count = "not heard: " + ", ".join(dict.fromkeys(g.split(":")[0] for g in missing))
        else:
            count = "nothing found"
        cf = font(12) if _text_width(count, font(12)) <= W - 2 else font(10)
        c.centered(36, _clip(count, cf, W - 2), cf)
        hint = "NEXT: details" if n_findings else "SELECT: sweep again"
        c.centered(52, hint, font(10))
        self._show("result", c)

    def finding(self, index: int, total: int, finding) -> None:
        """One finding (a Finding or its JSON): what (type, maker), where (frequency /
        channel), how strong, how sure.

        ``index`` is 0-based, shown as ``index+1/total``.
        """
        finding = as_finding(finding)
        c = _Canvas()
        verdict = "KNOWN" if finding.known else finding.verdict.word  # KNOWN: in the room's baseline, unchanged
        kind = kinds.of(finding)
        c.header(f"{index + 1}/{total} {verdict}".strip(), kind.tag)
        big = kind.big(finding)
        lines = kind.details(finding)[:3]
        bf = _fitting_font(big, W - 4, 14, 9)
        c.text((2, 14), _clip(big, bf, W - 4), bf)
        small = font(10)
        sure = f"sure {_percent(finding.score)}"
        if len(lines) > 2 and _text_width(lines[2], small) > W - 8 - _text_width(sure, small):
            sure = _percent(finding.score)  # the detail keeps its words; "sure" goes first
        c.right((W - 2, 52), sure, small)
        for i, text in enumerate(lines):
            room = W - 4 if i < 2 else W - 8 - _text_width(sure, small)  # the last row shares
            c.text((2, 30 + i * 11), _clip(text, small, room), small)
        self._show("finding", c)

    def locate(self, what: str, reading: str, level: float = 0.0, peak: Optional[float] = None,
               trend: str = "", hint: Optional[str] = None) -> None:
        """Locate mode: LOCATE and the way back stay in the header; what is being
        followed, the trend (closer / farther) and the reading; a thick bar with a
        peak-hold mark. With ``hint``: a line of text instead of the bar."""
        self._meter_screen("locate", "LOCATE", what, reading, level, peak, trend, hint)

    def meter(self, band: str, reading: str, level: float = 0.0, peak: Optional[float] = None,
              trend: str = "", hint: Optional[str] = None) -> None:
        """The signal meter: live power on one band, walked around the room like a
        handheld RF detector; NEXT steps the band."""
        self._meter_screen("meter", "METER", band, reading, level, peak, trend, hint)

    def _meter_screen(self, screen: str, title: str, what: str, reading: str, level: float,
                      peak: Optional[float], trend: str, hint: Optional[str]) -> None:
        c = _Canvas()
        c.header(title, "SELECT: back")
        small = font(10)
        c.text((2, 14), _clip(str(what), small, W - 4), small)
        trend = str(trend or "")
        reading = str(reading)
        room = W - 4 - (_text_width(trend, small) + 4 if trend else 0)
        rf = _fitting_font(reading, room, 18, 10)
        c.text((2, 26), _clip(reading, rf, room), rf)
        if trend:
            c.right((W - 2, 31), trend, small)
        if hint is None:
            box = (0, 48, W - 1, H - 1)
            c.bar(box, level, ticks=4)
            if peak is not None:
                c.peak_mark(box, peak)
        else:
            c.centered(48, _clip(hint, font(10), W - 4), font(10))
        self._show(screen, c)

    def poweroff(self, seconds_left: float) -> None:
        """Asks before powering off (a long hold of SELECT): a nervous hold must not end a
        sweep in a restroom. NEXT confirms; SELECT, or waiting, cancels."""
        c = _Canvas()
        c.draw.rectangle((0, 0, W - 1, 27), outline=LIT, width=2)
        pf = _fitting_font("POWER OFF?", W - 8, 18, 10)
        _, t, _, b = pf.getbbox("POWER OFF?", mode="1")
        c.centered(14 - (t + b) // 2, "POWER OFF?", pf)
        f = font(10)
        c.text((2, 30), "NEXT: power off", f)
        c.text((2, 41), "SELECT: cancel", f)
        c.right((W - 2, 52), f"{max(0, int(math.ceil(seconds_left)))}s", font(10))
        self._show("poweroff", c)

    def confirm(self, finding, seconds_left: float, prompt: str, strength: float, heard: bool = True) -> None:
        """A confirmation running: what to do now (the prompt, big), the seconds left, and
        the live response bar (how strongly the camera has followed the stimulus so far)."""
        c = _Canvas()
        c.header(f"WATCHING? {finding_title(finding)}", f"{max(0, int(math.ceil(seconds_left)))}s")
        prompt = str(prompt or "")
        pf = _fitting_font(prompt, W - 4, 16, 11)
        lines = [prompt] if _text_width(prompt, pf) <= W - 4 else _wrap(prompt, font(11), W - 4, 2)
        if len(lines) == 1:
            c.centered(16, _clip(lines[0], pf, W - 4), pf)
        else:
            for i, line in enumerate(lines):
                c.centered(14 + i * 12, line, font(11))
        small = font(9)
        c.text((2, 38), "response", small)
        c.right((W - 2, 38), "heard" if heard else "NOT HEARD", small)
        c.bar((0, 50, W - 1, H - 1), strength, ticks=4)
        self._show("confirm", c)

    def confirmed(self, finding, watching: str, reason: str) -> None:
        """A confirmation's verdict: WATCHING THIS ROOM (an alarm: a solid white block),
        NO RESPONSE or UNSURE (framed), one reason line, and the way back."""
        from sweeper.watching import SCREEN_WORDS

        c = _Canvas()
        word = SCREEN_WORDS.get(watching, "UNSURE")
        alarm = watching == "yes"
        if alarm:
            c.draw.rectangle((0, 0, W - 1, 35), fill=LIT)
            top, bottom = word.rsplit(" ", 2)[0], " ".join(word.split()[1:])  # WATCHING / THIS ROOM
            bf = _fitting_font(top, W - 6, 17, 10)
            c.centered(1, top, bf, fill=DARK)
            c.centered(18, bottom, bf, fill=DARK)
        else:
            c.draw.rectangle((0, 0, W - 1, 35), outline=LIT, width=2)
            vf = _fitting_font(word, W - 8, 20, 10)
            _, t, _, b = vf.getbbox(word, mode="1")
            c.centered(18 - (t + b) // 2, word, vf)
        c.centered(38, _clip(str(reason), font(10), W - 2), font(10))
        c.centered(52, _clip(f"{finding_title(finding)}  SELECT: back", font(9), W - 2), font(9))
        self._show("confirmed", c)

    def error(self, message: str) -> None:
        """A problem the user can act on, word-wrapped to fit."""
        c = _Canvas()
        c.header("! ERROR")
        f = font(10)
        for i, line in enumerate(_wrap(str(message), f, W - 4, 4)):
            c.text((2, 15 + i * 12), line, f)
        self._show("error", c)

    # ----------------------------------------------------------------- power

    def dim(self, on: bool) -> None:
        """Quiet mode's low contrast (or back to full)."""
        with self._lock:
            self.dimmed = bool(on)
            if not self._closed:
                self._device_call(self.device.contrast, self.DIM_CONTRAST if on else self.CONTRAST)

    def sleep(self) -> None:
        """Blank the panel; screens drawn meanwhile are kept for :meth:`wake` (a verdict in
        quiet mode, or an idle device, stays dark until a button is pressed)."""
        with self._lock:
            self.asleep = True
            if self._closed or self._hidden:
                return
            self._device_call(self.device.clear)
            self._device_call(self.device.hide)
            self._hidden = True

    def wake(self) -> None:
        """Show the last screen drawn again."""
        with self._lock:
            self.asleep = False
            if self._closed or self.image is None:
                return
            if self._hidden:
                self._device_call(self.device.show)
                self._hidden = False
            self._device_call(self.device.display, _fit_to_device(self.image, self.device))

    def off(self) -> None:
        """Blank the panel and put it in power-save; the next screen switches it back on."""
        with self._lock:
            self.screen = "off"
            self.image = Image.new("1", FRAME_SIZE, DARK)
            if self._closed:
                return
            self._device_call(self.device.clear)
            self._device_call(self.device.hide)
            self._hidden = True

    def close(self) -> None:
        """Blank the panel and release the bus (luma's cleanup); later screens only
        record what they would show."""
        with self._lock:
            self.screen = "closed"
            if self._closed:
                return
            self._closed = True
            try:
                self.device.cleanup()
            except Exception:  # closing is best effort: the panel may already be gone
                pass

    # ----------------------------------------------------------------- output

    def save_png(self, path: str, scale: int = PNG_SCALE) -> None:
        """Write the last frame scaled up (nearest neighbour) for documentation."""
        if self.image is None:
            raise ValueError("no frame shown yet")
        frame = self.image.resize((W * scale, H * scale), Image.NEAREST)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        frame.save(path, optimize=True)

    def _show(self, screen: str, canvas: _Canvas) -> None:
        with self._lock:
            self.screen = screen
            self.image = canvas.image
            self.text = "\n".join(canvas.words)
            if self._closed or self.asleep:
                return
            if self._hidden:
                self._device_call(self.device.show)
                self._hidden = False
            self._device_call(self.device.display, _fit_to_device(canvas.image, self.device))

    def _device_call(self, method: Callable, *args) -> None:
        """Run a luma call; an I2C failure mid-run (a loose wire) becomes a HardwareError."""
        try:
            method(*args)
        except (OSError, _luma_errors()) as exc:
            raise HardwareError(f"{self.name}: {exc}. Check the panel's wiring.") from exc


def _fit_to_device(frame: Image.Image, device) -> Image.Image:
    """The 128x64 frame on a panel of another size (or turned a quarter): centred when it
    fits, shrunk to fit (keeping its aspect) when the panel is smaller."""
    size = tuple(device.size)
    if size == FRAME_SIZE:
        return frame
    out = Image.new("1", size, DARK)
    scale = min(1.0, size[0] / W, size[1] / H)
    fitted = frame if scale == 1.0 else frame.resize((max(1, int(W * scale)), max(1, int(H * scale))),
                                                     Image.NEAREST)
    out.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return out


def _luma_errors():
    from luma.core.error import Error

    return Error


class NullDisplay:
    """No panel: the same methods, drawing nothing; ``screen`` says what would be shown."""

    def __init__(self):
        self.screen: Optional[str] = None
        self.room: Optional[str] = None
        self.image = None
        self.text = ""
        self.dimmed = False
        self.asleep = False

    def boot(self, version: str) -> None:
        self.screen = "boot"

    def ready(self, hardware: Dict[str, str], room: str = "", quiet: bool = False,
              battery: Optional[float] = None, battery_low: bool = False) -> None:
        self.screen = "ready"
        self.room = room

    def sweeping(self, fraction: float, label: str) -> None:
        self.screen = "sweeping"

    def result(self, verdict: str, n_findings: int, missing: Sequence[str] = ()) -> None:
        self.screen = "result"

    def finding(self, index: int, total: int, finding: dict) -> None:
        self.screen = "finding"

    def locate(self, what: str, reading: str, level: float = 0.0, peak: Optional[float] = None,
               trend: str = "", hint: Optional[str] = None) -> None:
        self.screen = "locate"

    def meter(self, band: str, reading: str, level: float = 0.0, peak: Optional[float] = None,
              trend: str = "", hint: Optional[str] = None) -> None:
        self.screen = "meter"

    def poweroff(self, seconds_left: float) -> None:
        self.screen = "poweroff"

    def dim(self, on: bool) -> None:
        self.dimmed = bool(on)

    def sleep(self) -> None:
        self.asleep = True

    def wake(self) -> None:
        self.asleep = False

    def confirm(self, finding, seconds_left: float, prompt: str, strength: float, heard: bool = True) -> None:
        self.screen = "confirm"

    def confirmed(self, finding, watching: str, reason: str) -> None:
        self.screen = "confirmed"

    def error(self, message: str) -> None:
        self.screen = "error"

    def off(self) -> None:
        self.screen = "off"

    def close(self) -> None:
        self.screen = "closed"

    def save_png(self, path: str, scale: int = PNG_SCALE) -> None:
        """Nothing was drawn, so there is nothing to save."""


def open_display(cfg) -> Display:
    """The configured panel (``cfg`` is a :class:`sweeper.config.DisplayConfig`).

    A missing, busy or unreadable panel raises :class:`HardwareError` with the fix.
    """
    from luma.core.error import DeviceNotFoundError, DevicePermissionError, Error
    from luma.core.interface.serial import i2c
    import luma.oled.device as oled

    if cfg.driver not in DRIVERS:
        raise HardwareError(f"unknown display driver {cfg.driver!r}: use one of {', '.join(DRIVERS)}")
    where = f"I2C 0x{cfg.i2c_address:02X} on bus {cfg.i2c_port}"
    fix = (f"check the wiring, enable I2C (dtparam=i2c_arm=on in /boot/firmware/config.txt), "
           f"and look for the panel with `i2cdetect -y {cfg.i2c_port}`")
    try:
        device = _open_panel(cfg, i2c, getattr(oled, cfg.driver))
    except DevicePermissionError as exc:
        raise HardwareError(f"no permission to use the display at {where} ({exc}): add the user to "
                            f"the i2c group (sudo usermod -aG i2c $USER) and log in again") from exc
    except DeviceNotFoundError as exc:
        raise HardwareError(f"no display at {where} ({exc}): {fix}") from exc
    except (OSError, Error) as exc:
        raise HardwareError(f"display {cfg.driver} at {where} failed ({exc}): {fix}; "
                            f"check display.driver, width and height") from exc
    return Display(device, name=f"display {cfg.driver} at {where}")


def _open_panel(cfg, i2c, driver):
    """The luma device; the bus is let go again when the panel does not answer."""
    serial = i2c(port=cfg.i2c_port, address=cfg.i2c_address)
    try:
        return driver(serial, width=cfg.width, height=cfg.height, rotate=cfg.rotate)
    except BaseException:
        try:
            serial.cleanup()
        except Exception:
            pass
        raise


# --------------------------------------------------------------------------- examples and CLI

#: name -> how to draw it: the docs PNGs, the golden images and the terminal demo
EXAMPLE_SCREENS: Dict[str, Callable[[Display], None]] = {
    "boot": lambda d: d.boot("0.1.0"),
    "ready": lambda d: d.ready({"RF": "ok", "Wi-Fi": "missing", "LAN": "ok"}, "Room 101", battery=73),
    "ready_quiet": lambda d: d.ready({"RF": "ok", "Wi-Fi": "ok"}, "Changing room 3", quiet=True, battery=12,
                                     battery_low=True),
    "sweeping": lambda d: d.sweeping(0.43, "2.4GHz 2432 MHz"),
    "sweeping_done": lambda d: d.sweeping(1.0, "deciding"),
    "result_clear": lambda d: d.result("CLEAR", 0),
    "result_camera": lambda d: d.result("CAMERA", 2),
    "result_incomplete": lambda d: d.result("INCOMPLETE", 0, ["900MHz: not heard through the 2.4GHz converter",
                                                              "1.2GHz: not heard through the 2.4GHz converter"]),
    # one finding screen per registered kind, from the example its module declares
    **{f"finding_{k.type}": (lambda d, i=i, k=k: d.finding(i, len(kinds.REGISTRY), k.example))
       for i, k in enumerate(kinds.REGISTRY.values())},
    "locate": lambda d: d.locate("Espressif 19:e2", "-51 dBm", 0.62, 0.7, "\u25b2 closer"),
    "locate_farther": lambda d: d.locate("5805 MHz video", "-23 dBFS", 0.35, 0.8, "\u25bc farther"),
    "meter": lambda d: d.meter("2.4GHz", "-38 dBFS", 0.45, 0.52, "steady"),
    "poweroff": lambda d: d.poweroff(8.2),
    "confirm": lambda d: d.confirm(next(iter(kinds.REGISTRY.values())).example, 14.2, "Lights OFF now", 0.55),
    "confirm_led": lambda d: d.confirm(next(iter(kinds.REGISTRY.values())).example, 7.0, "LED flashing: keep "
                                       "still", 0.2, heard=False),
    "confirmed_yes": lambda d: d.confirmed(next(iter(kinds.REGISTRY.values())).example, "yes", "p=0.0005, 0.4s later"),
    "confirmed_no": lambda d: d.confirmed(next(iter(kinds.REGISTRY.values())).example, "no_response",
                                          "not proof it is elsewhere"),
    "confirmed_unsure": lambda d: d.confirmed(next(iter(kinds.REGISTRY.values())).example, "unknown",
                                              "camera not heard enough"),
    "error": lambda d: d.error("No RTL-SDR found: plug the dongle in, or check rf.source "
                               "in the config"),
}


#: the dot of a braille cell (U+2800 plus these bits) at (column, row) of its 2x4 pixels
BRAILLE_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def frame_to_text(image: Image.Image) -> str:
    """Text art of a frame, every pixel kept: one braille character per 2x4 pixels, so
    the 128x64 screen is 64 columns by 16 rows (66 by 18 with its border) and fits an
    80-column terminal."""
    frame = image.convert("1")
    width, height = frame.size
    px = frame.load()
    rows = []
    for top in range(0, height, 4):
        cells = []
        for left in range(0, width, 2):
            bits = 0
            for dy, dots in enumerate(BRAILLE_DOTS):
                for dx, bit in enumerate(dots):
                    x, y = left + dx, top + dy
                    if x < width and y < height and px[x, y]:
                        bits |= bit
            cells.append(chr(0x2800 + bits))
        rows.append("".join(cells))
    border = "+" + "-" * ((width + 1) // 2) + "+"
    return "\n".join([border] + [f"|{r}|" for r in rows] + [border])


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sweeper.device.display",
                                description="Render the device's screens with example data.")
    p.add_argument("--screens", metavar="DIR", help="write one PNG per screen (scaled 4x) into DIR")
    p.add_argument("--terminal", nargs="?", const="all", metavar="SCREEN",
                   choices=["all", *EXAMPLE_SCREENS],
                   help="print a screen (default: all of them) as text art")
    args = p.parse_args(argv)
    if not args.screens and not args.terminal:
        p.error("give --screens DIR and/or --terminal [SCREEN]")
    display = Display.dummy()
    for name, draw in EXAMPLE_SCREENS.items():
        draw(display)
        if args.screens:
            path = os.path.join(args.screens, f"{name}.png")
            display.save_png(path)
            print(path)
        if args.terminal in ("all", name):
            print(f"[{name}]")
            print(frame_to_text(display.image))
    return 0


DISPLAY_CHECK = "display (I2C)"


def probe(d):
    """Self-test of the OLED (``d`` is the config's ``display`` section): the I2C bus
    exists, is ours to open, and something answers at its address. The panel is only
    addressed, the way i2cdetect does: luma's constructor would clear the screen the
    daemon is drawing, and its exit hook would switch the panel off."""
    import errno

    from sweeper.probe import Check

    if not d.enabled:
        return Check(DISPLAY_CHECK, True, "not used (display.enabled: false)")
    node = f"/dev/i2c-{d.i2c_port}"
    addr = f"0x{d.i2c_address:02X}"
    wiring = (f"check the wiring (SDA to GPIO2, SCL to GPIO3, 3.3 V, GND) and the address with "
              f"`i2cdetect -y {d.i2c_port}`; set display.i2c_address to what it shows (0x3C or 0x3D)")
    if not os.path.exists(node):
        return Check(DISPLAY_CHECK, False, f"{node} not found: I2C is off, or this is not a Raspberry Pi",
                     "enable I2C: add dtparam=i2c_arm=on to /boot/firmware/config.txt (or "
                     "`sudo raspi-config nonint do_i2c 0`) and reboot; then " + wiring)
    try:
        import luma.oled.device
        import smbus2
        from luma.core.interface.serial import i2c
    except ImportError as exc:
        return Check(DISPLAY_CHECK, False, f"luma.oled is not installed ({exc})", "pip install luma.oled")
    if not hasattr(luma.oled.device, d.driver):
        return Check(DISPLAY_CHECK, False, f"luma.oled has no {d.driver} driver",
                     "upgrade luma.oled (pip install -U luma.oled) or pick another display.driver")
    try:
        bus = smbus2.SMBus(d.i2c_port)
    except PermissionError:
        return Check(DISPLAY_CHECK, False, f"no permission to open {node}",
                     "add the user to group i2c (sudo usermod -aG i2c $USER, then log in again)")
    except OSError as exc:
        return Check(DISPLAY_CHECK, False, f"cannot open {node}: {exc}", wiring)
    try:
        i2c(bus=bus, address=d.i2c_address)  # luma's own checks on the configured panel
        try:
            bus.write_quick(d.i2c_address)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.ENOTSUP):
                raise
            bus.read_byte(d.i2c_address)  # an adapter without SMBus quick: read instead
    except OSError as exc:
        if exc.errno in (errno.EREMOTEIO, errno.EIO, errno.ENXIO):
            return Check(DISPLAY_CHECK, False, f"nothing answers at {addr} on {node}", wiring)
        return Check(DISPLAY_CHECK, False, f"probing {addr} on {node} failed: {exc}", wiring)
    finally:
        bus.close()
    return Check(DISPLAY_CHECK, True, f"{d.driver} {d.width}x{d.height} answers at {addr} on {node}")


if __name__ == "__main__":
    sys.exit(main())
