"""Helpers the integrations' tests share: another integration's configuration made live the way people do
it (a copy, its maker submits, someone else approves and publishes)."""

from __future__ import annotations

from django.contrib.auth.models import User

from governance.personas import PERSONAS_BY_USERNAME
from governance.services import persona_ensure
from sync.integrations.models import Integration
from sync.onboarding.copying import CopyReport, config_copy
from sync.onboarding.review import config_publish_all, config_submit_all

PASSWORD = "persona-password"


def persona(username: str) -> User:
    return persona_ensure(persona=PERSONAS_BY_USERNAME[username], password=PASSWORD)


def config_live(source: Integration, target: Integration) -> CopyReport:
    """``target``'s configuration as a copy of ``source``'s, published: RevOps copies and submits,
    Finance approves and publishes (four eyes, as the services check)."""
    maker, checker = persona("revops"), persona("finance")
    report = config_copy(source, target, maker)
    config_submit_all(integration=target, user=maker, reason="the acquired org's configuration")
    config_publish_all(integration=target, user=checker, reason="reviewed against the first org's")
    return report
