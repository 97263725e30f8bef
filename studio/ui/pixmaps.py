"""Arrays to pixmaps, and the placeholder drawn for an artifact that cannot be shown: what every view reuses."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap


def placeholder_pixmap(size: int, text: str = "?") -> QPixmap:
    """Drawn instead of an artifact that cannot be shown, so a bad sample never breaks a grid."""
    pix = QPixmap(max(1, size), max(1, size))
    pix.fill(QColor(60, 60, 64))
    painter = QPainter(pix)
    painter.setPen(QColor(170, 170, 176))
    painter.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
    painter.end()
    return pix


def _as_rgb_uint8(image: Any) -> np.ndarray | None:
    """H×W×3 uint8 from the shapes and dtypes a generator or codec may hand over, or None."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] == 0 or arr.shape[1] == 0:
        return None
    arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.number):
            return None
        arr = np.nan_to_num(arr.astype(np.float32))
        if arr.max(initial=0.0) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr)


def rgb_pixmap(image: Any, size: int) -> QPixmap:
    """An RGB array scaled to fit ``size`` × ``size``.

    Tiny generated images are enlarged with nearest-neighbour to a whole
    multiple and then smoothed down to the target, so pixels stay crisp and
    evenly sized instead of turning into blur.
    """
    arr = _as_rgb_uint8(image)
    if arr is None:
        return placeholder_pixmap(size, "cannot\nshow")
    h, w = arr.shape[:2]
    qimage = QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    factor = size / max(h, w)
    target_w, target_h = max(1, round(w * factor)), max(1, round(h * factor))
    if factor >= 2:
        whole = math.ceil(factor)
        qimage = qimage.scaled(w * whole, h * whole, Qt.AspectRatioMode.IgnoreAspectRatio,
                               Qt.TransformationMode.FastTransformation)
    if (qimage.width(), qimage.height()) != (target_w, target_h):
        qimage = qimage.scaled(target_w, target_h, Qt.AspectRatioMode.IgnoreAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
    return QPixmap.fromImage(qimage)
