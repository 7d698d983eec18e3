"""Giving freed memory back to the system between sweeps.

A sweep allocates and frees many large NumPy buffers (a hop's samples, spectra, a
simulated scene's blocks) from several threads. glibc keeps freed heap memory for
reuse and, after a large block is freed, raises its mmap threshold, so later large
buffers come from the heap too; the heap then fragments and a long-lived daemon's RSS
climbs sweep after sweep (measured with ``run --simulate``: 213, 250, 325 MB after three
sweeps; with a trim after each: 143, 156, 141 MB, at no measurable cost). A fixed low
mmap threshold bounds it as well but made sweeps 2.6x slower. So the daemon asks glibc
to return what is free after each sweep; elsewhere (musl, macOS) this does nothing.
"""
from __future__ import annotations

import ctypes


def _libc():
    """The C library this process runs on (its symbols are the process's own)."""
    try:
        lib = ctypes.CDLL(None)
        return lib if hasattr(lib, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()


def release_free_memory() -> bool:
    """Return freed heap memory to the system; True when the C library could."""
    if _LIBC is None:
        return False
    return bool(_LIBC.malloc_trim(0))
