"""A plain requests + requests-oauthlib client for the simulator, exactly as API-FACTS.md describes.

For tests, the benchmark and trying flows by hand; Concord's own connector lives in ``sync/``.
``requests_oauthlib`` is imported here only, so the simulator itself does not need it.
"""

from __future__ import annotations

from typing import Any

import requests

from simulators.netsuite.auth import Integration
from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION


def oauth1(
    account_id: str = DEFAULT_ACCOUNT_ID, integration: Integration = DEMO_INTEGRATION
) -> requests.auth.AuthBase:
    from requests_oauthlib import OAuth1

    return OAuth1(
        integration.consumer_key,
        client_secret=integration.consumer_secret,
        resource_owner_key=integration.token_id,
        resource_owner_secret=integration.token_secret,
        realm=account_id,
        signature_method="HMAC-SHA256",
    )


def signed_session(
    ca_file: str, account_id: str = DEFAULT_ACCOUNT_ID, integration: Integration = DEMO_INTEGRATION
) -> requests.Session:
    """A keep-alive session that signs every request and trusts the simulators' CA.

    ``trust_env`` is off because requests lets ``REQUESTS_CA_BUNDLE`` override ``verify`` otherwise.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    session.auth = oauth1(account_id, integration)
    return session


class RestClient:
    """Small helpers over :func:`signed_session`; paths are relative to ``/services/rest/``."""

    def __init__(
        self,
        url: str,
        ca_file: str,
        account_id: str = DEFAULT_ACCOUNT_ID,
        integration: Integration = DEMO_INTEGRATION,
    ) -> None:
        self.url = url.rstrip("/")
        self.rest = self.url + "/services/rest/"
        self.session = signed_session(ca_file, account_id, integration)

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        return self.session.request(method, self.rest + path, **kwargs)  # type: ignore[arg-type]

    def create(self, record_type: str, body: dict[str, object], **params: str) -> str:
        """POST a record and return its id (from ``Location``); raises ``RuntimeError`` on a refusal."""
        answer = self.request("POST", f"record/v1/{record_type}", json=body, params=params)
        return self._location_id(answer)

    def upsert(self, record_type: str, external_id: str, body: dict[str, object], **params: str) -> str:
        answer = self.request("PUT", f"record/v1/{record_type}/eid:{external_id}", json=body, params=params)
        return self._location_id(answer)

    def get(self, record_type: str, key: str, **params: str) -> dict[str, Any]:
        answer = self.request("GET", f"record/v1/{record_type}/{key}", params=params)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {record_type}/{key}: {answer.status_code} {answer.text}")
        return dict(answer.json())

    def suiteql(self, query: str, *, limit: int = 1000, offset: int = 0) -> requests.Response:
        return self.request(
            "POST",
            "query/v1/suiteql",
            params={"limit": str(limit), "offset": str(offset)},
            json={"q": query},
            headers={"Prefer": "transient"},
        )

    @staticmethod
    def _location_id(answer: requests.Response) -> str:
        if answer.status_code != 204 or not answer.headers.get("Location"):
            raise RuntimeError(f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text}")
        return answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
