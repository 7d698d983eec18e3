"""The local-dongle source. Without hardware only its refusals can be tested: they must
tell the user what to check, on one line."""
import pytest

from sweeper.errors import HardwareError
from sweeper.rf.sources.rtlsdr_local import RtlSdrSource, check_sample_rate, tuner_info_for


def _dongles_present():
    try:
        import rtlsdr
    except Exception as exc:  # librtlsdr missing: the constructor's other message
        return exc
    return rtlsdr.librtlsdr.rtlsdr_get_device_count()


@pytest.mark.parametrize("kwargs", [{}, {"device_index": 1}, {"serial": "00000001"}])
def test_no_dongle_says_what_to_check(kwargs):
    present = _dongles_present()
    if isinstance(present, Exception):
        pytest.skip(f"librtlsdr cannot load here: {present}")
    if present:
        pytest.skip("an RTL-SDR dongle is plugged in")
    with pytest.raises(HardwareError) as e:
        RtlSdrSource(**kwargs)
    msg = str(e.value)
    assert "\n" not in msg
    assert "no RTL-SDR dongle found" in msg and "rtl_test" in msg and "plugged in" in msg


@pytest.mark.parametrize("rate", [250_000, 1_024_000, 2_048_000, 2.4e6, 3_200_000])
def test_rates_librtlsdr_accepts(rate):
    assert check_sample_rate(rate) == int(rate)


@pytest.mark.parametrize("rate", [225_000, 300_001, 500e3, 900_000, 3_200_001, 10e6, 0,
                                  float("nan"), "fast"])
def test_rates_librtlsdr_refuses_are_explained(rate):
    with pytest.raises(HardwareError) as e:
        check_sample_rate(rate)
    assert "225,001-300,000 or 900,001-3,200,000 S/s" in str(e.value)


def test_tuner_ranges_for_planning():
    assert tuner_info_for(5).name == "R820T" and tuner_info_for(5).max_hz == pytest.approx(1766e6)
    assert tuner_info_for(6).min_hz == pytest.approx(24e6)
    e4000 = tuner_info_for(1)
    assert e4000.name == "E4000" and (e4000.min_hz, e4000.max_hz) == pytest.approx((54e6, 2147e6))
    unknown = tuner_info_for(0)
    assert "assuming R820T" in unknown.name and unknown.max_hz == pytest.approx(1766e6)
