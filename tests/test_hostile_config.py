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
