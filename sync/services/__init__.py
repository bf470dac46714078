"""Writes (and the work they start) for the sync area, one module per topic."""
