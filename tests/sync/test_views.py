"""The sync and exceptions pages show what the django-q2 workers have done (tasks run inline in tests)."""

from __future__ import annotations

import uuid

from django.test import Client
from django.utils import timezone
from django_q.models import Task
from django_q.tasks import async_task


def test_it_lists_finished_background_tasks(revops_client: Client) -> None:
    async_task("math.floor", 2.5, task_name="floor-demo")
    html = revops_client.get("/sync/").content.decode()
    assert "floor-demo" in html and "<code>math.floor</code>" in html
    assert "1 succeeded, 0 failed" in html


def test_it_lists_failed_background_tasks_as_exceptions(finance_client: Client) -> None:
    # Written directly: in sync mode django-q2 re-raises a task's exception instead of recording it.
    now = timezone.now()
    Task.objects.create(
        id=uuid.uuid4().hex,
        name="sqrt-of-minus-one",
        func="math.sqrt",
        started=now,
        stopped=now,
        success=False,
    )
    html = finance_client.get("/exceptions/").content.decode()
    assert "sqrt-of-minus-one" in html
    assert "No background task has failed." not in html


def test_it_says_so_when_nothing_ran(auditor_client: Client) -> None:
    assert "No background task has run yet." in auditor_client.get("/sync/").content.decode()
    assert "No background task has failed." in auditor_client.get("/exceptions/").content.decode()
