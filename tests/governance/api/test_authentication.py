"""Personal API tokens as the API's authentication: who gets in, who is refused, and the audit actor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from governance.models import ApiToken, AuditEntry
from governance.services import token_create, token_revoke, user_set_active
from sync.mappings.models import Flow, MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults

FLOWS = "/api/v1/flows/"


def _bearer(secret: str, keyword: str = "Bearer") -> Client:
    return Client(headers={"Authorization": f"{keyword} {secret}"})


def test_it_lets_a_valid_token_in_with_either_keyword(revops: User) -> None:
    _, secret = token_create(user=revops, name="script")
    assert _bearer(secret).get(FLOWS).status_code == 200
    assert _bearer(secret, "Token").get(FLOWS).status_code == 200


def test_it_answers_401_with_a_bearer_challenge_without_credentials(db: None) -> None:
    response = Client().get(FLOWS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer concord_not-a-real-token", "Token nothing-like-ours"]
)
def test_it_refuses_a_malformed_or_unknown_token(header: str, revops: User) -> None:
    token_create(user=revops, name="script")
    assert Client(headers={"Authorization": header}).get(FLOWS).status_code == 401


def test_it_refuses_a_revoked_token(revops: User, admin: User) -> None:
    token, secret = token_create(user=revops, name="script")
    token_revoke(token=token, actor=admin)
    assert _bearer(secret).get(FLOWS).status_code == 401


def test_it_refuses_an_expired_token(revops: User) -> None:
    token, secret = token_create(
        user=revops, name="script", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert _bearer(secret).get(FLOWS).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _bearer(secret).get(FLOWS).status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(revops: User, admin: User) -> None:
    _, secret = token_create(user=revops, name="script")
    user_set_active(user=revops, is_active=False, actor=admin)
    assert _bearer(secret).get(FLOWS).status_code == 401


def test_it_refuses_a_token_whose_user_has_no_role(outsider: User) -> None:
    _, secret = token_create(user=outsider, name="script")
    assert _bearer(secret).get(FLOWS).status_code == 403


def test_it_records_when_a_token_was_last_used(revops: User) -> None:
    token, secret = token_create(user=revops, name="script")
    assert token.last_used_at is None
    before = timezone.now()
    _bearer(secret).get(FLOWS)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at >= before


def test_it_audits_a_change_made_with_a_token_under_the_tokens_user(revops: User) -> None:
    mapping_seed_defaults()
    flow = Flow.objects.order_by("key")[0]
    _, secret = token_create(user=revops, name="script")
    response = _bearer(secret).post(
        "/api/v1/mapping-versions/",
        {"flow": flow.key, "notes": "from a script"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    draft = MappingVersion.objects.get(pk=response.json()["id"])
    # auditlog's own entry for the new row (its actor comes from the request context, not the service).
    entry = AuditEntry.objects.get_for_object(draft).get(action=AuditEntry.Action.CREATE)
    assert entry.actor == revops
    assert entry.cid == response["X-Correlation-ID"]


def test_it_enforces_csrf_for_session_authentication(revops: User) -> None:
    mapping_seed_defaults()
    client = Client(enforce_csrf_checks=True)
    client.force_login(revops)
    assert client.get(FLOWS).status_code == 200
    response = client.post(
        "/api/v1/mapping-versions/",
        {"flow": Flow.objects.order_by("key")[0].key},
        content_type="application/json",
    )
    assert response.status_code == 403 and b"CSRF" in response.content
