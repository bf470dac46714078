"""Django imports ``sync.models`` to register the sync app's models (app_label ``sync``): each feature keeps
its own models (``sync/<feature>/models``), and importing them here is what registers them.

Import a model from its feature (``from sync.pipeline.models import SyncJob``), never from here.
"""

from sync.connections import models as connections_models  # noqa: F401
from sync.exceptions import models as exceptions_models  # noqa: F401
from sync.golive import models as golive_models  # noqa: F401
from sync.integrations import models as integrations_models  # noqa: F401
from sync.lifecycle import models as lifecycle_models  # noqa: F401
from sync.mappings import models as mappings_models  # noqa: F401
from sync.matching import models as matching_models  # noqa: F401
from sync.notifications import models as notifications_models  # noqa: F401
from sync.pipeline import models as pipeline_models  # noqa: F401
from sync.retention import models as retention_models  # noqa: F401
from sync.rules import models as rules_models  # noqa: F401
