"""Training across processes through torchrun (gloo on the CPU), as on a multi-GPU server."""
import json
import os
import subprocess
import sys
from pathlib import Path

from studio.core import checkpoints as ck


def test_torchrun_two_processes_train_and_only_rank0_writes(tmp_path):
    from studio.domains.painting.demo import write_demo_folder

    data = write_demo_folder(tmp_path / "data", count=16)
    run = tmp_path / "run"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29611",
           "-m", "studio", "train", "painting", str(data), "--out", str(run), "--steps", "3", "--preset", "cpu-32"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=Path(__file__).parent.parent, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stderr.count("finished at step 3") == 1  # rank 0 reports, rank 1 stays quiet
    assert [step for step, _ in ck.list_checkpoints(run / "checkpoints")] == [3]
    steps = [r["step"] for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if "d_loss" in r]
    assert steps == [1, 2, 3]
