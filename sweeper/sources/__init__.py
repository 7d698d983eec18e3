"""IQ sources behind one interface (:class:`sweeper.sources.base.IQSource`)."""
