"""Mapping metadata benchmark (issue 21 point 7): validating a 200-row mapping against cached metadata, and
deriving a batch's Salesforce query with no Salesforce call.

    PYTHONPATH=. DEBUG=1 .venv/bin/python -m bench.mapping_metadata [--repeat 30]

1. Builds realistic cached metadata (Salesforce: the seven objects of the opportunity graph with 80 to 120
   fields each, custom ones included; NetSuite: customer and sales order with 120 body fields and a
   60-field item sublist; several hundred fields in all) and a 200-row mapping over it (a customer from
   the account, a sales order from the opportunity with a line group), with eight problems planted.
   Validates it ``--repeat`` times (``sync.mappings.metadata_check.mapping_metadata_problems``, wall
   time per run), checks the output is exactly the planted problems, and asserts the median under 100 ms.
2. Derives the read plan of five batches (``sync.pipeline.reads.batch_read_plan``: the mapping, the
   shipped rules, the trigger, the write-back, filtered by the connection's cached metadata) with every
   HTTP request counted (``requests.Session.send`` patched to refuse), and asserts none was made. It
   measures the steady state: both connections' metadata was read before (``metadata_first_read``, which
   reads a never-read connection once in its life, is replaced by a recorder, asserted called per batch).

Writes bench/out/mapping_metadata.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any
from unittest import mock

GOAL_MS = 100.0
BATCHES = 5


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django  # noqa: PLC0415 - a script: Django is set up before the modules that need it load

    django.setup()


def build_metadata() -> tuple[Any, Any]:
    """(Salesforce, NetSuite) metadata of realistic size."""
    from sync.connections.metadata import types as t  # noqa: PLC0415

    kinds = (t.TEXT, t.NUMBER, t.DATE, t.BOOLEAN, t.PICKLIST, t.DATETIME, t.INTEGER, t.TEXT)

    def fields(prefix: str, count: int) -> dict[str, Any]:
        made = {}
        for number in range(count):
            kind = kinds[number % len(kinds)]
            name = f"{prefix}_{number:03d}__c"
            picklist = ("Gold", "Silver", "Bronze") if kind == t.PICKLIST else ()
            made[name] = t.FieldInfo(name, name, kind, kind, custom=True, picklist=picklist)
        return made

    def standard(*names: str, kind: str = t.TEXT) -> dict[str, Any]:
        return {name: t.FieldInfo(name, name, kind, kind) for name in names}

    def ref(name: str, to: str, relationship: str) -> dict[str, Any]:
        return {
            name: t.FieldInfo(
                name, name, t.REFERENCE, "reference", reference_to=(to,), relationship_name=relationship
            )
        }

    status = standard("Concord_Sync_Status__c", "Concord_Sync_Message__c", "Concord_Last_Sync__c")
    sf_objects = {
        "Opportunity": {
            **standard("Id", "Name", "StageName", "NetSuite_Sales_Order_Id__c", "CurrencyIsoCode"),
            **status,
            **standard("IsWon", kind=t.BOOLEAN),
            **standard("CloseDate", kind=t.DATE),
            **standard("Amount", kind=t.NUMBER),
            **ref("AccountId", "Account", "Account"),
            **fields("Opp", 110),
        },
        "Account": {
            **standard("Id", "Name", "BillingCountry", "NetSuite_Id__c", "CurrencyIsoCode"),
            **status,
            **fields("Acc", 100),
        },
        "OpportunityContactRole": {**standard("Id", "Role"), **ref("ContactId", "Contact", "Contact")},
        "Contact": {
            **standard("Id", "FirstName", "LastName", "Email", "NetSuite_Id__c"),
            **status,
            **fields("Con", 80),
        },
        "SBQQ__Quote__c": {
            **standard("Id", "Name", "SBQQ__Primary__c", "Discount_Approved__c"),
            **standard("SBQQ__NetAmount__c", "SBQQ__SubscriptionTerm__c", kind=t.NUMBER),
            **standard("SBQQ__StartDate__c", kind=t.DATE),
            **fields("Quo", 80),
        },
        "SBQQ__QuoteLine__c": {
            **standard("Id", "SBQQ__Quote__c", "SBQQ__ProductCode__c"),
            **standard("SBQQ__Number__c", "SBQQ__AdditionalDiscount__c", kind=t.NUMBER),
            **ref("SBQQ__Product__c", "Product2", "SBQQ__Product__r"),
            **fields("Line", 100),
        },
        "Product2": {
            **standard("Id", "Name", "Tax_Code__c", "Revenue_Treatment__c", "Product_Type__c"),
            **standard("Taxable__c", kind=t.BOOLEAN),
            **fields("Prod", 80),
        },
    }
    salesforce = t.SystemMetadata(
        "salesforce",
        {name: t.ObjectInfo("salesforce", name, name, made) for name, made in sf_objects.items()},
        "2026-12-06T00:00:00Z",
    )

    def ns_fields(prefix: str, count: int) -> dict[str, Any]:
        made = {}
        for number in range(count):
            kind = kinds[number % len(kinds)]
            name = f"{prefix}{number:03d}"
            picklist = ("Gold", "Silver", "Bronze") if kind == t.PICKLIST else ()
            read_only = number == 7 and prefix == "custentity"
            made[name] = t.FieldInfo(
                name, name, kind, kind, picklist=picklist, createable=not read_only, updateable=not read_only
            )
        return made

    item = t.FieldInfo("item", "Items", t.SUBLIST, "sublist", sublist_fields=ns_fields("custcol", 60))
    netsuite = t.SystemMetadata(
        "netsuite",
        {
            "customer": t.ObjectInfo("netsuite", "customer", "Customer", ns_fields("custentity", 120)),
            "salesOrder": t.ObjectInfo(
                "netsuite", "salesOrder", "Sales Order", {**ns_fields("custbody", 120), "item": item}
            ),
        },
        "2026-12-06T00:00:00Z",
    )
    return salesforce, netsuite


def build_mapping() -> tuple[dict[str, Any], set[tuple[str, str, str]]]:
    """A 200-row mapping (60 customer rows, 100 order rows, a 40-row line group) and the planted
    problems, as (object key, row, severity)."""
    kinds = 8  # the field type cycles every 8 fields on both sides, so field n maps onto target n

    customer: list[dict[str, Any]] = [
        {"id": f"c{n}", "target": f"custentity{n:03d}", "source": f"Acc_{n:03d}__c"} for n in range(60)
    ]
    order: list[dict[str, Any]] = [
        {"id": f"o{n}", "target": f"custbody{n:03d}", "source": f"Opp_{n:03d}__c"} for n in range(99)
    ]
    lines = [{"id": f"l{n}", "target": f"custcol{n:03d}", "source": f"Line_{n:03d}__c"} for n in range(40)]
    planted = set()
    # 1-3: fields the org lacks (an account field, an opportunity field, a product field on a line).
    customer[3]["source"] = "Acc_Missing__c"
    planted.add(("customer", "c3", "error"))
    order[10]["source"] = "Opp_Missing__c"
    planted.add(("sales_order", "o10", "error"))
    lines[5]["source"] = "SBQQ__Product__r.Prod_Missing__c"
    planted.add(("sales_order", "lines/l5", "error"))
    # 4: text into a number with no to_number (field 0 is text, target 1 a number).
    order[1]["source"] = "Opp_000__c"
    planted.add(("sales_order", "o1", "error"))
    # 5: a number into a date (target 2 is a date, field 1 a number).
    lines[2]["source"] = "Line_001__c"
    planted.add(("sales_order", "lines/l2", "error"))
    # 6: a target NetSuite does not have.
    customer[20]["target"] = "custentity_missing"
    planted.add(("customer", "c20", "error"))
    # 7: a read-only target (field 7 of each record type).
    assert customer[7]["target"] == "custentity007"  # noqa: S101 - the script checks its own setup
    planted.add(("customer", "c7", "error"))
    # 8: a constant not in the target's picklist (target 4 is a picklist).
    order[4] = {"id": "o4", "target": "custbody004", "constant": "Platinum"}
    planted.add(("sales_order", "o4", "error"))
    # An optional row whose field the org lacks: information, not a problem to fix.
    customer[30] = {**customer[30], "source": "Acc_Gone__c", "optional": True}
    planted.add(("customer", "c30", "info"))
    assert kinds == 8  # noqa: S101
    spec = {
        "flow": "opportunity_to_netsuite",
        "source": "Opportunity",
        "objects": [
            {
                "key": "customer",
                "target": "customer",
                "source_path": "Account",
                "external_id": {"source": "Id"},
                "fields": customer,
            },
            {
                "key": "sales_order",
                "target": "salesOrder",
                "external_id": {"source": "Id"},
                "fields": [
                    *order,
                    {
                        "id": "lines",
                        "target": "item.items[]",
                        "each": "$.primary_quote.lines",
                        "fields": lines,
                    },
                ],
            },
        ],
    }
    rows = len(customer) + len(order) + 1 + len(lines)
    assert rows == 200, rows  # noqa: S101
    return spec, planted


def validate(repeat: int) -> dict[str, Any]:
    from sync.mappings.metadata_check import mapping_metadata_problems  # noqa: PLC0415

    salesforce, netsuite = build_metadata()
    spec, planted = build_mapping()
    times = []
    problems: list[Any] = []
    for _ in range(repeat):
        started = time.perf_counter()
        problems = mapping_metadata_problems(spec, salesforce, netsuite)
        times.append((time.perf_counter() - started) * 1000)
    got = {(p.object_key, p.field, p.severity) for p in problems}
    if got != planted or len(problems) != len(planted):
        unexpected = [str(p) for p in problems if (p.object_key, p.field, p.severity) not in planted]
        raise SystemExit(f"wrong output: missed {planted - got}, unexpected {unexpected}")
    fields = sum(len(obj.fields) for obj in salesforce.objects.values()) + sum(
        len(obj.fields) + sum(len(f.sublist_fields) for f in obj.fields.values())
        for obj in netsuite.objects.values()
    )
    median = statistics.median(times)
    result = {
        "rows": 200,
        "metadata_fields": fields,
        "problems": len(problems),
        "median_ms": round(median, 2),
        "max_ms": round(max(times), 2),
        "min_ms": round(min(times), 2),
        "repeat": repeat,
    }
    if median >= GOAL_MS:
        raise SystemExit(
            f"validation took {median:.1f} ms (median), over the {GOAL_MS:.0f} ms goal: {result}"
        )
    return result


def derive() -> dict[str, Any]:
    """Five batches' read plans with every HTTP request counted: none may be made."""
    import requests  # noqa: PLC0415

    from sync.connections.models import Connection  # noqa: PLC0415
    from sync.pipeline import reads  # noqa: PLC0415
    from sync.rules.engine import compile_rule  # noqa: PLC0415
    from sync.rules.engine.shipped import shipped_rules  # noqa: PLC0415

    salesforce_meta, netsuite_meta = build_metadata()
    spec, planted = build_mapping()
    wrong = {(key, row) for key, row, severity in planted if severity == "error"}
    for obj in spec["objects"]:  # the planted errors out: a batch would refuse them (FieldsMissing)
        obj["fields"] = [row for row in obj["fields"] if (obj["key"], row["id"]) not in wrong]
        for row in obj["fields"]:
            if "fields" in row:
                row["fields"] = [
                    r for r in row["fields"] if (obj["key"], f"{row['id']}/{r['id']}") not in wrong
                ]
    rules = [compile_rule(rule) for rule in shipped_rules()]
    requests_made: list[str] = []
    metadata_reads: list[str] = []

    def refuse(session: Any, request: Any, **kwargs: Any) -> Any:
        requests_made.append(request.url)
        raise RuntimeError(f"an HTTP request while deriving the query: {request.url}")

    def cached(connection: Any) -> Any:  # the metadata cache (the selector reads the database only)
        metadata_reads.append(connection.kind)
        return salesforce_meta if connection.kind == "salesforce" else netsuite_meta

    first_reads: list[str] = []

    def already_read(connection: Any) -> None:  # the steady state: each cache was read before
        first_reads.append(connection.kind)

    salesforce = Connection(kind="salesforce", name="bench sf")
    netsuite = Connection(kind="netsuite", name="bench ns")
    times = []
    with (
        mock.patch.object(requests.Session, "send", refuse),
        mock.patch.object(reads, "connection_metadata", cached),
        mock.patch.object(reads, "metadata_first_read", already_read),
    ):
        for _ in range(BATCHES):
            started = time.perf_counter()
            plan = reads.batch_read_plan(
                salesforce=salesforce, netsuite=netsuite, spec=spec, rules=rules, trigger_fields=()
            )
            times.append((time.perf_counter() - started) * 1000)
    if requests_made:
        raise SystemExit(f"deriving the query made {len(requests_made)} HTTP request(s)")
    if len(first_reads) != 2 * BATCHES:
        raise SystemExit(
            f"the first-read check ran {len(first_reads)} times, not once per connection per batch"
        )
    return {
        "batches": BATCHES,
        "http_requests": len(requests_made),
        "metadata_cache_reads": len(metadata_reads),
        "fields_selected": sum(len(getattr(plan.query, section)) for section in reads.SECTIONS),
        "median_ms": round(statistics.median(times), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()
    _setup_django()
    result = {
        "validation": validate(options.repeat),
        "derivation": derive(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "mapping_metadata.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
