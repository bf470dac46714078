"""Generic e-mail domains: the addresses that are no evidence in matching before create.

A shared address at a mailbox provider (gmail.com) or at a placeholder domain (example.com) says nothing
about which company it belongs to. The matching core ignores a built-in list
(:data:`sync.matching.engine.GENERIC_DOMAINS`, documented in docs/matching.md); an operator adds the
domains their own data needs (a regional provider, the placeholder a CRM import wrote) on the Matching
page (/sync/matching/domains/), with ``POST /api/v1/generic-domains/`` or ``manage.py generic_domain``.
Every addition and removal is one audit entry with its reason. Mapping editors (RevOps) change the list;
it applies to every integration, so a person limited to some integrations may read it but not change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.access import has_role
from core.audit import AuditAction, audit_record
from core.roles import EDIT_MAPPINGS
from sync.integrations.access import integration_scope
from sync.matching.engine import GENERIC_DOMAINS, email_domain
from sync.matching.models import GenericEmailDomain

REASON_LENGTH = 500


@dataclass(frozen=True)
class GenericDomainRow:
    """One domain of the list as people see it: built in (cannot be removed) or the operator's."""

    domain: str
    built_in: bool
    added_by: str = ""
    added_at: Any = None
    reason: str = ""


def can_change_generic_domains(user: Any) -> bool:
    """Mapping editors not limited to some integrations (the list applies to all of them)."""
    return bool(has_role(user) and user.has_perm(EDIT_MAPPINGS) and not integration_scope(user).limited)


def generic_email_domains() -> frozenset[str]:
    """The operator's generic domains (the matching core adds its built-in ones): one query."""
    return frozenset(GenericEmailDomain.objects.values_list("domain", flat=True))


def generic_domain_rows() -> list[GenericDomainRow]:
    """Every generic domain, the operator's first (newest first), then the built-in ones by name."""
    added = [
        GenericDomainRow(
            row.domain, False, row.added_by.get_username() if row.added_by else "", row.added_at, row.reason
        )
        for row in GenericEmailDomain.objects.select_related("added_by").order_by("-added_at", "-id")
    ]
    return added + [GenericDomainRow(domain, True) for domain in sorted(GENERIC_DOMAINS)]


def domain_clean(value: str) -> str:
    """``value`` as the matching core compares it (lower case, ``www.`` dropped; an address or a web
    address gives its domain), or ValidationError."""
    text = value.strip()
    domain = email_domain(
        f"x@{text.lstrip('@')}" if "@" not in text and "/" not in text else text, allow_free_mail=True
    )
    if not domain or len(domain) > 253:
        raise ValidationError(f"{text[:100]!r} is not a domain (e.g. mailbox.example).")
    return domain


def generic_domain_add(*, user: Any, domain: str, reason: str = "") -> GenericEmailDomain:
    """Add ``domain`` to the generic list: from the next match on, an address there is no evidence.
    Refused when it is built in or already added; one audit entry with the reason."""
    _check(user)
    domain = domain_clean(domain)
    if domain in GENERIC_DOMAINS:
        raise ValidationError(f"{domain} is built in: it is already no evidence.")
    with transaction.atomic():
        if GenericEmailDomain.objects.select_for_update().filter(domain=domain).exists():
            raise ValidationError(f"{domain} is already on the list.")
        row = GenericEmailDomain(
            domain=domain, reason=reason[:REASON_LENGTH], added_by=user, added_at=timezone.now()
        )
        row.full_clean()
        with disable_auditlog():  # the entry below says it, with the event and reason
            row.save()
        audit_record(
            obj=row,
            actor=user,
            action=AuditAction.CREATE,
            changes={"domain": [None, domain]},
            event="generic_domain_add",
            reason=reason,
        )
    return row


def generic_domain_remove(*, user: Any, domain: str, reason: str = "") -> None:
    """Take ``domain`` off the operator's list (built-in ones stay); one audit entry with the reason."""
    _check(user)
    domain = domain_clean(domain)
    if domain in GENERIC_DOMAINS:
        raise ValidationError(f"{domain} is built in and cannot be removed.")
    with transaction.atomic():
        row = GenericEmailDomain.objects.select_for_update().filter(domain=domain).first()
        if row is None:
            raise ValidationError(f"{domain} is not on the list.")
        audit_record(
            obj=row,
            actor=user,
            action=AuditAction.DELETE,
            changes={"domain": [domain, None]},
            event="generic_domain_remove",
            reason=reason,
        )
        with disable_auditlog():
            row.delete()


def _check(user: Any) -> None:
    if user is not None and not can_change_generic_domains(user):
        raise PermissionDenied(
            "Changing the generic e-mail domains needs the edit_mappings role, unlimited by integration."
        )
