"""The rtl_tcp protocol end to end: our client, our simulated server, and rtl_433 (a
client nobody on this project wrote) talking to that server over loopback."""
import json
import shutil
import socket
import subprocess
import threading

import numpy as np
import pytest

from sweeper.errors import HardwareError
from sweeper.rf.convert import complex64_to_cu8
from sweeper.sim.rtltcp_server import RtlTcpServer
from sweeper.rf.sources.rtltcp import RtlTcpSource

SETTLE = 2**18  # > server send buffer + client receive buffer + one block, in samples


def tone_offset(center_hz, sample_rate):
    """The simulated world: a single tone whose baseband offset depends on the tuning."""
    return ((center_hz / 1e6) % 8 - 4) / 10 * sample_rate


def tone_render(center_hz, sample_rate, gain_db, t0, n):
    t = t0 + np.arange(n) / sample_rate
    return complex64_to_cu8(0.8 * np.exp(2j * np.pi * tone_offset(center_hz, sample_rate) * t))


def peak_hz(x, rate):
    spec = np.abs(np.fft.fft(x * np.hanning(x.size)))
    return np.fft.fftfreq(x.size, 1 / rate)[np.argmax(spec)]


@pytest.fixture
def server():
    srv = RtlTcpServer(tone_render, port=0, realtime=False).start()
    yield srv
    srv.shutdown()


def one_line(excinfo, *needles):
    msg = str(excinfo.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, (needle, msg)


# -- (a) our client against our server -------------------------------------------------


def test_header_tells_the_tuner(server):
    with RtlTcpSource("127.0.0.1", server.port) as src:
        assert src.tuner_type == 5 and src.gain_count == 29
        assert src.tuner.name == "R820T"
        assert src.tuner.min_hz == pytest.approx(24e6) and src.tuner.max_hz == pytest.approx(1766e6)
    e4000 = RtlTcpServer(tone_render, port=0, realtime=False, tuner_type=1, gain_count=14)
    with e4000, RtlTcpSource("127.0.0.1", e4000.port) as src:
        assert src.tuner.name == "E4000" and src.tuner.max_hz == pytest.approx(2147e6)


@pytest.mark.parametrize("center,rate", [(101e6, 2.048e6), (102.5e6, 2.4e6), (433.92e6, 250e3)])
def test_retune_takes_effect_after_settling(server, center, rate):
    with RtlTcpSource("127.0.0.1", server.port) as src:
        src.read(50_000)  # the default tuning (100 MHz: a tone at DC)
        src.tune(center, rate)
        assert server.wait_for(lambda s: s.center_hz == center and s.sample_rate == rate)
        src.read(SETTLE)
        x = src.read(8192)
        assert x.dtype == np.complex64 and x.shape == (8192,)
        assert peak_hz(x, rate) == pytest.approx(tone_offset(center, rate), abs=2 * rate / 8192)


def test_samples_after_a_retune_are_of_the_new_tuning(server):
    """A client that lagged (the server's buffers full of the old tuning) hears only the
    new frequency from its first read after tune(). Without RETUNE_FLUSH_BYTES it heard
    the old one for up to a block and a send buffer, more often on a busy machine."""
    with RtlTcpSource("127.0.0.1", server.port) as src:
        src.read(1000)
        for center in (101e6, 102e6, 103e6, 104e6, 105e6, 106e6):
            threading.Event().wait(0.2)  # the server fills its send buffer meanwhile
            src.tune(center, 2.048e6)
            got = peak_hz(src.read(4096), 2.048e6)
            assert got == pytest.approx(tone_offset(center, 2.048e6), abs=2 * 2.048e6 / 4096), center


def test_reads_are_exact_and_contiguous(server):
    with RtlTcpSource("127.0.0.1", server.port) as src:
        src.tune(101e6, 2.048e6)
        server.wait_for(lambda s: s.center_hz == 101e6)
        src.read(SETTLE)
        parts = [src.read(n) for n in (1, 1000, 4097, 12345)]
        assert [p.size for p in parts] == [1, 1000, 4097, 12345]
        x = np.concatenate(parts)
        # one steady tone across read boundaries: no lost, repeated or swapped bytes
        step = np.angle(x[1:] * np.conj(x[:-1]))
        expected = 2 * np.pi * tone_offset(101e6, 2.048e6) / 2.048e6
        assert np.max(np.abs(step - expected)) < 0.05
        kept = parts[1].copy()
        src.read(5000)
        np.testing.assert_array_equal(parts[1], kept)  # earlier results are not overwritten


def test_gain_bias_tee_and_ppm_reach_the_server(server):
    with RtlTcpSource("127.0.0.1", server.port, ppm=-12) as src:
        src.tune(101e6, 2.048e6, gain_db=30.0)
        assert server.wait_for(lambda s: s.gain_mode == 1 and s.gain == 30.0)
        assert server.state.ppm == -12
        src.tune(101e6, 2.048e6, gain_db=None)
        assert server.wait_for(lambda s: s.gain_mode == 0)
        src.set_bias_tee(True)
        assert server.wait_for(lambda s: s.bias_tee)
        src.tune(101e6, 2.048e6, gain_db=30.0)  # back to manual: the gain goes again
        assert server.wait_for(lambda s: [n for n, _ in server.commands].count("gain") == 2)
    names = [name for name, _ in server.commands]
    assert names.count("gain_mode") == 3 and ("bias_tee", 1) in server.commands
    assert names.count("gain") == 2 and ("ppm", -12) in server.commands
    assert server.commands[-1] == ("gain", 300)


def test_server_survives_disconnects_and_split_commands(server):
    with RtlTcpSource("127.0.0.1", server.port) as src:
        src.read(100)
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        assert raw.recv(12, socket.MSG_WAITALL)[:4] == b"RTL0"
        cmds = bytes([0x01]) + (123_000_000).to_bytes(4, "big") + bytes([0x02]) + (
            1_024_000).to_bytes(4, "big") + bytes([0x42, 0, 0, 0, 7])
        for i in range(0, len(cmds), 3):  # records torn across packets
            raw.sendall(cmds[i:i + 3])
        assert server.wait_for(lambda s: ("0x42", 7) in server.commands)  # logged, not fatal
        assert server.state.center_hz == 123e6 and server.state.sample_rate == 1.024e6
    with RtlTcpSource("127.0.0.1", server.port) as src:
        assert src.read(1000).size == 1000
    assert server.clients_served == 3


def test_render_failure_drops_the_client_but_not_the_server():
    bugs = [RuntimeError("scene bug")]

    def render(center_hz, *args):
        if center_hz == 666e6 and bugs:
            raise bugs.pop()
        return tone_render(center_hz, *args)

    with RtlTcpServer(render, port=0, realtime=False) as srv:
        with RtlTcpSource("127.0.0.1", srv.port) as src:
            with pytest.raises(HardwareError) as e:
                src.tune(666e6, 2.048e6)  # the drop may already show while draining
                src.read(2**22)
            one_line(e, "closed the connection")
        with RtlTcpSource("127.0.0.1", srv.port) as src:
            assert src.read(1000).size == 1000


def test_server_stopping_mid_read_is_a_hardware_error():
    srv = RtlTcpServer(tone_render, port=0, realtime=False).start()
    with RtlTcpSource("127.0.0.1", srv.port) as src:
        src.read(1000)
        srv.shutdown()
        with pytest.raises(HardwareError) as e:
            src.read(2**22)
        one_line(e, f"127.0.0.1:{srv.port}", "closed the connection", "restart rtl_tcp")


# -- (b) rtl_433 as an independent client ----------------------------------------------


def test_rtl_433_reads_what_the_server_renders(tmp_path):
    if shutil.which("rtl_433") is None:
        pytest.skip("rtl_433 not installed (apt-get install rtl-433; ./dev test does it)")
    rendered = []
    rng = np.random.default_rng(433)

    def render(center_hz, sample_rate, gain_db, t0, n):
        block = rng.integers(0, 256, 2 * n, dtype=np.uint8)  # unique bytes: findable
        rendered.append((center_hz, sample_rate, block))
        return block

    out = tmp_path / "out.cu8"
    with RtlTcpServer(render, port=0, realtime=True, block_samples=4096) as srv:
        proc = subprocess.run(
            ["rtl_433", "-d", f"rtl_tcp:127.0.0.1:{srv.port}", "-s", "250000",
             "-f", "433920000", "-T", "2", "-w", str(out), "-F", "null"],
            capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr[-1000:]
        state = srv.state
    assert state.center_hz == 433.92e6 and state.sample_rate == 250e3
    assert ("frequency", 433920000) in srv.commands and ("sample_rate", 250000) in srv.commands

    saved = out.read_bytes()
    assert len(saved) >= 100_000 and len(saved) % 2 == 0
    stream = b"".join(block.tobytes() for _, _, block in rendered)
    start = stream.find(saved[:4096])
    assert start >= 0 and start % 2 == 0
    assert stream[start:start + len(saved)] == saved  # byte for byte what we sent
    ends = np.cumsum([block.size for _, _, block in rendered])
    last = int(np.searchsorted(ends, start + len(saved) - 1, side="right"))
    assert rendered[last][:2] == (433.92e6, 250e3)  # rtl_433's own tuning was served


# -- (c) wrong servers and no server ---------------------------------------------------


def _one_shot_server(behaviour):
    """A TCP listener on loopback that runs ``behaviour(conn)`` for one client."""
    lsock = socket.create_server(("127.0.0.1", 0))

    def run():
        conn, _ = lsock.accept()
        with conn:
            behaviour(conn)
        lsock.close()

    threading.Thread(target=run, daemon=True).start()
    return lsock.getsockname()[1]


def test_json_server_is_not_rtl_tcp():
    done = threading.Event()
    port = _one_shot_server(lambda c: (c.sendall(json.dumps({"type": "response"}).encode()),
                                       done.wait(5)))
    with pytest.raises(HardwareError) as e:
        RtlTcpSource("127.0.0.1", port)
    done.set()
    one_line(e, "not an rtl_tcp server", "RtlSdrTcpServer", "1235")


def test_silent_server_is_not_rtl_tcp():
    done = threading.Event()
    port = _one_shot_server(lambda c: done.wait(5))
    with pytest.raises(HardwareError) as e:
        RtlTcpSource("127.0.0.1", port, timeout=0.3)
    done.set()
    one_line(e, "sent no rtl_tcp header", "1235")


def test_connection_refused_names_host_and_port():
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(HardwareError) as e:
        RtlTcpSource("127.0.0.1", port)
    one_line(e, f"127.0.0.1:{port}", "refused", "rtl_tcp -a")


def test_server_closing_mid_read():
    header = b"RTL0" + (5).to_bytes(4, "big") + (29).to_bytes(4, "big")
    port = _one_shot_server(lambda c: c.sendall(header + bytes(1000)))
    with RtlTcpSource("127.0.0.1", port) as src:
        with pytest.raises(HardwareError) as e:
            src.read(10_000)
    one_line(e, "closed the connection")


def test_unsupported_sample_rate_is_refused_before_sending(server):
    with RtlTcpSource("127.0.0.1", server.port) as src:
        with pytest.raises(HardwareError) as e:
            src.tune(101e6, 500e3)
        one_line(e, "225,001-300,000", "900,001-3,200,000")
    assert ("sample_rate", 500000) not in server.commands
