"""Start-up: seconds from `python -m studio` to a visible window (target <= 3 s).

The baseline, measured in the same run, is a bare PySide6 window in a fresh
interpreter: what any Qt program pays.  Each is launched several times and
the medians compared.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE = (
    "import time; t0 = time.time()\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "from PySide6.QtCore import QTimer\n"
    "app = QApplication([]); w = QMainWindow(); w.resize(1400, 900); w.show()\n"
    "def done():\n"
    "    print(f'shown after {time.time() - t0:.3f} s'); app.quit()\n"
    "QTimer.singleShot(0, done); app.exec()\n"
)


def launch(args: list[str], env: dict[str, str]) -> float:
    out = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    match = re.search(r"shown after ([0-9.]+) s", out.stdout)
    if not match:
        raise RuntimeError(f"no start-up time in the output of {args}: {out.stdout}{out.stderr}")
    return float(match.group(1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="gan-studio-startup-"))
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               GAN_STUDIO_EXIT_AFTER_SHOW="1", GAN_STUDIO_SETTINGS=str(scratch / "settings.ini"),
               GAN_STUDIO_RUNS=str(scratch / "runs"), GAN_STUDIO_CACHE=str(scratch / "cache"))
    studio = [launch([sys.executable, "-m", "studio"], env) for _ in range(args.repeat)]
    bare = [launch([sys.executable, "-c", BARE], env) for _ in range(args.repeat)]
    s, b = statistics.median(studio), statistics.median(bare)
    print(f"median of {args.repeat} launches each")
    print(f"bare PySide6 window (baseline): {b:.2f} s")
    print(f"GAN Studio window:              {s:.2f} s  (ratio {s / b:.1f}; target <= 3 s: {'met' if s <= 3 else 'MISSED'})")


if __name__ == "__main__":
    main()
