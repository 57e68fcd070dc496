"""Graphs of who interacts with whom, one *layer* per kind of interaction, and their export.

Layers (directed unless said otherwise; weight = how many times):

* ``retweet``: source reposted target;
* ``quote``: source quoted target;
* ``mention``: source named target in an original post, reply or quote (retweets left out:
  they repeat someone else's mentions);
* ``reply``: source replied to target;
* ``follow``: source follows target (weight 1);
* ``coaction``: undirected; both accounts shared the same objects within a short window
  (co-retweet, from :mod:`hydrawatch.network.coordination`); weight = distinct objects;
* ``identity``: undirected; the returnee detector believes both accounts are one actor.

The edge tables are plain Arrow (``source, target, weight, first_at, last_at``) so that the
same functions run over store data, CSV and the Spark engine alike; :func:`to_igraph` turns
one into a python-igraph graph for the algorithms, and :func:`write_graph` exports GraphML,
GEXF (Gephi) or a Parquet edge list.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hydrawatch.core.errors import ConfigError

log = logging.getLogger(__name__)

#: Layer name -> interaction kind in the store's edge table (store.edges.interaction_edges).
INTERACTION_LAYERS: dict[str, str] = {
    "retweet": "repost",
    "quote": "quote",
    "mention": "mention",
    "reply": "reply",
    "follow": "follow",
}
UNDIRECTED_LAYERS = ("coaction", "identity")
LAYERS: tuple[str, ...] = (*INTERACTION_LAYERS, *UNDIRECTED_LAYERS)
EXPORT_FORMATS = ("graphml", "gexf", "parquet")

EDGE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("target", pa.string()),
        ("weight", pa.float64()),
        ("first_at", pa.timestamp("us", tz="UTC")),
        ("last_at", pa.timestamp("us", tz="UTC")),
    ]
)


def check_layer(layer: str) -> str:
    if layer not in LAYERS:
        raise ConfigError(f"unknown layer {layer!r}; choose one of: {', '.join(LAYERS)}")
    return layer


def is_directed(layer: str) -> bool:
    return check_layer(layer) not in UNDIRECTED_LAYERS


def empty_edges() -> pa.Table:
    return EDGE_SCHEMA.empty_table()


def layer_edges(interactions: pa.Table, layer: str) -> pa.Table:
    """One layer's edges out of the store's interaction table (``source, target, kind, n,
    first_at, last_at``, see :func:`hydrawatch.store.edges.interaction_edges`)."""
    kind = INTERACTION_LAYERS.get(check_layer(layer))
    if kind is None:
        raise ConfigError(f"layer {layer!r} is not an interaction layer; build it with its own function")
    chosen = interactions.filter(pc.equal(interactions["kind"], kind))
    # One row per (source, target) even if the table holds several platforms' ids.
    grouped = chosen.group_by(["source", "target"]).aggregate([("n", "sum"), ("first_at", "min"), ("last_at", "max")])
    return _as_edges(grouped["source"], grouped["target"], grouped["n_sum"], grouped["first_at_min"], grouped["last_at_max"])


def pair_edges(account_a, account_b, weight) -> pa.Table:
    """Undirected edges (coaction, identity) from three parallel columns; no times."""
    n = len(account_a)
    return _as_edges(account_a, account_b, weight, pa.nulls(n, EDGE_SCHEMA.field("first_at").type), pa.nulls(n, EDGE_SCHEMA.field("last_at").type))


def _as_edges(source, target, weight, first_at, last_at) -> pa.Table:
    def column(values, field):
        values = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
        return pc.cast(values, field.type)

    table = pa.table({f.name: column(v, f) for f, v in zip(EDGE_SCHEMA, (source, target, weight, first_at, last_at))})
    return table.sort_by([("source", "ascending"), ("target", "ascending")])


def restrict(edges: pa.Table, accounts: Iterable[str], both_ends: bool = True) -> pa.Table:
    """The edges among ``accounts`` (``both_ends=False``: touching them)."""
    wanted = pa.array(sorted(set(accounts)), pa.string())
    inside_source = pc.is_in(edges["source"], value_set=wanted)
    inside_target = pc.is_in(edges["target"], value_set=wanted)
    keep = pc.and_(inside_source, inside_target) if both_ends else pc.or_(inside_source, inside_target)
    return edges.filter(keep)


# --- igraph ------------------------------------------------------------------------------


def to_igraph(
    edges: pa.Table,
    directed: bool,
    nodes: Sequence[str] | None = None,
    node_attributes: Mapping[str, Mapping[str, object]] | None = None,
) -> ig.Graph:
    """A python-igraph graph with vertex attribute ``name`` (the account id), edge attributes
    ``weight`` and, where known, ``first_at``/``last_at`` (ISO 8601 text: GraphML and GEXF
    have no time type). ``nodes`` adds accounts without edges; ``node_attributes`` maps an
    attribute name to {account_id: value} (missing values become "" or NaN)."""
    sources = edges["source"].to_pylist()
    targets = edges["target"].to_pylist()
    names = list(dict.fromkeys([*(nodes or ()), *sources, *targets]))
    index = {name: i for i, name in enumerate(names)}
    graph = ig.Graph(n=len(names), edges=[(index[s], index[t]) for s, t in zip(sources, targets)], directed=directed)
    graph.vs["name"] = names
    graph.es["weight"] = [float(w) for w in edges["weight"].to_pylist()]
    for column in ("first_at", "last_at"):
        values = edges[column].to_pylist()
        if any(v is not None for v in values):
            graph.es[column] = [v.astimezone(UTC).isoformat() if v is not None else "" for v in values]
    for attribute, values in (node_attributes or {}).items():
        known = [values.get(name) for name in names]
        numeric = all(isinstance(v, (int, float, np.integer, np.floating)) or v is None for v in known) and any(v is not None for v in known)
        graph.vs[attribute] = [(float(v) if v is not None else float("nan")) if numeric else ("" if v is None else str(v)) for v in known]
    return graph


def undirected_weights(graph: ig.Graph) -> ig.Graph:
    """The graph as undirected, parallel and reciprocal edges merged by summing weights."""
    simple = graph.as_undirected(mode="collapse", combine_edges={"weight": "sum"}) if graph.is_directed() else graph.copy()
    simple.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    return simple


# --- export -------------------------------------------------------------------------------


def write_graph(graph: ig.Graph, path: Path, fmt: str, description: str = "") -> Path:
    """Write ``graph`` as ``graphml``, ``gexf`` or ``parquet`` (an edge list with the vertex
    names, weights, times and every edge attribute)."""
    path = Path(path)
    if fmt == "graphml":
        graph.write_graphml(str(path))
    elif fmt == "gexf":
        write_gexf(graph, path, description)
    elif fmt == "parquet":
        pq.write_table(edge_table(graph), path)
    else:
        raise ConfigError(f"unknown graph format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
    return path


def edge_table(graph: ig.Graph) -> pa.Table:
    names = graph.vs["name"] if "name" in graph.vs.attributes() else [str(i) for i in range(graph.vcount())]
    pairs = graph.get_edgelist()
    columns: dict[str, list] = {"source": [names[s] for s, _ in pairs], "target": [names[t] for _, t in pairs]}
    for attribute in graph.es.attributes():
        columns[attribute] = graph.es[attribute]
    return pa.table(columns)




def _gexf_type(values: list) -> str:
    present = [v for v in values if v is not None and v != ""]
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if present and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in present):
        return "integer"
    if present and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in present):
        return "double"
    return "string"


def _gexf_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not np.isfinite(value):
        return ""
    return str(value)


def write_gexf(graph: ig.Graph, path: Path, description: str = "") -> None:
    """GEXF 1.3 (what Gephi reads), streamed so that large graphs do not build a DOM.

    Vertex ``name`` becomes the node id, ``label`` (or the name) its label; every other vertex
    and edge attribute becomes a typed GEXF attribute; ``weight`` is GEXF's own edge weight."""
    names = graph.vs["name"] if "name" in graph.vs.attributes() else [str(i) for i in range(graph.vcount())]
    labels = graph.vs["label"] if "label" in graph.vs.attributes() else names
    node_attrs = [a for a in graph.vs.attributes() if a not in ("name", "label")]
    edge_attrs = [a for a in graph.es.attributes() if a != "weight"]
    node_types = {a: _gexf_type(graph.vs[a]) for a in node_attrs}
    edge_types = {a: _gexf_type(graph.es[a]) for a in edge_attrs}
    weights = graph.es["weight"] if "weight" in graph.es.attributes() else [1.0] * graph.ecount()
    today = datetime.now(UTC).date().isoformat()
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write('<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n')
        out.write(f'  <meta lastmodifieddate="{today}">\n    <creator>hydrawatch</creator>\n')
        out.write(f"    <description>{_text(description)}</description>\n  </meta>\n")
        kind = "directed" if graph.is_directed() else "undirected"
        out.write(f'  <graph mode="static" defaultedgetype="{kind}">\n')
        for cls, attrs, types in (("node", node_attrs, node_types), ("edge", edge_attrs, edge_types)):
            if attrs:
                out.write(f'    <attributes class="{cls}">\n')
                for i, attr in enumerate(attrs):
                    out.write(f'      <attribute id="{i}" title={quoteattr(attr)} type="{types[attr]}"/>\n')
                out.write("    </attributes>\n")
        out.write("    <nodes>\n")
        node_values = [graph.vs[a] for a in node_attrs]
        for v, (name, label) in enumerate(zip(names, labels)):
            out.write(f"      <node id={quoteattr(str(name))} label={quoteattr(str(label or name))}")
            out.write(_attvalues(node_values, v, "node"))
        out.write("    </nodes>\n    <edges>\n")
        edge_values = [graph.es[a] for a in edge_attrs]
        for e, (s, t) in enumerate(graph.get_edgelist()):
            out.write(f'      <edge id="{e}" source={quoteattr(str(names[s]))} target={quoteattr(str(names[t]))} weight="{float(weights[e])!r}"')
            out.write(_attvalues(edge_values, e, "edge"))
        out.write("    </edges>\n  </graph>\n</gexf>\n")


def _attvalues(columns: list[list], row: int, element: str) -> str:
    values = [(i, _gexf_value(column[row])) for i, column in enumerate(columns) if column[row] is not None]
    values = [(i, v) for i, v in values if v != ""]
    if not values:
        return "/>\n"
    inner = "".join(f'<attvalue for="{i}" value={quoteattr(v)}/>' for i, v in values)
    return f"><attvalues>{inner}</attvalues></{element}>\n"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
