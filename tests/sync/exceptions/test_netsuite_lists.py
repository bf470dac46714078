"""Subsidiaries and the other NetSuite lists read from the simulator over HTTPS (SuiteQL, token auth):
named, re-read after a rename, a removed one kept inactive with its grant, and an account without
OneWorld; then a grant made before any exception lets the person see the exception when it comes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from governance.access_grants import user_access, user_access_grant
from governance.models import AuditEntry
from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector
from sync.exceptions.models import NetSuiteListValue, Subsidiary
from sync.exceptions.netsuite_lists import netsuite_lists_read
from sync.exceptions.scope import ExceptionScope
from sync.exceptions.selectors import exceptions_for_user
from sync.exceptions.tasks import netsuite_lists_read_task
from tests.api_support import token_client
from tests.sync.conftest import SEEDED, netsuite_connection_for
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def test_it_reads_subsidiaries_and_lists_with_their_names_and_again_after_a_rename(
    seeded_connections: tuple[Connection, Connection], admin: User, finance: User
) -> None:
    netsuite = seeded_connections[1]
    first = netsuite_lists_read(connection=netsuite, user=admin)
    assert (first.single_entity, first.subsidiaries, first.created) == (False, 5, 5)
    rows = {s.netsuite_id: s for s in Subsidiary.objects.filter(netsuite_connection=netsuite)}
    assert rows["2"].name == "Concord Software Ltd" and rows["2"].parent == rows["1"]
    assert (rows["2"].country, rows["2"].currency, rows["2"].is_inactive) == ("GB", "British Pound", False)
    assert first.lists == {"department": 4, "classification": 2, "location": 3}
    emea = NetSuiteListValue.objects.get(connection=netsuite, kind="department", name="Sales : EMEA")
    assert emea.parent_netsuite_id == "1"
    entry = AuditEntry.objects.filter(additional_data__event="netsuite_lists_read").latest("pk")
    assert entry.actor == admin and entry.additional_data["subsidiaries"] == 5

    # Finance is granted the UK subsidiary before any exception names it.
    user_access_grant(user=finance, kind="subsidiary", target=rows["2"], actor=admin)

    # In NetSuite: the UK subsidiary is renamed, the German one deactivated, a location renamed.
    ns = netsuite_connector(netsuite)
    ns.patch("subsidiary", "2", {"name": "Concord EMEA Ltd"})
    ns.patch("subsidiary", "3", {"isInactive": True})
    ns.patch("location", "2", {"name": "London (Shoreditch)"})
    second = netsuite_lists_read(connection=netsuite, user=finance)
    assert (second.created, second.renamed) == (0, 1)
    rows = {s.netsuite_id: s for s in Subsidiary.objects.filter(netsuite_connection=netsuite)}
    assert rows["2"].name == "Concord EMEA Ltd" and rows["3"].is_inactive
    assert Subsidiary.objects.filter(netsuite_connection=netsuite).count() == 5  # none added twice
    assert NetSuiteListValue.objects.get(connection=netsuite, kind="location", netsuite_id="2").name == (
        "London (Shoreditch)"
    )
    assert "subsidiary 2: 'Concord Software Ltd' -> 'Concord EMEA Ltd'" in second.changes
    # The grant followed the rename: it is on the row, not the name.
    assert rows["2"].key in _granted(finance)


def _granted(user: User) -> list[str]:
    return user_access(user=user).subsidiaries.names


def test_the_grant_made_before_any_exception_shows_the_exception_when_it_comes(
    seeded_connections: tuple[Connection, Connection], admin: User, finance: User
) -> None:
    netsuite = seeded_connections[1]
    netsuite_lists_read(connection=netsuite)
    assert not exceptions_for_user(finance).exists()
    out = io.StringIO()
    call_command("subsidiary_grant", "concord software ltd", "--user", "finance", "--as", "admin", stdout=out)
    assert "now holds" in out.getvalue()

    mine = raise_sample(
        key="uk", subsidiary=None, scope=ExceptionScope(netsuite_connection_id=netsuite.pk, subsidiary_id="2")
    )
    other = raise_sample(
        key="de", subsidiary=None, scope=ExceptionScope(netsuite_connection_id=netsuite.pk, subsidiary_id="3")
    )
    assert set(exceptions_for_user(finance)) == {mine}
    assert other.subsidiary is not None and other.subsidiary.name == "Concord Software GmbH"
    assert Subsidiary.objects.filter(netsuite_connection=netsuite).count() == 5  # the read rows were used


def test_the_grant_command_refuses_unknown_and_ambiguous_names(admin: User, finance: User) -> None:
    Subsidiary.objects.create(key="a:1", name="EMEA")
    Subsidiary.objects.create(key="b:1", name="EMEA")
    with pytest.raises(CommandError, match="2 subsidiaries are called 'EMEA'"):
        call_command("subsidiary_grant", "EMEA", "--user", "finance")
    with pytest.raises(CommandError, match="No subsidiary is called 'APAC'"):
        call_command("subsidiary_grant", "APAC", "--user", "finance")
    with pytest.raises(CommandError, match="only admins"):
        call_command("subsidiary_grant", "a:1", "--user", "admin", "--as", "finance")


@pytest.fixture
def single_entity_netsuite(tmp_path: Path) -> Iterator[RunningSimulator]:
    """The simulator as an account without OneWorld."""
    data_dir = tmp_path / "single"
    seed_netsuite(data_dir, SEEDED)
    running = start_in_thread(NETSUITE_SPEC, data_dir, one_world=False)
    yield running
    running.stop()


def test_an_account_without_oneworld_is_one_entity_with_a_clear_message(
    single_entity_netsuite: RunningSimulator,
) -> None:
    connection = netsuite_connection_for(single_entity_netsuite, name="ns-single")
    out = io.StringIO()
    call_command("netsuite_lists_read", "ns-single", stdout=out)
    assert "has no subsidiaries (a NetSuite account without OneWorld)" in out.getvalue()
    rows = list(Subsidiary.objects.filter(netsuite_connection=connection))
    assert [(row.netsuite_id, row.name) for row in rows] == [("", "ns-single (single entity)")]
    netsuite_lists_read_task(connection.pk)  # a second read (the schedule's callable) adds nothing
    assert Subsidiary.objects.filter(netsuite_connection=connection).count() == 1
    assert netsuite_connector(connection).ping()  # "test connection" works without a subsidiary table


def test_the_api_reads_and_lists_them(
    seeded_connections: tuple[Connection, Connection], admin: User, revops: User
) -> None:
    client: Client = token_client(admin)
    answer = client.post(
        "/api/v1/subsidiaries/read/", {"connection": "ns-sandbox"}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["subsidiaries"] == 5
    listed = client.get("/api/v1/subsidiaries/").json()["results"]
    assert {row["name"] for row in listed} >= {"Concord Software Inc.", "Concord Software Ltd"}
    departments = client.get("/api/v1/netsuite-lists/?kind=department").json()["results"]
    assert len(departments) == 4
    refused = token_client(revops).post(
        "/api/v1/subsidiaries/read/", {"connection": "ns-sandbox"}, content_type="application/json"
    )
    assert refused.status_code == 403
