"""Graph layers and their export: GraphML and GEXF parse back, Parquet round-trips."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import igraph as ig
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hydrawatch.core.errors import ConfigError
from hydrawatch.network.graphs import layer_edges, pair_edges, restrict, to_igraph, write_graph

T0 = datetime(2015, 1, 1, tzinfo=UTC)
T1 = datetime(2015, 1, 2, tzinfo=UTC)


def interactions() -> pa.Table:
    return pa.table({
        "platform": ["twitter"] * 5,
        "source": ["a", "a", "b", "c", "a"],
        "target": ["b", "c", "a", "a", "b"],
        "kind": ["repost", "repost", "repost", "follow", "mention"],
        "n": [3, 1, 2, 1, 5],
        "first_at": [T0, T0, T1, None, T0],
        "last_at": [T1, T0, T1, None, T1],
    })


def test_layer_edges_pick_one_kind():
    edges = layer_edges(interactions(), "retweet")
    assert edges.to_pydict()["source"] == ["a", "a", "b"] and edges["weight"].to_pylist() == [3.0, 1.0, 2.0]
    assert restrict(edges, {"a", "b"}).num_rows == 2
    with pytest.raises(ConfigError, match="unknown layer"):
        layer_edges(interactions(), "likes")


def graph() -> ig.Graph:
    edges = layer_edges(interactions(), "retweet")
    return to_igraph(edges, True, nodes=["a", "b", "c", "lonely"], node_attributes={
        "label": {"a": "@alpha", "b": "@beta & co", "c": "@gamma"}, "community": {"a": 0, "b": 0, "c": 1}})


def test_graphml_parses_back(tmp_path):
    path = write_graph(graph(), tmp_path / "g.graphml", "graphml")
    back = ig.Graph.Read_GraphML(str(path))
    assert back.vcount() == 4 and back.ecount() == 3 and back.is_directed()
    assert sorted(back.es["weight"]) == [1.0, 2.0, 3.0]
    assert back.vs.find(name="b")["label"] == "@beta & co"
    assert back.es[0]["first_at"].startswith("2015-01-0")


def test_gexf_is_valid_xml_with_nodes_edges_and_attributes(tmp_path):
    path = write_graph(graph(), tmp_path / "g.gexf", "gexf", description="retweets <test>")
    ns = {"g": "http://gexf.net/1.3"}
    root = ET.parse(path).getroot()
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    nodes = root.findall(".//g:nodes/g:node", ns)
    edges = root.findall(".//g:edges/g:edge", ns)
    assert [n.get("id") for n in nodes] == ["a", "b", "c", "lonely"]
    assert nodes[1].get("label") == "@beta & co"
    assert sorted(float(e.get("weight")) for e in edges) == [1.0, 2.0, 3.0]
    assert root.find(".//g:graph", ns).get("defaultedgetype") == "directed"
    titles = {a.get("title"): a.get("type") for a in root.findall(".//g:attributes[@class='node']/g:attribute", ns)}
    assert titles == {"community": "double"}
    assert root.find(".//g:description", ns).text == "retweets <test>"


def test_parquet_edge_list_round_trips(tmp_path):
    path = write_graph(graph(), tmp_path / "g.parquet", "parquet")
    table = pq.read_table(path)
    assert table.num_rows == 3 and {"source", "target", "weight"} <= set(table.column_names)


def test_undirected_pairs_and_unknown_format(tmp_path):
    edges = pair_edges(["a"], ["b"], [4])
    g = to_igraph(edges, False)
    assert not g.is_directed() and g.es["weight"] == [4.0]
    with pytest.raises(ConfigError, match="unknown graph format"):
        write_graph(g, tmp_path / "x", "dot")
