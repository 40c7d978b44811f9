"""Server-rendered SVG charts: no JavaScript library, readable on a phone, accessible.

Each chart is an inline ``<svg role="img">`` with a title and a description that states every
value, so a screen reader (and a page without styles) gets the numbers, not just the shapes.
Horizontal bars are used for categories because long Indonesian organisation names fit on a
phone that way. Colours come from the stylesheet (classes), never inline styles.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

ROW = 40  # px per bar row: the label on one line, the bar under it
WIDTH = 360  # close to a phone's width, so 13px text stays readable when scaled
BAR_WIDTH = 300


def _num(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _clip(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    chart_id: str,
    unit: str = "",
    alt: bool = False,
) -> Markup:
    """One row per (label, value): the label above its bar, the value after the bar."""
    if not items:
        return Markup('<p class="muted">{}</p>').format(f"{title}: belum ada data.")
    top = max((v for _, v in items), default=0) or 1
    height = ROW * len(items) + 4
    described = "; ".join(f"{label}: {_num(value)}{unit}" for label, value in items)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(described)}</desc>',
    ]
    for index, (label, value) in enumerate(items):
        y = index * ROW
        length = 0 if value <= 0 else max(2.0, value / top * BAR_WIDTH)
        parts.append(f'<text x="0" y="{y + 14}">{escape(_clip(label, 52))}</text>')
        parts.append(
            f'<rect class="bar{" alt" if alt else ""}" x="0" y="{y + 19}" '
            f'width="{length:.1f}" height="14" rx="2"/>'
        )
        parts.append(
            f'<text class="value" x="{length + 5:.1f}" y="{y + 31}">'
            f"{escape(_num(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(
    values: Sequence[float],
    *,
    edges: Sequence[int],
    title: str,
    chart_id: str,
) -> Markup:
    """Counts of values per bin [edges[i], edges[i+1]); the last bin includes its upper edge."""
    bins: list[tuple[str, float]] = []
    for i in range(len(edges) - 1):
        low, high = edges[i], edges[i + 1]
        last = i == len(edges) - 2
        count = sum(1 for v in values if low <= v < high or (last and v == high))
        bins.append((f"{low}–{high if last else high - 1}", count))
    return bar_chart(bins, title=title, chart_id=chart_id, alt=True)


def gauge(
    value: float,
    maximum: float,
    *,
    title: str,
    chart_id: str,
    bands: Sequence[tuple[str, float, float]] = (),
) -> Markup:
    """A horizontal scale 0..maximum with the value marked and the bands named under it."""
    width, height, left, span = WIDTH, 70, 4, WIDTH - 12
    share = 0 if maximum <= 0 else min(max(value / maximum, 0), 1)
    described = f"{_num(value)} dari {_num(maximum)}" + "".join(
        f"; {name} {_num(low)}–{_num(high)}" for name, low, high in bands
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(described)}</desc>',
        f'<rect class="gauge-track" x="{left}" y="10" width="{span}" height="18" rx="4"/>',
        f'<rect class="gauge-fill" x="{left}" y="10" width="{span * share:.1f}" height="18" '
        'rx="4"/>',
    ]
    for _name, low, _high in bands:
        if maximum <= 0 or low < 1:
            continue
        x = left + span * min(low / maximum, 1)
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="32"/>')
        parts.append(f'<text x="{x:.1f}" y="46" text-anchor="middle">{escape(_num(low))}</text>')
    parts.append(
        f'<text class="value" x="{left}" y="64">{escape(_num(value))} / {escape(_num(maximum))}'
        "</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))
