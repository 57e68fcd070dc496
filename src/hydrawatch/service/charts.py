"""Small server-side SVG charts for the dashboard: no plotting script in the browser, and
nothing a Content-Security-Policy has to allow."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 180, 44, 22, 8


def bar_chart(series: list[tuple[str, int]], title: str) -> Markup:
    """Bars of ``(day, count)``, one per day in the series, with the largest count and the
    first and last day as labels (every bar has a tooltip with its day and count)."""
    if not series:
        return Markup('<p class="muted">no data</p>')
    top = max(n for _, n in series) or 1
    inner_w, inner_h = WIDTH - PAD_LEFT - 4, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / len(series)
    bar = max(step * 0.8, 0.5)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">']
    parts.append(f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP + inner_h}" x2="{WIDTH - 4}" y2="{PAD_TOP + inner_h}"/>')
    parts.append(f'<text class="tick" x="{PAD_LEFT - 6}" y="{PAD_TOP + 10}" text-anchor="end">{top:,}</text>')
    parts.append(f'<text class="tick" x="{PAD_LEFT - 6}" y="{PAD_TOP + inner_h}" text-anchor="end">0</text>')
    for i, (day, n) in enumerate(series):
        height = inner_h * n / top
        x = PAD_LEFT + i * step
        parts.append(f'<rect class="bar" x="{x:.2f}" y="{PAD_TOP + inner_h - height:.2f}" width="{bar:.2f}" height="{height:.2f}">'
                     f"<title>{escape(day)}: {n:,}</title></rect>")
    parts.append(f'<text class="tick" x="{PAD_LEFT}" y="{HEIGHT - 6}">{escape(series[0][0])}</text>')
    parts.append(f'<text class="tick" x="{WIDTH - 4}" y="{HEIGHT - 6}" text-anchor="end">{escape(series[-1][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
