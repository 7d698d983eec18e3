"""The daemon's network allow-list: systemd ``IPAddressDeny=any`` plus ``IPAddressAllow=``
for exactly the addresses its config needs.

Why: the daemon parses frames that anyone in radio range can forge. If a parser bug
ever let someone run code in it, a kernel-enforced allow-list keeps that code from
reaching anything but the MQTT broker and a network dongle (rtl_tcp). Capture itself
is not IP (AF_PACKET and netlink are not filtered), so sniffing is unaffected.

The unit file cannot know the broker's address, so ``sweeper netpolicy --install``
writes a drop-in from the config (the installer runs it). Addresses are fixed when the
service starts, so a broker given by name is resolved then, and the name servers of
``/etc/resolv.conf`` are allowed too (the daemon resolves the name again on each
connect). The self-test and the daemon's start compare the installed drop-in with the
config and say in one line when it is stale.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from sweeper.errors import InputError
from sweeper.probe import Check

DROPIN = Path("/etc/systemd/system/sweeper.service.d/20-network.conf")
RESOLV_CONF = Path("/etc/resolv.conf")
NETWORK_CHECK = "network allow-list"
INSTALL_HINT = "sudo sweeper netpolicy --install"
#: systemd's own word for 127.0.0.0/8 and ::1
LOCALHOST = "localhost"

Resolver = Callable[[str], List[str]]


@dataclass(frozen=True)
class Policy:
    """The addresses the daemon may reach, and why each is there (for the drop-in's comments)."""

    allow: Tuple[str, ...]
    why: Tuple[str, ...]


def needed_hosts(cfg) -> List[Tuple[str, str]]:
    """(what, host) for every IP peer the config makes the daemon talk to."""
    hosts = []
    if cfg.mqtt.enabled:
        hosts.append(("mqtt.host", cfg.mqtt.host))
    if cfg.rf.source == "rtl_tcp":
        hosts.append(("rf.rtl_tcp.host", cfg.rf.rtl_tcp.host))
    return hosts


def resolve(host: str) -> List[str]:
    """The host's addresses (any family), as the daemon's own connect would find them."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({info[4][0].split("%")[0] for info in infos})


def name_servers(text: str) -> List[str]:
    """The ``nameserver`` addresses of a resolv.conf."""
    out = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            out.append(words[1].split("%")[0])
    return out


def _literal(host: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%")[0]))
    except ValueError:
        return None


def policy(cfg, resolver: Resolver = resolve, resolv_conf: Optional[str] = None) -> Policy:
    """The allow-list the config needs; InputError (one line) when a host does not resolve."""
    allow: List[str] = [LOCALHOST]
    why: List[str] = ["localhost: the daemon's own machine (rtl_tcp on this Pi, a local broker)"]

    def add(address: str, reason: str) -> None:
        ip = ipaddress.ip_address(address)
        if ip.is_loopback or address in allow:
            return
        allow.append(address)
        why.append(f"{address}: {reason}")

    by_name = False
    for what, host in needed_hosts(cfg):
        literal = _literal(host)
        if literal is not None:
            add(literal, what)
            continue
        if host == LOCALHOST:
            continue
        try:
            addresses = resolver(host)
        except (OSError, UnicodeError) as exc:
            raise InputError(f"{what} {host!r} does not resolve ({exc}); fix the name or give an "
                             "address") from None
        by_name = True
        for address in addresses:
            add(address, f"{what} ({host})")
    if by_name:
        text = resolv_conf if resolv_conf is not None else _read(RESOLV_CONF)
        for server in name_servers(text):
            if _literal(server):
                add(_literal(server), "a name server (a host is given by name)")
    if cfg.lan.enabled:  # the joined network is not known when the service starts
        for prefix, reason in lan_prefixes():
            allow.append(prefix)
            why.append(f"{prefix}: {reason}")
    return Policy(tuple(allow), tuple(why))


def lan_prefixes() -> List[tuple]:
    """What the LAN scan reaches (lan.enabled): the private ranges it may scan, one of
    which is the joined network's, and the link-local multicast of mDNS, SSDP and
    WS-Discovery. The scan itself refuses anything else (sweeper/lan/conduct.py)."""
    from sweeper.lan.conduct import PRIVATE_RANGES

    out = [(str(net), "a private range the LAN scan may find the joined network in") for net in PRIVATE_RANGES]
    return out + [("224.0.0.0/4", "multicast: mDNS, SSDP and WS-Discovery on the joined network"),
                  ("fe80::/10", "IPv6 link-local: neighbour discovery on the joined network"),
                  ("ff02::/16", "IPv6 link-local multicast: mDNS and the all-nodes echo")]


def render(pol: Policy, config_path: Optional[str]) -> str:
    """The drop-in's text."""
    lines = [f"# Written by `sweeper netpolicy --install` from {config_path or 'the default configuration'}.",
             "# The daemon may reach these addresses over IP and nothing else. Run it again after",
             "# changing mqtt.host or rf.rtl_tcp.host, then: systemctl restart sweeper",
             *(f"#   {w}" for w in pol.why),
             "[Service]", "IPAddressDeny=any", *(f"IPAddressAllow={a}" for a in pol.allow)]
    return "\n".join(lines) + "\n"


def installed(text: str) -> Tuple[str, ...]:
    """The IPAddressAllow= entries of a drop-in's text (an empty value resets the list)."""
    allow: List[str] = []
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key == "IPAddressAllow":
            allow = [] if not value.strip() else allow + value.split()
    return tuple(allow)


def stale(cfg, path: Path = DROPIN, resolver: Resolver = resolve,
          resolv_conf: Optional[str] = None) -> Optional[str]:
    """One line saying what the installed allow-list lacks for this config, or None if it
    has everything (or none is installed: outside systemd there is nothing to check)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read {path} ({exc.strerror})"
    try:
        wanted = policy(cfg, resolver, resolv_conf).allow
    except InputError as exc:
        return str(exc)
    lacking = [a for a in wanted if a not in installed(text)]
    if not lacking:
        return None
    return (f"the service may not reach {', '.join(lacking)} (not in {path}); run `{INSTALL_HINT}`, "
            "then `systemctl restart sweeper`")


def probe(cfg, path: Path = DROPIN) -> Check:
    """Self-test: does the installed allow-list still fit the config?"""
    if not path.exists():
        return Check(NETWORK_CHECK, True, f"none installed ({path}): the daemon may reach any address",
                     f"on the device: {INSTALL_HINT}")
    problem = stale(cfg, path)
    if problem:
        return Check(NETWORK_CHECK, False, problem, INSTALL_HINT)
    return Check(NETWORK_CHECK, True, f"IP only to {', '.join(installed(path.read_text()))} ({path})")


def install(text: str, path: Path = DROPIN) -> None:
    """Write the drop-in atomically (0644, like the units beside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o644)
    tmp.replace(path)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
