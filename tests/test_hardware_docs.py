"""hardware/: the BOM, wiring table, diagram and README agree with each other and with
the default configuration."""

import csv
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from sweeper.config import default_config, parse_config

HW = Path(__file__).resolve().parent.parent / "hardware"

# The standard Raspberry Pi 40-pin header (Pi 2 and later, Zero, 4, 5):
# physical pin -> BCM GPIO number, or the name of a power/ground pin.
HEADER = {
    1: "3V3", 2: "5V", 3: 2, 4: "5V", 5: 3, 6: "GND", 7: 4, 8: 14, 9: "GND", 10: 15,
    11: 17, 12: 18, 13: 27, 14: "GND", 15: 22, 16: 23, 17: "3V3", 18: 24, 19: 10, 20: "GND",
    21: 9, 22: 25, 23: 11, 24: 8, 25: "GND", 26: 7, 27: 0, 28: 1, 29: 5, 30: "GND",
    31: 6, 32: 12, 33: 13, 34: "GND", 35: 19, 36: 16, 37: 26, 38: 20, 39: "GND", 40: 21,
}
I2C1 = {"SDA": 2, "SCL": 3}  # BCM pins of I2C bus 1 (/dev/i2c-1)

BOM_COLUMNS = ["part", "role", "required", "example", "qty", "approx_price_usd", "notes"]
WIRING_COLUMNS = ["part", "part_pin", "pi_pin", "bcm", "config_key"]


def _rows(name, columns):
    with open(HW / name, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == columns
        rows = list(reader)
    assert rows
    for row in rows:
        assert None not in row and None not in row.values(), f"{name}: ragged row {row}"
    return rows


def _label(pin: int) -> str:
    v = HEADER[pin]
    return f"GPIO{v} (pin {pin})" if isinstance(v, int) else f"{v} (pin {pin})"


def _get(cfg, dotted):
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


def _readme():
    return (HW / "README.md").read_text()


def _section(text, title):
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def _table_rows(text):
    """Cells of each markdown table body row (header and separator rows dropped)."""
    rows, previous_was_table = [], False
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if previous_was_table and not set("".join(cells)) <= set("-: "):
                rows.append(cells)
            previous_was_table = True
        else:
            previous_was_table = False
    return [r for r in rows if not all(set(c) <= set("-: ") for c in r)]


def _svg_texts():
    root = ElementTree.parse(HW / "wiring.svg").getroot()
    return {"".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")}


WIRING = _rows("wiring.csv", WIRING_COLUMNS)


@pytest.mark.parametrize("row", WIRING, ids=lambda r: f"{r['part']}:{r['part_pin']}")
def test_wiring_row_matches_header_and_config(row):
    pin = int(row["pi_pin"])
    assert pin in HEADER
    expected = HEADER[pin]
    if row["bcm"]:
        assert int(row["bcm"]) == expected, f"pin {pin} is {expected}, not GPIO{row['bcm']}"
    else:
        assert expected in ("3V3", "5V", "GND"), f"pin {pin} is GPIO{expected}: fill in bcm"
        assert not row["config_key"]
    key = row["config_key"]
    if not key:
        return
    cfg = default_config()
    if key.endswith(".i2c_port"):  # the display and the fuel gauge share bus 1
        assert _get(cfg, key) == 1
        assert int(row["bcm"]) == I2C1[row["part_pin"]]
    else:
        assert key.endswith("pin"), key
        value = _get(cfg, key)
        if value is None:  # an optional part, off by default: the README shows how to set it
            *sections, name = key.split(".")
            text = "".join(f"{'  ' * i}{part}:\n" for i, part in enumerate(sections))
            example = parse_config(f"{text}{'  ' * len(sections)}{name}: {row['bcm']}\n")
            assert _get(example, key) == int(row["bcm"])
            assert f"{name}: {row['bcm']}" in _readme()
        else:
            assert value == int(row["bcm"])


def test_every_config_pin_is_wired():
    cfg = default_config()
    wired = {r["config_key"] for r in WIRING}
    for key in ("buzzer.pin", "buttons.select_pin", "buttons.next_pin", "buzzer.vibration_pin",
                "confirm.led_pin", "confirm.ir_led_pin", "display.i2c_port", "rf.switch.pin"):
        assert key in wired
    assert {r["part_pin"] for r in WIRING if r["config_key"] == "display.i2c_port"} == {"SDA", "SCL"}
    assert cfg.display.i2c_address == 0x3C and "0x3C" in _readme()
    assert {r["part_pin"] for r in WIRING if r["config_key"] == "battery.i2c_port"} == {"SDA", "SCL"}
    assert cfg.battery.i2c_address == 0x36 and "0x36" in _readme()


def test_no_gpio_is_used_twice_and_shared_power_pins_are_junctions():
    """A GPIO drives one part; a power or ground pin may feed several, and the diagram
    shows where their wires join with a junction dot (class junction, data-pin N). The
    fuel gauge is the exception: it sits on the I2C bus and is chained from the OLED's
    connector, so its four wires are the OLED's own (VCC, GND, SDA, SCL)."""
    on_bus = {r["part"] for r in WIRING if r["config_key"].endswith(".i2c_port")}
    assert on_bus == {"OLED display", "Fuel gauge (optional)"}
    gauge = {r["part_pin"].split()[0]: int(r["pi_pin"]) for r in WIRING if r["part"] == "Fuel gauge (optional)"}
    oled = {r["part_pin"]: int(r["pi_pin"]) for r in WIRING if r["part"] == "OLED display"}
    assert gauge == {"VIN": oled["VCC"], "GND": oled["GND"], "SDA": oled["SDA"], "SCL": oled["SCL"]}
    header = [r for r in WIRING if r["part"] != "Fuel gauge (optional)"]  # wires that reach the header
    gpios = [int(r["pi_pin"]) for r in header if r["bcm"]]
    assert len(gpios) == len(set(gpios))
    power = [int(r["pi_pin"]) for r in header if not r["bcm"]]
    shared = {p for p in power if power.count(p) > 1}
    dots = {int(c.get("data-pin")) for c in _svg_elements("circle") if c.get("class") == "junction"}
    assert shared and shared <= dots, f"shared pins without a junction dot: {shared - dots}"


def _svg_elements(tag):
    root = ElementTree.parse(HW / "wiring.svg").getroot()
    return list(root.iter(f"{{http://www.w3.org/2000/svg}}{tag}"))


def _segments():
    """(wire number, (x1, y1), (x2, y2)) of every straight piece of every wire."""
    out = []
    for n, line in enumerate(_svg_elements("polyline")):
        pts = [tuple(float(v) for v in p.split(",")) for p in line.get("points").split()]
        out += [(n, a, b) for a, b in zip(pts, pts[1:])]
    return out


def test_wires_cross_only_with_a_hop_and_join_only_at_a_dot():
    """Two wires that cross look joined unless one hops over the other: each wire that
    crosses another is broken there, with a hop (class hop) drawn over the gap; where
    a wire ends on another one's run, a junction dot marks the join."""
    segs = _segments()
    dots = {(float(c.get("cx")), float(c.get("cy"))) for c in _svg_elements("circle")
            if c.get("class") == "junction"}
    for i, a0, a1 in segs:
        if a0[1] != a1[1]:
            continue  # horizontal pieces against the vertical ones
        for j, b0, b1 in segs:
            if i == j or b0[0] != b1[0]:
                continue
            x, y = b0[0], a0[1]
            on_a = min(a0[0], a1[0]) <= x <= max(a0[0], a1[0])
            on_b = min(b0[1], b1[1]) <= y <= max(b0[1], b1[1])
            if not (on_a and on_b):
                continue
            at_an_end = (x, y) in (a0, a1) or (x, y) in (b0, b1)
            if at_an_end and (x, y) in {a0, a1} & {b0, b1}:
                continue  # two wires meeting end to end: one wire drawn in two pieces
            assert (x, y) in dots, f"wires cross at ({x:g}, {y:g}) without a hop or a junction dot"


def test_wiring_labels_in_svg_and_readme_table():
    texts = _svg_texts()
    table = _table_rows(_section(_readme(), "Wiring"))
    for row in WIRING:
        label = _label(int(row["pi_pin"]))
        assert label in texts, f"{label} missing from wiring.svg"
        matches = [r for r in table if r[0] == row["part"] and r[1] == row["part_pin"]]
        assert len(matches) == 1, f"{row['part']} {row['part_pin']} missing from README table"
        assert label in matches[0]
        assert (row["bcm"] or "-") in matches[0]
        if row["config_key"]:
            assert any(row["config_key"] in c for c in matches[0])


def test_bom():
    rows = _rows("bom.csv", BOM_COLUMNS)
    parts = [r["part"] for r in rows]
    assert len(parts) == len(set(parts))
    table_parts = {r[0].replace("\\|", "|") for r in _table_rows(_section(_readme(), "Bill of materials"))}
    for r in rows:
        assert r["required"] in ("yes", "optional"), r
        assert int(r["qty"]) >= 1
        if r["required"] == "yes" or r["approx_price_usd"]:
            assert float(r["approx_price_usd"]) > 0, f"{r['part']}: no price"
        assert r["part"] in table_parts, f"{r['part']} missing from the README's BOM table"
    for must in ("Raspberry Pi Zero 2 W", "RTL-SDR Blog V3", "RTL-SDR Blog V4",
                 "2.4 GHz block downconverter", "Passive piezo buzzer", "Second RTL-SDR dongle",
                 "SPDT RF switch module", "Powered USB hub"):
        assert must in parts
    required = {r["part"] for r in rows if r["required"] == "yes"}
    assert "Raspberry Pi Zero 2 W" in required
    assert not {"Raspberry Pi 4 Model B 2 GB", "Raspberry Pi 5"} & required


BUILDS = ["Pi Zero 2 W build", "Pi 4 build", "Pi Zero 2 W two-dongle build"]


def test_power_budget_totals_and_battery_life():
    text = _section(_readme(), "Power budget")
    lines = text.splitlines()
    header = next(l for l in lines if l.startswith("| part |"))
    columns = [c.strip() for c in header.strip().strip("|").split("|")]
    body = _table_rows(text)
    assert len(body) >= 5
    for build in BUILDS:
        col = columns.index(f"{build} (mA)")
        total = sum(int(r[col]) for r in body)
        stated = re.search(rf"^Total \({re.escape(build)}\): (\d+) mA$", text, re.M)
        assert stated, f"no Total line for {build}"
        assert int(stated.group(1)) == total
        # 10,000 mAh at 3.7 V, 85% conversion, delivered at 5 V.
        hours = 10000 * 3.7 * 0.85 / 5 / total
        life = re.search(rf"^Battery life \({re.escape(build)}\): ([\d.]+) h$", text, re.M)
        assert life and float(life.group(1)) == pytest.approx(hours, abs=0.05)


def test_lipo_build_battery_life():
    text = _section(_readme(), "Power budget")
    m = re.search(r"The LiPo build's ([\d,]+) mAh cell holds .*? that is ([\d,]+) mAh at 5 V: [\d,]+ mAh / "
                  r"(\d+) mA = ([\d.]+) hours", text, re.S)
    assert m, "the LiPo build's battery life sentence"
    cell, at_5v, load, hours = (float(g.replace(",", "")) for g in m.groups())
    assert at_5v == int(cell * 3.7 * 0.85 / 5)
    assert load == int(re.search(r"^Total \(Pi Zero 2 W build\): (\d+) mA$", text, re.M).group(1))
    assert hours == pytest.approx(at_5v / load, abs=0.05)
    rows = {r["part"]: r for r in _rows("bom.csv", BOM_COLUMNS)}
    assert f"{cell:,.0f}".replace(",", "") + " mAh" in rows["LiPo cell 3.7 V 2500 mAh"]["part"]
    assert f"About {hours:g} hours" in rows["LiPo cell 3.7 V 2500 mAh"]["notes"]
    assert f"{load:.0f} mA" in rows["LiPo charge/boost board 5 V 2.4 A"]["notes"]


def test_readme_yaml_examples_are_valid_config():
    blocks = re.findall(r"```yaml\n(.*?)```", _readme(), re.S)
    assert len(blocks) >= 2
    for block in blocks:
        parse_config(block, "hardware/README.md")
    high = parse_config(blocks[0])
    assert high.rf.downconverters["2.4GHz"].lo_mhz == 2870
    assert high.rf.downconverters["2.4GHz"].injection == "high"
    assert default_config().rf.downconverters["2.4GHz"].lo_mhz == 2000
