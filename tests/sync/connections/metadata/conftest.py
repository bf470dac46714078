from tests.sync.connections.metadata.fakes import fake_systems  # noqa: F401
