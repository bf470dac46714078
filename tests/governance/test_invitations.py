"""Inviting a user: the admin's form, the e-mailed single-use link, expiry, resend, revoke, and the audit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from governance import invitations
from governance.models import AuditEntry, Invitation, InvitationStatus
from tests.governance.test_audit import last_pk, new_entries

NEW_PASSWORD = "Ledger-Lantern-2931"
BASE_URL = "https://concord.example"


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://\S+/governance/invitation/\S+/", str(message.body))
    assert found, message.body
    return found.group(0)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _invite(admin_client: Client, email: str = "Grace.Hopper@Example.org", **extra: object) -> User:
    data = {"email": email, "first_name": "Grace", "last_name": "Hopper", "roles": ["Finance"], **extra}
    response = admin_client.post(reverse("governance:user-invite"), data)
    assert response.status_code == 302, response.content
    return User.objects.get(email__iexact=email)


def _accept(url: str, password: str = NEW_PASSWORD) -> tuple[Client, HttpResponseBase]:
    """Follow the link like a browser (token moved into the session), then choose the password."""
    client = Client()
    first = client.get(_path(url))
    assert first.status_code == 302  # to the same page with the token out of the URL
    form_page = client.get(first["Location"])
    assert form_page.context["validlink"]
    response = client.post(first["Location"], {"new_password1": password, "new_password2": password})
    return client, response


def test_it_invites_a_user_who_sets_a_password_and_is_signed_in(admin_client: Client, admin: User) -> None:
    mark = last_pk()
    user = _invite(admin_client)

    assert user.username == "grace.hopper@example.org"
    assert not user.has_usable_password() and user.is_active
    assert list(user.groups.values_list("name", flat=True)) == ["Finance"]
    invitation = Invitation.objects.get(user=user)
    assert (invitation.invited_by, invitation.status) == (admin, InvitationStatus.PENDING)
    (message,) = mail.outbox
    assert message.to == ["Grace.Hopper@example.org"]
    assert "Concord" in message.subject and "grace.hopper@example.org" in message.body
    (created,) = new_entries(mark)
    assert (created.action, created.actor, created.object_pk) == (
        AuditEntry.Action.CREATE,
        admin,
        str(user.pk),
    )
    assert created.changes["roles"] == ["none", "Finance"]
    assert created.changes["email"] == [None, "Grace.Hopper@example.org"]
    # Finance approves: inviting someone into it is flagged for review.
    assert created.additional_data == {
        "event": "invite",
        "flag": "approving_role_granted",
        "approving_roles": ["Finance"],
    }

    client, response = _accept(_link(message))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200  # signed in as the invitee, with their role
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert Invitation.objects.get(user=user).status == InvitationStatus.ACCEPTED
    accepted = [e for e in new_entries(mark) if (e.additional_data or {}).get("event") == "invitation_accept"]
    assert [(e.actor, e.changes) for e in accepted] == [(user, {"invitation": ["pending", "accepted"]})]
    assert "password" not in str([e.changes for e in new_entries(mark)])


def test_it_accepts_a_link_only_once(admin_client: Client) -> None:
    _invite(admin_client)
    url = _link(mail.outbox[0])
    _accept(url)
    again = Client().get(_path(url), follow=True)
    assert not again.context["validlink"]
    assert b"has been used already" in again.content


def test_it_refuses_an_expired_link(admin_client: Client, settings: pytest.FixtureRequest) -> None:
    _invite(admin_client)
    url = _link(mail.outbox[0])
    settings.INVITATION_TIMEOUT = 60  # type: ignore[attr-defined]
    later = datetime.now() + timedelta(minutes=5)  # the generator counts in naive local time
    generator = invitations.invitation_token_generator
    original_now = generator._now
    generator._now = lambda: later  # type: ignore[method-assign]
    try:
        response = Client().get(_path(url), follow=True)
    finally:
        generator._now = original_now  # type: ignore[method-assign]
    assert not response.context["validlink"]
    assert b"has expired" in response.content


def test_it_says_a_tampered_link_is_not_valid(admin_client: Client) -> None:
    _invite(admin_client)
    url = _link(mail.outbox[0])
    response = Client().get(_path(url)[:-3] + "xx/", follow=True)
    assert response.status_code == 200 and not response.context["validlink"]
    assert b"not valid" in response.content
    assert b"not valid" in Client().get("/governance/invitation/zz/nonsense-token/").content


def test_it_refuses_an_email_that_has_an_account(admin_client: Client, revops: User) -> None:
    mark = last_pk()
    response = admin_client.post(
        reverse("governance:user-invite"),
        {"email": revops.email.upper(), "roles": ["RevOps"]},
    )
    assert response.status_code == 200
    assert "already has an account with this e-mail address" in response.content.decode()
    assert mail.outbox == [] and new_entries(mark) == []


def test_it_needs_a_role_to_invite(admin_client: Client) -> None:
    response = admin_client.post(reverse("governance:user-invite"), {"email": "no-role@example.org"})
    assert response.status_code == 200
    assert b"Choose at least one role" in response.content
    assert not User.objects.filter(email="no-role@example.org").exists()


def test_it_resends_and_only_the_newest_link_works(admin_client: Client, admin: User) -> None:
    user = _invite(admin_client)
    first_url = _link(mail.outbox[0])
    mark = last_pk()
    response = admin_client.post(reverse("governance:user-invitation-resend", args=[user.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    (entry,) = new_entries(mark)
    assert (entry.actor, entry.additional_data["event"]) == (admin, "invitation_resend")
    assert Invitation.objects.get(user=user).send_count == 2

    stale = Client().get(_path(first_url), follow=True)
    assert not stale.context["validlink"] and b"newer invitation" in stale.content
    _, accepted = _accept(_link(mail.outbox[1]))
    assert accepted.status_code == 302


def test_it_revokes_an_invitation(admin_client: Client, admin: User) -> None:
    user = _invite(admin_client)
    url = _link(mail.outbox[0])
    mark = last_pk()
    response = admin_client.post(reverse("governance:user-invitation-revoke", args=[user.pk]))
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    (entry,) = new_entries(mark)
    assert entry.actor == admin
    assert entry.changes == {"invitation": ["pending", "revoked"], "is_active": ["True", "False"]}

    refused = Client().get(_path(url), follow=True)
    assert not refused.context["validlink"] and b"withdrawn" in refused.content

    admin_client.post(reverse("governance:user-invitation-resend", args=[user.pk]))  # invite again
    user.refresh_from_db()
    assert user.is_active and Invitation.objects.get(user=user).status == InvitationStatus.PENDING


def test_it_refuses_to_resend_an_accepted_invitation(admin_client: Client) -> None:
    user = _invite(admin_client)
    _accept(_link(mail.outbox[0]))
    response = admin_client.post(reverse("governance:user-invitation-resend", args=[user.pk]), follow=True)
    assert b"accepted their invitation already" in response.content
    assert len(mail.outbox) == 1


def test_it_keeps_the_account_when_the_mail_server_refuses(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("governance.invitations.send_mail", refuse)
    response = admin_client.post(
        reverse("governance:user-invite"), {"email": "later@example.org", "roles": ["Auditor"]}, follow=True
    )
    assert b"could not be sent: resend it" in response.content
    assert Invitation.objects.filter(user__email="later@example.org").exists()


def test_it_shows_the_invitation_page_to_anonymous_visitors(db: None) -> None:
    response = Client().get("/governance/invitation/MQ/wrong-token/")
    assert response.status_code == 200
    assert not response.context["validlink"]


def test_it_refuses_the_link_of_a_deactivated_invitee(admin_client: Client) -> None:
    user = _invite(admin_client)
    admin_client.post(reverse("governance:user-active", args=[user.pk]), {})
    response = Client().get(_path(_link(mail.outbox[0])), follow=True)
    assert not response.context["validlink"] and b"deactivated" in response.content
