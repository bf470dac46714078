"""Re-encrypt every stored secret with the newest key in FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.secrets import EncryptedTextField, SecretUnreadable, rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt all secrets with the first key of FIELD_ENCRYPTION_KEYS. Put the new key first, run "
        "this, then remove the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        unreadable: list[str] = []
        with transaction.atomic():
            for model in apps.get_models():
                fields = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
                for name in fields:
                    for pk, stored in model._default_manager.exclude(**{name: ""}).values_list("pk", name):
                        if not stored:
                            continue
                        try:
                            fresh = rotate(stored)
                        except SecretUnreadable:
                            unreadable.append(f"{model._meta.label}#{pk}.{name}")
                            continue
                        # update() on purpose: no save() signals; the plaintext never leaves this loop.
                        model._default_manager.filter(pk=pk).update(**{name: fresh})
                        rotated += 1
            if unreadable:
                raise CommandError(
                    "no configured key opens: "
                    + ", ".join(unreadable)
                    + " (nothing was changed; add the old key back and run again)"
                )
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {rotated} secret(s) with the newest key"))
