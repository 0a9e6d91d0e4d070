"""Charts drawn on the server as inline SVG: readable without JavaScript, printable.

Each chart carries a ``<title>`` and an ``aria-label``, every bar and point its own
``<title>`` (a tooltip), and the dashboard shows the same figures in tables beside it.
Colours come from the admin's CSS variables, so dark mode works.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
COLOURS = ("#417690", "#d6873a", "#5b9a5b", "#b04a5a")  # the admin's blue, then contrasts
_FONT = 'font-family="inherit" font-size="11" fill="currentColor"'


def _svg(title: str, height: int, body: list[str]) -> SafeString:
    label = escape(title)
    return mark_safe(
        f'<svg class="tryon-chart" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} '
        f'{height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>{"".join(body)}</svg>'
    )


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2f}"


def horizontal_bars(title: str, rows: Sequence[tuple[str, float, str]]) -> SafeString:
    """One bar per ``(label, value, note)``, longest first as given (a funnel)."""
    label_width, bar_area, row_height = 190, WIDTH - 190 - 140, 24
    top = max((value for _, value, _ in rows), default=0) or 1
    body = []
    for index, (label, value, note) in enumerate(rows):
        y = 6 + index * row_height
        width = max(1.0, bar_area * value / top) if value else 0
        text = escape(f"{label}: {_number(value)} {note}".strip())
        body.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" {_FONT}>'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row_height - 8}" '
            f'fill="{COLOURS[0]}"><title>{text}</title></rect>'
            f'<text x="{label_width + width + 6:.1f}" y="{y + 15}" {_FONT}>'
            f"{escape(_number(value))} {escape(note)}</text>"
        )
    return _svg(title, 12 + len(rows) * row_height, body)


def daily_lines(
    title: str, days: Sequence[date], series: Sequence[tuple[str, Sequence[float]]]
) -> SafeString:
    """A line per named series over ``days``, with a y axis and a legend."""
    peak = _nice_max(max((max(values, default=0) for _, values in series), default=0))
    left = 16 + 7 * len(_number(peak))
    right, top, bottom, height = 12, 26, 24, 220
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    step = plot_w / max(1, len(days) - 1)
    body = [_legend(name for name, _ in series)]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>'
            f"{escape(_number(peak * fraction))}</text>"
        )
    if days:
        for index in sorted({0, len(days) // 2, len(days) - 1}):
            x = left + index * step
            body.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{_anchor(index, len(days))}" '
                f"{_FONT}>{days[index]:%b %d}</text>"
            )
    for number, (name, values) in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        points = [
            (left + i * step, top + plot_h * (1 - value / peak)) for i, value in enumerate(values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), day, value in zip(points, days, values, strict=False):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(f'{day:%Y-%m-%d} {name}: {_number(value)}')}</title></circle>"
            )
    return _svg(title, height, body)


def daily_bars(
    title: str, days: Sequence[date], values: Sequence[float], limit: float | None = None
) -> SafeString:
    """A bar per day, and the daily cap as a dashed line when it is near enough to show."""
    highest = max(values, default=0)
    cap_in_view = limit is not None and 0 < limit <= max(highest, 1) * 1.5
    peak = _nice_max(max(highest, limit if cap_in_view and limit else 0))
    left = 16 + 7 * len(_number(peak))
    right, top, bottom, height = 12, 14, 24, 180
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    slot = plot_w / max(1, len(days))
    body = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>'
            f"{escape(_number(peak * fraction))}</text>"
        )
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        bar_h = plot_h * value / peak
        x = left + index * slot + slot * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_h:.1f}" fill="{COLOURS[0]}">'
            f"<title>{escape(f'{day:%Y-%m-%d}: {_number(value)}')}</title></rect>"
        )
    if days:
        for index in sorted({0, len(days) // 2, len(days) - 1}):
            x = left + (index + 0.5) * slot
            body.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{_anchor(index, len(days))}" '
                f"{_FONT}>{days[index]:%b %d}</text>"
            )
    if limit and cap_in_view:
        y = top + plot_h * (1 - limit / peak)
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{COLOURS[3]}" stroke-dasharray="6 4"><title>'
            f"{escape(f'Daily cap: {_number(limit)}')}</title></line>"
            f'<text x="{WIDTH - right}" y="{y - 4:.1f}" text-anchor="end" {_FONT}>'
            f"{escape(f'cap {_number(limit)}')}</text>"
        )
    elif limit:
        body.append(
            f'<text x="{WIDTH - right}" y="{top - 2}" text-anchor="end" {_FONT}>'
            f"{escape(f'daily cap {_number(limit)}: far above')}</text>"
        )
    return _svg(title, height, body)


def intervals(title: str, rows: Sequence[tuple[str, float, float, float, str]]) -> SafeString:
    """Estimates with their 95% intervals around a zero line: ``(label, est, low, high,
    text)``. Each row is scaled on its own (the rows have different units)."""
    label_width, row_height = 280, 38
    plot_left, plot_right = label_width + 10, WIDTH - 20
    centre = (plot_left + plot_right) / 2
    half = (plot_right - plot_left) / 2
    body = [
        f'<line x1="{centre}" x2="{centre}" y1="4" y2="{8 + len(rows) * row_height}" '
        f'stroke="currentColor" stroke-opacity="0.4"/>'
    ]
    for index, (label, estimate, low, high, text) in enumerate(rows):
        y = 20 + index * row_height
        scale = half / (max(abs(low), abs(high), abs(estimate)) * 1.1 or 1)
        x_low, x_high = centre + low * scale, centre + high * scale
        x_est = centre + estimate * scale
        colour = COLOURS[2] if low > 0 else COLOURS[3] if high < 0 else COLOURS[0]
        body.append(
            f'<text x="{label_width}" y="{y + 4}" text-anchor="end" {_FONT}>{escape(label)}</text>'
            f'<line x1="{x_low:.1f}" x2="{x_high:.1f}" y1="{y}" y2="{y}" stroke="{colour}" '
            f'stroke-width="3"/><circle cx="{x_est:.1f}" cy="{y}" r="5" fill="{colour}">'
            f"<title>{escape(text)}</title></circle>"
            f'<text x="{label_width}" y="{y + 18}" text-anchor="end" {_FONT} '
            f'fill-opacity="0.75">{escape(text)}</text>'
        )
    return _svg(title, 14 + len(rows) * row_height, body)


def _anchor(index: int, count: int) -> str:
    """Day labels at the ends of the axis stay inside the picture."""
    return "start" if index == 0 else "end" if index == count - 1 else "middle"


def _legend(names: Iterable[str]) -> str:
    parts, x = [], 48
    for number, name in enumerate(names):
        colour = COLOURS[number % len(COLOURS)]
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="4" fill="{colour}"/>'
            f'<text x="{x + 16}" y="12" {_FONT}>{escape(name)}</text>'
        )
        x += 24 + 7 * len(str(name))
    return "".join(parts)
