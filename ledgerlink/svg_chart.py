"""Small SVG charts for ``ledgerlink report --format svg``: horizontal bars (ageing buckets,
utilisation per debtor) and grouped columns (DSO per month). Plain SVG 1.1, no script, no
external fonts or styles, so a browser or an image viewer shows it as it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

__all__ = ["bar_chart", "column_chart"]

WIDTH = 760
PALETTE = ("#2f6f9f", "#e08a2e", "#4c9a5a", "#b0413e", "#7a5ea8")
_FONT = 'font-family="sans-serif" font-size="12"'


def _number(value: Decimal) -> str:
    return f"{value:,}"


def _frame(title: str, height: int, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label={quoteattr(title)}>'
    )
    parts = [head, f"<title>{escape(title)}</title>"]
    parts.append(f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>')
    parts.append(
        f'<text x="12" y="22" font-family="sans-serif" font-size="15" font-weight="bold">'
        f"{escape(title)}</text>"
    )
    return "\n".join([*parts, *body, "</svg>"]) + "\n"


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, Decimal]],
    *,
    unit: str = "",
    limit: Decimal | None = None,
    highlight: Mapping[str, str] | None = None,
) -> str:
    """One horizontal bar per ``(label, value)``, scaled to the largest value (or to
    ``limit``, drawn as a dashed line, when larger). ``highlight`` maps a label to a colour
    (an over-limit debtor in red). Negative values draw no bar; their number still shows."""
    row, top, label_width, value_width = 24, 40, 230, 120
    span = WIDTH - label_width - value_width - 24
    largest = max([value for _, value in bars if value > 0] + [limit or Decimal(0)], default=0)
    scale = Decimal(span) / largest if largest else Decimal(0)
    body = []
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        width = int(max(value, Decimal(0)) * scale)
        colour = (highlight or {}).get(label, PALETTE[0])
        body.append(
            f'<text x="12" y="{y + 16}" {_FONT}>{escape(label[:34])}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{width}" height="{row - 8}" '
            f'fill="{colour}"><title>{escape(f"{label}: {_number(value)}{unit}")}</title></rect>'
            f'<text x="{label_width + width + 6}" y="{y + 16}" {_FONT}>'
            f"{escape(_number(value) + unit)}</text>"
        )
    height = top + max(len(bars), 1) * row + 16
    if limit is not None and largest:
        x = label_width + int(limit * scale)
        body.append(
            f'<line x1="{x}" y1="{top}" x2="{x}" y2="{height - 12}" stroke="#b0413e" '
            f'stroke-dasharray="4 3"/>'
        )
    if not bars:
        body.append(f'<text x="12" y="{top + 16}" {_FONT}>nothing to show</text>')
    return _frame(title, height, body)


def column_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Decimal | None]],
    *,
    unit: str = "",
) -> str:
    """Grouped columns: for each label (a month) one column per series (``None``: no column),
    with a legend; scaled to the largest value."""
    top, bottom, left = 56, 40, 56
    plot = 220
    names = list(series)
    values = [v for column in series.values() for v in column if v is not None and v > 0]
    largest = max(values, default=Decimal(0))
    scale = Decimal(plot) / largest if largest else Decimal(0)
    group = (WIDTH - left - 16) // max(len(labels), 1)
    width = max((group - 8) // max(len(names), 1), 2)
    body = []
    for k, name in enumerate(names):
        x = left + k * 150
        body.append(
            f'<rect x="{x}" y="32" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="41" {_FONT}>{escape(name)}</text>'
        )
    base = top + plot
    body.append(f'<line x1="{left}" y1="{base}" x2="{WIDTH - 12}" y2="{base}" stroke="#555"/>')
    for i, label in enumerate(labels):
        x0 = left + i * group + 4
        for k, name in enumerate(names):
            value = series[name][i]
            if value is None:
                continue
            height = int(max(value, Decimal(0)) * scale)
            body.append(
                f'<rect class="bar" x="{x0 + k * width}" y="{base - height}" width="{width - 1}" '
                f'height="{height}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{escape(f'{label} {name}: {_number(value)}{unit}')}</title></rect>"
            )
        body.append(
            f'<text x="{x0 + group // 2 - 4}" y="{base + 16}" {_FONT} text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return _frame(title, top + plot + bottom, body)
