"""Asynchronous requests: ``Prefer: respond-async`` answers 202 with a job ``Location``.

The work itself runs at once (the job is complete by the time the client polls), which keeps the
simulator deterministic; what matters to a client is the protocol: the 202, the job resource, the
task result, and ``X-NetSuite-Idempotency-Key`` returning the same job when a request is repeated.

- ``GET async/v1/job/{id}``: ``{"id", "completed", "progress"}``
- ``GET async/v1/job/{id}/task``: the job's one task
- ``GET async/v1/job/{id}/task/{id}/result``: the original answer (status, ``Location``, body)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from simulators.core.http import Response
from simulators.netsuite.errors import not_found_record
from simulators.netsuite.store import NetSuiteStore, now_text

JOB_PATH = "/services/rest/async/v1/job"
_PENDING = 0


class AsyncJobs:
    def __init__(self, store: NetSuiteStore) -> None:
        self.store = store

    def run(self, key: str | None, work: Callable[[], Response], base: str) -> Response:
        with self.store.write() as connection:
            if key is not None:
                found = connection.execute(
                    "SELECT id FROM ns_job WHERE idempotency_key = ?", (key,)
                ).fetchone()
                if found is not None:
                    return self._accepted(int(found[0]), base)
            job_id = int(
                connection.execute(
                    "INSERT INTO ns_job (idempotency_key, created, status) VALUES (?, ?, ?)",
                    (key, now_text(), _PENDING),
                ).lastrowid
                or 0
            )
        answer = work()
        with self.store.write() as connection:
            connection.execute(
                "UPDATE ns_job SET status = ?, location = ?, body = ? WHERE id = ?",
                (answer.status, answer.header("Location"), answer.body.decode() or None, job_id),
            )
        return self._accepted(job_id, base)

    def _accepted(self, job_id: int, base: str) -> Response:
        return Response.empty(202, [("Location", f"{base}{JOB_PATH}/{job_id}")])

    def _job(self, job_id: str) -> tuple[Any, ...]:
        found = None
        if job_id.isdigit():
            found = (
                self.store.read()
                .execute("SELECT id, status, location, body FROM ns_job WHERE id = ?", (int(job_id),))
                .fetchone()
            )
        if found is None:
            raise not_found_record("job", job_id)
        return tuple(found)

    def get(self, parts: list[str], base: str) -> Response:
        job_id, status, location, body = self._job(parts[0])
        href = f"{base}{JOB_PATH}/{job_id}"
        progress = "pending" if status == _PENDING else ("succeeded" if status < 400 else "failed")
        if len(parts) == 1:
            return Response.json(
                200,
                {
                    "links": [{"rel": "self", "href": href}],
                    "id": str(job_id),
                    "completed": status != _PENDING,
                    "progress": progress,
                },
            )
        if len(parts) == 2 and parts[1] == "task":
            task = {"links": [{"rel": "self", "href": f"{href}/task/{job_id}"}], "id": str(job_id)}
            return Response.json(
                200,
                {
                    "links": [{"rel": "self", "href": f"{href}/task"}],
                    "count": 1,
                    "hasMore": False,
                    "items": [task],
                    "offset": 0,
                    "totalResults": 1,
                },
            )
        if len(parts) == 4 and parts[1] == "task" and parts[3] == "result" and parts[2] == str(job_id):
            if status == _PENDING:
                return Response.json(200, {"completed": False, "progress": progress})
            headers = [("Location", location)] if location else []
            if body:
                return Response.json(status, json.loads(body), headers)
            return Response.empty(status, headers)
        raise not_found_record("job", "/".join(parts))
