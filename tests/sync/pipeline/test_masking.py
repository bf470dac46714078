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
