from __future__ import annotations

from sync.pipeline.masking import mask_secrets


def test_it_masks_secret_values_and_keeps_the_rest() -> None:
    text = (
        '{"access_token": "00Dabc!xyz", "client_secret": "s3cr3t", "companyName": "Acme"} '
        'Authorization: Bearer 00Dabc!xyz oauth_signature="c2lnbmF0dXJl" password=hunter2&user=ann'
    )
    masked = mask_secrets(text)
    for secret in ("00Dabc", "s3cr3t", "c2lnbmF0dXJl", "hunter2"):
        assert secret not in masked
    assert '"companyName": "Acme"' in masked and "user=ann" in masked


def test_each_kind_of_secret_is_masked_whatever_its_case_and_plain_text_is_returned_as_is() -> None:
    for text, secret in (
        ('{"SessionId": "abc123"}', "abc123"),
        ('{"X-Private_Key": "k3y"}', "k3y"),
        ('{"clientAssertion": "eyJhb"}', "eyJhb"),
        ('{"Password": "pw1"}', "pw1"),
        ("AUTHORIZATION: BEARER tok3n", "tok3n"),
        ('OAuth realm="1", OAUTH_SIGNATURE="c2ln"', "c2ln"),
        ("grant=x&ASSERTION=eyJz&y=1", "eyJz"),
        ("refresh_token=r3fr", "r3fr"),
    ):
        assert secret not in mask_secrets(text), text
    plain = '{"companyName": "Acme", "externalId": "001B0", "amount": 12.5}'
    assert mask_secrets(plain) is plain


def test_an_exchange_kept_on_a_record_has_every_field_and_masked_excerpts() -> None:
    from dataclasses import fields

    from sync.connections.connectors.transport import RequestRecord
    from sync.pipeline.runner import _exchange

    record = RequestRecord(
        system="netsuite",
        operation="upsert customer",
        method="PUT",
        url="https://ns.example/services/rest/record/v1/customer/eid:1",
        status=204,
        elapsed_ms=12.345,
        request_excerpt='{"companyName": "Acme", "token": "t0k"}' + "x" * 1500,
        response_excerpt="",
    )
    kept = _exchange(record)
    assert set(kept) == {field.name for field in fields(RequestRecord)}
    assert kept["elapsed_ms"] == 12.3 and kept["status"] == 204 and kept["url"] == record.url
    assert "t0k" not in kept["request_excerpt"] and len(kept["request_excerpt"]) == 1000


def test_secrets_behind_unicode_case_folding_are_masked_too() -> None:
    # "ſ" (long s) matches "s" and the Kelvin sign matches "k" case-insensitively, as the patterns match.
    for text, secret in (('{"paſſword": "pw2"}', "pw2"), ('{"to\u212aen": "t2"}', "t2")):
        assert secret not in mask_secrets(text), text
    accented = '{"companyName": "Société Générale", "amount": 1}'
    assert mask_secrets(accented) is accented
