"""Sync: connections, mappings, flows and jobs, the pipeline that moves records between the two systems."""
