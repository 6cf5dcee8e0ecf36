"""Server-rendered SVG bar charts: no script, no CDN, nothing the CSP has to allow.

Each series gets a colour *and* a fill pattern (solid, stripes, dots, cross-hatch…), the legend names both, and
every bar carries a ``<title>`` with its numbers, so the chart reads without colour; the page also shows the
same numbers as a table.
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

COLOURS = ["#0d6efd", "#dc3545", "#198754", "#997404", "#6f42c1", "#fd7e14", "#20c997", "#6c757d", "#58151c"]
SEVERITY_COLOURS = {"Baja": "#198754", "Media": "#997404", "Alta": "#dc3545", "Crítica": "#58151c"}
PATTERNS = [
    "",  # solid
    '<path d="M0,6 L6,0" stroke="#fff" stroke-width="1.5"/>',
    '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
    '<path d="M0,0 L6,6 M6,0 L0,6" stroke="#fff" stroke-width="1"/>',
    '<path d="M0,3 L6,3" stroke="#fff" stroke-width="1.5"/>',
    '<path d="M3,0 L3,6" stroke="#fff" stroke-width="1.5"/>',
]
PATTERN_NAMES = ["solid", "stripes", "dots", "cross-hatch", "horizontal lines", "vertical lines"]


def stacked_bars(chart_id: str, title: str, columns: list[str], series: list[str], values: dict[tuple[str, str], int],
                 labels: dict[str, str] | None = None, colours: dict[str, str] | None = None,
                 width: int = 720, height: int = 220) -> Markup:
    """``values[(column, series)]`` = count; columns left to right (days, weeks), series stacked bottom up."""
    labels = labels or {}
    pad_l, pad_b, pad_t = 36, 34, 10
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    totals = [sum(values.get((c, s), 0) for s in series) for c in columns]
    top = max(totals + [1])
    bar_w = max(2.0, plot_w / max(1, len(columns)) * 0.75)
    step = plot_w / max(1, len(columns))
    defs, legend, bars = [], [], []
    for i, s in enumerate(series):
        colour = (colours or {}).get(s) or COLOURS[i % len(COLOURS)]
        pattern = PATTERNS[i % len(PATTERNS)]
        defs.append(f'<pattern id="{chart_id}-p{i}" width="6" height="6" patternUnits="userSpaceOnUse">'
                    f'<rect width="6" height="6" fill="{colour}"/>{pattern}</pattern>')
        name = escape(labels.get(s, s))
        legend.append(f'<span class="me-3 text-nowrap"><svg width="14" height="14" aria-hidden="true">'
                      f'<rect width="14" height="14" fill="url(#{chart_id}-p{i})" stroke="#333" stroke-width="0.5"/>'
                      f'</svg> {name} <span class="text-muted">({PATTERN_NAMES[i % len(PATTERN_NAMES)]})</span></span>')
    for x_i, c in enumerate(columns):
        x = pad_l + x_i * step + (step - bar_w) / 2
        y = pad_t + plot_h
        for i, s in enumerate(series):
            n = values.get((c, s), 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                        f'fill="url(#{chart_id}-p{i})" stroke="#fff" stroke-width="0.5">'
                        f'<title>{escape(c)} · {escape(labels.get(s, s))}: {n}</title></rect>')
        if totals[x_i]:
            bars.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 2:.1f}" font-size="9" text-anchor="middle">'
                        f'{totals[x_i]}</text>')
        every = max(1, len(columns) // 10)
        if x_i % every == 0:
            bars.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - pad_b + 14}" font-size="9" text-anchor="middle">'
                        f'{escape(c[5:] if len(c) == 10 else c)}</text>')
    axis = (f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 8}" y2="{pad_t + plot_h}" stroke="#666"/>'
            f'<text x="{pad_l - 4}" y="{pad_t + 8}" font-size="9" text-anchor="end">{top}</text>'
            f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" font-size="9" text-anchor="end">0</text>')
    empty = '' if columns else (f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12" '
                                f'fill="#666">—</text>')
    svg = (f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
           f'<defs>{"".join(defs)}</defs>{axis}{"".join(bars)}{empty}</svg>')
    return Markup(f'<figure class="mb-1">{svg}<figcaption class="small">{"".join(legend)}</figcaption></figure>')


def series_table(rows: list[dict[str, Any]], col_key: str, series_key: str) -> tuple[list[str], list[str],
                                                                                      dict[tuple[str, str], int]]:
    """Rows like ``{"day": …, "severity": …, "count": …}`` → columns, series and the value map."""
    columns = sorted({r[col_key] for r in rows})
    series = sorted({r[series_key] for r in rows})
    return columns, series, {(r[col_key], r[series_key]): r["count"] for r in rows}
