"""Choosing a folder, importing it off the GUI thread, and showing what came in and what was left out.

The import report matters as much as the corpus: an artist whose 5 files
were skipped must see which ones and why, and be able to copy that list.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QMimeData, QSize, Qt, QThread, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QListWidget, QListWidgetItem, QProgressBar, QPushButton, QSizePolicy, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from studio.ui.media import ArtifactView
from studio.workers.background import readable_error

PREVIEW_COUNT = 24
THUMB_PX = 52
PROGRESS_INTERVAL_S = 0.05


def folder_from_mime(mime: QMimeData) -> str | None:
    """The folder a drag carries: a dropped folder, or the folder of a dropped file."""
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.is_dir():
                return str(path)
            if path.is_file():
                return str(path.parent)
    return None


class ImportThread(QThread):
    """Imports one folder with the domain's importer and picks a few items to preview."""

    progressed = Signal(int, int, str)
    imported = Signal(object, list)  # corpus, preview artifacts
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, domain_name: str, folder: str, options: dict[str, Any]) -> None:
        super().__init__()
        self.domain_name = domain_name
        self.folder = folder
        self.options = dict(options)
        self._cancel = False
        self._last_progress = 0.0

    def cancel(self) -> None:
        self._cancel = True

    def _progress(self, done: int, total: int, current: str) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.progressed.emit(int(done), int(total), str(current))

    def run(self) -> None:
        from studio.domains import get_domain

        try:
            domain = get_domain(self.domain_name)
            corpus = domain.import_folder(self.folder, self.options, progress=self._progress,
                                          cancel=lambda: self._cancel)
        except Exception as exc:  # the domain's own errors (no folder, cancelled...) become a message
            if self._cancel:
                self.cancelled.emit()
            else:
                self.failed.emit(readable_error(exc))
            return
        try:
            rows = corpus.data[preview_indices(int(corpus.data.shape[0]), PREVIEW_COUNT)]
            previews = domain.preview_items(rows.numpy(), corpus.meta) if len(rows) else []
        except Exception:  # thumbnails are a courtesy: an import that worked is never failed for them
            previews = []
        self.imported.emit(corpus, previews)


def preview_indices(items: int, count: int) -> list[int]:
    """``count`` rows spread evenly over the corpus (the first, the last, and between)."""
    if items <= 0 or count <= 0:
        return []
    if items <= count:
        return list(range(items))
    return sorted({int(round(i)) for i in np.linspace(0, items - 1, count)})


class PathLabel(QLabel):
    """One line: a long path is elided in the middle (its ends say the most); the tooltip holds it whole."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self._path = ""
        self.setMinimumWidth(40)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_path(self, path: str) -> None:
        self._path = path
        self.setToolTip(path)
        self._elide()

    def path(self) -> str:
        return self._path

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        if self._path:
            self.setText(self.fontMetrics().elidedText(self._path, Qt.TextElideMode.ElideMiddle, self.width()))


class SkippedTable(QTableWidget):
    """File name and reason per skipped file; the full path is the tooltip; Ctrl+C copies the selection."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["File", "Reason"])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        QShortcut(QKeySequence.StandardKey.Copy, self, activated=self.copy_selection,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def sizeHint(self) -> QSize:
        # small, so the left column's preferred height fits a 900 px window; extra room still goes here
        return QSize(240, 96)

    def set_skipped(self, skipped: list) -> None:
        self.setRowCount(len(skipped))
        for row, item in enumerate(skipped):
            name = QTableWidgetItem(Path(item.path).name or item.path)
            name.setToolTip(item.path)
            reason = QTableWidgetItem(item.reason)
            reason.setToolTip(f"{item.path}\n{item.reason}")
            self.setItem(row, 0, name)
            self.setItem(row, 1, reason)
        self.resizeColumnToContents(0)
        self.setColumnWidth(0, min(self.columnWidth(0), 160))

    def as_text(self, rows: list[int] | None = None) -> str:
        """Tab-separated full path and reason, one file per line (pastes into a spreadsheet)."""
        rows = range(self.rowCount()) if rows is None else rows
        return "\n".join(f"{self.item(r, 0).toolTip()}\t{self.item(r, 1).text()}" for r in rows)

    def copy_selection(self) -> None:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        QGuiApplication.clipboard().setText(self.as_text(rows or None))


class DatasetPanel(QGroupBox):
    """Folder chooser, import progress with cancel, counts, thumbnails and the skipped-files report."""

    corpusReady = Signal(object, str)
    importStarted = Signal(str)
    importFailed = Signal(str)
    demoRequested = Signal()

    def __init__(self, domain_name: str, view: ArtifactView | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Dataset", parent)
        self.domain_name = domain_name
        self._options: dict[str, Any] = {}
        self._folder: str | None = None
        self._corpus: Any = None
        self._thread: ImportThread | None = None
        self._pending: str | None = None
        self._view = view  # None: no thumbnails
        self.setAcceptDrops(True)

        self.choose_button = QPushButton("Choose folder…")
        self.choose_button.setToolTip("Pick a folder of your own work (or drop one on the window)")
        self.choose_button.clicked.connect(self.choose_folder)
        self.demo_button = QPushButton("Demo data")
        self.demo_button.setToolTip("Use the small built-in demo collection, to try training at once")
        self.demo_button.clicked.connect(self.demoRequested)
        self.path_label = PathLabel("No folder yet: choose one or drop it here")
        self.path_label.setObjectName("pathLabel")

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop importing this folder")
        self.cancel_button.clicked.connect(self.cancel_import)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setObjectName("summaryLabel")
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setVisible(False)

        self.thumbnails = QListWidget()
        self.thumbnails.setViewMode(QListWidget.ViewMode.IconMode)
        self.thumbnails.setFlow(QListWidget.Flow.LeftToRight)
        self.thumbnails.setWrapping(False)
        self.thumbnails.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.thumbnails.setMovement(QListWidget.Movement.Static)
        self.thumbnails.setSpacing(2)
        self.thumbnails.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.thumbnails.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.thumbnails.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.thumbnails.setFixedHeight(THUMB_PX + 26)  # one strip of thumbnails and its scroll bar
        self.thumbnails.setToolTip("A few items of the imported corpus, as the nets will see them")

        self.skipped_title = QLabel("Skipped files")
        self.skipped_title.setObjectName("sectionLabel")
        self.skipped = SkippedTable()
        self.skipped.setMinimumHeight(72)
        self.skipped.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.copy_button = QPushButton("Copy report")
        self.copy_button.setToolTip("Copy the skipped files and their reasons (paste into a text file or a sheet)")
        self.copy_button.clicked.connect(self.copy_report)

        buttons = QHBoxLayout()
        buttons.addWidget(self.choose_button, 1)
        buttons.addWidget(self.demo_button)
        self.progress_row = QWidget()
        progress_row = QHBoxLayout(self.progress_row)
        progress_row.setContentsMargins(0, 0, 0, 0)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        skipped_head = QHBoxLayout()
        skipped_head.addWidget(self.skipped_title)
        skipped_head.addStretch(1)
        skipped_head.addWidget(self.copy_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.path_label)
        layout.addWidget(self.progress_row)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.thumbnails)
        layout.addLayout(skipped_head)
        layout.addWidget(self.skipped, 1)
        self._show_state(importing=False)
        self._show_report(None)

    # ----------------------------------------------------------------- public API
    def folder(self) -> str | None:
        return self._folder

    def corpus(self) -> Any:
        return self._corpus

    def is_importing(self) -> bool:
        return self._thread is not None

    def set_import_options(self, options: dict[str, Any]) -> None:
        """The preset's import options; a folder already open is imported again when they change."""
        options = dict(options)
        if options == self._options:
            return
        self._options = options
        if self._folder and (self._corpus is not None or self._thread is not None):
            self.open_folder(self._folder)

    def choose_folder(self) -> None:
        start = self._folder or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder to learn from", start)
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str | Path) -> None:
        """Imports ``folder`` on a worker thread; an import already running is cancelled first."""
        folder = str(folder)
        if self._thread is not None:
            self._pending = folder
            self._thread.cancel()
            return
        self._folder = folder
        self._corpus = None
        self.path_label.set_path(folder)
        self._show_error("")
        self.summary_label.setText("Reading the folder…")
        self.progress.setRange(0, 0)
        self._show_report(None)
        thread = ImportThread(self.domain_name, folder, self._options)
        thread.progressed.connect(self._on_progress)
        thread.imported.connect(self._on_imported)
        thread.failed.connect(self._on_failed)
        thread.cancelled.connect(self._on_cancelled)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        self._show_state(importing=True)
        self.importStarted.emit(folder)
        thread.start()

    def cancel_import(self) -> None:
        self._pending = None
        if self._thread is not None:
            self._thread.cancel()
            self.summary_label.setText("Cancelling…")

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancels an import and waits for its thread (the window is closing)."""
        self._pending = None
        thread = self._thread
        if thread is not None:
            thread.cancel()
            thread.wait(timeout_ms)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())

    def report_text(self) -> str:
        """The summary line and every skipped file with its reason."""
        lines = [self.summary_label.text()]
        if self.skipped.rowCount():
            lines.append(self.skipped.as_text())
        return "\n".join(lines)

    # ----------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if folder_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = folder_from_mime(event.mimeData())
        if folder:
            event.acceptProposedAction()
            self.open_folder(folder)

    # ----------------------------------------------------------------- thread results
    def _is_current(self) -> bool:
        return self.sender() is self._thread and self._pending is None

    def _on_progress(self, done: int, total: int, current: str) -> None:
        if not self._is_current():
            return
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {total}")
        self.summary_label.setText(f"Importing {Path(current).name}" if current else "Importing…")

    def _on_imported(self, corpus: Any, previews: list) -> None:
        if not self._is_current():
            return
        self._corpus = corpus
        self._show_report(corpus.report)
        self._show_previews(previews)
        self.corpusReady.emit(corpus, self._folder)

    def _on_failed(self, message: str) -> None:
        if not self._is_current():
            return
        self.summary_label.clear()
        self._show_error(f"Could not import this folder: {message}")
        self.importFailed.emit(message)

    def _on_cancelled(self) -> None:
        if self._is_current():
            self.summary_label.setText("Import cancelled")

    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if thread is not self._thread:
            return
        self._thread = None
        self._show_state(importing=False)
        pending, self._pending = self._pending, None
        if pending:
            self.open_folder(pending)

    # ----------------------------------------------------------------- display
    def _show_state(self, importing: bool) -> None:
        self.progress_row.setVisible(importing)

    def _show_report(self, report: Any) -> None:
        if report is None:
            self.thumbnails.clear()
            self.thumbnails.setVisible(False)
            self.skipped.set_skipped([])
            for widget in (self.skipped_title, self.skipped, self.copy_button):
                widget.setVisible(False)
            return
        text = report.summary()
        if report.items == 0:
            self._show_error("Nothing here can be trained on: see the skipped files below")
        self.summary_label.setText(text)
        self.skipped.set_skipped(report.skipped)
        has_skipped = bool(report.skipped)
        for widget in (self.skipped_title, self.skipped):
            widget.setVisible(has_skipped)
        parts = report.parts_left_out()
        title = "Left out" if parts else "Skipped files"  # short: the title shares a row with Copy report
        self.skipped_title.setText(f"{title} ({len(report.skipped)})")
        self.copy_button.setVisible(True)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _show_previews(self, previews: list) -> None:
        """A strip of pictures, as wide as the artifacts' shape (piano rolls); lines of text for words."""
        self.thumbnails.clear()
        if self._view is None or not previews:
            self.thumbnails.setVisible(False)
            return
        if getattr(self._view, "textual", False):  # a card of a few words is unreadable at thumbnail size
            self.thumbnails.setViewMode(QListWidget.ViewMode.ListMode)
            self.thumbnails.setFlow(QListWidget.Flow.TopToBottom)
            self.thumbnails.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            self.thumbnails.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long lines elide
            self.thumbnails.setObjectName("corpusLines")
            for artifact in previews:
                caption = self._view.caption(artifact)
                item = QListWidgetItem(" ".join(caption.split()))
                item.setToolTip(caption)
                self.thumbnails.addItem(item)
        else:
            pixmaps = [self._view.pixmap(artifact, THUMB_PX * 3) for artifact in previews]
            first = pixmaps[0]
            aspect = first.width() / max(1, first.height())
            self.thumbnails.setIconSize(QSize(int(THUMB_PX * min(3.0, max(1.0, aspect))), THUMB_PX))
            for artifact, pixmap in zip(previews, pixmaps):
                item = QListWidgetItem(QIcon(pixmap), "")
                item.setToolTip(self._view.caption(artifact))
                self.thumbnails.addItem(item)
        self.thumbnails.setVisible(True)
