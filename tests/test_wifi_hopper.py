"""Channel hopping: the pure visit plan, and the Hopper driving a source on a fake clock."""
import threading

import pytest

from sweeper.errors import HardwareError
from sweeper.wifi.hopper import Hopper, HopPolicy
from sweeper.wifi.source import FrameSource, RawBatch


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeSource(FrameSource):
    """Returns empty batches, spending the time it was allowed to wait (at most ``step``)."""

    def __init__(self, clock, step=0.1, tunable=True, broken=(), batches=None, channel=0):
        self.clock = clock
        self.step = step
        self.tunable = tunable
        self.broken = set(broken)
        self.batches_left = batches
        self.channel = channel
        self.tuned = []  # (time, channel) of every set_channel call

    @property
    def can_tune(self):
        return self.tunable

    def set_channel(self, channel):
        self.tuned.append((self.clock.now, channel))
        if channel in self.broken:
            raise HardwareError(f"tuning sweepmon0 to channel {channel} failed: Invalid argument (-22)")
        self.channel = channel

    def read_batch(self, timeout=0.25):
        if self.batches_left is not None:
            if self.batches_left == 0:
                return None
            self.batches_left -= 1
        assert timeout > 0
        self.clock.now += min(timeout, self.step)
        return RawBatch.empty(127, self.channel)


# --- the pure plan ----------------------------------------------------------------

def test_a_visit_lasts_one_dwell_without_lingering():
    policy = HopPolicy([1, 6, 11], dwell_s=0.25, linger_s=3.0)
    assert policy.visit_end(10.0) == 10.25
    assert policy.visit_end(10.0, last_linger=10.1) == pytest.approx(10.35)


def test_lingering_extends_a_visit_up_to_the_cap():
    policy = HopPolicy([1, 6, 11], dwell_s=0.25, linger_s=3.0)
    assert policy.visit_end(10.0, last_linger=11.0) == 11.25
    assert policy.visit_end(10.0, last_linger=12.9) == 13.0  # capped at start + linger_s
    assert policy.visit_end(10.0, last_linger=20.0) == 13.0


def test_channels_cycle_in_order_passing_over_skipped_ones():
    policy = HopPolicy([1, 6, 11, 36])
    assert [policy.next_index(i) for i in (-1, 0, 1, 2, 3)] == [0, 1, 2, 3, 0]
    assert policy.next_index(0, skip={6, 11}) == 3
    assert policy.next_index(3, skip={1}) == 1
    assert policy.next_index(0, skip={1, 6, 11, 36}) is None
    assert HopPolicy([6]).next_index(0) == 0


@pytest.mark.parametrize("kwargs", [dict(channels=[]), dict(channels=[15]), dict(channels=[1], dwell_s=0),
                                    dict(channels=[1], dwell_s=1.0, linger_s=0.5)])
def test_policy_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        HopPolicy(**kwargs)


# --- the Hopper on a fake clock -----------------------------------------------------

def test_hops_in_order_one_dwell_each():
    clock = FakeClock()
    source = FakeSource(clock)
    hopper = Hopper(source, HopPolicy([1, 6, 11], dwell_s=0.25), clock=clock)
    yielded = list(hopper.run(duration_s=2.0))
    assert [ch for _, ch in source.tuned] == [1, 6, 11, 1, 6, 11, 1, 6]
    assert [t for t, _ in source.tuned] == pytest.approx([0.25 * i for i in range(8)])
    assert clock.now == pytest.approx(2.0)
    # three batches per 0.25 s visit (0.1 + 0.1 + 0.05); only the first is marked new
    assert [new for _, _, new in yielded] == [True, False, False] * 8
    assert [ch for ch, _, _ in yielded] == [ch for _, ch in source.tuned for _ in range(3)]
    assert all(batch.channel == ch for ch, batch, _ in yielded)
    assert hopper.errors == {}


def test_lingering_keeps_a_busy_channel_up_to_the_cap():
    clock = FakeClock()
    source = FakeSource(clock)
    hopper = Hopper(source, HopPolicy([1, 6, 11], dwell_s=0.25, linger_s=3.0), clock=clock)
    for channel, _, _ in hopper.run(duration_s=4.0):
        if channel == 6:
            hopper.linger()  # data traffic on 6, nothing elsewhere
    assert [ch for _, ch in source.tuned] == [1, 6, 11, 1, 6]
    assert [t for t, _ in source.tuned] == pytest.approx([0.0, 0.25, 3.25, 3.5, 3.75])


def test_lingering_once_extends_by_one_dwell():
    clock = FakeClock()
    source = FakeSource(clock)
    hopper = Hopper(source, HopPolicy([1, 6], dwell_s=0.25, linger_s=3.0), clock=clock)
    for channel, _, new_visit in hopper.run(duration_s=1.0):
        if channel == 6 and new_visit:
            hopper.linger()  # at 0.35, after the first batch on 6
    assert [t for t, _ in source.tuned] == pytest.approx([0.0, 0.25, 0.6, 0.85])


def test_a_channel_that_fails_to_tune_is_skipped_for_the_rest_of_the_run():
    clock = FakeClock()
    source = FakeSource(clock, broken={6})
    hopper = Hopper(source, HopPolicy([1, 6, 11], dwell_s=0.25), clock=clock)
    yielded = list(hopper.run(duration_s=1.5))
    assert [ch for _, ch in source.tuned] == [1, 6, 11, 1, 11, 1, 11]
    assert {ch for ch, _, _ in yielded} == {1, 11}
    assert list(hopper.errors) == [6] and "channel 6" in hopper.errors[6]


def test_no_tunable_channel_at_all_is_an_error():
    clock = FakeClock()
    hopper = Hopper(FakeSource(clock, broken={1, 6}), HopPolicy([1, 6]), clock=clock)
    with pytest.raises(HardwareError, match=r"could not tune to any channel: 1: .*; 6: "):
        next(hopper.run(duration_s=1.0))


def test_a_source_that_cannot_tune_is_read_as_it_is():
    clock = FakeClock()
    source = FakeSource(clock, tunable=False, batches=5, channel=11)
    hopper = Hopper(source, HopPolicy([1, 6]), clock=clock)
    yielded = list(hopper.run())  # no duration: runs until the source ends
    assert source.tuned == []
    assert [(ch, new) for ch, _, new in yielded] == [(11, True)] + [(11, False)] * 4


def test_stop_event_and_progress():
    clock = FakeClock()
    hopper = Hopper(FakeSource(clock), HopPolicy([1, 6, 11], dwell_s=0.25), clock=clock)
    stop = threading.Event()
    seen = 0
    for _ in hopper.run(duration_s=10.0, stop_event=stop):
        seen += 1
        if seen == 10:
            # three visits of three batches, then the first 0.1 s of channel 1 again
            assert hopper.progress.fraction == pytest.approx(0.085)
            assert hopper.progress.channel == 1
            stop.set()
    assert seen == 10 and clock.now == pytest.approx(0.85)
