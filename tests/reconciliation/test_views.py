from __future__ import annotations

from django.test import Client


def test_it_says_no_run_has_been_recorded(auditor_client: Client) -> None:
    response = auditor_client.get("/reconciliation/")
    assert response.status_code == 200
    assert "No reconciliation run has been recorded." in response.content.decode()
