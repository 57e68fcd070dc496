"""`hydrawatch accounts`, `train accounts`, `eval accounts` on a small simulated world."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hydrawatch.accounts import default_model_path
from hydrawatch.cli.main import app
from hydrawatch.evaluation.returnees import WorldSpec, load_truth
from hydrawatch.ingest import ingest_paths
from hydrawatch.store.duck import Store
from hydrawatch.store.schema import SCHEMA_VERSION
from hydrawatch.synth import WorldConfig, generate

SPEC = WorldSpec(seed=11, accounts=3000, network=150, days=60)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A small world in a cache folder laid out as ``prepare_world`` leaves it (store ready,
    avatars not hashed: account scoring does not use them)."""
    cache = tmp_path_factory.mktemp("cache")
    folder = cache / SPEC.world_name
    generate(WorldConfig(seed=SPEC.seed, accounts=SPEC.accounts, network=SPEC.network, days=SPEC.days), folder)
    with Store(cache / f"{SPEC.name}.duckdb") as store:
        assert not ingest_paths(store, [folder]).failed
    (cache / f"{SPEC.name}.ready").write_text(f"store schema {SCHEMA_VERSION}\n")
    return cache, cache / f"{SPEC.name}.duckdb", load_truth(folder)


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


needs_model = pytest.mark.skipif(not default_model_path().exists(), reason="no shipped model: hydrawatch train accounts")


@needs_model
def test_accounts_jsonl_ranks_the_network_first(world):
    _, db, truth = world
    result = run("accounts", "--db", db, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(set(r) == {"account_id", "username", "score", "evidence"} for r in rows)
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)
    assert all(truth.get(r["account_id"], {}).get("status_at_end") not in ("suspended", "deleted") for r in rows)
    network = [r for r in rows if truth.get(r["account_id"], {}).get("group") == "network"]
    k = len(network)
    top = rows[:k]
    assert sum(truth[r["account_id"]]["group"] == "network" for r in top) >= 0.8 * k
    evidence = rows[0]["evidence"]
    assert evidence[-1]["signal"] == "model" and any(e["contribution"] for e in evidence[:-1])


@needs_model
def test_accounts_seed_file_cases_and_formats(world, tmp_path):
    _, db, truth = world
    suspended = [row for row in truth.values() if row["group"] == "network" and row["status_at_end"] == "suspended"]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# known accounts\n" + "\n".join(f"@{r['username']}" for r in suspended[:20]) +
                     f"\n{suspended[20]['account_id']}\n@no_such_account_here\n")
    review = tmp_path / "review.sqlite"
    result = run("accounts", "--db", db, "--seeds", seeds, "--flagged", "--cases", "--review-db", review, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "no_such_account_here" in result.stderr and "seed file" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(float(r["score"]) >= 0.5 for r in rows)
    assert sum(truth[r["account_id"]]["group"] == "network" for r in rows) >= 0.8 * len(rows)
    from hydrawatch.review import ReviewStore

    with ReviewStore(review) as store:
        cases = store.queue(case_type="network_account", limit=10_000)
    assert len(cases) == len(rows) and cases[0].evidence and cases[0].detector == "network_account"
    table = run("accounts", "--db", db, "--limit", "3")
    assert table.exit_code == 0 and "network accounts" in table.stdout


def test_accounts_explains_a_missing_store(tmp_path):
    result = run("accounts", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 1 and "no store" in result.stderr


@pytest.mark.slow
def test_train_and_eval_accounts(world, tmp_path):
    cache, _, _ = world
    model = tmp_path / "scorer.json"
    world_args = ["--seeds", SPEC.seed, "--accounts", SPEC.accounts, "--network", SPEC.network, "--days", SPEC.days,
                  "--views", "full", "--cache", cache]
    trained = run("train", "accounts", *world_args, "--out", model)
    assert trained.exit_code == 0, trained.output
    assert model.exists() and "account scorer" in trained.stderr
    evaluated = run("eval", "accounts", *world_args, "--model", model, "--format", "json")
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)["worlds"][0]
    assert report["view"] == "full" and report["network_scored"] > 0
    assert set(report["fpr_by_group"]) >= {"news", "religious", "political", "counter", "researcher"}
    assert 0.9 <= report["roc_auc"] <= 1.0


@pytest.mark.parametrize("command", [["accounts"], ["train", "accounts"], ["eval", "accounts"]])
def test_commands_have_help_and_are_documented(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and len(result.stdout.split()) > 20, result.output
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"hydrawatch {' '.join(command)}" in readme
