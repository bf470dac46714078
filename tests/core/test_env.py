from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_float, env_int, env_list, env_secret, env_secret_list, env_str


def test_it_reads_booleans_in_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("off", False),
    ]:
        monkeypatch.setenv("CONCORD_FLAG", raw)
        assert env_bool("CONCORD_FLAG") is expected


def test_it_refuses_a_boolean_it_cannot_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCORD_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="CONCORD_FLAG"):
        env_bool("CONCORD_FLAG")


def test_it_falls_back_to_defaults_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONCORD_UNSET", raising=False)
    assert env_str("CONCORD_UNSET", "x") == "x"
    assert env_bool("CONCORD_UNSET", True) is True
    assert env_int("CONCORD_UNSET", 7) == 7
    assert env_list("CONCORD_UNSET", ["a"]) == ["a"]


def test_it_splits_lists_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCORD_HOSTS", " a.example , ,b.example,")
    assert env_list("CONCORD_HOSTS") == ["a.example", "b.example"]


def test_it_refuses_an_integer_it_cannot_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCORD_WORKERS", "two")
    with pytest.raises(ImproperlyConfigured, match="CONCORD_WORKERS"):
        env_int("CONCORD_WORKERS", 2)


def test_it_reads_a_secret_from_its_variable_or_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CONCORD_SECRET_FILE", raising=False)
    monkeypatch.setenv("CONCORD_SECRET", "direct")
    assert env_secret("CONCORD_SECRET") == "direct"
    monkeypatch.delenv("CONCORD_SECRET")
    assert env_secret("CONCORD_SECRET", "fallback") == "fallback"
    path = tmp_path / "secret"
    path.write_text(" spaced value \n")
    monkeypatch.setenv("CONCORD_SECRET_FILE", str(path))
    # Only the one trailing newline goes: the spaces are the secret's own.
    assert env_secret("CONCORD_SECRET") == " spaced value "
    path.write_text("line\n\n")
    assert env_secret("CONCORD_SECRET") == "line\n"
    path.write_text("a,b\nc\n")
    assert env_secret_list("CONCORD_SECRET") == ["a", "b", "c"]


def test_it_refuses_a_secret_twice_or_unreadable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONCORD_SECRET", "direct")
    monkeypatch.setenv("CONCORD_SECRET_FILE", str(tmp_path / "secret"))
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("CONCORD_SECRET")
    monkeypatch.delenv("CONCORD_SECRET")
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("CONCORD_SECRET")
    monkeypatch.setenv("CONCORD_SECRET_FILE", "")
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        env_secret_list("CONCORD_SECRET")


def test_env_float(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONCORD_SWITCH", raising=False)
    assert env_float("CONCORD_SWITCH", 1.0) == 1.0
    monkeypatch.setenv("CONCORD_SWITCH", " 0.5 ")
    assert env_float("CONCORD_SWITCH", 1.0) == 0.5
    for bad in ("fast", "nan", "inf"):
        monkeypatch.setenv("CONCORD_SWITCH", bad)
        with pytest.raises(ImproperlyConfigured, match="CONCORD_SWITCH"):
            env_float("CONCORD_SWITCH", 1.0)
