"""Connections: where a Salesforce org or NetSuite account is, and how Concord signs in to it.

Secrets live in one encrypted field (a JSON object of the auth method's secret parameters), so they are
never stored, logged or audited in clear; :mod:`sync.connections.services` is the only writer.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.secrets import EncryptedTextField


class ConnectionKind(models.TextChoices):
    SALESFORCE = "salesforce", "Salesforce"
    NETSUITE = "netsuite", "NetSuite"


class ConnectionEnvironment(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox"
    PRODUCTION = "production", "Production"


class ConnectionAuth(models.TextChoices):
    SF_JWT_BEARER = "sf_jwt_bearer", "Salesforce: OAuth 2.0 JWT bearer (connected app certificate)"
    SF_PASSWORD = "sf_password", "Salesforce: username, password and security token"
    SF_CLIENT_CREDENTIALS = "sf_client_credentials", "Salesforce: OAuth 2.0 client credentials"
    NS_TOKEN = "ns_token", "NetSuite: token-based authentication (OAuth 1.0a)"
    NS_M2M = "ns_m2m", "NetSuite: OAuth 2.0 machine-to-machine (certificate)"


AUTH_KIND = {
    ConnectionAuth.SF_JWT_BEARER: ConnectionKind.SALESFORCE,
    ConnectionAuth.SF_PASSWORD: ConnectionKind.SALESFORCE,
    ConnectionAuth.SF_CLIENT_CREDENTIALS: ConnectionKind.SALESFORCE,
    ConnectionAuth.NS_TOKEN: ConnectionKind.NETSUITE,
    ConnectionAuth.NS_M2M: ConnectionKind.NETSUITE,
}


class Connection(models.Model):
    name = models.SlugField(max_length=80, unique=True, help_text="Used by commands: connection_test NAME")
    kind = models.CharField(max_length=20, choices=ConnectionKind.choices)
    environment = models.CharField(max_length=20, choices=ConnectionEnvironment.choices)
    base_url = models.URLField(
        max_length=300,
        help_text="Salesforce: the login URL (https://login.salesforce.com or the org's My Domain). "
        "NetSuite: the REST host (https://ACCOUNT.suitetalk.api.netsuite.com).",
    )
    auth_method = models.CharField(max_length=32, choices=ConnectionAuth.choices)
    account_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="NetSuite account id (e.g. 1234567_SB1); Salesforce org id, optional",
    )
    client_id = models.CharField(max_length=300, blank=True, help_text="Consumer key / client id")
    username = models.CharField(max_length=200, blank=True)
    certificate_id = models.CharField(max_length=200, blank=True, help_text="NetSuite M2M certificate id")
    api_version = models.CharField(
        max_length=10, blank=True, default="60.0", help_text="Salesforce API version"
    )
    ca_bundle = models.TextField(
        blank=True, help_text="PEM certificates to trust instead of the system store (private CAs, proxies)"
    )
    connect_timeout = models.FloatField(
        default=10.0, validators=[MinValueValidator(0.5), MaxValueValidator(120)]
    )
    read_timeout = models.FloatField(default=120.0, validators=[MinValueValidator(1), MaxValueValidator(900)])
    concurrency_limit = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="NetSuite: concurrent requests allowed for this integration, across all workers",
    )
    single_entity = models.BooleanField(
        default=False,
        verbose_name="Single legal entity (no OneWorld)",
        help_text="NetSuite: the account has no subsidiaries (not OneWorld); every exception of this "
        "connection belongs to its one entity, which finance users are granted like a subsidiary",
    )
    secrets = EncryptedTextField(blank=True, default="", editable=False)
    secret_keys = models.JSONField(
        default=list, blank=True, editable=False, help_text="Names of the secrets that are set (never values)"
    )
    secrets_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a secret was last entered (audited; values never are)",
    )
    is_active = models.BooleanField(default=True)
    last_tested_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_test_ok = models.BooleanField(null=True, editable=False)
    last_test_message = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "environment", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind=ConnectionKind.SALESFORCE,
                        auth_method__in=[
                            ConnectionAuth.SF_JWT_BEARER,
                            ConnectionAuth.SF_PASSWORD,
                            ConnectionAuth.SF_CLIENT_CREDENTIALS,
                        ],
                    )
                    | models.Q(
                        kind=ConnectionKind.NETSUITE,
                        auth_method__in=[ConnectionAuth.NS_TOKEN, ConnectionAuth.NS_M2M],
                    )
                ),
                name="sync_connection_auth_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()} {self.environment})"

    @property
    def limiter_key(self) -> str:
        return f"{self.kind}:{self.pk}"
