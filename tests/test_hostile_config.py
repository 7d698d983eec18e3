"""Configuration and command lines that would crash, hang or drive the terminal (issue
15's audit, as minimal reproducers): each is one line on stderr, terminal-safe, exit 2,
and quick."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli


def one_line_error(rc, out, err):
    assert rc == 2 and out == "", (rc, out, err)
    assert len(err.splitlines()) == 1 and err.startswith("sweeper"), err
    assert "Traceback" not in err
    return err


def test_yaml_nested_thousands_deep(tmp_path):
    conf = tmp_path / "deep.yaml"
    conf.write_text("a: " + "[" * 3000 + "]" * 3000 + "\n")
    err = one_line_error(*run_cli("--config", str(conf), "config"))
    assert "nested more than 64 levels deep" in err


def test_an_alias_bomb_is_refused_before_it_grows(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 40)]
    conf = tmp_path / "bomb.yaml"
    conf.write_text("\n".join(lines) + "\n")
    err = one_line_error(*run_cli("--config", str(conf), "config"))
    assert "aliases" in err


def test_an_integer_of_thousands_of_digits(tmp_path):
    conf = tmp_path / "big.yaml"
    conf.write_text("mqtt:\n  port: " + "9" * 5000 + "\n")
    err = one_line_error(*run_cli("--config", str(conf), "config"))
    assert ":2: mqtt.port" in err and "is not a number that can be read" in err


def test_a_named_pipe_as_the_config_does_not_hang(tmp_path):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)  # nobody writes to it: opening it to read would block for ever
    proc = subprocess.run([sys.executable, "-m", "sweeper", "--config", str(fifo), "config"],
                          capture_output=True, text=True, cwd=ROOT, timeout=30)
    err = one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert "is not a regular file" in err


def test_escape_sequences_in_a_key_are_shown_as_codes(tmp_path):
    conf = tmp_path / "esc.yaml"
    conf.write_text('"\\e]0;pwned\\a\\e[2J": 1\n')
    err = one_line_error(*run_cli("--config", str(conf), "config"))
    assert "\x1b" not in err and "\x07" not in err and "\\x1b" in err


def test_a_command_line_mistake_is_one_line():
    err = one_line_error(*run_cli("rf", "--band"))
    assert "--band" in err and "--help" in err


@pytest.mark.parametrize("value", ["-inf", "-1e6"])
def test_a_negative_number_is_an_options_value_not_an_option(value, tmp_path):
    rec = tmp_path / "x.cu8"
    rec.write_bytes(bytes(4096))
    rc, out, err = run_cli("analyze", str(rec), "--sample-rate", value)
    assert "expected one argument" not in err and "unrecognized" not in err
    one_line_error(rc, out, err)


def test_the_control_socket_refuses_a_folder_planted_in_tmp(tmp_path):
    """Outside systemd the socket lives under /tmp: another user can create the name
    first (here, a symlink to a folder of theirs); the daemon must not follow it."""
    from sweeper.device.control import ControlServer
    from sweeper.errors import HardwareError

    import shutil
    import uuid

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    planted = f"/tmp/sweeper-test-{uuid.uuid4().hex[:8]}"  # what /tmp/sweeper-UID would be
    mine = f"/tmp/sweeper-test-{uuid.uuid4().hex[:8]}"
    os.symlink(theirs, planted)
    try:
        with pytest.raises(HardwareError, match="not a private folder"):
            ControlServer(f"{planted}/sweeper/control.sock", lambda *a: None)
        assert os.listdir(theirs) == []  # nothing was created in their folder
        ok = ControlServer(f"{mine}/sweeper/control.sock", lambda *a: None)
        assert oct(os.stat(mine).st_mode & 0o777) == "0o700"
        ok.close()
    finally:
        os.unlink(planted)
        shutil.rmtree(mine, ignore_errors=True)


def test_a_flood_of_malformed_requests_is_one_log_line():
    import socket as sk
    import tempfile
    import time

    from sweeper.device.control import ControlServer

    lines, requests = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "control.sock")
        server = ControlServer(path, lambda *a: requests.append(a), lines.append)
        s = sk.socket(sk.AF_UNIX, sk.SOCK_DGRAM)
        for _ in range(2000):
            s.sendto(b"{not json", path)
        s.sendto(b'{"sweep": {"room": "Room 1"}}', path)
        deadline = time.monotonic() + 10
        while not requests and time.monotonic() < deadline:
            time.sleep(0.01)
        server.close()
    assert requests and server.dropped == 2000
    assert len(lines) == 1 and "dropped 1 malformed" in lines[0]
