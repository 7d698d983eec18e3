"""The config file: defaults, merging, and the one-line errors a user sees for typos."""
import dataclasses
import re
import textwrap

import pytest
import yaml

from sweeper import config as config_mod
from sweeper import schema
from sweeper.config import (EXAMPLE_PATH, Config, ConfigError, config_bands, default_config,
                            example_yaml, load_config)
from sweeper.rf.bands import MHZ


def write(tmp_path, text, name="sweeper.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def error_for(tmp_path, text, name="sweeper.yaml"):
    path = write(tmp_path, text, name)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    msg = str(exc.value)
    assert "\n" not in msg, "errors are one line"
    return msg


# --------------------------------------------------------------------------- defaults


def test_no_file_anywhere_gives_builtin_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr(config_mod, "SYSTEM_CONFIG_PATH", str(tmp_path / "absent.yaml"))
    cfg = load_config()
    assert cfg == default_config()
    assert cfg.source_path is None
    assert cfg.device_name == "sweeper"
    assert cfg.rf.enabled is True and cfg.rf.source == "auto"
    assert cfg.rf.sample_rate == 2.4e6 and cfg.rf.gain_db == "auto" and cfg.rf.tuner_gain_db is None
    assert (cfg.rf.dwell_s, cfg.rf.settle_s, cfg.rf.settle_samples, cfg.rf.crop) == (0.05, 0.005, 2048, 0.25)
    assert cfg.rf.rtlsdr.device_index == 0 and cfg.rf.rtlsdr.serial is None
    assert (cfg.rf.rtl_tcp.host, cfg.rf.rtl_tcp.port) == ("127.0.0.1", 1234)
    assert cfg.rf.simulator.scene is None
    assert cfg.rf.bands == ("900MHz", "1.2GHz", "2.4GHz")
    assert (cfg.detection.video.camera_score, cfg.detection.video.suspect_score) == (0.8, 0.5)
    assert cfg.output.log_level == "info" and cfg.output.quiet is False


def test_system_file_is_used_when_present(tmp_path, monkeypatch):
    path = write(tmp_path, "device_name: attic-pi\n")
    monkeypatch.setattr(config_mod, "SYSTEM_CONFIG_PATH", path)
    cfg = load_config()
    assert cfg.device_name == "attic-pi" and cfg.source_path == path


@pytest.mark.parametrize("text", ["", "# nothing set yet\n", "---\n"])
def test_empty_file_gives_defaults(tmp_path, text):
    path = write(tmp_path, text)
    cfg = load_config(path)
    assert cfg == default_config() and cfg.source_path == path


def test_default_bands_resolve_with_their_downconverters():
    bands = config_bands(default_config())
    assert [b.name for b in bands] == ["900MHz", "1.2GHz", "2.4GHz"]
    assert bands[0].downconverter is None
    wifi = bands[2]
    assert wifi.downconverter.lo_hz == 2000 * MHZ and wifi.downconverter.injection == "low"
    assert wifi.if_range() == (350 * MHZ, 530 * MHZ)


# --------------------------------------------------------------------------- merging


def test_partial_file_merges_over_defaults(tmp_path):
    cfg = load_config(write(tmp_path, """\
        rf:
          sample_rate: 1.024e6      # PyYAML reads this as text; still a number here
          gain_db: 28.0
          rtl_tcp:
            port: 5555
          bands: [5.8GHz]
          downconverters:
            "5.8GHz": {lo_mhz: 5150}
        output:
          quiet: yes
        """))
    assert cfg.rf.sample_rate == 1.024e6
    assert cfg.rf.tuner_gain_db == 28.0
    assert cfg.rf.rtl_tcp.port == 5555 and cfg.rf.rtl_tcp.host == "127.0.0.1"  # sibling kept
    assert cfg.rf.dwell_s == 0.05 and cfg.rf.enabled is True
    assert cfg.rf.bands == ("5.8GHz",)  # a list replaces the default list
    conv = cfg.rf.downconverters
    assert set(conv) == {"2.4GHz", "5.8GHz"}  # mapping merged with the defaults
    assert (conv["5.8GHz"].lo_mhz, conv["5.8GHz"].injection) == (5150, "low")
    assert cfg.output.quiet is True and cfg.output.log_level == "info"
    assert cfg.detection == default_config().detection
    [band] = config_bands(cfg)
    assert band.downconverter.lo_hz == 5150 * MHZ


def test_values_that_look_like_numbers_stay_text(tmp_path):
    cfg = load_config(write(tmp_path, "rf:\n  rtlsdr: {serial: 00000001}\ndevice_name: 1234\n"))
    assert cfg.rf.rtlsdr.serial == "00000001"
    assert cfg.device_name == "1234"


def test_scene_path_is_relative_to_the_config_file(tmp_path):
    cfg = load_config(write(tmp_path, "rf:\n  simulator: {scene: scenes/room.yaml}\n"))
    assert cfg.rf.simulator.scene == str(tmp_path / "scenes" / "room.yaml")


def test_config_is_read_only_and_round_trips_through_to_dict(tmp_path):
    cfg = load_config(write(tmp_path, """\
        rf:
          gain_db: 40
          bands: [900MHz, {name: drone, start_mhz: 1080, stop_mhz: 1360}]
        """))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.rf.gain_db = 10
    again = load_config(write(tmp_path, yaml.safe_dump(cfg.to_dict()), "again.yaml"))
    assert again == cfg


# --------------------------------------------------------------------------- errors


def test_misspelt_key_names_file_line_key_and_suggestion(tmp_path):
    msg = error_for(tmp_path, """\
        device_name: den
        rf:
          sampel_rate: 2.4e6
        """, name="my-sweeper.yaml")
    assert "my-sweeper.yaml:3:" in msg
    assert "rf.sampel_rate" in msg
    assert "did you mean sample_rate" in msg
    assert "allowed:" in msg and "dwell_s" in msg


def test_key_in_the_wrong_section_points_to_its_home(tmp_path):
    msg = error_for(tmp_path, "rf:\n  ppm: 12\n")
    assert ":2: rf.ppm" in msg and "did you mean rtlsdr.ppm" in msg


def test_unknown_top_level_key(tmp_path):
    msg = error_for(tmp_path, "detecton:\n  video_camera_score: 0.9\n")
    assert ":1: detecton" in msg and "did you mean detection" in msg


@pytest.mark.parametrize("text, line, key, words", [
    ("rf:\n  dwell_s: fast\n", 2, "rf.dwell_s", "'fast' is not a number"),
    ("rf:\n  enabled: maybe\n", 2, "rf.enabled", "true or false"),
    ("rf:\n  rtl_tcp:\n    port: 12.5\n", 3, "rf.rtl_tcp.port", "not a whole number"),
    ("rf: [1, 2]\n", 1, "rf", "is not a mapping"),
    ("output:\n  quiet:\n", 2, "output.quiet", "has no value"),
])
def test_wrong_type(tmp_path, text, line, key, words):
    msg = error_for(tmp_path, text)
    assert f"sweeper.yaml:{line}: {key}: " in msg and words in msg


@pytest.mark.parametrize("text, key, allowed", [
    ("rf:\n  rtlsdr:\n    ppm: 500\n", "rf.rtlsdr.ppm", "from -200 to 200"),
    ("rf:\n  gain_db: 60\n", "rf.gain_db", "auto or a number from 0 to 50"),
    ("rf:\n  sample_rate: 500000\n", "rf.sample_rate",
     "from 225001 to 300000 or from 900001 to 3200000"),
    ("rf:\n  rtl_tcp: {timeout_s: 0}\n", "rf.rtl_tcp.timeout_s", "above 0"),
    ("detection:\n  video: {camera_score: 1.5}\n", "detection.video.camera_score", "from 0 to 1"),
])
def test_out_of_range(tmp_path, text, key, allowed):
    msg = error_for(tmp_path, text)
    assert f"{key}: " in msg and "out of range" in msg and allowed in msg


def test_bad_choice_lists_the_allowed_values(tmp_path):
    msg = error_for(tmp_path, "output:\n  log_level: info\nrf:\n  source: rtlsd\n")
    assert "sweeper.yaml:4: rf.source" in msg
    assert "auto, rtlsdr, rtl_tcp, simulator" in msg
    assert "did you mean rtlsdr" in msg


def test_unknown_band_name_suggests_the_builtin_one(tmp_path):
    msg = error_for(tmp_path, "rf:\n  bands:\n    - 900MHz\n    - 5.8Ghz\n")
    assert ":4: rf.bands[1]" in msg and "did you mean 5.8GHz" in msg
    assert "900MHz, 1.2GHz, 2.4GHz, 5.8GHz" in msg


def test_band_needing_a_converter_without_one(tmp_path):
    msg = error_for(tmp_path, """\
        rf:
          bands: [900MHz, 5.8GHz]
          downconverters:
            "5.8GHz": null
        """)
    assert "sweeper.yaml:2: rf.bands[1]:" in msg  # the line listing the band
    assert "band 5.8GHz needs a downconverter" in msg
    assert "add rf.downconverters.5.8GHz" in msg


def test_removed_default_converter_is_blamed_when_the_band_is_a_default(tmp_path):
    msg = error_for(tmp_path, "rf:\n  downconverters:\n    \"2.4GHz\": null\n")
    assert ":3: rf.downconverters.2.4GHz: band 2.4GHz needs a downconverter" in msg


def test_custom_bands(tmp_path):
    cfg = load_config(write(tmp_path, """\
        rf:
          bands:
            - {name: drone-1.3G, start_mhz: 1080, stop_mhz: 1360}
            - name: high-5.8
              start_mhz: 5725
              stop_mhz: 5875
              downconverter: mine
          downconverters:
            mine: {lo_mhz: 6500, injection: high}
        """))
    drone, high = config_bands(cfg)
    assert (drone.name, drone.start_hz, drone.stop_hz, drone.downconverter) == (
        "drone-1.3G", 1080 * MHZ, 1360 * MHZ, None)
    assert high.downconverter.inverted and high.if_range() == (625 * MHZ, 775 * MHZ)


@pytest.mark.parametrize("band, line, words", [
    ("{name: x, start_mhz: 1300, stop_mhz: 1200}", 3, "stop_mhz (1200) must be above start_mhz (1300)"),
    ("{name: x, start_mhz: 2400, stop_mhz: 2480, downconverter: 2.4ghz}", 3,
     "no downconverter named '2.4ghz'; did you mean 2.4GHz?"),
    ("{name: x, stop_mhz: 1200}", 3, "missing required key start_mhz"),
    ("{name: x, start_mhz: 1000, stop_mhz: 1200, stat: 1}", 3, "did you mean start_mhz"),
])
def test_bad_custom_band(tmp_path, band, line, words):
    msg = error_for(tmp_path, f"rf:\n  bands:\n    - {band}\n")
    assert f"sweeper.yaml:{line}: rf.bands[0]" in msg
    assert words in msg.replace(" in rf.downconverters", "")


def test_new_downconverter_needs_its_lo(tmp_path):
    msg = error_for(tmp_path, "rf:\n  downconverters:\n    mine: {injection: high}\n")
    assert ":3: rf.downconverters.mine: missing required key lo_mhz" in msg


def test_suspect_score_above_camera_score(tmp_path):
    msg = error_for(tmp_path, "detection:\n  wifi:\n    camera_score: 0.4\n")
    assert ":3: detection.wifi.camera_score" in msg
    assert "suspect_score (0.5) is above camera_score (0.4)" in msg


def test_an_older_flat_threshold_key_names_its_new_place(tmp_path):
    msg = error_for(tmp_path, "detection:\n  wifi_camera_score: 0.9\n")
    assert ":2: detection.wifi_camera_score: unknown key" in msg and "did you mean wifi.camera_score" in msg


def test_key_set_twice(tmp_path):
    msg = error_for(tmp_path, "rf:\n  crop: 0.2\n  dwell_s: 0.1\n  crop: 0.3\n")
    assert ":4: rf.crop: set twice (also on line 2)" in msg


@pytest.mark.parametrize("text, where, words", [
    ("rf:\n  enabled: true\n  source: [rtlsdr\n", ":4:", "not valid YAML"),
    ("rf:\n\tenabled: true\n", ":2:1:", "tabs"),
    ("rf:\n  enabled: true\n bad: 1\n", ":3:", "not valid YAML"),
])
def test_yaml_syntax_error_gives_line(tmp_path, text, where, words):
    msg = error_for(tmp_path, text)
    assert f"sweeper.yaml{where}" in msg and words in msg


@pytest.mark.parametrize("text, found", [("- rf\n- output\n", "a list"), ("just words\n", "'just words'")])
def test_top_level_must_be_a_mapping(tmp_path, text, found):
    msg = error_for(tmp_path, text)
    assert "sweeper.yaml:1:" in msg and "must be a mapping of settings" in msg and found in msg


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: config file not found"):
        load_config(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(str(tmp_path))
    bad = tmp_path / "binary.yaml"
    bad.write_bytes(b"rf:\n  \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"binary\.yaml: not a text"):
        load_config(str(bad))


# --------------------------------------------------------------------------- example file


def _schema_keys(cls, prefix=""):
    """Every key path in the schema, descending into sections and list/map entries."""
    import typing
    hints = typing.get_type_hints(cls)
    for f in schema._schema_fields(cls):
        path = f"{prefix}{f.name}"
        yield path
        inner = [hints[f.name], *typing.get_args(hints[f.name])]
        for h in inner + [a for h in inner for a in typing.get_args(h)]:
            if dataclasses.is_dataclass(h):
                yield from _schema_keys(h, path + ".")
                break


def test_example_file_loads_to_the_defaults():
    cfg = load_config(EXAMPLE_PATH)
    assert cfg == default_config()


def test_example_file_documents_every_key():
    text = open(EXAMPLE_PATH, encoding="utf-8").read()
    for path in _schema_keys(Config):
        key = path.rsplit(".", 1)[-1]
        assert re.search(rf"^\s*(#\s*)?{re.escape(key)}:", text, re.M), f"{path} not in example"
    assert "rf.downconverters" in text and "sample_rate" in text


def test_example_file_is_up_to_date_with_the_schema():
    text = open(EXAMPLE_PATH, encoding="utf-8").read()
    assert text == example_yaml(), (
        "sweeper/data/config.example.yaml is stale; regenerate it with "
        "python -m sweeper.config --example > sweeper/data/config.example.yaml")


def test_config_is_accepted_after_the_subcommand_too(cli, tmp_path):
    """``sweeper history --config F`` as people type it (issue 18), and in nested commands."""
    conf = tmp_path / "c.yaml"
    conf.write_text('venue:\n  room: "Room 7"\n')
    for argv in (["--config", str(conf), "config"], ["config", "--config", str(conf)]):
        rc, out, err = cli(*argv)
        assert rc == 0 and "room: Room 7" in out, (argv, err)
    rc, out, err = cli("config")
    assert rc == 0 and "room: Room 7" not in out  # given nowhere: the defaults
    conf.write_text(f'history:\n  path: {tmp_path / "missing.db"}\n')  # a nested command reads it
    rc, out, err = cli("baseline", "list", "--config", str(conf), "--json")
    assert rc == 2 and str(tmp_path / "missing.db") in err, err
