"""The pocket device around the sweeps (``sweeper run``).

``daemon`` is the state machine (one button, one verdict, locate mode, hot-plug
recovery), ``app`` assembles it from the configuration with real or simulated parts,
``display``/``sounds``/``buttons`` are the human interface (luma.oled, gpiozero: each
library's own mock backend runs it in tests without GPIO or I2C) and ``notify`` talks to
systemd.
"""
