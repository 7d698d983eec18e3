"""The OLED screens on luma's dummy device: what a user would notice, and golden images."""
import os

import numpy as np
import pytest
from PIL import Image

from sweeper.config import DisplayConfig
from sweeper.device import display as disp
from sweeper.device.display import EXAMPLE_SCREENS, Display, NullDisplay, frame_to_text, open_display
from sweeper.errors import HardwareError
from sweeper.kinds import analog_video, wifi_camera

RF_EXAMPLE = analog_video.KIND.example
WIFI_EXAMPLE = wifi_camera.KIND.example

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCREENS_DIR = os.path.join(ROOT, "docs", "screens")


@pytest.fixture
def display():
    d = Display.dummy()
    yield d
    d.close()


def lit(image) -> np.ndarray:
    return np.array(image.convert("1"), dtype=bool)


def test_font_is_shipped_with_its_license():
    assert os.path.isfile(os.path.join(disp.FONT_DIR, disp.BOLD_FONT))
    assert "Bitstream" in open(os.path.join(disp.FONT_DIR, "LICENSE"), encoding="utf-8").read()


@pytest.mark.parametrize("name", sorted(EXAMPLE_SCREENS))
def test_every_screen_shows_a_whole_frame(display, name):
    EXAMPLE_SCREENS[name](display)
    assert display.screen == name.split("_")[0]
    assert display.image.mode == "1" and display.image.size == (128, 64)
    assert lit(display.image).any()
    # what the panel got is the recorded frame
    assert np.array_equal(lit(display.device.image), lit(display.image))


@pytest.mark.parametrize("name", sorted(EXAMPLE_SCREENS))
def test_screens_match_golden_images(display, name):
    """docs/screens/*.png are 4x nearest-neighbour enlargements of the 1-bit frames;
    regenerate with `python -m sweeper.device.display --screens docs/screens`."""
    path = os.path.join(SCREENS_DIR, f"{name}.png")
    golden = lit(Image.open(path))
    assert golden.shape == (64 * disp.PNG_SCALE, 128 * disp.PNG_SCALE)
    EXAMPLE_SCREENS[name](display)
    frame = lit(display.image)
    diff = golden[::disp.PNG_SCALE, ::disp.PNG_SCALE] != frame
    assert not diff.any(), f"{name}: {diff.sum()} pixels differ from {path}"


def test_verdict_is_large_and_alarms_are_inverted(display):
    display.result("CLEAR", 0)
    clear = lit(display.image)
    display.result("CAMERA", 2)
    camera = lit(display.image)
    display.result("SUSPECT", 1)
    suspect = lit(display.image)
    top = slice(0, 34)
    # CLEAR: big text across most of the width and ~20 rows tall
    rows = np.flatnonzero(clear[top].any(axis=1))
    cols = np.flatnonzero(clear[top].any(axis=0))
    assert rows[-1] - rows[0] >= 18 and cols[-1] - cols[0] >= 80
    assert clear[top].sum() > 600
    # alarms: a white block over the top half, readable from across the room
    assert camera[top].mean() > 0.6 and suspect[top].mean() > 0.6
    assert clear[top].mean() < 0.4
    assert (camera != clear).sum() > 1500
    assert (camera[top] != suspect[top]).any()


def test_result_says_how_many_and_what_next(display):
    display.result("CLEAR", 0)
    nothing = lit(display.image)
    display.result("CLEAR", 3)
    three = lit(display.image)
    assert (nothing[34:] != three[34:]).any()
    assert np.array_equal(nothing[:34], three[:34])


def bar_width(image, row: int) -> int:
    return int(lit(image)[row].sum())


def test_progress_bar_grows_with_fraction(display):
    widths = []
    for fraction in (0.0, 0.1, 0.5, 0.9, 1.0):
        display.sweeping(fraction, "Wi-Fi ch 6")
        widths.append(bar_width(display.image, 44))
    assert widths == sorted(widths) and len(set(widths)) == len(widths)
    assert widths[-1] >= 120
    # out of range and NaN clamp instead of drawing garbage
    display.sweeping(7.0, "x")
    assert bar_width(display.image, 44) == widths[-1]
    display.sweeping(float("nan"), "x")
    assert bar_width(display.image, 44) == widths[0]


def test_sweeping_shows_the_label(display):
    display.sweeping(0.5, "2.4GHz 2432 MHz")
    a = lit(display.image)
    display.sweeping(0.5, "Wi-Fi ch 6")
    b = lit(display.image)
    assert (a[18:36] != b[18:36]).any()
    display.sweeping(0.5, "a very long band label that cannot possibly fit on one line")
    assert not lit(display.image)[18:36, 126:].any()


def test_locate_bar_grows_with_level(display):
    widths = []
    for level in (0.0, 0.25, 0.5, 1.0):
        display.locate("5805 MHz video", "-30 dBFS", level)
        widths.append(bar_width(display.image, 56))
    assert widths == sorted(widths) and len(set(widths)) == len(widths)


def test_locate_keeps_its_name_and_the_way_back_whatever_it_follows(display):
    """The header once became "... Espressif Inc. 19:e2": LOCATE and the way out were gone."""
    display.locate("Espressif Inc. 19:e2 on network \"a very long network name\"", "-51 dBm", 0.5, 0.6,
                   "\u25b2 closer")
    wifi = lit(display.image)
    assert display.text.splitlines()[:2] == ["LOCATE", "SELECT: back"]
    assert "\u25b2 closer" in display.text and "-51 dBm" in display.text
    display.locate("5805 MHz video", "-51 dBm", 0.5, 0.6, "\u25b2 closer")
    assert np.array_equal(wifi[:13], lit(display.image)[:13])  # the same header for any target
    assert not wifi[13:46, 127].any()  # no text runs off the edge


def test_locate_peak_mark_sits_where_the_peak_was(display):
    display.locate("x", "-60 dBm", 0.2, None)
    no_peak = lit(display.image)
    marks = []
    for peak in (0.3, 0.8):
        display.locate("x", "-60 dBm", 0.2, peak)
        frame = lit(display.image)
        notch = np.flatnonzero(frame[45] & ~no_peak[45])  # the notch above the bar
        marks.append(notch.mean())
    assert marks[0] < marks[1]
    assert abs(marks[1] - (2 + 124 * 0.8)) < 4


def test_long_error_wraps_inside_the_frame(display):
    display.error("short")
    one_line = lit(display.image)
    message = ("The Wi-Fi adapter wlan1 stopped answering in monitor mode; unplug it and plug "
               "it back in, or check wifi.interface in /etc/sweeper/config.yaml ") * 3
    display.error(message)
    wrapped = lit(display.image)
    text_rows = np.flatnonzero(wrapped[13:].any(axis=1)) + 13
    assert text_rows[-1] - text_rows[0] > 35  # several lines, not one clipped line
    assert not wrapped[13:, 127].any()        # nothing runs off the right edge
    assert one_line[13:].sum() < wrapped[13:].sum()


def test_wrap_breaks_long_words_and_marks_the_cut():
    f = disp.font(10)
    lines = disp._wrap("/very/long/path/without/spaces/" * 4, f, 124, 3)
    assert len(lines) == 3
    assert all(disp._text_width(line, f) <= 124 for line in lines)
    assert lines[-1].endswith("\u2026")
    assert disp._wrap("two words", f, 124, 3) == ["two words"]
    assert disp._wrap("", f, 124, 3) == []


def test_findings_with_missing_fields(display):
    wifi = dict(WIFI_EXAMPLE, vendor=None, channel=None, rssi_dbm=None, uplink_kbps=None,
                score=None, ssid=None)
    display.finding(0, 1, wifi)
    assert display.screen == "finding" and lit(display.image).any()
    rf = dict(RF_EXAMPLE, standard=None, snr_db=None, power_db=None)
    display.finding(0, 1, rf)
    assert lit(display.image).any()
    display.locate(disp.finding_title(wifi), "...", 0.2)
    assert display.screen == "locate"
    display.finding(0, 1, {"type": "analog_video"})
    assert display.screen == "finding"


def test_finding_detail_rows_never_cover_the_certainty(display):
    display.finding(0, 1, dict(WIFI_EXAMPLE, uplink_kbps=1.0))
    short = lit(display.image)
    display.finding(0, 1, dict(WIFI_EXAMPLE, uplink_kbps=123456789.0))
    long = lit(display.image)
    percent = 128 - 2 - disp._text_width("71%", disp.font(10))
    assert np.array_equal(short[52:, percent:], long[52:, percent:])  # "71%" untouched
    assert (short[52:, :60] != long[52:, :60]).any()


def test_a_four_digit_uplink_keeps_its_words(display):
    """ "up 629 k..." was cut to make room for "sure 71%": the detail wins, "sure" goes."""
    display.finding(0, 1, dict(WIFI_EXAMPLE, uplink_kbps=1629.0))
    assert "up 1629 kb/s" in display.text.splitlines() and "71%" in display.text.splitlines()


def test_wifi_finding_without_vendor_names_its_network(display):
    display.finding(0, 1, dict(WIFI_EXAMPLE, vendor=None, ssid="HomeCam"))
    named = lit(display.image)
    display.finding(0, 1, dict(WIFI_EXAMPLE, vendor=None, ssid=None))
    assert (named[14:29] != lit(display.image)[14:29]).any()


def test_screens_after_close_only_record():
    d = Display.dummy()
    d.result("CLEAR", 0)
    d.close()
    d.close()
    d.result("CAMERA", 1)
    d.off()
    assert d.screen == "off"


def test_finding_screens_differ_by_kind_and_position(display):
    display.finding(0, 2, RF_EXAMPLE)
    first = lit(display.image)
    display.finding(1, 2, RF_EXAMPLE)
    second = lit(display.image)
    display.finding(0, 2, WIFI_EXAMPLE)
    wifi = lit(display.image)
    assert (first[:13] != second[:13]).any() and np.array_equal(first[13:], second[13:])
    assert (first[13:] != wifi[13:]).sum() > 100


def test_ready_marks_missing_hardware(display):
    display.ready({"RF": "ok", "Wi-Fi": "ok"})
    both = lit(display.image)
    display.ready({"RF": "ok", "Wi-Fi": "missing"})
    one = lit(display.image)
    assert (both != one).any()
    display.ready({f"part{i}": "ok" for i in range(9)})  # more than fit: no crash
    assert display.screen == "ready"


def test_off_blanks_and_the_next_screen_wakes_it(display):
    display.boot("0.1.0")
    display.off()
    assert display.screen == "off" and not lit(display.image).any()
    display.ready({"RF": "ok"})
    assert display.screen == "ready" and lit(display.device.image).any()


@pytest.mark.parametrize("size", [(128, 32), (128, 128), (96, 64)])
def test_other_panel_sizes_get_the_frame_fitted(size):
    d = Display.dummy(*size)
    d.result("CAMERA", 1)
    assert d.device.image.size == size and lit(d.device.image).any()
    assert d.image.size == (128, 64)


def test_save_png_scales_up(display, tmp_path):
    display.result("CAMERA", 1)
    path = tmp_path / "sub" / "camera.png"
    display.save_png(str(path))
    with Image.open(path) as im:
        assert im.size == (512, 256)


def test_terminal_art_fits_80_columns_and_keeps_every_pixel(display):
    display.result("CAMERA", 2)
    rows = frame_to_text(display.image).splitlines()
    assert len(rows) == 16 + 2 and all(len(r) == 64 + 2 for r in rows)
    # read the pixels back from the braille dots
    frame = display.image.convert("1")
    for y in range(64):
        for x in range(128):
            cell = ord(rows[1 + y // 4][1 + x // 2]) - 0x2800
            assert bool(cell & disp.BRAILLE_DOTS[y % 4][x % 2]) == bool(frame.getpixel((x, y))), (x, y)


def test_script_renders_every_screen(tmp_path, capsys):
    assert disp.main(["--screens", str(tmp_path), "--terminal", "locate"]) == 0
    assert sorted(os.listdir(tmp_path)) == sorted(f"{n}.png" for n in EXAMPLE_SCREENS)
    assert "[locate]" in capsys.readouterr().out


@pytest.mark.skipif(os.path.exists("/dev/i2c-1"), reason="this machine has an I2C bus")
def test_open_display_without_a_panel_says_how_to_fix():
    with pytest.raises(HardwareError) as err:
        open_display(DisplayConfig())
    message = str(err.value)
    assert "0x3C" in message and "bus 1" in message and "dtparam=i2c_arm=on" in message
    assert "\n" not in message


def test_null_display_remembers_the_screen():
    d = NullDisplay()
    d.boot("0.1.0")
    assert d.screen == "boot"
    d.ready({"RF": "ok"})
    d.sweeping(0.5, "x")
    d.result("CLEAR", 0)
    d.finding(0, 1, RF_EXAMPLE)
    assert d.screen == "finding"
    d.locate("5805 MHz", "-3 dBFS", 0.5, 0.6, "steady")
    assert d.screen == "locate"
    d.meter("2.4GHz", "-40 dBFS", 0.5)
    assert d.screen == "meter"
    d.poweroff(9)
    assert d.screen == "poweroff"
    d.error("boom")
    assert d.screen == "error"
    d.off()
    assert d.screen == "off"
    d.close()


def test_a_panel_failing_mid_run_is_a_hardware_error():
    from luma.core.device import dummy

    class LooseWire(dummy):
        def display(self, image):
            raise OSError(121, "Remote I/O error")

    d = Display(LooseWire(width=128, height=64, mode="1"), name="display ssd1306 at I2C 0x3C on bus 1")
    with pytest.raises(HardwareError, match="0x3C.*Remote I/O error.*wiring"):
        d.result("CLEAR", 0)
    assert d.screen == "result"
