"""The network stages on one small simulated world: communities against the planted cells,
roles, migration against the truth, size from store lists, and the commands."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from hydrawatch.cli.main import app
from hydrawatch.evaluation.returnees import PreparedWorld, WorldSpec, load_truth
from hydrawatch.evasion.detect import default_model_path as returnee_model_path
from hydrawatch.ingest import ingest_paths
from hydrawatch.network.communities import find_communities
from hydrawatch.network.evaluation import evaluate_migration, evaluate_roles, role_data, true_network
from hydrawatch.network.pipeline import network_view
from hydrawatch.network.roles import ROLES, RoleModel, default_model_path
from hydrawatch.store.duck import Store
from hydrawatch.store.schema import SCHEMA_VERSION
from hydrawatch.synth import WorldConfig, generate

SPEC = WorldSpec(seed=12, accounts=3000, network=150, days=60)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> PreparedWorld:
    cache = tmp_path_factory.mktemp("network-world")
    folder = cache / SPEC.world_name
    generate(WorldConfig(seed=SPEC.seed, accounts=SPEC.accounts, network=SPEC.network, days=SPEC.days), folder)
    store_path = cache / f"{SPEC.name}.duckdb"
    with Store(store_path) as store:
        assert not ingest_paths(store, [folder]).failed
    (cache / f"{SPEC.name}.ready").write_text(f"store schema {SCHEMA_VERSION}\n")
    return PreparedWorld(SPEC, folder, store_path, load_truth(folder))


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_membership_keeps_the_network_and_little_else(world):
    with Store(world.store_path, read_only=True) as store:
        view = network_view(store, identities="none", use_scorer=False)
    network = true_network(world)
    kept, members = len(view.members.ids & network), len(view.members)
    assert kept >= 0.95 * len(network), (kept, len(network))
    assert kept >= 0.85 * members, (kept, members)  # the rest are mostly news and sympathisers: role "other"


def test_communities_recover_planted_cells_with_actor_identities(world):
    with Store(world.store_path, read_only=True) as store:
        view = network_view(store, identities="none", use_scorer=False)
    network = sorted(view.members.ids & true_network(world))
    persons = defaultdict(list)
    for account in network:
        persons[world.truth[account]["person_id"]].append(account)
    truth = [world.truth[a]["community"] for a in network]
    with_actors = find_communities(view.interactions, view.members.ids, list(persons.values()))
    assert adjusted_rand_score(truth, [with_actors.membership[a] for a in network]) >= 0.9
    alone = find_communities(view.interactions, view.members.ids)
    # Account by account, short-lived returnees blur the cells: the reason actors are merged.
    assert adjusted_rand_score(truth, [alone.membership[a] for a in network]) < adjusted_rand_score(truth, [with_actors.membership[a] for a in network])
    again = find_communities(view.interactions, view.members.ids, list(persons.values()))
    assert again.membership == with_actors.membership  # seeded: same data, same answer


@pytest.mark.skipif(not returnee_model_path().exists(), reason="no shipped returnee model: hydrawatch train returnees")
def test_communities_with_detected_returnees(world):
    from hydrawatch.network.evaluation import evaluate_communities

    report = evaluate_communities(world, identities="detect")
    assert report["identity_groups"] > 0
    assert report["ari"] >= 0.9, report


@pytest.mark.skipif(not default_model_path().exists(), reason="no shipped role model: hydrawatch train roles")
def test_shipped_role_model_on_an_unseen_world(world):
    report = evaluate_roles(world, RoleModel.load())
    assert report["macro_f1"] >= 0.85, report


def test_role_model_save_and_load(world, tmp_path):
    features, roles = role_data(world)
    groups = np.arange(len(roles)) % 2  # two pseudo-worlds
    model = RoleModel(n_estimators=20, folds=2).fit(features, roles, groups)
    path = tmp_path / "roles.json"
    model.save(path, {"worlds": ["test"]})
    loaded = RoleModel.load(path)
    assert np.allclose(model.predict_proba(features), loaded.predict_proba(features), atol=1e-9)
    verdicts = loaded.predict(features, evidence=3)
    assert {v.role for v in verdicts} <= set(ROLES)
    assert all(0 < v.confidence <= 1 and len(v.evidence) <= 3 for v in verdicts)
    assert any(v.evidence for v in verdicts)
    with pytest.raises(FileNotFoundError, match="train roles"):
        RoleModel.load(tmp_path / "missing.json")


def test_migration_finds_the_true_destinations(world):
    report = evaluate_migration(world)
    assert report["recall"] >= 0.95, report
    assert report["unresolved_short_links"] == 0


@pytest.mark.skipif(not default_model_path().exists(), reason="no shipped role model: hydrawatch train roles")
def test_roles_command_jsonl(world):
    result = run("roles", "--db", world.store_path, "--identities", "none", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(list(r) == ["account_id", "username", "community", "role", "confidence", "evidence"] for r in rows)
    assert {r["role"] for r in rows} >= {"amplifier", "shoutout", "media"}
    assert all(r["evidence"] and r["evidence"][0]["description"] for r in rows)


def test_size_command_from_store_lists(world):
    result = run("size", "--db", world.store_path, "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {"estimate", "low", "high", "method", "observed"} <= set(found)
    assert found["method"] == "covariates" and found["low"] <= found["estimate"] <= found["high"]
    assert any(term.startswith("covariate:log_posts") for term in found["model"])
    assert found["observed"] <= found["estimate"] < 2 * len(true_network(world))
    alone = run("size", "--db", world.store_path, "--no-covariates", "--format", "json")
    assert alone.exit_code == 0, alone.output
    assert json.loads(alone.stdout)["method"] == "log-linear"


def test_size_command_from_list_files(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("\n".join(f"x{i}" for i in range(100)) + "\n")
    second.write_text("account_id\n" + "\n".join(f"x{i}" for i in range(60, 140)) + "\n")
    result = run("size", "--lists", first, "--lists", second, "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["method"] == "chapman" and found["observed"] == 140
    assert found["estimate"] == pytest.approx(101 * 81 / 41 - 1, abs=0.1)
    # The spelling, --lists FILE..., gives the same answer.
    again = run("size", "--format", "json", "--lists", first, second)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == found


def test_migration_and_communities_commands(world):
    result = run("migration", "--db", world.store_path, "--format", "jsonl", "--resolver", world.folder / "truth" / "shortlinks.csv")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(list(r)[:6] == ["account_id", "platform", "destination", "destination_url", "first_seen", "evidence"] for r in rows)
    assert all(r["evidence"] for r in rows)
    assert {r["platform"] for r in rows} >= {"telegram", "justpaste", "archive"}
    result = run("communities", "--db", world.store_path, "--identities", "none", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) >= 0.9 * len(true_network(world))


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "parquet"])
def test_graph_export_command(world, tmp_path, fmt):
    out = tmp_path / f"retweets.{fmt}"
    result = run("graph", "export", "--db", world.store_path, "--layer", "retweet", "--format", fmt, "--out", out, "--network-only")
    assert result.exit_code == 0, result.output
    if fmt == "graphml":
        import igraph as ig

        graph = ig.Graph.Read_GraphML(str(out))
        assert graph.ecount() > 100 and "label" in graph.vs.attributes()
    elif fmt == "gexf":
        root = ET.parse(out).getroot()
        assert len(root.findall(".//{http://gexf.net/1.3}edge")) > 100
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(out).num_rows > 100


def test_size_visibility_experiment(world):
    """Lists drawn from the truth with 30-60 % of the network visible (see
    hydrawatch.network.evaluation.visibility_lists); benchmarks/network.py runs many more."""
    from hydrawatch.network.evaluation import evaluate_size

    report = evaluate_size(world, replicates=2, lists=5, rates=(0.11, 0.14), seed=5)
    assert report["runs_30_60_visible"] >= 3, report
    assert report["coverage"] >= 0.66, report
    assert report["median_abs_error"] <= 0.3, report


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_follow_layer_export_keeps_handles_and_is_directed(world, tmp_path, fmt):
    out = tmp_path / f"follows.{fmt}"
    result = run("graph", "export", "--db", world.store_path, "--layer", "follow", "--format", fmt, "--out", out, "--network-only")
    assert result.exit_code == 0, result.output
    if fmt == "graphml":
        import igraph as ig

        graph = ig.Graph.Read_GraphML(str(out))
        assert graph.is_directed() and set(graph.es["weight"]) == {1.0}
        assert all(label for label in graph.vs["label"])
        assert set(graph.vs["name"]) <= set(world.truth)  # network accounts only
    else:
        root = ET.parse(out).getroot()
        ns = {"g": "http://gexf.net/1.3"}
        assert root.find(".//g:graph", ns).get("defaultedgetype") == "directed"
        nodes = root.findall(".//g:nodes/g:node", ns)
        assert nodes and all(n.get("label") for n in nodes)
