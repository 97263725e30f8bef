"""Text artifacts (strings) drawn as cards with the text at the largest size that fits."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap, QTextLayout, QTextOption

CARD_COLOUR = QColor(38, 40, 44)
BORDER_COLOUR = QColor(70, 73, 80)
INK_COLOUR = QColor(232, 229, 222)
EMPTY_INK_COLOUR = QColor(130, 132, 138)
MAX_TEXT_PX = 30  # a large preview reads like a page, not a poster


def _layout(text: str, font: QFont, width: float) -> tuple[QTextLayout, float]:
    """Wrapped layout of ``text`` and its height.

    Breaks at word boundaries, or anywhere when a word (or a CJK run with no
    spaces) is wider than the card.
    """
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    height = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0.0, height))
        height += line.height()
    layout.endLayout()
    return layout, height


def _fitting_layout(text: str, box: QRectF, max_px: int, min_px: int) -> tuple[QTextLayout, float]:
    """The layout at the largest pixel size (binary search) whose wrapped text fits ``box``."""
    font = QFont()
    best = None
    lo, hi = min_px, max(min_px, max_px)
    while lo <= hi:
        mid = (lo + hi) // 2
        font.setPixelSize(mid)
        layout, height = _layout(text, font, box.width())
        if height <= box.height():
            best = (layout, height)
            lo = mid + 1
        else:
            hi = mid - 1
    if best is None:  # does not fit even at the smallest size: show the top and clip the rest
        font.setPixelSize(min_px)
        best = _layout(text, font, box.width())
    return best


class TextView:
    """A dark card with light, word-wrapped text, centred vertically.

    ``textual``: the caption is the artifact itself, so lists too small for
    a readable card (the dataset strip) show the words instead.
    """

    textual = True

    def pixmap(self, artifact: Any, size: int) -> QPixmap:
        text = "" if artifact is None else str(artifact).strip()
        size = max(8, size)
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = max(2.0, size * 0.05)
        painter.setPen(BORDER_COLOUR)
        painter.setBrush(CARD_COLOUR)
        painter.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), radius, radius)
        margin = max(3.0, size * 0.08)
        box = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
        painter.setPen(INK_COLOUR if text else EMPTY_INK_COLOUR)
        max_px = int(min(MAX_TEXT_PX, max(6, size // 7)))
        layout, height = _fitting_layout(text or "(empty)", box, max_px=max_px, min_px=6)
        top = box.top() + max(0.0, (box.height() - height) / 2)
        painter.setClipRect(box)
        layout.draw(painter, QPointF(box.left(), top))
        painter.end()
        return pix

    def caption(self, artifact: Any) -> str:
        text = "" if artifact is None else str(artifact)
        return text if len(text) <= 300 else text[:299] + "…"


VIEW = TextView()
