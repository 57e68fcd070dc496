"""Plots for the report, drawn with matplotlib's object API (no pyplot: no global state, safe in
threads) and embedded as PNG ``data:`` URIs, so the report is one file that needs nothing from
the network to show them.

User text reaches plots as labels (handles, destinations). Two things are neutralised here:
``$`` would start matplotlib's mathtext, and glyphs missing from the bundled font would warn
(which tests treat as an error); a missing glyph is drawn as a box, which is acceptable in a plot
whose tables show the same text in full.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from .model import Figure

DPI = 100
PALETTE = ("#1f5f8b", "#d0743c", "#3a8f5c", "#a23b72", "#7d6b2e", "#5b5ea6", "#c44e52", "#4c9fa8", "#8c8c8c", "#b8860b")


def label(text: object, limit: int = 28) -> str:
    """A plot-safe label: no mathtext, at most ``limit`` characters."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "\u2026"
    return value.replace("$", r"\$")


@contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*[Gg]lyph .* missing from", category=UserWarning)
        warnings.filterwarnings("ignore", message=r".*Matplotlib currently does not support .*", category=UserWarning)
        yield


def new_figure(width: float = 8.0, height: float = 3.2) -> MplFigure:
    figure = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def embed(figure: MplFigure, title: str, alt: str, caption: str = "") -> Figure:
    """Render to PNG and wrap as a report figure."""
    buffer = io.BytesIO()
    with _quiet():
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Figure(title=title, data_uri=f"data:image/png;base64,{encoded}", alt=alt, caption=caption)


def _style(axes, title: str = "", xlabel: str = "", ylabel: str = "") -> None:
    if title:
        axes.set_title(label(title, 90), fontsize=10, loc="left")
    axes.set_xlabel(xlabel, fontsize=9)
    axes.set_ylabel(ylabel, fontsize=9)
    axes.tick_params(labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, alt: str, xlabel: str = "", ylabel: str = "",
              horizontal: bool = False, caption: str = "") -> Figure:
    height = max(2.6, 0.28 * len(labels) + 0.8) if horizontal else 3.2
    figure = new_figure(8.0, height)
    axes = figure.add_subplot()
    names = [label(x) for x in labels]
    with _quiet():
        if horizontal:
            positions = np.arange(len(names))[::-1]
            axes.barh(positions, values, color=PALETTE[0])
            axes.set_yticks(positions, names)
        else:
            axes.bar(names, values, color=PALETTE[0])
            if len(names) > 8:
                axes.tick_params(axis="x", labelrotation=45)
        _style(axes, title, xlabel, ylabel)
    return embed(figure, title, alt, caption)


def stacked_bars(categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str, alt: str, xlabel: str = "",
                 ylabel: str = "", caption: str = "") -> Figure:
    """One bar per category, stacked by series (e.g. communities stacked by role)."""
    figure = new_figure(8.0, 3.4)
    axes = figure.add_subplot()
    names = [label(c) for c in categories]
    bottom = np.zeros(len(names))
    with _quiet():
        for index, (name, values) in enumerate(series.items()):
            heights = np.asarray(values, dtype=float)
            axes.bar(names, heights, bottom=bottom, label=label(name), color=PALETTE[index % len(PALETTE)])
            bottom += heights
        if len(names) > 10:
            axes.tick_params(axis="x", labelrotation=45)
        axes.legend(fontsize=7, frameon=False, ncols=min(4, max(1, len(series))))
        _style(axes, title, xlabel, ylabel)
    return embed(figure, title, alt, caption)


def histogram(values: Sequence[float], title: str, alt: str, xlabel: str, bins: int | Sequence[float] = 30, log_y: bool = False,
              marker: float | None = None, marker_label: str = "", caption: str = "") -> Figure:
    figure = new_figure(8.0, 3.0)
    axes = figure.add_subplot()
    with _quiet():
        axes.hist(np.asarray(values, dtype=float), bins=bins, color=PALETTE[0], edgecolor="white", linewidth=0.5)
        if log_y:
            axes.set_yscale("log")
        if marker is not None:
            axes.axvline(marker, color=PALETTE[6], linestyle="--", linewidth=1.2, label=marker_label or None)
            if marker_label:
                axes.legend(fontsize=8, frameon=False)
        _style(axes, title, xlabel, "accounts")
    return embed(figure, title, alt, caption)


def timeline(days: Sequence, series: Mapping[str, Sequence[float]], title: str, alt: str, ylabel: str = "",
             bars: tuple[str, Sequence[float]] | None = None, caption: str = "") -> Figure:
    """Lines per series over dates; ``bars`` (name, values) on a second axis (e.g. suspensions)."""
    figure = new_figure(8.0, 3.2)
    axes = figure.add_subplot()
    with _quiet():
        if bars is not None:
            twin = axes.twinx()
            twin.bar(days, bars[1], color="#c44e5255", width=_bar_width(days), align="edge", label=label(bars[0]))
            twin.set_ylabel(label(bars[0]), fontsize=9)
            twin.tick_params(labelsize=8)
            axes.set_zorder(twin.get_zorder() + 1)
            axes.patch.set_visible(False)
        for index, (name, values) in enumerate(series.items()):
            axes.plot(days, values, label=label(name), color=PALETTE[index % len(PALETTE)], linewidth=1.4)
        handles, names = axes.get_legend_handles_labels()
        if bars is not None:
            more_handles, more_names = twin.get_legend_handles_labels()
            handles, names = handles + more_handles, names + more_names
        if handles:
            axes.legend(handles, names, fontsize=7, frameon=False, loc="upper left", ncols=min(4, len(handles)))
        figure.autofmt_xdate()
        _style(axes, title, "", ylabel)
    return embed(figure, title, alt, caption)


def _bar_width(days: Sequence) -> float:
    """Bars as wide as 90% of the closest spacing of the dates (matplotlib dates are in days)."""
    gaps = [(b - a).total_seconds() / 86400 for a, b in zip(days, days[1:]) if b > a]
    return 0.9 * min(gaps) if gaps else 0.9


def network_plot(edges: Sequence[tuple[str, str, float]], groups: Mapping[str, int], title: str, alt: str, caption: str = "",
                 seed: int = 7) -> Figure:
    """Accounts as dots coloured by community (largest communities get distinct colours, the
    rest grey), sized by degree, placed by a seeded Fruchterman-Reingold layout (the same data
    gives the same picture)."""
    import igraph as ig

    nodes = sorted(groups)
    index = {node: i for i, node in enumerate(nodes)}
    kept = [(index[a], index[b], w) for a, b, w in edges if a in index and b in index and a != b]
    graph = ig.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in kept])
    start = np.random.default_rng(seed).random((len(nodes), 2)).tolist()
    layout = np.asarray(graph.layout_fruchterman_reingold(seed=start, niter=500).coords) if nodes else np.zeros((0, 2))
    degree = np.asarray(graph.degree(), dtype=float) if nodes else np.zeros(0)
    sizes = 6 + 40 * np.sqrt(degree / max(degree.max(initial=1.0), 1.0))
    community_sizes: dict[int, int] = {}
    for community in groups.values():
        community_sizes[community] = community_sizes.get(community, 0) + 1
    ranked = sorted(community_sizes, key=lambda c: (-community_sizes[c], c))
    colour_of = {c: PALETTE[i] for i, c in enumerate(ranked[: len(PALETTE) - 1])}
    colours = [colour_of.get(groups[node], "#bbbbbb") for node in nodes]
    figure = new_figure(8.0, 6.0)
    axes = figure.add_subplot()
    with _quiet():
        if kept:
            from matplotlib.collections import LineCollection

            segments = [(layout[a], layout[b]) for a, b, _ in kept]
            axes.add_collection(LineCollection(segments, colors="#99999955", linewidths=0.4))
        if nodes:
            axes.scatter(layout[:, 0], layout[:, 1], s=sizes, c=colours, linewidths=0.3, edgecolors="white", zorder=2)
        axes.set_aspect("equal", adjustable="datalim")
        axes.set_axis_off()
        axes.set_title(label(title, 90), fontsize=10, loc="left")
        for rank, community in enumerate(ranked[: min(6, len(PALETTE) - 1)]):
            axes.scatter([], [], color=colour_of[community], label=f"community {community} ({community_sizes[community]})")
        if ranked:
            axes.legend(fontsize=7, frameon=False, loc="lower left", ncols=3)
    return embed(figure, title, alt, caption)


def flow_map(source: str, source_accounts: int, flows: Sequence[tuple[str, int, str]], title: str, alt: str, caption: str = "") -> Figure:
    """A migration map: the network on the left, each destination platform on the right, with a
    band as wide as the accounts pointing there (content stores drawn dashed: they host
    releases, not the network's accounts)."""
    figure = new_figure(8.0, max(3.0, 0.42 * len(flows) + 1.2))
    axes = figure.add_subplot()
    top = max((n for _, n, _ in flows), default=1) or 1
    count = max(len(flows), 1)
    with _quiet():
        axes.scatter([0], [0.5], s=900, color=PALETTE[0], zorder=3)
        axes.text(-0.04, 0.5, f"{label(source, 20)}\n{source_accounts:,} accounts", ha="right", va="center", fontsize=9)
        for position, (platform, accounts, kind) in enumerate(flows):
            y = 1.0 - (position + 0.5) / count
            width = 0.8 + 9.0 * accounts / top
            curve_x = np.linspace(0, 1, 40)
            curve_y = 0.5 + (y - 0.5) * (3 * curve_x**2 - 2 * curve_x**3)
            colour = PALETTE[(position + 1) % len(PALETTE)]
            axes.plot(curve_x, curve_y, linewidth=width, color=colour, alpha=0.55, solid_capstyle="butt",
                      linestyle="--" if kind == "content_store" else "-")
            axes.scatter([1], [y], s=60 + 240 * math.sqrt(accounts / top), color=colour, zorder=3)
            axes.text(1.04, y, f"{label(platform, 22)}  {accounts:,}" + ("  (content store)" if kind == "content_store" else ""),
                      va="center", fontsize=8)
        axes.set_xlim(-0.6, 1.8)
        axes.set_ylim(-0.05, 1.05)
        axes.set_axis_off()
        axes.set_title(label(title, 90), fontsize=10, loc="left")
    return embed(figure, title, alt, caption)
