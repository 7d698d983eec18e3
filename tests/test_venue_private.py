"""Phones with private (randomised) addresses: a new address every time, so a baseline
cannot know them. They are counted as one group and never reported as NEW; a
transmitter the detector found camera-like keeps its row whatever its address."""
import dataclasses

from sweeper.assembly import RfPart, WifiPart
from sweeper.config import default_config
from sweeper.device.sweeping import merge
from sweeper.venue.history import HistoryStore
from sweeper.venue.recorder import Venue
from sweeper.venue.report import render_html

AP = "e0:28:6d:4a:7a:3f"            # the venue's access point (maker-assigned)
AP_VIRTUAL = "e2:28:6d:4a:7a:3f"    # its second SSID: a locally administered BSSID it keeps
SMART_TV = "00:1a:11:22:33:44"      # a guest's TV, new in the second sweep


def device(mac, role="station", up=3.0, rssi=-60.0):
    return {"mac": mac, "vendor": None, "locally_administered": bool(int(mac[:2], 16) & 2), "role": role,
            "bssid": AP, "ssid": "Guest", "channel": 6, "rssi_dbm": rssi, "avg_uplink_kbps": up,
            "score": 0.05}


def phone(i):
    return device(f"{0x02 | (i << 4) & 0xf0:02x}:{i:02x}:5c:{i:02x}:9a:{i:02x}")


def private_camera(mac="da:a1:19:00:00:07"):
    """A camera-like uploader behind a private address: it must keep its row."""
    return {"type": "wifi_camera", "verdict": "suspect", "score": 0.66, "mac": mac, "vendor": None,
            "locally_administered": True, "role": "station", "bssid": AP, "ssid": "Guest", "channel": 6,
            "rssi_dbm": -52.0, "uplink_kbps": 700.0, "burst_hz": 15.0,
            "reasons": ["steady upload 700 kbit/s", "bursts keep a steady 15.0/s clock (video frames)"]}


def outcome(devices, findings=()):
    rf = {"verdict": "CLEAR", "findings": [], "spectra": [], "emitters": []}
    wifi = {"verdict": "SUSPECT" if findings else "CLEAR", "findings": list(findings), "devices": devices}
    result = merge([RfPart(None), WifiPart(lambda: None)], {"rf": rf, "wifi": wifi})
    result.elapsed_s = 40.0
    return result


def test_private_address_phones_are_a_group_never_new_and_a_camera_keeps_its_row(tmp_path, cli):
    path = tmp_path / "history.db"
    cfg = default_config()
    cfg = dataclasses.replace(cfg, history=dataclasses.replace(cfg.history, path=str(path)))
    hw = {"RF": "ok", "Wi-Fi": "ok"}
    with HistoryStore(str(path)) as store:
        venue = Venue(cfg, store)
        first = venue.record(outcome([device(AP, "access_point"), device(AP_VIRTUAL, "access_point"),
                                      phone(1), phone(2)]), "Room 7", "timer", hw, 1.79e9, 1.79e9 + 40)
        added, _ = store.baseline_from_sweep(first["id"])
        assert {o["key"] for o in added} == {f"wifi:{AP}", f"wifi:{AP_VIRTUAL}"}
        # the same phones are back with new addresses, a TV is new, and a private-address uploader
        second = venue.record(outcome([device(AP, "access_point"), device(AP_VIRTUAL, "access_point"),
                                       phone(3), phone(4), phone(5), device(SMART_TV)], [private_camera()]),
                              "Room 7", "timer", hw, 1.79e9 + 3600, 1.79e9 + 3640)
    counts = second["counts"]
    assert counts["private"] == 3 and counts["known"] == 2
    assert counts["new"] == 2  # the TV and the camera-like uploader; no phone
    assert [c["mac"] for c in second["changes"]] == [SMART_TV]
    assert [(f["mac"], f["baseline"]["status"]) for f in second["findings"]] == [("da:a1:19:00:00:07", "new")]
    assert second["verdict"] == "SUSPECT"

    conf = tmp_path / "config.yaml"
    conf.write_text(f"history:\n  path: {path}\n  keep_days: 36500\n")
    rc, out, err = cli("--config", str(conf), "history", "--show", str(second["id"]))
    assert rc == 0, err
    assert "3 phones with private addresses" in out
    assert "NEW" in out and "da:a1:19:00:00:07" in out  # the uploader's row
    assert not any(phone(i)["mac"] in out for i in (3, 4, 5))

    with HistoryStore(str(path)) as store:
        page = render_html([store.sweep(second["id"])], {"title": "t", "generated_at": "2026-11-26T08:30:00Z"})
    assert "3 phones with private addresses" in page
    assert SMART_TV in page and "da:a1:19:00:00:07" in page
    assert not any(phone(i)["mac"] in page for i in (3, 4, 5))
