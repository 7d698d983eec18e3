"""How camera-like a host is, from its evidence (pure: no network)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from sweeper.lan.hosts import Host


@dataclass(frozen=True)
class HostScore:
    score: float  # 0..1
    verdict: str  # "camera", "suspect" or "none"
    reasons: Tuple[str, ...]


def score_host(host: Host) -> HostScore:
    """The host's camera score, verdict and reasons in plain words."""
    raise NotImplementedError  # being written in main (issue 17)
