"""Wi-Fi side of the sweeper: find cameras by the shape of their encrypted traffic.

Layers, from the edge inwards:

* ``source`` - the :class:`FrameSource` interface and the :class:`RawBatch` every
  capture delivers (pcap/pcapng replay, a live AF_PACKET socket, the simulator);
* ``monitor``, ``capture``, ``hopper`` - the hardware edge: monitor mode, the raw
  socket, the channel hopper;
* ``pcapio`` - reading and writing pcap/pcapng in batches;
* ``frames`` (+ ``radiotap``) - a vectorised parser from raw records to a NumPy
  structured array of frame headers (payloads are never kept);
* ``features`` - per-transmitter traffic features over sliding windows;
* ``classify`` - camera score, reasons and verdict;
* ``analysis`` - the streaming pipeline and its JSON report.
"""
