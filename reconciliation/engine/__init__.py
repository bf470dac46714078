"""The comparison at the heart of reconciliation, free of Django and of any vendor API.

Both systems are read as streams of ``(key, values)``; :func:`compare` sorts each stream in bounded
memory (:mod:`reconciliation.engine.sorting`) and walks them together like a merge join, classifying
every difference (:mod:`reconciliation.engine.compare`).
"""

from reconciliation.engine.compare import (
    Comparison,
    FieldSpec,
    Mismatch,
    MismatchKind,
    compare,
)
from reconciliation.engine.sorting import sorted_by_key

__all__ = ["Comparison", "FieldSpec", "Mismatch", "MismatchKind", "compare", "sorted_by_key"]
