"""The commands the pages show exist and take the options shown: every `manage.py <command>` is a
management command whose parser knows each `--flag` named with it, and each command line of a shell
block parses as written; every `python -m simulators` line names a simulator command and its options."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from argparse import ArgumentParser
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from simulators.__main__ import main as simulators_main
from tests.docs.markdown import fenced_blocks, inline_code, page_id, pages, text

MANAGE = re.compile(r"manage\.py ([a-z][\w]*)(.*)")
FLAG = re.compile(r"(?<![\w-])(--[a-z][\w-]*)")
SIMULATORS = re.compile(r"-m simulators(?: ([a-z]+))?(.*)")


def _shell_lines(source: str) -> list[str]:
    """The command lines of the page's shell blocks, comments dropped."""
    lines = []
    for block in fenced_blocks(source, ("sh", "bash", "console")):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def _mentions(source: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    """Every mention in code: inline spans and shell lines (an indented example counts as a span)."""
    spans = inline_code(source) + _shell_lines(source)
    spans += [line.strip() for line in re.findall(r"^ {4}(\S.*)$", source, re.M)]
    return [match for span in spans for match in [pattern.search(span)] if match]


def _parser(name: str) -> ArgumentParser:
    return load_command_class(get_commands()[name], name).create_parser("manage.py", name)


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_names_only_commands_that_exist_with_options_they_take(page: Path) -> None:
    commands = get_commands()
    for match in _mentions(text(page), MANAGE):
        name, rest = match[1], match[2]
        assert name in commands, f"{page_id(page)}: manage.py {name} is not a command"
        options = _parser(name)._option_string_actions
        for flag in FLAG.findall(rest):
            assert flag in options, f"{page_id(page)}: manage.py {name} has no {flag}"


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_shows_shell_command_lines_that_parse_as_written(page: Path) -> None:
    for line in _shell_lines(text(page)):
        match = MANAGE.search(line)
        if match:
            _parser(match[1]).parse_args(shlex.split(match[2]))  # exits (fails the test) on a bad line


def test_it_finds_the_commands_it_should() -> None:
    named = {match[1] for page in pages() for match in _mentions(text(page), MANAGE)}
    assert {"demo", "simulate", "migrate", "qcluster", "golive_match", "reconcile", "sync_backfill"} <= named


def _simulator_help(command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        simulators_main([command, "--help"] if command else ["--help"])
    return out.getvalue()


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_it_runs_the_simulators_only_with_commands_and_options_they_take(page: Path) -> None:
    for match in _mentions(text(page), SIMULATORS):
        command, rest = match[1] or "", match[2]
        usage = _simulator_help(command)
        if command:
            assert f"python -m simulators {command}" in usage, f"{page_id(page)}: no simulators {command}"
        for flag in FLAG.findall(rest):
            assert re.search(rf"{re.escape(flag)}\b", usage), f"{page_id(page)}: simulators {command} {flag}"
