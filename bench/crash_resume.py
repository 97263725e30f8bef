"""Crash and fault bench: SIGKILL a small training run at random moments, resume it each time, and count losses.

A painting run (the smallest preset, batch 8, a checkpoint every ``--every``
steps) on 32 demo pictures the studio draws itself trains in a child process.
The child writes each checkpoint's tensor file slowly, in chunks, and pauses
between the tensor file and its JSON, so that a good share of the random kills
land inside a checkpoint write.  After every kill the bench loads every
checkpoint left, then restarts the child, which resumes.  At the end it prints:

- kills survived, and how many landed inside a checkpoint write;
- checkpoints that failed to load (target 0);
- stray temporary or unpaired files left in the run (target 0);
- steps lost per kill (at most the checkpoint interval);
- whether the final weights equal a run that never crashed, resumed from the
  checkpoint the first restart used, and one trained from scratch;
- a full-disk case: tensor writes raise ENOSPC from a given step on; the
  message the run prints and whether the previous checkpoint stays loadable.

Usage: .venv/bin/python bench/crash_resume.py [--kills 24] [--steps 600] [--every 10] [--seed 0]
Everything is written under a scratch folder outside the repository.
"""
from __future__ import annotations

import argparse
import errno
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEP_LINE = re.compile(r"^step (\d+)$", re.M)
RESUMED_LINE = re.compile(r"^resumed (\d+)$", re.M)
TEMPORARY = re.compile(r"^\..+\.tmp$")
CHUNKS = 8


# ----------------------------------------------------------------------------------------------- the child
def child(args: argparse.Namespace) -> int:
    """Trains (or resumes) the run to ``--steps``, printing each step, with the write shims installed."""
    import safetensors.torch as st

    from studio.core import checkpoints
    from studio.core.runs import is_run
    from studio.core.session import TrainingSession
    from studio.domains import get_domain
    from studio.core.events import Event, Failed, Message
    from studio.core.trainer import GANTrainer

    def shimmed_save(tensors, filename, metadata=None):
        """safetensors' save_file, but slow (--write-delay) and failing with ENOSPC from --full-disk-from on."""
        checkpoint = re.search(r"step-(\d+)\.safetensors", str(filename))
        if checkpoint is None:  # the corpus cache
            return original_save(tensors, filename, metadata)
        data = st.save(tensors, metadata)
        full = args.full_disk_from is not None and int(checkpoint.group(1)) >= args.full_disk_from
        size = -(-len(data) // CHUNKS)
        with open(filename, "wb") as f:
            for i in range(CHUNKS):
                if full and i == CHUNKS // 2:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(filename))
                f.write(data[i * size:(i + 1) * size])
                f.flush()
                time.sleep(args.write_delay / CHUNKS)

    original_save = st.save_file
    st.save_file = shimmed_save
    sha256 = checkpoints._sha256

    def slow_sha256(path):  # runs after the tensor file is in place and before its JSON is written
        time.sleep(args.write_delay / 2)
        return sha256(path)

    checkpoints._sha256 = slow_sha256
    train_step = GANTrainer.train_step

    def counted_step(self):
        figures = train_step(self)
        print(f"step {self.step}", flush=True)
        return figures

    GANTrainer.train_step = counted_step
    if is_run(args.run):
        session = TrainingSession.open(args.run, get_domain, data_dir=args.data, steps=args.steps)
    else:
        session = TrainingSession.create(
            args.run, get_domain("painting"), args.data, preset="cpu-32", steps=args.steps, seed=args.seed, device="cpu",
            overrides={"batch_size": 8, "checkpoint_every": args.every, "sample_every": 10**6,
                       "metrics_every": 10**6},
        )
    print(f"resumed {session.trainer.step}", flush=True)

    def on_event(event: Event) -> None:
        if isinstance(event, (Message, Failed)):
            print(f"{event.kind}: {event.text}", flush=True)

    status = session.run(on_event)
    print(f"status {status}", flush=True)
    return 0 if status == "finished" else 1


# ---------------------------------------------------------------------------------------------- the parent
def launch(args: argparse.Namespace, run: Path, log: Path, env: dict, steps: int, write_delay: float,
           full_disk_from: int | None = None) -> subprocess.Popen:
    argv = [sys.executable, __file__, "--child", "--run", str(run), "--data", str(args.data), "--steps", str(steps),
            "--every", str(args.every), "--seed", str(args.seed), "--write-delay", str(write_delay)]
    if full_disk_from is not None:
        argv += ["--full-disk-from", str(full_disk_from)]
    with open(log, "w") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)


def run_to_end(args, run: Path, log: Path, env: dict, steps: int, write_delay: float,
               full_disk_from: int | None = None) -> str:
    proc = launch(args, run, log, env, steps, write_delay, full_disk_from)
    if proc.wait() != 0:
        raise SystemExit(f"the run in {run} did not finish; see {log}:\n{log.read_text()[-2000:]}")
    return log.read_text()


def wait_until_training(proc: subprocess.Popen, log: Path, timeout_s: float = 120.0) -> bool:
    """True once the child has printed its first step; False if it ended first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if STEP_LINE.search(log.read_text()):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    raise SystemExit(f"the child made no step in {timeout_s:.0f} s; see {log}")


def leftovers(run: Path) -> list[Path]:
    """Temporary files, and checkpoint tensor files no JSON vouches for."""
    found = [p for p in run.rglob("*") if TEMPORARY.match(p.name)]
    found += [p for p in (run / "checkpoints").glob("step-*.safetensors") if not p.with_suffix(".json").exists()]
    return found


def unreadable_checkpoints(run: Path) -> list[str]:
    from studio.core.checkpoints import CheckpointError, list_checkpoints, read_checkpoint

    failed = []
    for _, json_path in list_checkpoints(run / "checkpoints"):
        try:
            read_checkpoint(json_path)
        except CheckpointError as exc:
            failed.append(str(exc))
    return failed


def final_tensors(run: Path) -> dict:
    from studio.core.checkpoints import load_latest

    return load_latest(run / "checkpoints").tensors


def same(a: dict, b: dict) -> bool:
    import torch

    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def crash_loop(args: argparse.Namespace, work: Path, env: dict) -> None:
    rng = random.Random(args.seed)
    run = work / "run"
    kills: list[dict] = []  # per kill: last step trained (None before the first), whether inside a write...
    resumes: list[int | None] = []  # per start: the step it resumed from (None: killed before it said)
    first_restart_point: Path | None = None
    while len(kills) < args.kills:
        log = work / f"attempt-{len(kills):03d}.log"
        proc = launch(args, run, log, env, args.steps, args.write_delay)
        if rng.random() < 0.15:
            time.sleep(rng.uniform(0.2, 2.0))  # while torch imports, the run opens, stray files are cleaned
        elif not wait_until_training(proc, log):
            raise SystemExit(f"the child ended before its kill (at {args.steps} steps, raise --steps?); "
                             f"see {log}:\n{log.read_text()[-1500:]}")
        else:
            time.sleep(rng.uniform(0.0, args.kill_window))
        if proc.poll() is not None:
            raise SystemExit(f"the child ended before its kill; see {log}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        text = log.read_text()
        steps = [int(s) for s in STEP_LINE.findall(text)]
        resumed = RESUMED_LINE.search(text)
        resumes.append(int(resumed.group(1)) if resumed else None)
        kills.append({"at": steps[-1] if steps else None, "in_write": bool(leftovers(run)),
                      "unreadable": unreadable_checkpoints(run)})
        if first_restart_point is None and list((run / "checkpoints").glob("step-*.json")):
            first_restart_point = work / "restart-point"
            shutil.copytree(run, first_restart_point)
    text = run_to_end(args, run, work / "final.log", env, args.steps, args.write_delay)
    resumes.append(int(RESUMED_LINE.search(text).group(1)))
    lost = []
    for index, kill in enumerate(kills):
        if kill["at"] is not None:
            resumed_next = next(r for r in resumes[index + 1:] if r is not None)
            lost.append(kill["at"] - resumed_next)
    crashed = final_tensors(run)
    reference_from_restart = None
    if first_restart_point is not None:
        run_to_end(args, first_restart_point, work / "reference-restart.log", env, args.steps, 0.0)
        reference_from_restart = same(crashed, final_tensors(first_restart_point))
    scratch = work / "scratch"
    run_to_end(args, scratch, work / "reference-scratch.log", env, args.steps, 0.0)
    from_scratch = same(crashed, final_tensors(scratch))

    unreadable = [reason for kill in kills for reason in kill["unreadable"]] + unreadable_checkpoints(run)
    print(f"kills survived:                   {len(kills)} of {len(kills)} (the run then finished at step {args.steps})")
    print(f"  landed inside a checkpoint write: {sum(k['in_write'] for k in kills)}")
    print(f"  landed before the first step:     {sum(k['at'] is None for k in kills)}")
    print(f"checkpoints that failed to load:  {len(unreadable)} (target 0; every checkpoint read after every kill)")
    print(f"stray temporary/unpaired files:   {len(leftovers(run))} (target 0)")
    print(f"steps lost per kill:              max {max(lost)}, mean {sum(lost) / len(lost):.1f}, min {min(lost)} "
          f"(checkpoint interval {args.every}; kills after the first step)")
    if reference_from_restart is not None:
        print("final weights equal a never-killed run resumed from the first restart's checkpoint: "
              + ("yes" if reference_from_restart else "NO"))
    print("final weights equal a never-killed run from scratch: " + ("yes" if from_scratch else "NO"))
    for reason in unreadable:
        print(f"  unreadable: {reason}")


def full_disk(args: argparse.Namespace, work: Path, env: dict) -> None:
    from studio.core.checkpoints import list_checkpoints, load_latest

    run = work / "full-disk"
    fail_from = 2 * args.every
    text = run_to_end(args, run, work / "full-disk.log", env, 3 * args.every, 0.0, full_disk_from=fail_from)
    messages = [line for line in text.splitlines() if "No space left" in line]
    latest = load_latest(run / "checkpoints")
    print(f"full disk from step {fail_from}: {len(messages)} message(s), e.g.")
    print(f"  {messages[0] if messages else '(none)'}")
    print(f"  checkpoints on disk: {[step for step, _ in list_checkpoints(run / 'checkpoints')]}, newest loads: "
          f"step {latest.step if latest else None}; stray files: {len(leftovers(run))}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--full-disk-from", type=int, help=argparse.SUPPRESS)
    p.add_argument("--kills", type=int, default=24)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--every", type=int, default=10, help="checkpoint interval in steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write-delay", type=float, default=0.3, help="seconds each checkpoint write is stretched to")
    p.add_argument("--kill-window", type=float, default=3.0, help="kills land up to this long after the first step")
    args = p.parse_args()
    if args.child:
        return child(args)
    from studio.domains.painting.demo import write_demo_folder

    work = Path(tempfile.mkdtemp(prefix="gan-studio-crash-"))
    env = dict(os.environ, GAN_STUDIO_CACHE=str(work / "cache"), OMP_NUM_THREADS="1")
    args.data = write_demo_folder(work / "data", count=32)
    started = time.monotonic()
    crash_loop(args, work, env)
    full_disk(args, work, env)
    print(f"scratch folder {work}; {time.monotonic() - started:.0f} s; load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())} (other processes share the machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
