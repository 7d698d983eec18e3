"""The LAN part in the device: not joined, it is missing and says how to join; leaving
the network mid-sweep is a hardware problem of that part (the other parts carry on),
never an error that stops the daemon's sweep."""
import dataclasses
import ipaddress
import threading

import pytest

from sweeper.assembly import LanPart, device_parts
from sweeper.config import parse_config
from sweeper.errors import HardwareError
from sweeper.lan.conduct import Attachment


def test_not_joined_the_part_is_missing_and_names_the_fix():
    cfg = parse_config("lan:\n  enabled: true\n  interface: nosuchif0\n")
    lan = device_parts(cfg)[-1]
    with pytest.raises(HardwareError, match="nosuchif0.*join one with: sweeper join SSID"):
        lan.opener()
    sim = device_parts(cfg, simulate=True)[-1]
    with pytest.raises(HardwareError, match="no simulator"):
        sim.opener()
    assert device_parts(dataclasses.replace(cfg, lan=dataclasses.replace(cfg.lan, enabled=False)))[-1].opener is None


def test_an_interface_gone_mid_sweep_is_that_parts_hardware_problem():
    cfg = parse_config("lan:\n  enabled: true\n")
    gone = Attachment("nosuchif0", ipaddress.ip_address("192.168.4.2"), ipaddress.ip_network("192.168.4.0/24"), None)
    with pytest.raises(HardwareError, match="the LAN scan stopped: no interface 'nosuchif0'"):
        LanPart(None).sweep(cfg, gone, threading.Event(), lambda f, what: None)
