"""Simulated radios: an RF scene and an rtl_tcp server that serves it."""
