"""The repository's own docs: nothing cites a file outside the repository, and the
numbers docs/RADIO.md quotes are the ones the code uses."""
import os
import re
import subprocess

import pytest

from sweeper.rf import channels, video

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RADIO = open(os.path.join(ROOT, "docs", "RADIO.md")).read()


def test_nothing_cites_the_field_notes_outside_the_repository():
    hits = subprocess.run(["git", "grep", "-n", "FIELD-NOTES", "--", ".", ":!tests/test_docs.py"],
                          cwd=ROOT, capture_output=True, text=True).stdout
    assert hits == ""


def _hz(text: str) -> float:
    return float(text.replace(",", ""))


def test_line_rates_are_the_detectors():
    pal = re.search(r"PAL/SECAM: 625 lines at 25 frames/s, a ([\d,.]+) Hz line rate", RADIO)
    ntsc = re.search(r"NTSC/PAL-M: 525 lines, a\s+([\d,.]+) Hz line rate", RADIO)
    assert pal and ntsc
    assert _hz(pal.group(1)) == pytest.approx(1 / video.PAL_LINE_S)
    assert _hz(ntsc.group(1)) == pytest.approx(1 / video.NTSC_LINE_S, abs=0.01)
    assert "fields of 312.5 lines" in RADIO and "fields of 262.5 lines" in RADIO
    assert {fields for _, fields in video.LINE_SYSTEMS.values()} == {312.5, 262.5}


def test_colour_subcarriers_are_the_detectors():
    text = " ".join(RADIO.split())
    for std, hz in video.CHROMA_HZ.items():
        quoted = re.search(r"([\d.]+) MHz \(" + re.escape(std) + r"\)", text)
        assert quoted and float(quoted.group(1)) * 1e6 == pytest.approx(hz, abs=0.5), std
    rest = re.search(r"SECAM's FM subcarriers rest at ([\d.]+) and ([\d.]+) MHz", text)
    assert rest and tuple(float(x) * 1e6 for x in rest.groups()) == video.SECAM_REST_HZ


def test_channel_tables_are_the_code():
    text = " ".join(RADIO.split())
    three = channels.VIDEO_CHANNELS_MHZ["3.3"]
    assert f"3.3 GHz {min(three)}-{max(three)} MHz in 20 MHz steps" in text
    assert set(channels.NAMED_BANDS) == set(channels.VIDEO_CHANNELS_MHZ) - {"900"}
    assert "910-960 MHz" in text and channels.VIDEO_CHANNELS_MHZ["900"][0] == 910


def test_long_modules_say_why_they_are_one_module():
    """No module over about 400 lines without a reason in its docstring."""
    import ast

    files = subprocess.run(["git", "ls-files", "sweeper/*.py"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    long = []
    for path in files:
        text = open(os.path.join(ROOT, path)).read()
        if text.count("\n") > 420:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "Why one module of over 400 lines:" not in doc:
                long.append(path)
    assert long == []


def test_the_damaged_sample_rules_are_the_readers():
    from sweeper.rf.sources import recording as rec

    readme = " ".join(open(os.path.join(ROOT, "README.md")).read().split())
    assert f"not finite (NaN, infinity) or beyond {rec.ABSURD:,.0f} is not a measurement" in readme
    spike = re.search(r"at most (\d+) samples at (\d+) dB above the mean power around them and (\d+) dB "
                      r"above the samples on either side", readme)
    assert spike, "README's short-spike rule"
    assert int(spike.group(1)) == rec.SPIKE_SAMPLES
    assert 10 ** (int(spike.group(2)) / 10) == pytest.approx(rec.SPIKE_OVER_MEAN)
    assert 10 ** (int(spike.group(3)) / 10) == pytest.approx(rec.SPIKE_OVER_NEIGHBOURS)


def test_the_confirmation_numbers_are_the_code():
    from sweeper.confirm import live, lockin, wifi_response

    readme = " ".join(open(os.path.join(ROOT, "README.md")).read().split())
    assert f"It compares that with {lockin.N_SURROGATES:,} schedules of the same design" in readme
    assert f"**WATCHING** needs p <= {lockin.P_YES:g}" in readme
    assert f"at most {lockin.P_YES:.1%} of the time" in readme
    assert (f"less than {lockin.MIN_SPAN_S:g} s, fewer than {lockin.MIN_CHANGES} changes, or the camera heard in "
            f"less than {lockin.MIN_HEARD_SHARE:.0%} of the time") in readme
    assert f"at delays of 0-{lockin.MAX_DELAY_S:g} s" in readme
    assert f"per {wifi_response.BIN_S:g} s" in readme
    led, lights = live.PLANS["led"][0], live.PLANS["lights"][0]
    assert f"the LED flips every {led[0]:g}-{led[1]:g} s" in readme
    assert f"switch the light every {lights[0]:g}-{lights[1]:g} s" in readme
    from sweeper.confirm import stimulus

    assert f"spanning at most {stimulus.MAX_SPAN_S:g} s; the recording is judged within {lockin.CONTEXT_S:g} s" in readme
