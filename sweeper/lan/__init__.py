"""Cameras on the network the sweeper has joined, found even when they are idle.

Sniffing the air finds a camera only while it streams; on a joined network a camera
shows itself even when idle, by what it serves and announces. ``sweeper lan`` discovers
the hosts of the attached subnet (ARP / neighbour discovery, mDNS, SSDP, ONVIF
WS-Discovery, a TCP probe of camera ports with read-only RTSP and HTTP requests) and
scores each from its evidence (:mod:`sweeper.lan.score`).

Layout:

* :mod:`hosts`: what was learnt of a host (the evidence; no payloads of streams);
* :mod:`conduct`: which subnet may be scanned, and the packet-rate limit;
* one module per discovery protocol (``arp``, ``mdns``, ``ssdp``, ``wsd``, ``ports``);
* :mod:`wire`: one bounded TCP request and answer (deadline and byte cap), under HTTP,
  RTSP and the SSDP description fetch;
* :mod:`scan`: runs them within a time budget and merges per host;
* :mod:`score`: a pure function from a host's evidence to a score, verdict and reasons.
"""
