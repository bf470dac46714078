from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from core.roles import CAPABILITIES
from governance import chain


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit entry through the application."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads as usual; bulk writes either keep the chain (``bulk_create``) or are refused."""

    def bulk_create(self, objs: Iterable[AuditEntry], *args: Any, **kwargs: Any) -> list[AuditEntry]:
        entries = list(objs)
        # bulk_create sends no pre_save: the entries are final here, so they are sealed here.
        with transaction.atomic(using=self.db):
            chain.chain_lock(self.db, entries)
            chain.entries_seal(entries, chain.chain_head(self.model, self.db), self.db)
            return super().bulk_create(entries, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        raise AuditTrailIsAppendOnly("audit entries cannot be changed")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditTrailIsAppendOnly("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("audit entries cannot be deleted")

    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEntryManager(LogEntryManager.from_queryset(AuditEntryQuerySet)):  # type: ignore[misc]
    """auditlog's manager (``log_create`` ...) over the append-only queryset."""


class AuditEntry(AbstractLogEntry):
    """One change or access event in the audit trail (``AUDITLOG_LOGENTRY_MODEL``).

    auditlog writes these for every registered model; services write them for events that are not a
    plain field change (role changes, logins). ``cid`` (from auditlog) holds the correlation id of the
    request or job. Entries are append-only and hash-chained (:mod:`governance.chain`): saving a new entry
    links it to the newest one under a lock, right before its INSERT; saving an existing one and
    ``delete`` are refused. On PostgreSQL a trigger (migration ``audit_chain``) also refuses UPDATE and
    DELETE of the table; docs/audit.md gives the SQL that keeps the application from disabling it.
    """

    prev_hash: models.CharField[str, str] = models.CharField(max_length=64, blank=True)
    entry_hash: models.CharField[str, str] = models.CharField(max_length=64, blank=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-timestamp", "-id"]
        default_permissions = ("view",)
        # The audit browser pages by id (keyset) under one filter at a time: each filter's index ends in
        # id so the newest matching entries are read straight from the index, without a sort.
        indexes = [
            models.Index(fields=["actor", "id"], name="auditentry_actor_id"),
            models.Index(fields=["content_type", "object_pk", "id"], name="auditentry_object_id"),
            models.Index(fields=["cid", "id"], name="auditentry_cid_id"),
            models.Index(fields=["action", "id"], name="auditentry_action_id"),
            models.Index(fields=["timestamp", "id"], name="auditentry_timestamp_id"),
            models.Index(KeyTransform("flag", "additional_data"), F("id"), name="auditentry_flag_id"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def _save_table(
        self,
        raw: bool = False,
        cls: Any = None,
        force_insert: bool = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Any = None,
    ) -> bool:
        # Sealed here rather than in save(): Django runs this after the pre_save signal, whose receivers
        # (auditlog's request context) fill actor, remote_addr and remote_port. Sealing any earlier hashed
        # an entry other than the one stored, and the chain broke at the first sign-in.
        if not self._state.adding or update_fields or force_update:
            raise AuditTrailIsAppendOnly("audit entries cannot be changed")
        using = using or "default"
        with transaction.atomic(using=using):
            chain.chain_lock(using, [self])
            chain.entries_seal([self], chain.chain_head(type(self), using), using)
            # The id was chosen by the seal: insert it, with no UPDATE tried first.
            updated: bool = super()._save_table(raw, cls, True, False, using, None)
            return updated

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("audit entries cannot be deleted")

    @property
    def flag_label(self) -> str:
        """The review flag this entry carries, in words ("" for none)."""
        flag = (self.additional_data or {}).get("flag", "") if isinstance(self.additional_data, dict) else ""
        return str(AuditFlag(flag).label) if flag in AuditFlag.values else ""

    @property
    def event_label(self) -> str:
        """What happened, in words: "Logged in", "Updated"..."""
        if self.action == self.Action.ACCESS:
            event = (self.additional_data or {}).get("event", "")
            return str(AccessEvent(event).label) if event in AccessEvent.values else "Accessed"
        return str(self.get_action_display()).capitalize()

    @property
    def change_lines(self) -> list[str]:
        """One readable line per changed field (m2m changes say what was added or removed)."""
        lines = []
        for field, values in (self.changes or {}).items():
            if isinstance(values, dict):
                verb = "added" if values.get("operation") == "add" else "removed"
                lines.append(f"{field}: {verb} {', '.join(str(item) for item in values.get('objects', []))}")
            else:
                old, new = values
                lines.append(f"{field}: {old} \u2192 {new}")
        return lines


class AuditCheckpointQuerySet(models.QuerySet["AuditCheckpoint"]):
    """Checkpoints are written once and never changed: the same refusals as the entries'."""

    def update(self, **kwargs: Any) -> int:
        raise AuditTrailIsAppendOnly("audit checkpoints cannot be changed")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditTrailIsAppendOnly("audit checkpoints cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("audit checkpoints cannot be deleted")

    delete.queryset_only = True  # type: ignore[attr-defined]


class CheckpointSource(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    COMMAND = "command", "Management command"
    CONSOLE = "console", "Console"
    API = "api", "API"
    MIGRATION = "migration", "Migration (chain re-sealed)"


class AuditCheckpoint(models.Model):
    """The audit chain's head at one moment: the newest entry's id and hash, and how many entries there
    were (see :mod:`governance.audit_checkpoints`).

    Kept outside the audit table (and written to the logs) so that removing or rewriting the newest entries
    is detected: ``verify_audit_chain`` checks every checkpoint against the chain. ``entry_id`` is a plain
    number, not a foreign key, so that a checkpoint outlives the entry it names.
    """

    entry_id = models.BigIntegerField(null=True, blank=True, help_text="Empty: the trail was empty")
    entry_hash = models.CharField(max_length=64, blank=True)
    entry_count = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=CheckpointSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AuditCheckpointQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"checkpoint {self.pk}: entry {self.entry_id}, {self.entry_count} entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit checkpoints cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("audit checkpoints cannot be deleted")


class AccessEvent(models.TextChoices):
    """What ``additional_data["event"]`` says on an ACCESS audit entry."""

    LOGIN = "login", "Logged in"
    LOGOUT = "logout", "Logged out"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGIN_THROTTLED = "login_throttled", "Login refused: too many failures"
    LOGIN_REFUSED = "login_refused", "Login refused"
    MFA_VERIFIED = "mfa_verified", "Second factor verified"
    MFA_FAILED = "mfa_failed", "Wrong second factor"


class AuditFlag(models.TextChoices):
    """What ``additional_data["flag"]`` says on an entry someone should review (the audit browser filters
    on it and shows it on the entry)."""

    APPROVING_ROLE_GRANTED = "approving_role_granted", "Approving role granted"


class Capability(models.Model):
    """Anchor for the console's named permissions (see :mod:`core.roles`); no table, no rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = list(CAPABILITIES.items())

    def __str__(self) -> str:
        return "capability"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Invited"
    EXPIRED = "expired", "Invitation expired"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Invitation revoked"


class Invitation(models.Model):
    """The invitation of one user to Concord (see :mod:`governance.invitations`).

    The e-mailed link carries a single-use token (Django's password-reset machinery, with its own salt and
    expiry); this row says who invited whom, when the last link was sent, and how it ended. One row per
    invited user: resending refreshes it, and a revoked invitation can be sent again.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitation")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(help_text="When the newest link was sent; older links no longer work")
    send_count = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"invitation of {self.user}"

    @property
    def expires_at(self) -> datetime.datetime:
        return self.sent_at + datetime.timedelta(seconds=settings.INVITATION_TIMEOUT)

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked: it may be resent or revoked (an expired one too)."""
        return self.accepted_at is None and self.revoked_at is None


class ApiToken(models.Model):
    """A personal API token: the API acts as its user, with that user's roles and object permissions.

    Only the SHA-256 of the secret is stored (a token is a long random string, so a plain hash suffices);
    the secret is shown once, when it is created. ``prefix`` (the first characters of the secret) tells a
    person which token is which. A token is refused once revoked, past ``expires_at``, or when its user is
    deactivated. :mod:`governance.services` is the only writer.
    """

    user = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the script using it")
    prefix = models.CharField(max_length=16, help_text="The secret's first characters, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Refused from then on; empty: never")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: datetime.datetime) -> bool:
        """Not revoked, not expired, and its user still active."""
        if self.revoked_at is not None or not self.user.is_active:
            return False
        return self.expires_at is None or self.expires_at > now


class SsoIdentity(models.Model):
    """The account an OpenID Connect provider's subject signs in as (governance/sso).

    A person is known to the provider by ``(issuer, subject)``, which never changes, unlike a username or
    an e-mail address; the first SSO sign-in creates the account and this link.
    """

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="sso_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique")]
        verbose_name = "SSO identity"

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


# Releases live in their own module; imported here so Django finds the models of the governance app.
from governance.releases.models import (  # noqa: E402, F401
    Release,
    ReleaseItem,
    ReleaseSignoff,
    ReleaseStatus,
    ReleaseTestRun,
    ReleaseTestStatus,
    SignoffRole,
)
