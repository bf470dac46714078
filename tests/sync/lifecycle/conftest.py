from tests.sync.pipeline.conftest import ns, sf  # noqa: F401 - fixtures, used by name
