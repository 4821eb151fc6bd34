"""Small inline SVG charts for the HTML report (pure; no scripts, no network).

Two shapes cover the report: grouped horizontal bars (a value per series for each label) and
lines over time (a value per series at each point). Every text is escaped; the SVG scales with
its container (``viewBox``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#2f6fb0", "#d9822b", "#3a9a5b", "#c23b3b", "#7b5ea7", "#8a8a8a", "#1b9aaa")
WIDTH = 760


def _fmt(v: float) -> str:
    if v == int(v):
        return f"{int(v):,}"
    return f"{v:,.3g}" if abs(v) < 1 else f"{v:,.1f}"


def _legend(names: Sequence[str], y: float) -> str:
    out, x = [], 10.0
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14:.0f}" y="{y:.0f}" font-size="11">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return "".join(out)


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[str],
    *,
    unit: str = "",
) -> str:
    """Grouped horizontal bars: for each (label, {series: value}), one bar per series."""
    if not rows:
        return ""
    label_w, bar_h, gap = 230, 12, 10
    group_h = bar_h * len(series) + gap
    height = 40 + group_h * len(rows) + 24
    top = max([v for _, values in rows for v in values.values()] + [0.0]) or 1.0
    span = WIDTH - label_w - 80
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="10" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    y = 32.0
    for label, values in rows:
        parts.append(
            f'<text x="{label_w - 6}" y="{y + group_h / 2:.0f}" font-size="11" '
            f'text-anchor="end">{escape(label[:36])}</text>'
        )
        for i, name in enumerate(series):
            v = float(values.get(name, 0) or 0)
            w = max(v / top * span, 0.0 if v == 0 else 1.0)
            color = PALETTE[i % len(PALETTE)]
            tip = f"{escape(label)} · {escape(name)}: {_fmt(v)}{escape(unit)}"
            parts.append(
                f'<rect x="{label_w}" y="{y:.0f}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{color}"><title>{tip}</title></rect>'
            )
            parts.append(
                f'<text x="{label_w + w + 4:.0f}" y="{y + bar_h - 3:.0f}" font-size="10">'
                f"{_fmt(v)}{escape(unit)}</text>"
            )
            y += bar_h
        y += gap
    parts.append(_legend(series, height - 8))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    points: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    unit: str = "",
) -> str:
    """Lines over labelled points (times); ``None`` leaves a gap."""
    if not points or not series:
        return ""
    height, left, right, top_pad, bottom = 260, 60, 20, 30, 50
    values = [v for vs in series.values() for v in vs if v is not None]
    top = max(values + [0.0]) or 1.0
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top_pad + plot_h - v / top * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="10" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{WIDTH - right}" y2="{top_pad + plot_h}" '
        'stroke="#999"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top_pad + 4}" font-size="10" text-anchor="end">'
        f"{_fmt(top)}{escape(unit)}</text>",
        f'<text x="{left - 4}" y="{top_pad + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    every = max(1, len(points) // 6)
    for i, label in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.0f}" y="{top_pad + plot_h + 14}" font-size="9" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for n, vs in enumerate(series.values()):
        color = PALETTE[n % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(xy(i, float(v)))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
                )
            for x, y in run:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>')
    parts.append(_legend(list(series), height - 8))
    parts.append("</svg>")
    return "".join(parts)
