"""Sweeper: find hidden cameras by their radio emissions.

Layout (pure cores, thin edges):

* ``sweeper.rf``      -- pure DSP over arrays: conversion, PSD, noise floor, emitters,
                         bursts, the analog-video detector, classifiers, band plans.
* ``sweeper.rf.sources`` -- IQ sources behind one interface: local RTL-SDR, rtl_tcp,
                         recordings, the simulator.
* ``sweeper.sim``     -- the RF scene simulator (also served over rtl_tcp).
* ``sweeper.rf.engine``   -- the sweep engine: hops, captures, analysis, progress events.
* ``sweeper.cli``     -- the ``sweeper`` command.
"""

__version__ = "0.1.0"
