"""Small, dependency-free SVG bar charts for the static catalogue page."""

from __future__ import annotations

from html import escape

COLOURS = {"contracted": "#1f5f99", "reported": "#e08a1e", "paid": "#2e8b57"}


def grouped_bar_chart(
    title: str, rows: list[tuple[str, dict[str, float]]], unit: str = "EUR", width: int = 760
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series (contracted/reported/paid)."""
    series = [s for s in COLOURS if any(s in values for _, values in rows)]
    bar_h, gap, label_w = 14, 12, 230
    height = 40 + len(rows) * (bar_h * len(series) + gap) + 30
    top = max([v for _, values in rows for v in values.values() if v is not None] or [1.0]) or 1.0
    plot_w = width - label_w - 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    y = 36
    for label, values in rows:
        parts.append(
            f'<text x="0" y="{y + bar_h * len(series) / 2 + 4}" font-size="12">{escape(label[:38])}</text>'
        )
        for name in series:
            value = values.get(name) or 0.0
            w = max(1.0, plot_w * value / top)
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{COLOURS[name]}">'
                f"<title>{escape(label)} {name}: {value:,.2f} {unit}</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="10">{value:,.0f}</text>'
            )
            y += bar_h
        y += gap
    x = 0
    for name in series:
        parts.append(
            f'<rect x="{x}" y="{height - 16}" width="12" height="12" fill="{COLOURS[name]}"/>'
            f'<text x="{x + 16}" y="{height - 6}" font-size="12">{name} ({unit})</text>'
        )
        x += 160
    parts.append("</svg>")
    return "\n".join(parts)
