"""A subscription deal after its first Closed Won: amendments, renewals and cancellations become NetSuite
subscription change orders (or closed orders), and orders NetSuite has moved on are never edited in place.

:mod:`sync.lifecycle.kinds` says which kind of deal an opportunity graph is; the writer of the Closed Won
flow (:mod:`sync.pipeline.writer`) asks it before choosing how to write.
"""
