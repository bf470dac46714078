"""Sort a stream of ``(key, values)`` pairs of any length in bounded memory.

The vendors order by their own collations (Salesforce ids, NetSuite's Oracle collation), which need not
agree with each other or with Python's; so each stream is sorted here. Up to ``chunk_size`` pairs are
sorted in memory; beyond that, sorted runs are spilled to temporary files and merged, so memory stays
proportional to ``chunk_size`` whatever the record count.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import itemgetter
from typing import IO, Any

Pair = tuple[str, tuple[Any, ...]]
_BATCH = 10_000  # pairs per pickle frame: fewer, larger frames are much faster to write and read
_first = itemgetter(0)


def _spill(run: list[Pair]) -> IO[bytes]:
    spill = tempfile.TemporaryFile(prefix="concord-recon-")
    for start in range(0, len(run), _BATCH):
        pickle.dump(run[start : start + _BATCH], spill, protocol=pickle.HIGHEST_PROTOCOL)
    spill.seek(0)
    return spill


def _replay(spill: IO[bytes]) -> Iterator[Pair]:
    try:
        while True:
            try:
                batch: list[Pair] = pickle.load(spill)  # noqa: S301 - our own temporary file
            except EOFError:
                return
            yield from batch
    finally:
        spill.close()


def sorted_by_key(pairs: Iterable[Pair], *, chunk_size: int = 200_000) -> Iterator[Pair]:
    """``pairs`` ordered by key (stable for equal keys, so duplicates stay in arrival order)."""
    source = iter(pairs)
    runs: list[IO[bytes]] = []
    while True:
        run = list(islice(source, chunk_size))
        if not run:
            break
        run.sort(key=_first)
        if not runs and len(run) < chunk_size:
            yield from run  # everything fitted in one run: no files at all
            return
        runs.append(_spill(run))
        del run
    yield from heapq.merge(*(_replay(spill) for spill in runs), key=_first)
