"""Manager reports: JSON and CSV as a spreadsheet reads them, HTML as headless Chromium shows it."""
import copy
import csv
import io
import json
import os
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from sweeper.venue.report import (FINDING_COLUMNS, SWEEP_COLUMNS, findings_csv, records_json,
                                  render_html, sweeps_csv)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HOSTILE_SSID = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
HOSTILE_ROOM = 'Suite \u202e"7" </svg><script>alert(2)</script>'
FORMULA_SSID = '=HYPERLINK("http://evil.example/","click me")'
FORMULA_VENDOR = "+cmd|' /C calc'!A0"
TITLE = "Hotel Aurora - camera sweeps, November"
BANDS = {"900 MHz": (900e6, 1000e6), "2.4 GHz": (2350e6, 2530e6), "5.8 GHz": (5630e6, 5970e6)}


# ----------------------------------------------------------------------------- records

def baseline(status, first="2026-11-01T09:00:00Z", last="2026-11-25T13:00:44Z", count=1, note=None,
             label=None, key=""):
    return {"status": status, "note": note, "key": key, "label": label,
            "first_seen": first, "last_seen": last, "count": count}


def video(freq_hz, status, standard="PAL", snr=31.1, verdict="camera"):
    return {"type": "analog_video", "verdict": verdict, "score": 1.0, "freq_hz": freq_hz,
            "channel_hz": round(freq_hz, -6), "standard": standard, "line_rate_hz": 15625.8,
            "bandwidth_hz": 24239062, "lo_hz": freq_hz - 12e6, "hi_hz": freq_hz + 12e6,
            "power_db": 49.0, "snr_db": snr,
            "reasons": ["signal repeats every 64.00 us (15.626 kHz line rate)",
                        f"line rate matches {standard}"],
            "baseline": baseline(status, key=f"rf:{freq_hz / 1e6:.1f}")}


def wifi_cam(mac, ssid, status, vendor="Espressif Inc.", verdict="camera", rssi=-56.3, note=None):
    return {"type": "wifi_camera", "verdict": verdict, "score": 1.0 if verdict == "camera" else 0.6,
            "mac": mac, "vendor": vendor, "locally_administered": False, "role": "station",
            "bssid": "e0:28:6d:4a:7a:3f", "ssid": ssid, "channel": 6, "rssi_dbm": rssi,
            "rssi_max_dbm": -47.0, "frames": 387, "first_seen": 0.0004, "last_seen": 39.48,
            "uplink_kbps": 629.2, "downlink_kbps": 30.4, "burst_hz": 5.0,
            "reasons": ["steady upload 629 kbit/s", "21x more up than down",
                        "vendor Espressif Inc.: a Wi-Fi module maker common in cheap cameras"],
            "baseline": baseline(status, note=note, count=3 if status != "new" else 1, key=f"wifi:{mac}")}


def observation(kind, status, **kw):
    obs = {"kind": kind, "key": f"{kind}:{kw.get('mac') or kw.get('freq_hz')}", "verdict": None,
           "label": kw.pop("label"), "power_db": kw.pop("power_db"), **kw}
    obs["baseline"] = baseline(status, note="stronger by 12 dB" if status == "changed" else None)
    return obs


def spectrum(band, peaks_hz=(), n=4000, gap=False, seed=0, carrier_bin=None):
    """A noise floor of a few dB, a 30 dB peak at each finding, maybe a one-bin 60 dB carrier;
    None where a hop failed."""
    start, stop = BANDS[band]
    rng = np.random.default_rng(seed)
    freqs = start + (np.arange(n) + 0.5) * (stop - start) / n
    snr = rng.gamma(2.0, 1.5, n)
    for f in peaks_hz:
        snr += 30.0 * np.exp(-0.5 * ((freqs - f) / 2e6) ** 2)
    if carrier_bin is not None:
        snr[carrier_bin] = 60.0
    values = [round(float(v), 2) for v in snr]
    if gap:
        values[n // 8: n // 8 + n // 20] = [None] * (n // 20)
    return {"band": band, "start_hz": start, "stop_hz": stop, "snr_db": values}


def record(id, started_at, room, findings=(), changes=(), spectra=(), trigger="button",
           hardware=None, problems=None, device="sweeper-3fa9c2"):
    findings, changes = list(findings), list(changes)
    verdicts = {f["verdict"] for f in findings if f["baseline"]["status"] != "known"}
    raw = {f["verdict"] for f in findings}

    def word(vs):
        return "CAMERA" if "camera" in vs else "SUSPECT" if "suspect" in vs else "CLEAR"
    statuses = [i["baseline"]["status"] for i in findings + changes]
    return {"id": id, "started_at": started_at, "finished_at": started_at[:-3] + "44Z",
            "room": room, "device_id": device, "trigger": trigger, "simulated": False,
            "verdict": word(verdicts), "raw_verdict": word(raw), "elapsed_s": 41.2,
            "hardware": hardware or {"RF": "ok", "Wi-Fi": "ok"}, "problems": problems or {},
            "findings": findings, "changes": changes,
            "counts": {"findings": len(findings), "new": statuses.count("new"),
                       "changed": statuses.count("changed"), "known": 30 + statuses.count("known"),
                       "rf_emitters": 33, "wifi_devices": 12},
            "spectra": list(spectra)}


def venue_records():
    """Six sweeps of four rooms; Room 101's latest has three findings in the 'wrong' order."""
    latest = [wifi_cam("24:0a:c4:11:22:33", "Guest", "known", verdict="suspect"),
              wifi_cam("24:0a:c4:5b:19:e2", HOSTILE_SSID, "changed", note="now on channel 6"),
              video(2432.3e6, "new"),
              video(5805.0e6, "new", standard="NTSC", snr=24.0)]
    return [
        record(1, "2026-11-23T09:00:02Z", "Room 101", trigger="timer"),
        record(2, "2026-11-24T09:00:02Z", "Room 101",
               [wifi_cam("3c:71:bf:00:00:01", FORMULA_SSID, "new", vendor=FORMULA_VENDOR,
                         verdict="suspect")]),
        record(3, "2026-11-25T13:00:02Z", "Room 101", latest,
               spectra=[spectrum("2.4 GHz", [2432.3e6], n=6000, gap=True, seed=1, carrier_bin=4567),
                        spectrum("5.8 GHz", [5805.0e6], n=3000, seed=2)]),
        dict(record(4, "2026-11-25T10:00:02Z", "Lobby",
                    hardware={"RF": "no RTL-SDR dongle found", "Wi-Fi": "ok"}), verdict="INCOMPLETE"),
        record(5, "2026-11-25T11:00:02Z", "",
               [video(950.0e6, "new", verdict="suspect", snr=12.0)],
               changes=[observation("wifi", "new", label="Wi-Fi station 9e:8a:f6:c8:17:6f",
                                    mac="9e:8a:f6:c8:17:6f", ssid="@SUM(1+1)", channel=1,
                                    power_db=-46.5, vendor=None),
                        observation("rf", "changed", label="carrier 1125.0 MHz",
                                    freq_hz=1124999821, power_db=49.0)],
               spectra=[spectrum("900 MHz", [950.0e6], n=800, seed=3)]),
        record(6, "2026-11-25T12:00:02Z", HOSTILE_ROOM, device="sweeper-77b001",
               problems={"Wi-Fi": "adapter unplugged after 12 s"}),
    ]


BAND_SPECTRA = [s for r in venue_records() for s in r["spectra"]]
META = {"title": TITLE, "generated_at": "2026-11-26T08:30:00Z", "timezone": "Europe/Berlin",
        "filters": {"room": None, "since": "2026-11-20T00:00:00Z", "until": None},
        "device_ids": ["sweeper-3fa9c2", "sweeper-77b001"]}


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


# ----------------------------------------------------------------------------- JSON and CSV

def test_json_round_trips_with_numpy_values():
    recs = venue_records()
    plain = copy.deepcopy(recs)
    recs[2]["findings"][2]["score"] = np.float64(1.0)
    recs[2]["counts"]["new"] = np.int64(recs[2]["counts"]["new"])
    recs[2]["spectra"][1]["snr_db"] = np.array(recs[2]["spectra"][1]["snr_db"])
    recs[4]["spectra"][0]["snr_db"] = np.array([1.5, np.nan, 2.5])
    plain[4]["spectra"][0]["snr_db"] = [1.5, None, 2.5]
    text = records_json(recs, META)
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert doc["sweeps"] == plain
    assert doc["title"] == TITLE and doc["generated_at"] == META["generated_at"]
    assert doc["filters"] == META["filters"]
    assert "\n  " in text  # pretty


def test_findings_csv_has_a_row_per_finding_change_and_clear_sweep():
    recs = venue_records()
    got = rows(findings_csv(recs))
    assert list(got[0].keys()) == FINDING_COLUMNS
    for rec in recs:
        mine = [r for r in got if r["sweep_id"] == str(rec["id"])]
        kinds = [r["row_kind"] for r in mine]
        assert kinds.count("finding") == len(rec["findings"])
        assert kinds.count("change") == len(rec["changes"])
        assert kinds.count("sweep") == (0 if rec["findings"] else 1)
    clear = [r for r in got if r["sweep_id"] == "1"]
    assert clear == [dict.fromkeys(FINDING_COLUMNS, "") | {
        "sweep_id": "1", "started_at": "2026-11-23T09:00:02Z", "room": "Room 101",
        "device_id": "sweeper-3fa9c2", "sweep_verdict": "CLEAR", "row_kind": "sweep"}]
    pal = next(r for r in got if r["frequency_mhz"] == "2432.3")
    assert (pal["type"], pal["verdict"], pal["baseline_status"], pal["sweep_verdict"]) == \
        ("analog_video", "camera", "new", "CAMERA")
    assert pal["what"] == "Analog video transmitter (PAL)" and pal["power_db"] == "49.0"
    assert pal["reasons"].split("; ")[1] == "line rate matches PAL"
    cam = next(r for r in got if r["mac"] == "24:0a:c4:5b:19:e2")
    assert cam["ssid"] == HOSTILE_SSID and cam["channel"] == "6" and cam["power_db"] == "-56.3"
    assert (cam["count"], cam["note"], cam["first_seen"]) == ("3", "now on channel 6", "2026-11-01T09:00:00Z")
    rf = next(r for r in got if r["row_kind"] == "change" and r["type"] == "rf")
    assert rf["frequency_mhz"] == "1125.0" and rf["what"] == "carrier 1125.0 MHz"
    assert rf["baseline_status"] == "changed" and rf["room"] == ""
    assert next(r for r in got if r["sweep_id"] == "6")["room"] == HOSTILE_ROOM  # data kept as is


def test_csv_cells_that_would_run_as_formulas_are_quoted():
    got = rows(findings_csv(venue_records()))
    hostile = next(r for r in got if r["mac"] == "3c:71:bf:00:00:01")
    assert hostile["ssid"] == "'" + FORMULA_SSID
    assert hostile["vendor"] == "'" + FORMULA_VENDOR
    station = next(r for r in got if r["mac"] == "9e:8a:f6:c8:17:6f")
    assert station["ssid"] == "'@SUM(1+1)"
    assert station["power_db"] == "-46.5"  # numbers stay numbers
    assert not [c for r in got for c in r.values() if c[:1] in "=+@" and c]
    rooms = rows(sweeps_csv([record(9, "2026-11-25T13:00:02Z", "-1+1 lobby")]))
    assert rooms[0]["room"] == "'-1+1 lobby"


def test_sweeps_csv_one_row_per_sweep():
    recs = venue_records()
    got = rows(sweeps_csv(recs))
    assert list(got[0].keys()) == SWEEP_COLUMNS
    assert [r["id"] for r in got] == [str(r["id"]) for r in recs]
    latest = got[2]
    assert (latest["verdict"], latest["raw_verdict"], latest["findings"]) == ("CAMERA", "CAMERA", "4")
    assert (latest["new"], latest["changed"], latest["known"]) == ("2", "1", "31")
    assert (latest["rf"], latest["wifi"], latest["problems"]) == ("ok", "ok", "")
    assert got[3]["rf"] == "no RTL-SDR dongle found" and got[3]["verdict"] == "INCOMPLETE"
    assert got[5]["problems"] == "Wi-Fi: adapter unplugged after 12 s"
    assert got[0]["trigger"] == "timer" and got[0]["simulated"] == "False"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]


def test_html_is_self_contained_and_escapes_everything():
    page = render_html(venue_records(), META)
    parsed = _Tags()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "link" not in parsed.tags
    assert not [a for a in parsed.attrs if a[1].startswith("on") or a[1] in ("href", "src", "xlink:href")]
    assert "url(" not in page and "@import" not in page
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "&lt;/svg&gt;&lt;script&gt;alert(2)" in page
    assert parsed.tags.count("svg") == 3  # 2.4 + 5.8 GHz in Room 101, 900 MHz unlabelled


# ----------------------------------------------------------------------------- in Chromium

@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(f"needs Chromium and chromedriver ({CHROMIUM}, {CHROMEDRIVER}): "
                    "apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    (d / "venue.html").write_text(render_html(venue_records(), META), encoding="utf-8")
    (d / "empty.html").write_text(render_html([], dict(META, title="Nothing yet")), encoding="utf-8")
    return {name: (d / f"{name}.html").as_uri() for name in ("venue", "empty")}


@pytest.fixture
def venue(browser, pages):
    browser.set_window_size(1280, 1000)
    browser.get(pages["venue"])
    return browser


def js(driver, script, *args):
    return driver.execute_script(script, *args)


def test_header_summary_and_rooms(venue):
    assert venue.title == TITLE
    stats = js(venue, "return Object.fromEntries([...document.querySelectorAll('.stat')]"
                      ".map(s => [s.dataset.stat, s.querySelector('.num').textContent]))")
    assert stats == {"sweeps": "6", "rooms": "4", "hardware": "2"}
    header = venue.find_element("css selector", "header").text
    # local times with seconds (Berlin is UTC+1 in November)
    assert "sweeper-3fa9c2, sweeper-77b001" in header and "2026-11-20 01:00:00 CET" in header
    assert "Generated: 2026-11-26 09:30:00 CET" in header and "Times are local to Europe/Berlin" in header
    # the right-to-left override would reverse the heading: it is shown as a code instead
    shown = HOSTILE_ROOM.replace("\u202e", "[U+202E]")
    # the summary names the rooms by their latest verdict, the most alarming first
    lines = [li.text for li in venue.find_elements("css selector", "ul.by-verdict li")]
    assert lines == ["CAMERA in Room 101", "SUSPECT in (no room label)", "INCOMPLETE in Lobby", f"CLEAR in {shown}"]
    names = js(venue, "return [...document.querySelectorAll('section.room > h2')].map(h => h.textContent)")
    assert names == ["Room 101", "(no room label)", "Lobby", shown]
    words = [e.text for e in venue.find_elements("css selector", "section.room .latest .verdict")]
    assert words == ["CAMERA", "SUSPECT", "INCOMPLETE", "CLEAR"]
    latest = venue.find_element("css selector", "section.room[data-room='Room 101'] .latest").text
    assert "latest sweep 3, 2026-11-25 14:00:02 CET" in latest
    lobby = venue.find_element("css selector", "section.room[data-room='Lobby']").text
    assert "no RTL-SDR dongle found" in lobby


def test_findings_table_new_and_changed_first(venue):
    room = venue.find_element("css selector", "section.room[data-room='Room 101']")
    trs = room.find_elements("css selector", "table.findings tbody tr.finding")
    assert len(trs) == 4
    cells = [[td.text for td in tr.find_elements("tag name", "td")] for tr in trs]
    assert [c[0] for c in cells] == ["NEW", "NEW", "CHANGED", "KNOWN"]
    assert [c[1] for c in cells] == ["CAMERA", "CAMERA", "CAMERA", "SUSPECT"]
    assert [c[3] for c in cells] == ["2432.3 MHz", "5805.0 MHz", "Wi-Fi ch 6", "Wi-Fi ch 6"]
    assert cells[2][4] == "-56 dBm" and cells[0][4] == "31 dB over floor"
    assert HOSTILE_SSID in cells[2][2] and "now on channel 6" in cells[2][8]
    changes = room.find_elements("css selector", "table.changes")
    assert changes == []  # Room 101's latest sweep has no non-camera changes
    other = venue.find_element("css selector", "section.room[data-room=''] table.changes")
    assert [[td.text for td in tr.find_elements("tag name", "td")][:2]
            for tr in other.find_elements("css selector", "tbody tr")] == \
        [["NEW", "Wi-Fi station 9e:8a:f6:c8:17:6f"], ["CHANGED", "carrier 1125.0 MHz"]]
    history = room.find_elements("css selector", "table.history tbody tr")
    assert [[td.text for td in tr.find_elements("tag name", "td")][:2] for tr in history] == \
        [["3", "2026-11-25 14:00:02 CET"], ["2", "2026-11-24 10:00:02 CET"], ["1", "2026-11-23 10:00:02 CET"]]
    assert [tr.find_elements("tag name", "td")[4].text for tr in history] == ["CAMERA", "SUSPECT", "CLEAR"]


def test_findings_say_what_they_mean_and_what_to_do(venue):
    room = venue.find_element("css selector", "section.room[data-room='Room 101']")
    why = [tr.find_elements("tag name", "td")[8] for tr in room.find_elements("css selector", "tr.finding")]
    # plain words first; the detector's technical reasons are folded until asked for
    assert why[0].text.startswith("It broadcasts a live video picture (PAL) on 2432.3 MHz")
    assert why[2].text.startswith("It sends video over Wi-Fi the way a camera's encoder does")
    assert "line rate matches PAL" not in why[0].text and "Technical detail" in why[0].text
    why[0].find_element("tag name", "summary").click()
    assert "line rate matches PAL" in why[0].text
    # every camera and suspect finding is followed by its recommended action
    rows = room.find_elements("css selector", "table.findings tbody tr")
    assert [r.get_attribute("class") for r in rows] == ["finding", "action"] * 4
    actions = [r.text for r in rows[1::2]]
    for text in actions[:3]:  # the new and changed cameras: evidence first, then the police
        assert text.startswith("What to do") and "take photos" in text and "sweep ID (3)" in text
        assert "Keep it powered until the photos are taken" in text and "police" in text
    assert "locate screen on this finding (2432.3 MHz)" in actions[0]
    assert "locate screen on this finding (Wi-Fi Espressif Inc. 24:0a:c4:5b:19:e2, channel 6)" in actions[2]
    assert "In this room's baseline" in actions[3]  # the known suspect: the venue's own
    suspect = venue.find_element("css selector", "section.room[data-room=''] tr.action").text
    assert "Often it is a harmless device" in suspect and "sweep ID (5)" in suspect


def test_spectrum_plots_axes_trace_and_markers(venue):
    expected = {"2.4 GHz": 2432.3, "5.8 GHz": 5805.0, "900 MHz": 950.0}
    figures = venue.find_elements("css selector", "figure")
    assert sorted(f.find_element("tag name", "figcaption").text for f in figures) == sorted(expected)
    for fig in figures:
        band = fig.find_element("tag name", "figcaption").text
        lo, hi = (f / 1e6 for f in BANDS[band])
        svg = fig.find_element("css selector", "svg.spectrum")
        assert svg.is_displayed() and svg.rect["width"] > 400 and svg.rect["height"] > 100
        ticks = js(venue, "return [...arguments[0].querySelectorAll('.xtick')].map(t => {"
                          "const r = t.getBoundingClientRect(); return [t.textContent, r.left + r.width / 2]})",
                   svg)
        assert len(ticks) >= 4
        mhz = [float(t) for t, _ in ticks]
        assert all(lo <= m <= hi for m in mhz) and mhz == sorted(mhz)
        assert {t.text for t in svg.find_elements("css selector", ".axis-title")} == \
            {"MHz", "dB over noise floor"}
        assert len(svg.find_elements("css selector", ".ytick")) >= 3
        (m0, x0), (m1, x1) = ticks[0], ticks[-1]
        markers = js(venue, "return [...arguments[0].querySelectorAll('.marker line')].map(l => {"
                            "const r = l.getBoundingClientRect(); return [r.left + r.width / 2,"
                            " +l.getAttribute('x1')]})", svg)
        assert len(markers) == 1
        want = x0 + (expected[band] - float(m0)) * (x1 - x0) / (float(m1) - float(m0))
        assert abs(markers[0][0] - want) < 3, (band, markers, want)
        lines = [[tuple(map(float, p.split(","))) for p in pl.get_attribute("points").split()]
                 for pl in svg.find_elements("css selector", "polyline.trace")]
        points = [p for line in lines for p in line]
        assert 200 < len(points) <= 620
        assert len(lines) == (2 if band == "2.4 GHz" else 1)  # the failed hop breaks the line
        # read the highest plotted point back through the dB axis: max-pooling kept the peak
        ylab, top = js(venue, """
            const svg = arguments[0], m = svg.getScreenCTM();
            const ys = [...svg.querySelectorAll('polyline.trace')].flatMap(pl => [...pl.points])
                .map(p => new DOMPoint(p.x, p.y).matrixTransform(m).y);
            return [[...svg.querySelectorAll('.ytick')].map(t => {
                const r = t.getBoundingClientRect(); return [+t.textContent, r.top + r.height / 2]}),
                Math.min(...ys)]""", svg)
        (v0, y0), (v1, y1) = ylab[0], ylab[-1]
        highest = v0 + (top - y0) * (v1 - v0) / (y1 - y0)
        data = [v for spec in BAND_SPECTRA for v in spec["snr_db"] if spec["band"] == band and v is not None]
        assert abs(highest - max(data)) < 1.5, (band, highest, max(data))


def test_hostile_strings_stay_text(venue):
    from selenium.common.exceptions import NoAlertPresentException
    with pytest.raises(NoAlertPresentException):
        venue.switch_to.alert.text
    assert venue.title == TITLE
    assert js(venue, "return document.querySelectorAll('script, img, iframe').length") == 0
    table = venue.find_element("css selector", "section.room[data-room='Room 101'] table.findings")
    assert HOSTILE_SSID in table.text
    assert venue.find_elements("css selector", "section.room")[3].find_element("tag name", "h2").text \
        .endswith('[U+202E]"7" </svg><script>alert(2)</script>')


def test_readable_at_desktop_and_narrow_widths(venue):
    scroll = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    sw, cw = js(venue, scroll)
    assert cw >= 1200 and sw <= cw + 1
    sizes = js(venue, "return [...document.querySelectorAll('td, th')].map(c => parseFloat(getComputedStyle(c).fontSize))")
    assert len(sizes) > 40 and min(sizes) >= 12
    colour = "return getComputedStyle(document.querySelector(arguments[0])).backgroundColor"
    camera = js(venue, colour, "section.room[data-room='Room 101'] .latest .verdict")
    clear = js(venue, colour, "section.room[data-room='Lobby'] .latest .verdict")
    suspect = js(venue, colour, "section.room[data-room=''] .latest .verdict")
    assert len({camera, clear, suspect}) == 3 and "rgba(0, 0, 0, 0)" not in (camera, clear)
    venue.set_window_size(800, 1000)
    sw, cw = js(venue, scroll)
    assert cw < 820 and sw <= cw + 1
    # short words are never split across lines, even narrow: one line box per word
    lines = js(venue, "return [...document.querySelectorAll('.badge, td.fverdict, th, .verdict')]"
                      ".filter(e => !e.textContent.trim().includes(' ')).map(e => {"
                      "const r = document.createRange(); r.selectNodeContents(e);"
                      "return [e.textContent, new Set([...r.getClientRects()].map(q => Math.round(q.top))).size]})")
    assert len(lines) > 30 and [w for w, n in lines if n != 1] == []
    assert venue.find_element("css selector", "svg.spectrum").rect["width"] > 400


def test_empty_report_says_so(browser, pages):
    browser.set_window_size(1280, 1000)
    browser.get(pages["empty"])
    assert browser.title == "Nothing yet"
    assert "No sweeps in this period" in browser.find_element("tag name", "main").text
    assert browser.find_elements("css selector", "section.room, .summary, svg") == []
    assert "What a sweep cannot find" in browser.find_element("tag name", "footer").text


def test_screenshot_is_a_real_picture(venue, tmp_path):
    path = tmp_path / "report.png"
    assert venue.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    image = Image.open(path)
    assert image.size[0] >= 1200
    grey = np.asarray(image.convert("L"), dtype=float)
    assert grey.std() > 10 and (grey < 100).mean() > 0.005  # text and colour, not a blank page


def test_the_report_command_on_a_recorded_history_renders(browser, tmp_path):
    """End to end: sweeps recorded by the device's recorder (baseline, then a camera, and a
    clear room), `sweeper report` over that history with the venue's name and time zone,
    the page in Chromium: the camera's room first, its action, local times with seconds."""
    import dataclasses
    import subprocess
    import sys
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sweeper.config import default_config
    from sweeper.assembly import RfPart, WifiPart
    from sweeper.device.sweeping import merge
    from sweeper.venue.history import HistoryStore
    from sweeper.venue.recorder import Venue

    def outcome(camera):
        snr = [1.0] * 512
        findings = []
        if camera:
            snr[240:262] = [30.0] * 22
            findings = [video(2432.3e6, "new")]
            del findings[0]["baseline"]
        reports = {"rf": {"verdict": "CAMERA" if camera else "CLEAR", "findings": findings, "spectra": [
            {"band": "2.4GHz", "start_hz": 2.35e9, "stop_hz": 2.53e9, "snr_db": snr}],
            "emitters": [{"class": "carrier", "freq_hz": 2.401e9, "bandwidth_hz": 2e4, "snr_db": 25.0,
                          "score": 0.9}]}}
        # the Wi-Fi part is configured but its adapter is missing: a gap of every sweep
        result = merge([RfPart(None), WifiPart(lambda: None)], reports, missing={"Wi-Fi": "no adapter"})
        result.elapsed_s = 40.0
        return result

    path = tmp_path / "history.db"
    cfg = default_config()
    cfg = dataclasses.replace(cfg, history=dataclasses.replace(cfg.history, path=str(path)))
    with HistoryStore(str(path)) as store:
        venue = Venue(cfg, store)
        first = venue.record(outcome(False), "Room 7", "timer", {"RF": "ok", "Wi-Fi": "no adapter"},
                             1.79e9, 1.79e9 + 40)
        store.baseline_from_sweep(first["id"])
        camera = venue.record(outcome(True), "Room 7", "timer", {"RF": "ok", "Wi-Fi": "no adapter"},
                              1.79e9 + 3600, 1.79e9 + 3640)
        venue.record(outcome(False), "Annex", "timer", {"RF": "ok", "Wi-Fi": "no adapter"}, 1.79e9 + 7200,
                     1.79e9 + 7240)
    conf = tmp_path / "config.yaml"
    conf.write_text(f"history:\n  path: {path}\n  keep_days: 36500\n"
                    "venue:\n  name: Hotel Aurora\n  timezone: Asia/Kolkata\n")
    page = tmp_path / "report.html"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-m", "sweeper", "--config", str(conf), "report", "-o", str(page)],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    browser.set_window_size(1280, 1000)
    browser.get(page.as_uri())
    assert browser.title == "Sweeper report: Hotel Aurora"
    rooms = [s.get_attribute("data-room") for s in browser.find_elements("css selector", "section.room")]
    assert rooms == ["Room 7", "Annex"]  # the camera's room first, whatever its name
    summary = [li.text for li in browser.find_elements("css selector", "ul.by-verdict li")]
    assert summary == ["CAMERA in Room 7", "INCOMPLETE in Annex"]
    started = datetime.fromtimestamp(1.79e9 + 3600, ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M:%S")
    latest = browser.find_element("css selector", "section.room[data-room='Room 7'] .latest").text
    assert f"latest sweep {camera['id']}, {started} IST" in latest, latest
    action = browser.find_element("css selector", "section.room[data-room='Room 7'] tr.action").text
    assert "take photos" in action and f"sweep ID ({camera['id']})" in action
    text = browser.find_element("tag name", "body").text
    assert "Room 7" in text and "CAMERA" in text and "Wi-Fi: not swept (no adapter)" in text
    assert len(browser.find_elements("css selector", "svg.spectrum")) == 2  # one per room
    assert len(browser.find_elements("css selector", "svg.spectrum .marker line")) == 1
    statuses = [b.text for b in browser.find_elements("css selector", "table.findings .badge")]
    assert statuses == ["NEW"], statuses
    browser.save_screenshot(str(tmp_path / "shot.png"))


def test_report_title_and_time_zone_from_the_venue_settings(tmp_path, cli):
    """No venue.name: the title names the room or the device, never the default
    device_name "sweeper"; a mistyped venue.timezone is a config error with a suggestion."""
    from sweeper.venue.history import HistoryStore

    path = tmp_path / "history.db"
    with HistoryStore(str(path)) as store:
        store.add(record(1, "2026-11-25T13:00:02Z", "Room 7", device="sweeper-3fa9c2"), [])
    conf = tmp_path / "config.yaml"
    conf.write_text(f"history:\n  path: {path}\n  keep_days: 36500\nvenue:\n  timezone: America/New_York\n")
    rc, out, err = cli("--config", str(conf), "report")
    assert rc == 0, err
    assert "<title>Sweeper report: sweeper-3fa9c2</title>" in out
    assert "2026-11-25 08:00:02 EST" in out  # 13:00:02 UTC in New York
    rc, out, err = cli("--config", str(conf), "report", "--room", "Room 7")
    assert "<title>Sweeper report: Room 7</title>" in out

    conf.write_text(f"history:\n  path: {path}\nvenue:\n  timezone: Europe/Berln\n")
    rc, out, err = cli("--config", str(conf), "report")
    assert rc == 2 and out == ""
    assert err.strip() == (f"sweeper: error: {conf}:4: venue.timezone: 'Europe/Berln' is not a time zone "
                           "(an IANA name such as Europe/Berlin); did you mean Europe/Berlin?")
