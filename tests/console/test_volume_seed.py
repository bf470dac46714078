"""manage.py seed_volume: totals topped up (never doubled), plausible rows, an intact audit chain."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from governance.chain_verify import chain_verify
from governance.models import AuditEntry
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.integrations.models import Integration
from sync.pipeline.models import InboxMessage, SyncJob


@pytest.mark.django_db
def test_it_tops_the_tables_up_to_the_totals_and_keeps_the_audit_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit_before = AuditEntry.objects.count()
    call_command("seed_volume", exceptions=200, jobs=60, audit=audit_before + 90, batch=40)
    assert (ExceptionItem.objects.count(), SyncJob.objects.count(), InboxMessage.objects.count()) == (
        200,
        60,
        60,
    )
    assert AuditEntry.objects.count() == audit_before + 90
    # One in 20 active, across both integrations; the rest closed.
    active = ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES)
    assert active.count() == 10 and not active.filter(closed_at__isnull=False).exists()
    b = Integration.objects.get(name="volume-b")
    assert 0 < ExceptionItem.objects.filter(integration=b).count() < 60
    assert 0 < SyncJob.objects.filter(salesforce_connection=b.salesforce_connection).count() < 20
    report = chain_verify()
    assert report.intact and report.checked == audit_before + 90

    call_command("seed_volume", exceptions=210, jobs=60, inbox=61, audit=0)  # again: only what is missing
    assert (ExceptionItem.objects.count(), SyncJob.objects.count(), InboxMessage.objects.count()) == (
        210,
        60,
        61,
    )
    assert "sync_exceptionitem: 200 before, 10 added, 210 now" in capsys.readouterr().out
    assert chain_verify().intact

    with pytest.raises(CommandError, match="0 or more"):
        call_command("seed_volume", exceptions=-1)
