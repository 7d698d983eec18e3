"""MAC addresses out, stable pseudonyms in: what ``privacy.hash_macs`` does.

A keyed hash (HMAC-SHA256 with the venue's salt) keeps one device matching itself
across sweeps and across the venue's sweepers, so baselines and fleet reports still
work, while the stored and published records hold no address. A plain hash would not
do: the MAC space is small enough to reverse by brute force. Different venues use
different salts, so their records cannot be joined.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, Optional

PREFIX = "anon:"
MAC_PATTERN = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
#: record fields that hold a MAC address
MAC_FIELDS = ("mac", "bssid", "ta", "ra")


class MacPrivacy:
    """Maps a MAC address to what may be stored: itself, or ``anon:`` + 12 hex digits."""

    def __init__(self, salt: Optional[str] = None, enabled: bool = False):
        if enabled and not salt:
            raise ValueError("hashing MAC addresses needs a salt")
        self.enabled = enabled
        self._key = (salt or "").encode()

    @classmethod
    def from_config(cls, cfg) -> "MacPrivacy":
        return cls(cfg.privacy.salt, cfg.privacy.hash_macs)

    def mac(self, value: Optional[str]) -> Optional[str]:
        """The stored form of ``value``; anything that is not a MAC passes unchanged."""
        if not self.enabled or not isinstance(value, str) or not MAC_PATTERN.match(value):
            return value
        digest = hmac.new(self._key, value.lower().encode(), hashlib.sha256).hexdigest()
        return PREFIX + digest[:12]

    def scrub(self, obj: Any) -> Any:
        """A copy of a record (dicts and lists) with every MAC field and ``wifi:`` key hashed."""
        if not self.enabled:
            return obj
        if isinstance(obj, list):
            return [self.scrub(v) for v in obj]
        if not isinstance(obj, dict):
            return obj
        out = {}
        for k, v in obj.items():
            if k in MAC_FIELDS:
                out[k] = self.mac(v)
            elif k == "key" and isinstance(v, str) and v.startswith("wifi:"):
                out[k] = "wifi:" + self.mac(v[5:])
            else:
                out[k] = self.scrub(v)
        return out
