from tests.sync.lifecycle.stories import story  # noqa: F401 - fixture, used by name
from tests.sync.pipeline.conftest import ns, sf  # noqa: F401 - fixtures, used by name
