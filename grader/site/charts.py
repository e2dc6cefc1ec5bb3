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


def hbars(rows: list[tuple[str, int]], caption_id: str) -> str:
    """Horizontal bars with the label on the left and the count at the end of each bar."""
    label_w = max((len(label) for label, _ in rows), default=4) * 7 + 12
    width, row_h = label_w + 260, 22
    height = row_h * len(rows) + 8
    top_count = max((c for _, c in rows), default=0) or 1
    parts = []
    for i, (label, count) in enumerate(rows):
        y = 4 + i * row_h
        w = 200 * count / top_count
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="{INK}">{_e(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{BAR}"/>')
        parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 15}" fill="{INK}">{count}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{_e(caption_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-size="12" '
        f'font-family="system-ui, sans-serif">{"".join(parts)}</svg>'
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
