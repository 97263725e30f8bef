"""Layout rows the panels share."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


def slider_row(title: str, slider: QSlider, value: QWidget, *after: QWidget) -> QHBoxLayout:
    """``title  [slider————]  value  after…``: the title explains itself with the slider's tooltip."""
    row = QHBoxLayout()
    row.setSpacing(8)
    label = QLabel(title)
    label.setToolTip(slider.toolTip())
    row.addWidget(label)
    row.addWidget(slider, 1)
    row.addWidget(value)
    for widget in after:
        row.addWidget(widget)
    return row
