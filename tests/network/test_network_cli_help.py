"""Every network command explains itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hydrawatch.cli.main import app

COMMANDS = [["graph", "export"], ["communities"], ["roles"], ["size"], ["migration"], ["train", "roles"], ["eval", "network"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert len(result.output) > 300


def test_size_needs_two_lists(tmp_path):
    only = tmp_path / "one.txt"
    only.write_text("a\nb\n")
    result = CliRunner().invoke(app, ["size", "--lists", str(only)])
    assert result.exit_code == 1 and "two non-empty lists" in " ".join(result.output.split())


def test_unknown_layer_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["graph", "export", "--layer", "likes", "--out", str(tmp_path / "x.graphml"), "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "unknown layer" in result.output


def test_every_network_command_is_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"hydrawatch {' '.join(command)}" in readme, f"README.md does not mention hydrawatch {' '.join(command)}"
