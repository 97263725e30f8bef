"""Explorer frames per second at cpu-64 on the CPU (target >= 20).

Drives the real Explorer widget: the mouse position sweeps the pad as fast as
the event loop allows, the render thread renders only the newest position,
and we count finished frames per second.  The baseline, measured in the same
run, is the bare generator forward pass (model.render in a loop) — the
ceiling the widget can reach; their ratio is the widget's overhead.

A second case moves the direction sliders instead of the mouse (issue 17):
the explorer's directions found, three sliders swept back and forth as fast
as the event loop allows; its frames per second are printed against the
plain pad's, measured in the same run, since every slider move adds the
directions' offset to the latent and re-renders.  The sliders take the
pad's place on screen, so that case repaints no pad.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.core.latent import seed_to_z  # noqa: E402
from studio.core.model import model_from_tensors  # noqa: E402
from studio.core.trainer import GANTrainer  # noqa: E402
from studio.domains import get_domain  # noqa: E402


def cpu64_model():
    """A cpu-64 generator straight from the trainer (speed does not depend on training)."""
    from studio.domains.painting.demo import write_demo_folder

    painting = get_domain("painting")
    folder = write_demo_folder(Path(tempfile.mkdtemp(prefix="gan-studio-fps-")) / "demo", count=32)
    corpus = painting.import_folder(folder, {"size": 64})
    preset = painting.presets["cpu-64"]
    trainer = GANTrainer(painting, preset, corpus, torch.device("cpu"))
    trainer.train_step()
    tensors, _ = trainer.state_tensors()
    return model_from_tensors(painting, preset, corpus.meta, tensors, torch.device("cpu"), 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (the GUI keeps the other core)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model = cpu64_model()

    z = np.stack([seed_to_z(1, model.z_dim)])
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        model.render(z + 0.001 * frames)
        frames += 1
    bare = frames / (time.perf_counter() - start)

    from studio.ui.explorer import Explorer
    from studio.ui.media import view_for

    app = QApplication.instance() or QApplication([])
    explorer = Explorer()
    explorer.set_view(view_for("painting"))
    explorer.set_renderer(lambda zs, options: model.render(zs, options), model.z_dim)
    explorer.resize(520, 760)
    explorer.show()
    rendered = [0]
    explorer.previewChanged.connect(lambda artifact: rendered.__setitem__(0, rendered[0] + 1))

    def drive(move, seconds: float) -> tuple[float, int]:
        """Frames per second shown while ``move(i)`` changes the explorer as fast as events allow."""
        rendered[0], start, i = 0, time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            move(i)
            app.processEvents()
            time.sleep(0.002)
            i += 1
        return rendered[0] / (time.perf_counter() - start), i

    load_before = os.getloadavg()
    widget_fps, positions = drive(lambda i: explorer.set_position(0.5 + 0.45 * np.sin(i / 200.0),
                                                                  0.5 + 0.45 * np.cos(1.3 * i / 200.0)), args.seconds)
    explorer.directions.set_model(model)
    explorer.show_directions(True)
    explorer.directions.find()
    while explorer.directions.directions() is None:
        app.processEvents()
        time.sleep(0.01)
    drive(lambda i: None, 1.0)  # the preview strips of the directions just found are drawn before timing
    slider_fps, moves = drive(lambda i: explorer.directions.set_value(i % 3, 2.5 * np.sin(i / 40.0)), args.seconds)
    moved = explorer.directions.edits()
    explorer.shutdown()
    cpu = time.process_time()
    print(f"cpu-64 generator, torch threads {args.threads}, {args.seconds:g} s each; "
          f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; process CPU {cpu:.1f} s")
    print(f"bare G forward + decode:   {bare:6.1f} frames/s (baseline)")
    print(f"explorer while dragging:   {widget_fps:6.1f} frames/s for {positions} mouse positions "
          f"(ratio {widget_fps / bare:.2f}; target >= 20 fps: {'met' if widget_fps >= 20 else 'MISSED'})")
    print(f"explorer, sliders moving:  {slider_fps:6.1f} frames/s for {moves} moves of {len(moved)} sliders "
          f"(ratio to the pad {slider_fps / widget_fps:.2f}; target >= 20 fps: "
          f"{'met' if slider_fps >= 20 else 'MISSED'})")


if __name__ == "__main__":
    main()
