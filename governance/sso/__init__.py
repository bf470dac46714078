"""Single sign-on with OpenID Connect (docs/sign-in.md).

mozilla-django-oidc runs the authorization code flow (with PKCE and a nonce) and checks the ID token;
:mod:`governance.sso.backend` hands the provider's claims to :func:`governance.sso.services.sso_sign_in`,
which finds or creates the account by the provider's ``(issuer, subject)`` and sets its Concord roles from
the groups claim (``OIDC_ROLE_MAP``) on every sign-in, adding and removing, audited.
:mod:`governance.sso.config` reads the endpoints from the settings or the provider's discovery document.
"""
