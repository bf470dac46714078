"""Releases: mapping and rule versions developed against sandbox connections, tested there, signed
off, and published to production together; one action rolls the live release back.

Life cycle of a :class:`~governance.releases.models.Release`::

    draft --test run passes--> tested --RevOps and Finance sign--> signed_off --publish--> live
      ^            |                                                                      |
      +-- items change (any open status), or a new test run: sign-offs void --+          |
                                                          live --rollback--> rolled_back (previous: live)
                                                          live --next release published--> superseded

- **Integration**: a release is one integration's (``Release.integration``): every item is a version of
  its flows, rules or tables (a mix is refused), it is tested only on its sandbox pair
  (:func:`sync.integrations.sandboxes.sandbox_connection_ids`), and "the live release" (superseded on
  publish, restored on rollback) is that integration's. A person limited to other integrations does not
  see it.
- **Items** (:class:`ReleaseItem`): one approved-or-published version per flow (``flow:<key>``), rule
  (``rule:<key>``) or lookup table (``lookup:<name>``). Versions keep their own four-eyes approval
  (``sync.mappings.services.versions``/``rules``/``lookup_versions``); a release bundles approved versions, it
  does not approve them. Lookup tables are published first (a mapping compiles against them).
- **Test run** (:mod:`governance.releases.testing`, a django-q2 task started from the console, the API or
  ``manage.py release test``): the
  pipeline syncs the chosen Salesforce opportunities through a *sandbox* Salesforce/NetSuite pair with
  the configuration the release would put live (the published versions, the release's items in place of
  theirs: :class:`sync.pipeline.sources.ChosenVersions`), then reconciles exactly those records
  (``opportunities`` and ``accounts`` checks, scoped runs that open no exceptions). It passes with no
  failed record and no mismatch; the run row keeps the evidence (connections, ids, job, counts,
  failures, reconciliation runs and mismatch count, the configuration that ran, who and when).
- **Sign-off** (:class:`ReleaseSignoff`): RevOps (``edit_mappings``) and Finance (``approve_releases``)
  each sign the passing run: two different people, and Finance never the release's creator. A new test
  run or a change of items voids standing sign-offs.
- **Publish** (Finance): in one transaction every item's version is published (the flow's or rule's
  previous one superseded or retired, and recorded on the item as what it replaced), the previous live
  release becomes superseded and is recorded as ``previous_release``. Refused unless the evidence is
  current, both signatures stand on it, and production still runs what the test ran beside the items.
- **Rollback** (Finance, one action, one transaction): every item's flow, rule or table gets back exactly the
  version it replaced (the same row, published again; none if none was published), the release is
  rolled back and the previous release is live again. Refused if a flow or rule was changed outside
  the release since it went live.

Each step writes one audit entry (who, the event, the reason); auditlog records the rows created. The
console's pages (:mod:`governance.releases.views`), the API (:mod:`governance.api.releases`) and
``manage.py release`` take every step through the same services.
"""
