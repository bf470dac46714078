"""Go-live's duplicate suspects carry the subsidiary the account's billing country maps to (simulators
over HTTPS), and a connection without OneWorld puts every one in its single entity."""

from __future__ import annotations

from django.contrib.auth.models import User

from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.golive.models import GoLiveResult
from sync.golive.scan import golive_scan_execute
from sync.golive.services import golive_apply_confirm, golive_apply_execute, golive_start
from sync.mappings.engine.defaults import load_default_lookups
from tests.sync.golive.conftest import GoLiveWorld
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

SUBSIDIARY_OF = load_default_lookups()["country_to_subsidiary"]


def _apply(connections: tuple[Connection, Connection], admin: User) -> None:
    run = golive_start(actor=admin, salesforce=connections[0], netsuite=connections[1], run_now=True)
    run = golive_apply_confirm(run=golive_scan_execute(run), actor=admin, run_now=True)
    golive_apply_execute(run)


def test_it_places_an_account_suspect_in_the_subsidiary_its_country_maps_to(
    golive_world: GoLiveWorld, seeded_connections: tuple[Connection, Connection], admin: User
) -> None:
    _apply(seeded_connections, admin)
    accounts = GoLiveResult.objects.filter(salesforce_type="Account", exception_id__isnull=False)
    assert accounts.count() == 3
    for result in accounts:
        assert result.exception_id is not None
        item = ExceptionItem.objects.select_related("subsidiary").get(pk=result.exception_id)
        country = result.salesforce_fields["addressBook.items[0].addressBookAddress.country"]
        assert item.subsidiary is not None
        assert (item.subsidiary.netsuite_connection, item.subsidiary.netsuite_id) == (
            seeded_connections[1],
            SUBSIDIARY_OF[country],
        )


def test_it_places_every_suspect_of_a_connection_without_oneworld_in_its_single_entity(
    golive_world: GoLiveWorld, seeded_connections: tuple[Connection, Connection], admin: User
) -> None:
    Connection.objects.filter(pk=seeded_connections[1].pk).update(single_entity=True)
    _apply(seeded_connections, admin)
    entity = Subsidiary.objects.get(netsuite_connection=seeded_connections[1])
    suspects = ExceptionItem.objects.filter(category__key="duplicate_suspect")
    assert suspects.count() == 4
    assert set(suspects.values_list("subsidiary", flat=True)) == {entity.pk}
