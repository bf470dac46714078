"""The pieces both simulators share: TLS material, the threaded HTTPS server, governance and faults,
storage."""
