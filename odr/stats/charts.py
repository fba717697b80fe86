"""Server-side SVG charts: geometry computed here, markup in templates/stats/_*.svg.html.

No chart library and no script: the figures are drawn as plain SVG rectangles, so the
dashboard works under the strict CSP and prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 44, 28, 12


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str
    label: str


def _nice_max(value: int) -> int:
    """Round the axis maximum up to 1, 2 or 5 × a power of ten."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def trend_chart(rows: list[dict[str, Any]], series: tuple[str, ...] = ("received", "settled")) -> dict[str, Any]:
    """Grouped bars per month for ``series``; returns what the template draws."""
    top = _nice_max(max((r[s] for r in rows for s in series), default=0))
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(len(rows), 1)
    bar_w = max(min(slot * 0.8 / len(series), 28), 1)
    bars: list[Bar] = []
    labels: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        x0 = PAD_LEFT + i * slot + (slot - bar_w * len(series)) / 2
        for j, name in enumerate(series):
            h = plot_h * row[name] / top
            bars.append(Bar(x0 + j * bar_w, PAD_TOP + plot_h - h, bar_w, h, row[name], name, row["month"]))
        labels.append({"x": PAD_LEFT + i * slot + slot / 2, "text": row["month"]})
    ticks = [{"y": PAD_TOP + plot_h - plot_h * k / 4, "value": top * k // 4} for k in range(5)]
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "labels": labels, "ticks": ticks,
            "series": series, "baseline": PAD_TOP + plot_h, "left": PAD_LEFT,
            "label_every": max(1, len(rows) // 12)}


def share_bars(items: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Horizontal bars as percentages of the largest value (for the source breakdown)."""
    top = max((v for _, v in items), default=0) or 1
    return [{"label": label, "value": v, "pct": round(100 * v / top, 1)} for label, v in items]
