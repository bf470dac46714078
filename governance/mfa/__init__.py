"""Two-factor authentication with TOTP (django-otp), docs/sign-in.md.

Life cycle: a person whose roles are in ``MFA_REQUIRED_ROLES`` signs in (password or SSO) and is sent by
:mod:`governance.mfa.middleware` to enrol (a new, unconfirmed device: its secret as text and an
``otpauth://`` URI for an authenticator app; the first right code confirms it) or, once enrolled, to
verify a code; only then does the console open. An admin resets a person's device (lost phone) from the
user's page, the API or ``manage.py mfa_reset``; the person enrols again at their next sign-in. Enrolment,
verification, failures and resets are audited. Anyone may enrol voluntarily from the same page.
"""
