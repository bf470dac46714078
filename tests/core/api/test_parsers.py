"""The API's JSON parser: a body nested too deeply gets a 400 naming the problem, never a 500."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from sync.mappings.models import MappingVersion


def test_it_answers_a_deeply_nested_body_with_a_400(revops: User) -> None:
    client = Client()
    client.force_login(revops)
    body = '{"flow": ' + "[" * 100_000 + "]" * 100_000 + "}"
    answer = client.post("/api/v1/mapping-versions/", body, content_type="application/json")
    assert answer.status_code == 400
    assert "JSON nested deeper than 64 levels" in answer.json()["detail"]
    assert not MappingVersion.objects.exists()


def test_it_still_answers_plain_bad_json_with_a_400(revops: User) -> None:
    client = Client()
    client.force_login(revops)
    answer = client.post("/api/v1/mapping-versions/", "{nope", content_type="application/json")
    assert answer.status_code == 400 and "JSON parse error" in answer.json()["detail"]
