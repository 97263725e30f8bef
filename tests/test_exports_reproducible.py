"""Same run, checkpoint, seed and options: the same bytes, in any process, thread count or batch.

Each medium trains a tiny run here, then separate processes export from it:
with one torch thread or two, the seeds together (``--count 4``) or one alone,
after other work or first thing.  Every file they write must match byte for byte.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from painting_runs import train_noise_run
from studio.cli import main
from studio.domains import get_domain

ROOT = Path(__file__).resolve().parent.parent


def _painting_run(tmp_path: Path) -> Path:
    return train_noise_run(tmp_path, seed=0, pictures=6, run_name="painting-run")


def _music_run(tmp_path: Path) -> Path:
    from studio.domains.music.demo import write_demo_folder

    data = write_demo_folder(tmp_path / "songs", count=2)
    run = tmp_path / "music-run"
    assert main(["train", "music", str(data), "--out", str(run), "--steps", "3", "--batch", "4"]) == 0
    return run


def _text_run(tmp_path: Path) -> Path:
    from studio.core.session import TrainingSession
    from studio.domains.text import DOMAIN

    data = tmp_path / "verse"
    data.mkdir()
    (data / "lines.txt").write_text("\n".join(f"the {a} owl sings of {b}" for a in ("grey", "white", "small")
                                              for b in ("rain", "snow", "moss", "dusk")), "utf-8")
    base = DOMAIN.presets["cpu-small"]
    overrides = {"batch_size": 8, "checkpoint_every": 1000,
                 "net": {**base.net, "hidden": 32, "code_dim": 16, "emb_dim": 16, "g_hidden": 32, "d_hidden": 32}}
    run = tmp_path / "text-run"
    session = TrainingSession.create(run, get_domain("text"), data, steps=24, pretrain_steps=20, device="cpu",
                                     overrides=overrides)
    assert session.run() == "finished", session.error
    return run


def _edge_threshold(run: Path) -> float:
    """A music threshold exactly on a cell whose value in a batch of four differs in its last bits from the
    same seed's alone (in this process, as a plain batched render computes them), and where that decides a
    note of the clip: a batch's clip and a lone clip differ there unless exports render alike.  0.5 where
    no such cell exists (the two renders agree)."""
    import torch

    from studio.core.latent import seeds_to_z
    from studio.core.model import load_model

    model = load_model(run, get_domain)
    z = seeds_to_z([7, 8, 9, 10], model.z_dim)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        batch, alone = model.generate(z)[1:2], model.generate(z[1:2])
    finally:
        torch.set_num_threads(threads)
    p_batch, p_alone = (((x + 1) / 2).numpy().ravel() for x in (batch, alone))
    edges = np.flatnonzero(p_batch != p_alone)
    for cell in edges[np.argsort(-np.abs(p_batch - p_alone)[edges])][:64]:
        edge = float(min(p_batch[cell], p_alone[cell]))
        rolls = [model.domain.binarise(x, {"threshold": edge}, model.meta) for x in (batch, alone)]
        if not np.array_equal(*rolls):
            return edge
    return 0.5


def _export(runs: dict[str, Path], out: Path, threads: int, count: int, seed: int, warm_up: bool,
            edge: float) -> None:
    """One fresh process exporting from every run (sampled text with its draws, to test those too).

    After a warm-up the runs are named by relative paths: the run recorded in the exports is the same."""
    commands = []
    if warm_up:
        runs = {name: Path(os.path.relpath(run, ROOT)) for name, run in runs.items()}
    if warm_up:  # other work first: another seed's batch through the same nets and decoders
        commands += [["sample", str(run), "--count", "3", "--seed", "100", "--out", str(out / f"warm-{name}")]
                     for name, run in runs.items()]
    for name, run in runs.items():
        commands.append(["sample", str(run), "--count", str(count), "--seed", str(seed),
                         "--out", str(out / name)])
        suffix = {"painting": ".gif", "music": ".mid", "text": ".txt"}[name]
        commands.append(["interpolate", str(run), "--seeds", "3", "8", "--frames", "5",
                         "--out", str(out / f"walk-{name}{suffix}")])
    commands.append(["sample", str(runs["text"]), "--count", str(count), "--seed", str(seed),
                     "--out", str(out / "text-sampled"), "--option", "decoding=sample", "--option", "temperature=1.5"])
    commands.append(["sample", str(runs["music"]), "--count", str(count), "--seed", str(seed),
                     "--out", str(out / "music-edge"), "--option", f"threshold={edge!r}"])
    script = ("import sys, torch; torch.set_num_threads(int(sys.argv[1])); from studio.cli import main; "
              "import json; [main(c) and sys.exit(f'failed: {c}') for c in json.loads(sys.argv[2])]")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    import json

    done = subprocess.run([sys.executable, "-c", script, str(threads), json.dumps(commands)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).parts[0].startswith("warm-")}


@pytest.mark.timeout(900)
def test_exports_are_byte_identical_across_processes_threads_and_batches(tmp_path):
    runs = {"painting": _painting_run(tmp_path), "music": _music_run(tmp_path), "text": _text_run(tmp_path)}
    first, second, alone = tmp_path / "first", tmp_path / "second", tmp_path / "alone"
    edge = _edge_threshold(runs["music"])
    _export(runs, first, threads=2, count=4, seed=7, warm_up=False, edge=edge)
    _export(runs, second, threads=1, count=4, seed=7, warm_up=True, edge=edge)
    _export(runs, alone, threads=2, count=1, seed=8, warm_up=True, edge=edge)
    a, b, c = _files(first), _files(second), _files(alone)
    assert len(a) > 20 and a.keys() == b.keys()
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"differ between processes and thread counts: {differ}"
    # seed 8 exported alone is the same file as seed 8 exported in a batch of four
    singles = [name for name in c if "seed8" in name]
    assert len(singles) == 9, sorted(c)  # PNG (info inside), MIDI, text lines, sampled lines, edge MIDI (+ JSON)
    differ = [name for name in singles if c[name] != a[name]]
    assert not differ, f"differ between a batch of four and the seed alone: {differ}"
    for name in ("walk-painting.gif", "walk-music.mid", "walk-text.txt"):
        assert c[name] == a[name]
