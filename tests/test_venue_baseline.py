"""Baselines: friendly stays friendly through measurement noise; new and changed stand out.

Labelled rooms with random emitters at random levels are baselined, then heard again
with the noise of a handheld sweep (level, frequency drift, devices not heard) and
with injected news: new transmitters, friendly ones turned up, a friendly Wi-Fi device
starting to upload, a video transmitter on a friendly carrier's frequency. Both the hit
rate on the news and the false alarms on the unchanged friendly ones are asserted.
"""
import numpy as np

from sweeper.venue.baseline import ChangeRules, compare, missing_friendly, news_first, verdict
from sweeper.venue.observations import observe, rf_key
from sweeper.venue.privacy import MacPrivacy

RULES = ChangeRules()
NOW = "2026-11-25T12:00:00Z"


def rf_obs(freq, cls="carrier", bw=10e3, snr=20.0, v="clear"):
    return {"kind": "rf", "key": rf_key(cls, freq), "label": f"{cls} {freq / 1e6:.1f}", "class": cls,
            "freq_hz": freq, "bandwidth_hz": bw, "power_db": snr, "verdict": v, "score": 0.9}


def wifi_obs(mac, rssi=-60.0, up=5.0, v="clear"):
    return {"kind": "wifi", "key": f"wifi:{mac}", "label": f"Wi-Fi {mac}", "mac": mac, "power_db": rssi,
            "uplink_kbps": up, "verdict": v, "score": 0.1}


def befriend(observations):
    """Sightings as the history holds them after `sweeper baseline record`."""
    out = {}
    for o in observations:
        out[o["key"]] = {"key": o["key"], "kind": o["kind"], "friendly": True, "name": None,
                         "first_seen": "2026-11-01T09:00:00Z", "count": 4, "freq_hz": o.get("freq_hz"),
                         "bandwidth_hz": o.get("bandwidth_hz"), "ref_power_db": o["power_db"],
                         "ref_verdict": o["verdict"], "ref_class": o.get("class"),
                         "ref_uplink_kbps": o.get("uplink_kbps")}
    return out


def status_of(result, key):
    return next(o["baseline"]["status"] for o in result if o["key"] == key)


def test_known_emitters_match_through_drift_and_level_noise():
    base = [rf_obs(2432e6, "analog_video", 18e6, 30, "camera"), rf_obs(915.02e6), wifi_obs("aa:bb:cc:00:00:01")]
    again = [rf_obs(2434.5e6, "analog_video", 18e6, 33, "camera"),  # FM video centre wanders by MHz
             rf_obs(915.13e6, snr=12),  # crystal drift; a fall in level is no change
             wifi_obs("aa:bb:cc:00:00:01", rssi=-52)]
    result = compare(again, befriend(base), RULES, NOW)
    assert [o["baseline"]["status"] for o in result] == ["known", "known", "known"]
    assert result[0]["baseline"]["key"] == base[0]["key"]  # one sighting row keeps drifting emitters
    assert result[0]["baseline"]["count"] == 5 and result[0]["baseline"]["first_seen"] == "2026-11-01T09:00:00Z"


def test_bluetooth_anywhere_in_the_band_is_one_emitter():
    assert rf_key("bluetooth", 2402e6) == rf_key("bluetooth", 2480e6) == "rf:bluetooth:2400"
    assert rf_key("carrier", 2402e6) != rf_key("carrier", 2480e6)
    parts = {"RF": {"findings": [], "emitters": [
        {"class": "bluetooth", "freq_hz": 2402e6, "bandwidth_hz": 1e6, "snr_db": 9, "score": 0.8},
        {"class": "bluetooth", "freq_hz": 2470e6, "bandwidth_hz": 1e6, "snr_db": 14, "score": 0.8}]}}
    obs = observe(parts)
    assert len(obs) == 1 and obs[0]["power_db"] == 14  # the strongest stands for the group


def test_what_counts_as_changed_and_why():
    base = [rf_obs(1080e6), wifi_obs("aa:bb:cc:00:00:02", up=20), rf_obs(2450e6, snr=15)]
    sight = befriend(base)
    now = [rf_obs(1080.05e6, "analog_video", 8e6, 25, "camera"),  # a camera on a friendly carrier
           wifi_obs("aa:bb:cc:00:00:02", up=900),  # a friendly device starts uploading
           rf_obs(2450e6, snr=27)]  # turned up by 12 dB
    result = {o["key"]: o["baseline"] for o in compare(now, sight, RULES, NOW)}
    video = next(b for k, b in result.items() if k.startswith("rf:1080"))
    assert video["status"] == "changed" and "camera" in video["note"] and "carrier" in video["note"]
    assert result["wifi:aa:bb:cc:00:00:02"]["status"] == "changed"
    assert "900 kbit/s" in result["wifi:aa:bb:cc:00:00:02"]["note"]
    assert result[rf_key("carrier", 2450e6)]["status"] == "changed"
    assert "12 dB stronger" in result[rf_key("carrier", 2450e6)]["note"]


def test_unfriendly_sightings_stay_new_with_their_history():
    sight = befriend([wifi_obs("aa:bb:cc:00:00:03")])
    sight["wifi:aa:bb:cc:00:00:03"]["friendly"] = False  # heard before, never baselined
    result = compare([wifi_obs("aa:bb:cc:00:00:03")], sight, RULES, NOW)
    assert result[0]["baseline"]["status"] == "new" and result[0]["baseline"]["count"] == 5


def test_known_findings_do_not_raise_the_verdict_and_news_come_first():
    findings = [{"verdict": "camera", "score": 0.9, "baseline": {"status": "known"}},
                {"verdict": "suspect", "score": 0.6, "baseline": {"status": "new"}},
                {"verdict": "camera", "score": 0.95, "baseline": {"status": "changed"}}]
    assert verdict(findings[:2]) == "SUSPECT"
    assert verdict(findings[:1]) == "CLEAR"
    assert [f["baseline"]["status"] for f in news_first(findings)] == ["changed", "new", "known"]


def test_friendly_emitters_not_heard_are_counted_only_for_what_was_swept():
    sight = befriend([rf_obs(900e6), wifi_obs("aa:bb:cc:00:00:04")])
    result = compare([rf_obs(900e6)], sight, RULES, NOW)
    assert [s["key"] for s in missing_friendly(result, sight, {"rf", "wifi"})] == ["wifi:aa:bb:cc:00:00:04"]
    assert missing_friendly(result, sight, {"rf"}) == []  # no adapter: not "missing"


def random_room(rng, n_rf, n_wifi):
    rf = []
    while len(rf) < n_rf:
        cls = rng.choice(["carrier", "unknown", "analog_video", "wifi"], p=[0.5, 0.35, 0.05, 0.1])
        bw = {"carrier": rng.uniform(2e3, 50e3), "unknown": rng.uniform(50e3, 2e6),
              "analog_video": rng.uniform(6e6, 20e6), "wifi": 20e6}[cls]
        f = rng.choice([rng.uniform(860e6, 960e6), rng.uniform(1040e6, 1400e6), rng.uniform(2350e6, 2530e6)])
        cand = rf_obs(f, cls, bw, rng.uniform(4, 50), "camera" if cls == "analog_video" else "clear")
        if all(abs(o["freq_hz"] - f) > 3 * max(o["bandwidth_hz"], bw, 400e3) for o in rf):  # distinct emitters
            rf.append(cand)
    wifi = [wifi_obs(":".join(f"{b:02x}" for b in rng.integers(0, 256, 6)), rng.uniform(-90, -30),
                     float(rng.choice([rng.uniform(0, 30), rng.uniform(200, 3000)]))) for _ in range(n_wifi)]
    return rf + wifi


def heard_again(o, rng):
    """The same emitter in a later handheld sweep: level noise, drift, a different rate."""
    o = dict(o)
    if o["kind"] == "rf":
        o["freq_hz"] += rng.normal(0, min(o["bandwidth_hz"] / 8, 60e3) if o["class"] != "analog_video" else 1e6)
        o["power_db"] += rng.normal(0, 3.0)
    else:
        o["power_db"] += rng.normal(0, 6.0)
        o["uplink_kbps"] *= rng.uniform(0.5, 2.0)
    return o


def test_labelled_rooms_hit_rate_and_false_alarms():
    rng = np.random.default_rng(2026)
    unchanged = flagged_unchanged = news = hits = 0
    for _ in range(200):
        base = random_room(rng, int(rng.integers(5, 25)), int(rng.integers(3, 20)))
        sight = befriend(base)
        later, expect = [], {}
        for o in base:
            if rng.random() < 0.1:
                continue  # not heard this time
            o2 = heard_again(o, rng)
            roll = rng.random()
            if roll < 0.05:  # turned up: 3 to 20 dB past the rule's threshold
                limit = RULES.rf_power_change_db if o["kind"] == "rf" else RULES.wifi_power_change_db
                o2["power_db"] = o["power_db"] + limit + rng.uniform(3, 20)
                expect[o["key"]] = "changed"
            elif roll < 0.08 and o["kind"] == "wifi" and o["uplink_kbps"] < 30:  # starts streaming
                o2["uplink_kbps"] = rng.uniform(400, 4000)
                expect[o["key"]] = "changed"
            elif roll < 0.11 and o["kind"] == "rf" and o["class"] == "carrier":  # a camera on its frequency
                o2.update(rf_obs(o["freq_hz"] + rng.normal(0, 500e3), "analog_video", rng.uniform(6e6, 18e6),
                                 o["power_db"] + rng.uniform(-10, 10), "camera"))
                expect[o["key"]] = "changed"
            else:
                expect[o["key"]] = "known"
            later.append((o["key"], o2))
        for new in random_room(rng, int(rng.integers(0, 3)), int(rng.integers(0, 3))):
            if new["kind"] == "rf" and any(o["kind"] == "rf" and abs(o["freq_hz"] - new["freq_hz"]) < 40e6
                                           for o in base):
                continue  # a new transmitter on top of a friendly one is the "changed" case above
            later.append((new["key"], new))
            expect[new["key"]] = "new"
        result = compare([o for _, o in later], sight, RULES, NOW)
        for (key, _), got in zip(later, result):
            want = expect[key]
            if want == "known":
                unchanged += 1
                flagged_unchanged += got["baseline"]["status"] != "known"
            else:
                news += 1
                hits += got["baseline"]["status"] == want
    print(f"news reported {hits}/{news}; unchanged friendly flagged {flagged_unchanged}/{unchanged}")
    assert news > 150 and unchanged > 2500
    assert hits / news >= 0.99, f"{hits}/{news} news reported"
    assert flagged_unchanged / unchanged <= 0.01, f"{flagged_unchanged}/{unchanged} friendly ones flagged"


def test_hashed_macs_match_themselves_within_a_venue_only():
    a, b = MacPrivacy("venue-one-secret-123", True), MacPrivacy("venue-two-secret-456", True)
    mac = "24:0A:C4:5B:19:E2"
    assert a.mac(mac) == a.mac(mac.lower()) and a.mac(mac).startswith("anon:") and len(a.mac(mac)) == 17
    assert a.mac(mac) != b.mac(mac)
    assert a.mac(a.mac(mac)) == a.mac(mac)  # idempotent: records scrubbed twice stay the same
    rec = {"findings": [{"mac": mac, "bssid": "e0:28:6d:4a:7a:3f", "ssid": "Home", "baseline": {
        "key": "wifi:" + mac}}], "changes": [{"key": "rf:900.0"}]}
    out = a.scrub(rec)
    assert "24:0a" not in str(out).lower() and "e0:28" not in str(out)
    assert out["findings"][0]["baseline"]["key"] == "wifi:" + a.mac(mac)
    assert out["findings"][0]["ssid"] == "Home" and out["changes"][0]["key"] == "rf:900.0"
    assert MacPrivacy(None, False).scrub(rec) is rec
