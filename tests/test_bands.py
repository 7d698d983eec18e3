"""Band plans: converters, hop coverage with crop, tuner-range errors."""
import pytest

from sweeper.errors import HardwareError
from sweeper.rf.bands import Band, Downconverter, plan_hops, plan_sweep

R820T = (24e6, 1766e6)


def test_low_side_converter_keeps_orientation():
    dc = Downconverter(2000e6, "low")
    assert dc.rf_to_if(2432e6) == pytest.approx(432e6)
    assert dc.if_to_rf(432e6) == pytest.approx(2432e6)
    assert not dc.inverted


def test_high_side_converter_mirrors_spectrum():
    dc = Downconverter(2900e6, "high")
    band = Band("2.4GHz", 2400e6, 2500e6, dc)
    assert band.if_range() == (400e6, 500e6)
    hop = plan_hops(band, 2.4e6, 0.25, R820T)[0]
    # a signal 0.5 MHz above the hop's RF centre shows up 0.5 MHz *below* its IF centre
    assert hop.inverted
    assert hop.baseband_to_rf(-0.5e6) == pytest.approx(hop.rf_center_hz + 0.5e6)
    assert hop.tune_hz == pytest.approx(2900e6 - hop.rf_center_hz)


def test_hops_tile_the_band_with_cropped_slices():
    band = Band("custom", 430e6, 440e6)
    hops = plan_hops(band, 2.4e6, crop=0.25)
    assert hops[0].rf_lo_hz == pytest.approx(430e6)
    assert hops[-1].rf_hi_hz == pytest.approx(440e6)
    for a, b in zip(hops, hops[1:]):
        assert a.rf_hi_hz == pytest.approx(b.rf_lo_hz)
    # each kept slice fits inside the uncropped 75% of the window
    assert all(h.rf_hi_hz - h.rf_lo_hz <= 2.4e6 * 0.75 + 1 for h in hops)
    assert len(hops) == 6  # ceil(10 / 1.8)


def test_band_outside_tuner_range_says_how_to_fix():
    with pytest.raises(HardwareError, match="downconverter"):
        plan_hops(Band("2.4GHz", 2400e6, 2500e6), 2.4e6, 0.25, R820T)
    with pytest.raises(HardwareError, match="LO frequency"):
        plan_hops(Band("5.8GHz", 5650e6, 5950e6, Downconverter(3000e6)), 2.4e6, 0.25, R820T)


def test_sweep_indexes_hops_across_bands():
    hops = plan_sweep([Band("a", 900e6, 905e6), Band("b", 1200e6, 1205e6)], 2.4e6, 0.25)
    assert [h.index for h in hops] == list(range(len(hops)))
    assert {h.band.name for h in hops} == {"a", "b"}
