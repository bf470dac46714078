"""The pipeline's port to the exception queue: connected once by the composition root, and loud when not."""

from __future__ import annotations

import pytest

from sync.exceptions.intake import ExceptionQueueIntake
from sync.exceptions.models import ExceptionItem
from sync.pipeline import problems
from sync.pipeline.problems import Problem, RecordRef, exception_queue


def test_the_app_connects_the_exception_queue() -> None:
    assert isinstance(exception_queue(), ExceptionQueueIntake)


def test_without_a_queue_a_problem_is_refused_not_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(problems, "_queue", None)
    with pytest.raises(RuntimeError, match="no exception queue"):
        exception_queue()


@pytest.mark.django_db
def test_a_problem_reported_opens_one_exception_that_a_success_resolves() -> None:
    queue = exception_queue()
    problem = Problem(
        category="sync_failure",
        dedup_key="sync:0:006000000000001",
        title="Opportunity 006000000000001: refused",
        severity="high",
        records=[RecordRef("salesforce", "Opportunity", "006000000000001")],
        retry_kwargs={"opportunity_ids": ["006000000000001"]},
    )
    item_id = queue.report(problem)
    assert queue.report(problem) == item_id  # the same problem again is the same exception, counted
    item = ExceptionItem.objects.get(pk=item_id)
    assert (item.occurrence_count, item.severity, item.records[0]["id"]) == (2, "high", "006000000000001")
    assert queue.active_keys([problem.dedup_key, "sync:0:other"]) == {problem.dedup_key}
    assert queue.last_retry_kwargs(problem.dedup_key) == {"opportunity_ids": ["006000000000001"]}
    queue.resolve(dedup_key=problem.dedup_key, note="synced")
    assert queue.active_keys([problem.dedup_key]) == set()
    assert queue.last_retry_kwargs("sync:0:never") is None
