"""Simulated Wi-Fi traffic: what a monitor-mode sniffer hears in a room (demo, CI, tests).

* :mod:`~sweeper.sim.wifi.events` - one frame on the air (``EVENT_DTYPE``) and MAC helpers
* :mod:`~sweeper.sim.wifi.devices` - the device kinds (``DEVICES``): cameras and hard negatives
* :mod:`~sweeper.sim.wifi.air` - the medium: airtime, contention, retries, A-MPDU, fading
* :mod:`~sweeper.sim.wifi.render` - events -> captured bytes (radiotap/802.11/Ethernet)
* :mod:`~sweeper.sim.wifi.room` - scenes (``WifiScene``), random rooms, scene-file ``wifi:`` sections
* :mod:`~sweeper.sim.wifi.live` - ``SimulatedWifiSource``, a tunable live frame source
"""
