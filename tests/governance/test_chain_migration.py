"""Migration 0006 re-seals a trail written under the old rule (whose hashes did not cover the actor and
remote address that auditlog fills in later), so that an upgraded install verifies, and records the new
head as a checkpoint. Run on a database of its own, through ``manage.py`` as an upgrade would be."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.governance.test_chain_processes import Query, child_env, live_database, manage  # noqa: F401

pytestmark = pytest.mark.database  # migrates a database beside the stage's (DATABASE_URL)


def test_the_upgrade_re_seals_a_trail_written_under_the_old_rule(
    tmp_path: Path,
    live_database: tuple[str, Query, Callable[[str], None]],  # noqa: F811
) -> None:
    database_url, query, tamper = live_database
    (tmp_path / "var").mkdir()
    env = child_env(database_url, tmp_path / "var")
    manage(env, "migrate", "-v0")
    manage(env, "migrate", "-v0", "governance", "0006")  # back to before the re-seal
    manage(env, "seed_personas", "--quiet-logins")
    (count,) = query("SELECT count(*) FROM governance_auditentry")[0]
    assert count > 5
    # What the old rule left behind: hashes that do not match the stored rows from some entry on.
    tamper("UPDATE governance_auditentry SET entry_hash = 'old', prev_hash = 'old' WHERE id > 3")
    assert manage(env, "verify_audit_chain", check=False).returncode == 1

    manage(env, "migrate", "-v0", "governance")

    verified = manage(env, "verify_audit_chain", check=False)
    assert verified.returncode == 0, verified.stderr
    assert f"intact: {count} entries" in verified.stdout and "1 checkpoints" in verified.stdout
    (head_id, head_hash) = query("SELECT id, entry_hash FROM governance_auditentry ORDER BY id DESC LIMIT 1")[
        0
    ]
    assert query("SELECT entry_id, entry_hash, entry_count, source FROM governance_auditcheckpoint") == [
        (head_id, head_hash, count, "migration")
    ]
    if "postgres" in database_url:
        # The migration switched the append-only trigger off for the re-seal only.
        assert query(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'governance_auditentry_append_only'"
        ) == [("O",)]
