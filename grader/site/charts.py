"""The dashboard's charts as inline SVG strings: every bar carries its count in words, every text is escaped."""

from __future__ import annotations

import html

INK, MUTED, BAR, GRID, FULL = "#1f2328", "#6e7781", "#4a6fa5", "#d0d7de", "#1d6b3a"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def histogram(bins: list[tuple[str, int]], caption_id: str, full_last: bool = True) -> str:
    """Vertical bars, one per bin, the count written above each bar; the full-marks bin is patterned."""
    width, height, left, bottom, top = max(220, 34 * len(bins) + 40), 150, 30, 34, 18
    top_count = max((c for _, c in bins), default=0) or 1
    slot = (width - left - 10) / max(1, len(bins))
    parts = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 6}" y2="{height - bottom}" stroke="{GRID}"/>']
    for i, (label, count) in enumerate(bins):
        h = (height - bottom - top) * count / top_count
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        full = full_last and i == len(bins) - 1
        fill = f"url(#{_e(caption_id)}-full)" if full else BAR
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{fill}" stroke="{FULL if full else BAR}"><title>{_e(label)}: {count}</title></rect>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{height - bottom - h - 4:.1f}" text-anchor="middle" '
            f'fill="{INK}">{count}</text>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{height - bottom + 14:.1f}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="10">{_e(label)}</text>'
        )
    defs = (
        f'<defs><pattern id="{_e(caption_id)}-full" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#cfe8d7"/>'
        f'<line x1="0" y1="0" x2="0" y2="5" stroke="{FULL}" stroke-width="2"/></pattern></defs>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{_e(caption_id)}" '
        f'viewBox="0 0 {width:.0f} {height}" width="{width:.0f}" height="{height}" font-size="11" '
        f'font-family="system-ui, sans-serif">{defs}{"".join(parts)}</svg>'
    )


def score_bins(fractions: list[float]) -> list[tuple[str, int]]:
    """Scores as shares of the maximum in tenths ("30+": 30% to under 40%); the last bin is exactly 100%."""
    labels = [f"{10 * i}+" for i in range(10)] + ["100"]
    counts = [0] * 11
    for f in fractions:
        if f >= 1 - 1e-9:
            counts[10] += 1
        else:
            counts[min(9, max(0, int(f * 10 + 1e-9)))] += 1
    return list(zip(labels, counts))


def sparkline(bins: list[tuple[str, int]], label: str) -> str:
    """A row-sized histogram (11 bars, 0–100 %) for the items table; its label gives every count in words."""
    width, height, bar = 11 * 7, 22, 5
    top_count = max((c for _, c in bins), default=0) or 1
    parts = [f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" stroke="{GRID}"/>']
    for i, (_, count) in enumerate(bins):
        h = max(1.0 if count else 0.0, (height - 2) * count / top_count)
        fill = FULL if i == len(bins) - 1 else BAR
        parts.append(f'<rect x="{i * 7 + 1}" y="{height - 1 - h:.1f}" width="{bar}" height="{h:.1f}" fill="{fill}"/>')
    words = ", ".join(f"{name}%: {count}" for name, count in bins)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" role="img" aria-label="{_e(label)} ({_e(words)})" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">{"".join(parts)}</svg>'
    )
