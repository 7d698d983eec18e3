"""IQ sources behind one interface (:class:`sweeper.rf.sources.base.IQSource`)."""
