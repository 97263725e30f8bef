"""The window: one tab per medium, menus, folder drops, the device in the status bar, and memory between launches.

Nothing here imports torch: the window must appear at once.  The device is
asked for on a worker thread after the window is shown, which also warms up
the training modules so the first Start does not stall the GUI.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

import studio
from studio.core.runs import default_runs_root
from studio.domains import domain_names, domain_title
from studio.ui.dataset_panel import folder_from_mime
from studio.workers.background import run_in_background, wait_all

SETTINGS_ENV = "GAN_STUDIO_SETTINGS"
DEFAULT_SIZE = (1400, 900)
DEVICE_PROBE_DELAY_MS = 100


def open_settings() -> QSettings:
    """The ini file named by ``$GAN_STUDIO_SETTINGS`` (tests), else the platform's usual place."""
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings()


def probe_devices() -> tuple[list[str], str]:
    """Device names and the label for the best one; imports torch, so it runs on a worker."""
    import studio.core.model  # noqa: F401  (warm-up: the first Start and model load find it imported)
    import studio.core.session  # noqa: F401
    from studio.core.devices import available_devices, cpu_threads_for_training, describe, pick_device

    names = available_devices()
    device = pick_device("auto")
    if device.type == "cpu":
        threads = cpu_threads_for_training()
        label = f"CPU, {threads} training thread{'s' if threads != 1 else ''}"
    else:
        label = describe(device)
    return names, label


class _Tabs(Mapping):
    """Domain name -> its tab, built on first use: a first build imports the medium, and most sessions open one."""

    def __init__(self, window: "MainWindow", names: list[str]) -> None:
        self._window = window
        self._names = names

    def __getitem__(self, name: str) -> Any:
        return self._window.tab_for(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class MainWindow(QMainWindow):
    """Tabs of :class:`DomainTab`; a medium whose package fails to load gets a tab saying why.

    Only the tab on screen is built at start-up; the others are built when
    first chosen (or asked for through :attr:`domain_tabs`), and then get
    their saved folder, preset and run back.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("GAN Studio")
        self.setAcceptDrops(True)
        self.settings = open_settings()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._names = list(domain_names())
        self._built: dict[str, Any] = {}  # name -> DomainTab, or the label saying why it could not be built
        self._device_names: list[str] | None = None
        self.domain_tabs = _Tabs(self, self._names)
        for name in self._names:
            self.tabs.addTab(QWidget(), domain_title(name))
        self.setCentralWidget(self.tabs)

        self.device_label = QLabel("device: …")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setToolTip("Where training runs (choose another in the training panel)")
        self.statusBar().addPermanentWidget(self.device_label)
        self._build_menus()
        self._closing = False
        self._probed = False
        self._restoring = False
        self._restore()
        self.tabs.currentChanged.connect(lambda index: self._build_at(index))

    def built_tabs(self) -> list[Any]:
        """The domain tabs built so far (those not built have nothing running and nothing to save)."""
        from studio.ui.domain_tab import DomainTab

        return [tab for tab in self._built.values() if isinstance(tab, DomainTab)]

    def tab_for(self, name: str) -> Any:
        """The named domain's tab, built now if it was not yet; KeyError for a domain the tab could not load."""
        if name not in self._built:
            self._build(name)
        tab = self._built[name]
        if tab not in self.built_tabs():
            raise KeyError(f"the {name} tab could not be loaded")
        return tab

    def _build_at(self, index: int) -> None:
        if 0 <= index < len(self._names) and self._names[index] not in self._built:
            self._build(self._names[index])

    def _build(self, name: str) -> None:
        from studio.ui.domain_tab import DomainTab

        index = self._names.index(name)
        try:
            tab: QWidget = DomainTab(name)
        except Exception as exc:  # one broken medium must not take the others down
            tab = _unavailable(name, exc)
        self._built[name] = tab
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, tab, domain_title(name))
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()
        if isinstance(tab, DomainTab):
            tab.statusMessage.connect(self._show_status)
            tab.deviceDescribed.connect(self.set_device_label)
            tab.settingsChanged.connect(self._save_tab_settings)
            tab.api.set_neighbours(lambda: [built.api for built in self.built_tabs()])
            if self._device_names is not None:
                tab.training.set_devices(self._device_names)
            self._restore_tab(tab)

    # ----------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open folder…", self._open_folder, QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open &run…", self._open_run, "Ctrl+Shift+O")
        self._action(file_menu, "&Exports folder", self.open_exports_folder)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About GAN Studio", self._about)

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def current_tab(self) -> Any:
        widget = self.tabs.currentWidget()
        return widget if widget in self.built_tabs() else None

    def _open_folder(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.dataset.choose_folder()

    def _open_run(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.training.choose_run()

    def open_exports_folder(self) -> None:
        tab = self.current_tab()
        folder = tab.exports_folder() if tab is not None else default_runs_root()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _about(self) -> None:
        QMessageBox.about(
            self, "About GAN Studio",
            f"<h3>GAN Studio {studio.__version__}</h3>"
            "<p>Train generative adversarial networks on your own paintings, music and writing, "
            "watch them learn, walk their latent space and export what you like.</p>"
            f"<p>Runs are kept in <code>{default_runs_root()}</code>.</p>",
        )

    # ----------------------------------------------------------------- status
    def _show_status(self, text: str, ms: int) -> None:
        self.statusBar().showMessage(text, ms)

    def set_device_label(self, text: str) -> None:
        self.device_label.setText(text)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._probed:
            self._probed = True
            QTimer.singleShot(DEVICE_PROBE_DELAY_MS, self._probe_devices)

    def _probe_devices(self) -> None:
        if not self._closing:
            run_in_background(probe_devices, self._on_devices,
                              lambda text: self.device_label.setText(f"device unknown: {text}"), name="devices",
                              owner=self)

    def _on_devices(self, result: tuple[list[str], str]) -> None:
        names, label = result
        self._device_names = names
        if not any(tab.is_training() for tab in self.built_tabs()):
            self.device_label.setText(label)
        for tab in self.built_tabs():
            tab.training.set_devices(names)

    # ----------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.current_tab() is not None and folder_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = folder_from_mime(event.mimeData())
        tab = self.current_tab()
        if folder and tab is not None:
            event.acceptProposedAction()
            tab.dataset.open_folder(folder)

    # ----------------------------------------------------------------- settings
    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        current = self.settings.value("window/tab", "")
        index = self._names.index(current) if current in self._names else 0
        self.tabs.setCurrentIndex(index)
        self._build_at(index)

    def _restore_tab(self, tab: Any) -> None:
        keys = ("folder", "run", "preset", "splitter", "centre")
        state = {key: self.settings.value(f"{tab.domain_name}/{key}") for key in keys}
        self._restoring = True  # a tab restoring its preset must not overwrite the saved state
        try:
            tab.restore(state)
        finally:
            self._restoring = False

    def _save_tab_settings(self) -> None:
        if self._restoring:
            return
        for tab in self.built_tabs():
            for key, value in tab.state().items():
                self.settings.setValue(f"{tab.domain_name}/{key}", value)
        self.settings.sync()

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        tab = self.current_tab()
        if tab is not None:
            self.settings.setValue("window/tab", tab.domain_name)
        self._save_tab_settings()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Saves the settings, stops training with a checkpoint and joins every worker before closing."""
        if self._closing:
            event.accept()
            return
        self._closing = True
        training = [tab for tab in self.built_tabs() if tab.is_training()]
        if training:
            self.statusBar().showMessage("Stopping training and saving a checkpoint…")
            self.repaint()
        self.save_settings()
        for tab in self.built_tabs():
            try:
                tab.shutdown()
            except Exception as exc:  # closing must always succeed; say what went wrong on stderr
                print(f"GAN Studio: while closing the {tab.domain_name} tab: {exc}", flush=True)
        wait_all()
        event.accept()


def _unavailable(name: str, exc: BaseException) -> QWidget:
    label = QLabel(f"The {name} studio could not be loaded:\n{type(exc).__name__}: {exc}")
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setMargin(24)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label
