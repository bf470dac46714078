"""Rules through the API: the console's workflow (draft, submit, four-eyes approval, publish) by the same
services, each step audited under the token's user."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from governance import services
from sync.rules.engine.shipped import shipped_rules
from sync.rules.models import RuleVersion
from tests.api_support import token_client

JSON = "application/json"


def test_it_creates_edits_and_submits_a_rule(revops: User, finance: User) -> None:
    client = token_client(revops)
    rule = {
        "key": "amount_positive_api",
        "name": "Amount is positive",
        "subject": "opportunity",
        "placement": "pre_sale",
        "severity": "block",
        "message": "The amount must be positive",
        "condition": "Amount > 0",
    }
    created = client.post("/api/v1/rules/", rule, content_type=JSON)
    assert created.status_code == 201, created.content
    version_id = created.json()["id"]
    bad = client.patch(f"/api/v1/rule-versions/{version_id}/", {"condition": "Amount >"}, content_type=JSON)
    assert bad.status_code == 400 and "condition" in bad.json()
    edited = client.patch(f"/api/v1/rule-versions/{version_id}/", {"severity": "warn"}, content_type=JSON)
    assert edited.status_code == 200 and edited.json()["severity"] == "warn"
    assert edited.json()["condition"] == "Amount > 0"  # left out, kept
    assert (
        client.post(f"/api/v1/rule-versions/{version_id}/submit/", {}, content_type=JSON).status_code == 200
    )
    approve = f"/api/v1/rule-versions/{version_id}/approve/"
    assert token_client(finance).post(approve, {}, content_type=JSON).status_code == 400  # a reason is owed
    assert token_client(finance).post(approve, {"reason": "ok"}, content_type=JSON).status_code == 200
    assert RuleVersion.objects.get(pk=version_id).approved_by == finance
    detail = client.get("/api/v1/rules/amount_positive_api/").json()
    assert [version["status"] for version in detail["versions"]] == ["approved"]


def test_it_refuses_the_approval_of_a_rule_by_its_submitter(revops: User, finance: User, admin: User) -> None:
    both = User.objects.create(username="edits-and-approves")
    services.user_roles_set(user=both, roles=["RevOps", "Finance"], actor=admin)
    rule = {
        "key": "submitted_by_other_api",
        "name": "Amount is positive",
        "subject": "opportunity",
        "placement": "pre_sale",
        "severity": "block",
        "message": "The amount must be positive",
        "condition": "Amount > 0",
    }
    version_id = token_client(revops).post("/api/v1/rules/", rule, content_type=JSON).json()["id"]
    submitter = token_client(both)
    assert (
        submitter.post(f"/api/v1/rule-versions/{version_id}/submit/", {}, content_type=JSON).status_code
        == 200
    )
    approve = f"/api/v1/rule-versions/{version_id}/approve/"
    refused = submitter.post(approve, {"reason": "mine to pass"}, content_type=JSON)
    assert refused.status_code == 403 and "submitted" in refused.json()["detail"]
    assert RuleVersion.objects.get(pk=version_id).status == "submitted"
    assert token_client(finance).post(approve, {"reason": "ok"}, content_type=JSON).status_code == 200


@pytest.mark.django_db
def test_the_shipped_rules_are_installed_as_the_callers_drafts_once(revops: User, admin: User) -> None:
    assert token_client(admin).post("/api/v1/rules/install-shipped/").status_code == 403
    api = token_client(revops)
    answer = api.post("/api/v1/rules/install-shipped/")
    assert answer.status_code == 201
    made = answer.json()
    assert len(made) == len(shipped_rules()) and {row["status"] for row in made} == {"draft"}
    assert {version.created_by for version in RuleVersion.objects.all()} == {revops}
    again = api.post("/api/v1/rules/install-shipped/")
    assert again.status_code == 200 and again.json() == []


@pytest.mark.django_db
def test_the_command_installs_the_shipped_rules_as_the_named_user(revops: User, admin: User) -> None:
    out = io.StringIO()
    call_command("rules_install_shipped", "--user", "revops", stdout=out)
    assert f"{len(shipped_rules())} draft(s) installed" in out.getvalue()
    assert "0 draft(s) installed" in _command("revops")
    with pytest.raises(CommandError, match="may not install rules"):
        _command("admin")
    with pytest.raises(CommandError, match="no active user"):
        _command("nobody")


def _command(username: str) -> str:
    out = io.StringIO()
    call_command("rules_install_shipped", "--user", username, stdout=out)
    return out.getvalue()
