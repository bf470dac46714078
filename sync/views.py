from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sync import selectors


@require_GET
def sync_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sync/index.html",
        {
            "area": "sync",
            "summary": selectors.background_task_summary(),
            "tasks": selectors.background_tasks_recent(limit=20),
        },
    )
