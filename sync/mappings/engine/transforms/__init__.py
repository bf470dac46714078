"""The transform library: a fixed registry, documented in docs/mapping-transforms.md.

Importing this package registers every transform; :data:`TRANSFORMS` maps names to definitions.
"""

from sync.mappings.engine.transforms import dates, numbers, text, values  # noqa: F401 - registers the transforms
from sync.mappings.engine.transforms.registry import (
    TRANSFORMS,
    Builder,
    Param,
    Step,
    TransformDef,
    compile_steps,
)

__all__ = ["TRANSFORMS", "Builder", "Param", "Step", "TransformDef", "compile_steps"]
