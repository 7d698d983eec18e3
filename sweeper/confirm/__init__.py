"""Is it watching this room? Confirm a camera finding by what it sees.

``stimulus``: timelines of what the room looked like (light, dark, motion, flash) and
the device's random schedules. ``lockin``: the test that a transmitter's signal follows
a timeline, with a randomization p-value. ``wifi_response`` and ``fm_response``: a
transmitter's per-bin response features from frames (encoded video) or IQ (analog FM
video). Pure functions over arrays; the device flow and the CLI sit on top.
"""
