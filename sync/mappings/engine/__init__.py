"""The mapping engine: plain-data mappings, compiled once, applied to record graphs in either direction.

Django-free on purpose: the models store a mapping's JSON, this package validates and runs it. The
public surface is what is imported here; docs/mapping-transforms.md lists the transforms.

>>> mapping = compile_mapping({"flow": "demo", "source": "Account", "objects": [{
...     "key": "customer", "target": "customer", "external_id": {"source": "Id"},
...     "fields": [{"id": "name", "target": "companyName", "source": "Name", "transforms": ["trim"]}]}]})
>>> mapping.apply({"Id": "001A", "Name": " Acme "}).payloads[0].body
{'companyName': 'Acme'}
"""

from sync.mappings.engine.engine import CompiledMapping, compile_mapping
from sync.mappings.engine.lookups import (
    MISSING,
    CachedDynamicLookup,
    LookupResolver,
    RecordingLookups,
    StaticLookups,
)
from sync.mappings.engine.problems import MappingProblem, MappingValidationError, SpecProblem
from sync.mappings.engine.result import MappingResult, ObjectPayload, json_ready
from sync.mappings.engine.transforms import TRANSFORMS

__all__ = [
    "MISSING",
    "TRANSFORMS",
    "CachedDynamicLookup",
    "CompiledMapping",
    "LookupResolver",
    "MappingProblem",
    "MappingResult",
    "MappingValidationError",
    "ObjectPayload",
    "RecordingLookups",
    "SpecProblem",
    "StaticLookups",
    "compile_mapping",
    "json_ready",
]
