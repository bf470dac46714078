"""The sync area's services: every write a person or a worker makes goes through one of these."""
