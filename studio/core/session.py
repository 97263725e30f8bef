"""A training session: one run folder, one trainer, the schedule around it.

The same loop serves the window (through ``workers/trainer_thread.py``), the
command line and ``torchrun``.  It reports through a plain callback
``on_event(event)`` with the typed events of core/events.py (Python / numpy
values only, throttled at the source), and is steered through a thread-safe
:class:`TrainControl`.
"""
from __future__ import annotations

import dataclasses
import threading
from collections import deque
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.core import checkpoints as ck
from studio.core.devices import configure_threads, describe, pick_device
from studio.core.distributed import DistContext
from studio.core.domain import Corpus, Domain, DomainResolver, Preset, ProgressFn
from studio.core.events import (
    CheckpointSaved, EventFn, Failed, Finished, Logged, Message, Metrics, Paused, PhaseChanged, Progress, Resumed,
    Samples, Started, Weights,
)
from studio.core.latent import seeds_to_z
from studio.core.runs import RUN_FILE, RunDir
from studio.core.steps import run_steps, split_steps
from studio.core.trainer import GANTrainer, TrainingDiverged
from studio.core.validation import plan_run

GALLERY_SEEDS = list(range(16))
METRIC_SEED_BASE = 1_000_000  # metric batches use seeds far from the gallery's
METRIC_SAMPLES = 64
LOG_INTERVAL_S = 0.1  # losses leave the loop at most ~10 times a second
CHECKPOINT_INTERVAL_S = 600.0
WEIGHTS_INTERVAL_S = 15.0  # live viewers get fresh EMA weights this often, long before a checkpoint
KEEP_CHECKPOINTS = 3


class TrainControl:
    """Pause / resume / stop flags, safe to set from any thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, timeout: float) -> None:
        self._running.wait(timeout)


def apply_overrides(preset: Preset, overrides: dict[str, Any] | None) -> Preset:
    """A copy of ``preset`` with user settings (batch, learning rates, augmentation...) applied."""
    if not overrides:
        return preset
    known = {f.name for f in dataclasses.fields(Preset)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
    return dataclasses.replace(preset, **overrides)


class TrainingSession:
    """Creates or reopens a run and trains it up to a number of steps, both phases counted (core/steps.py)."""

    def __init__(
        self,
        run: RunDir,
        config: dict[str, Any],
        domain: Domain,
        preset: Preset,
        corpus: Corpus,
        trainer: GANTrainer,
        notes: list[str],
    ):
        self.run_dir = run
        self.is_main = trainer.dist is None or trainer.dist.is_main  # only the main process writes the run
        self.config = config
        self.domain = domain
        self.preset = preset
        self.corpus = corpus
        self.trainer = trainer
        self.notes = notes  # things to tell the user before training starts (fallbacks, folder changes)
        self.error: str | None = None
        self.sample_interval_s = 0.0  # > 0: also sample on a timer, for live viewers
        self._sampled_at = -1
        self._measured_at = -1
        self.decode_defaults: dict[str, Any] = {}  # fitted to the model of step _calibrated_at (calibrate_decoding)
        self._calibrated_at = -1
        self._weights_sent = float("-inf")

    # --------------------------------------------------------------- creation
    @classmethod
    def create(
        cls,
        run_dir: str | Path,
        domain: Domain,
        data_dir: str | Path,
        preset: str | None = None,
        steps: int | None = None,
        seed: int = 0,
        device: str | None = "auto",
        overrides: dict[str, Any] | None = None,
        import_progress: ProgressFn | None = None,
        dist: DistContext | None = None,
        pretrain_steps: int | None = None,
    ) -> "TrainingSession":
        """A new run of ``steps`` steps in all (the preset's by default), ``pretrain_steps`` of them the first
        phase's (the preset's proportion by default): see core/steps.py."""
        dev = pick_device(device)
        preset_name = preset or domain.default_preset(dev.type)
        if preset_name not in domain.presets:
            raise ValueError(f"unknown {domain.name} preset {preset_name!r}; known: {', '.join(domain.presets)}")
        effective = apply_overrides(domain.presets[preset_name], overrides)
        pretrain, total = split_steps(domain, effective, steps, pretrain_steps)
        corpus = domain.import_folder(data_dir, effective.import_options, progress=import_progress)
        if corpus.report.items == 0:
            raise ValueError(f"nothing to train on in {data_dir}: {corpus.report.summary()}")
        config = {
            "domain": domain.name,
            "preset_name": preset_name,
            "preset": effective.to_dict(),
            "steps": total,
            "pretrain_steps": pretrain,
            "seed": int(seed),
            "device": device or "auto",
            "data_dir": str(Path(data_dir).resolve()),
            "corpus": {
                "fingerprint": corpus.fingerprint,
                "meta": corpus.meta,
                "items": corpus.report.items,
                "shape": list(corpus.data.shape[1:]),
                "summary": corpus.report.summary(),
            },
            "gallery_seeds": GALLERY_SEEDS,
        }
        run = RunDir.create(run_dir, config)
        trainer = GANTrainer(domain, effective, corpus, dev, seed=seed, dist=dist, pretrain_steps=pretrain)
        return cls(run, run.read_config(), domain, effective, corpus, trainer, [])

    @classmethod
    def open(
        cls,
        run_dir: str | Path,
        domains: DomainResolver,
        data_dir: str | Path | None = None,
        steps: int | None = None,
        device: str | None = None,
        import_progress: ProgressFn | None = None,
        dist: DistContext | None = None,
        pretrain_steps: int | None = None,
    ) -> "TrainingSession":
        """Reopens a run at its newest readable checkpoint (older ones if newer are damaged), to train up to
        ``steps`` in all (both phases, as when it began).  Its first phase's length was set when it began:
        ``pretrain_steps`` may only repeat it.

        ``domains`` resolves the domain name the run records.  Under ``torchrun`` the other processes open the
        run read-only, after rank 0.
        """
        writer = dist is None or dist.is_main
        run = RunDir.open(run_dir)
        config = run.read_config()
        plan = plan_run(config, run.path / RUN_FILE, domains)  # an edited or damaged run.json is refused before allocating
        domain, preset = plan.domain, plan.preset
        folder = Path(data_dir) if data_dir else Path(config["data_dir"])
        if not folder.is_dir():
            raise FileNotFoundError(f"the run's data folder {folder} is missing; pass the folder it moved to")
        corpus = domain.import_folder(folder, preset.import_options, progress=import_progress)
        notes: list[str] = []
        stored = config["corpus"]
        if corpus.fingerprint != stored["fingerprint"]:
            shape = stored.get("shape")
            if shape is not None and list(corpus.data.shape[1:]) != shape:
                raise ValueError(
                    f"{folder} now imports as items of shape {list(corpus.data.shape[1:])}, but this run's nets "
                    f"were built for {shape}; start a new run on it"
                )
            notes.append(f"{folder} changed since this run began; training goes on with its current contents")
        # the nets were built from the run's own description of the data (vocabulary, pitch range...)
        corpus = Corpus(corpus.data, stored["meta"], corpus.fingerprint, corpus.report)
        pretrain, total = run_steps(config, domain, preset)
        if pretrain_steps is not None and int(pretrain_steps) != pretrain:
            raise ValueError(f"{run.path}: its first phase was set to {pretrain} steps when it began; "
                             "--pretrain-steps applies to a new run")
        config["steps"] = int(steps) if steps is not None else total
        config["pretrain_steps"] = pretrain
        if device is not None:
            config["device"] = device
        config["data_dir"] = str(folder.resolve())
        if writer:
            run.write_config(config)
        trainer = GANTrainer(
            domain, preset, corpus, pick_device(config["device"]), seed=int(config["seed"]), dist=dist,
            pretrain_steps=pretrain,
        )
        checkpoint = ck.load_latest(run.checkpoints, plan.training)
        if checkpoint is not None:
            notes += [f"skipped damaged checkpoint: {reason}" for _, reason in checkpoint.skipped]
            trainer.load_state(checkpoint.tensors, checkpoint.info)
            if writer:
                run.truncate_metrics(trainer.step)
            notes.append(f"resumed from {checkpoint.path.name} (step {trainer.step})")
        session = cls(run, config, domain, preset, corpus, trainer, notes)
        if checkpoint is not None and "decode_defaults" in checkpoint.info:
            session.decode_defaults = dict(checkpoint.info["decode_defaults"])
            session._calibrated_at = trainer.step
        return session

    # ------------------------------------------------------------- properties
    @property
    def total_steps(self) -> int:
        """The step to train to, both phases counted: ``--steps``, the Steps box and the progress bar's end."""
        return int(self.config["steps"])

    @property
    def finished(self) -> bool:
        return self.trainer.step >= self.total_steps

    # ---------------------------------------------------------------- the loop
    def run(self, on_event: EventFn | None = None, control: TrainControl | None = None) -> str:
        """Trains until the target, a stop request or an error; returns "finished", "stopped" or "failed".

        Every ending except a failure writes a checkpoint.
        """
        emit = (on_event if self.is_main else None) or (lambda event: None)
        control = control or TrainControl()
        trainer = self.trainer
        configure_threads(trainer.device)
        emit(Started(run=str(self.run_dir.path), device=describe(trainer.device), step=trainer.step,
                     total=self.total_steps, preset=self.preset.name))
        for note in self.notes:
            emit(Message(note))
        pending: list[dict[str, Any]] = []
        rate = _RateMeter()
        last_log = last_sample = last_checkpoint = time.monotonic()
        phase = None
        status = "finished"
        try:
            while not self.finished:
                if control.stop_requested:
                    status = "stopped"
                    break
                if control.paused:
                    self._flush(pending, emit, rate)
                    emit(Paused(step=trainer.step))
                    while control.paused and not control.stop_requested:
                        control.wait_while_paused(0.2)
                    rate.reset()
                    emit(Resumed(step=trainer.step))
                    continue
                current = "pretrain" if trainer.in_pretraining else "gan"
                if current != phase:
                    phase = current
                    emit(PhaseChanged(phase=phase, step=trainer.step))
                figures = trainer.train_step()
                rate.tick()
                if figures:
                    pending.append({"step": trainer.step, "phase": phase, **figures})
                for note in trainer.events:
                    emit(Message(note))
                trainer.events.clear()
                now = time.monotonic()
                gan_step = trainer.gan_step
                if figures and self._has_samples():
                    timed = self.sample_interval_s > 0 and now - last_sample >= self.sample_interval_s
                    counted = trainer.pre_step if trainer.in_pretraining else gan_step
                    if counted % self.preset.sample_every == 0 or timed:
                        self._samples(emit)
                        last_sample = time.monotonic()
                    if not trainer.in_pretraining and gan_step % self.preset.metrics_every == 0:
                        self._flush(pending, emit, rate)
                        self._metrics(emit)
                if trainer.step % self.preset.checkpoint_every == 0 or now - last_checkpoint >= CHECKPOINT_INTERVAL_S:
                    self._flush(pending, emit, rate)
                    self._checkpoint(emit)
                    last_checkpoint = time.monotonic()
                if now - last_log >= LOG_INTERVAL_S:
                    self._flush(pending, emit, rate)
                    last_log = now
        except (TrainingDiverged, torch.OutOfMemoryError, RuntimeError, ValueError, OSError) as exc:
            self._flush(pending, emit, rate)
            self.error = _readable(exc)
            emit(Failed(text=self.error, step=trainer.step))
            emit(Finished(status="failed", step=trainer.step))
            return "failed"
        self._flush(pending, emit, rate)
        if self._has_samples() and trainer.step > 0 and self._sampled_at != trainer.step:
            self._samples(emit)
        if not trainer.in_pretraining and trainer.gan_step > 0:
            if status == "finished" and self._measured_at != trainer.step:
                self._metrics(emit)
            if self._calibrated_at != trainer.step:
                self._calibrate(emit)
        self._checkpoint(emit)
        emit(Finished(status=status, step=trainer.step))
        return status

    # ------------------------------------------------------------------ parts
    def _has_samples(self) -> bool:
        """Whether G has anything to show: once it has taken GAN steps, or while it trains beside the pretrainer."""
        trainer = self.trainer
        return trainer.adversarial_pretraining if trainer.in_pretraining else trainer.gan_step > 0

    def _flush(self, pending: list[dict[str, Any]], emit: EventFn, rate: "_RateMeter") -> None:
        if not self.is_main:
            pending.clear()
            return
        if pending:
            try:
                self.run_dir.append_metrics(pending)
            except OSError as exc:
                emit(Message(f"could not write {self.run_dir.metrics_path}: {exc.strerror or exc}"))
            emit(Logged(records=list(pending)))
            pending.clear()
        steps_per_s = rate.rate()
        remaining = self.total_steps - self.trainer.step
        emit(Progress(step=self.trainer.step, total=self.total_steps, steps_per_s=steps_per_s,
                      eta_s=remaining / steps_per_s if steps_per_s > 0 else None))

    def _samples(self, emit: EventFn) -> None:
        self._sampled_at = self.trainer.step
        if not self.is_main:
            return
        seeds = list(self.config.get("gallery_seeds", GALLERY_SEEDS))
        z = seeds_to_z(seeds, self.preset.z_dim)
        with torch.random.fork_rng(devices=[]):
            output = self.trainer.generate(z)
            artifacts = self.domain.decode(output, self.trainer.model_context())
        outputs = output.cpu().numpy()
        try:
            self.run_dir.save_samples(self.trainer.step, outputs, seeds)
        except OSError as exc:
            emit(Message(f"could not save samples in {self.run_dir.samples}: {exc.strerror or exc}"))
        emit(Samples(step=self.trainer.step, seeds=seeds, artifacts=artifacts, outputs=outputs))
        if self.sample_interval_s > 0 and time.monotonic() - self._weights_sent >= WEIGHTS_INTERVAL_S:
            self._weights_sent = time.monotonic()
            emit(Weights(step=self.trainer.step, tensors=self.trainer.sampling_weights()))

    def _metrics(self, emit: EventFn) -> None:
        self._measured_at = self.trainer.step
        if not self.is_main:
            return
        seeds = list(range(METRIC_SEED_BASE, METRIC_SEED_BASE + METRIC_SAMPLES))
        started = time.monotonic()
        with torch.random.fork_rng(devices=[]):
            output = self.trainer.generate(seeds_to_z(seeds, self.preset.z_dim))
            values = self.domain.metrics(output, self.corpus, self.trainer.model_context())
        record = {"step": self.trainer.step, "kind": "quality", **{k: float(v) for k, v in values.items()}}
        record["metrics_s"] = round(time.monotonic() - started, 3)
        try:
            self.run_dir.append_metrics([record])
        except OSError as exc:
            emit(Message(f"could not write {self.run_dir.metrics_path}: {exc.strerror or exc}"))
        emit(Metrics(step=self.trainer.step, values=values))

    def _calibrate(self, emit: EventFn) -> None:
        """The domain's decode options fitted to the model as training stops (text: its phrasing weight)."""
        if not self.is_main:
            return
        started = time.monotonic()
        trainer = self.trainer

        def generate(seeds: list[int]) -> torch.Tensor:
            return trainer.generate(seeds_to_z(seeds, self.preset.z_dim))

        try:
            with torch.random.fork_rng(devices=[]):
                self.decode_defaults = self.domain.calibrate_decoding(generate, self.corpus, trainer.model_context())
        except (RuntimeError, ValueError) as exc:  # the model is saved all the same, with the usual defaults
            self.decode_defaults = {}
            emit(Message(f"could not fit this run's decoding: {_readable(exc)}"))
        self._calibrated_at = trainer.step
        if self.decode_defaults:
            chosen = ", ".join(f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
                               for key, value in self.decode_defaults.items())
            emit(Message(f"this run decodes with {chosen} by default "
                         f"(fitted in {time.monotonic() - started:.0f} s)"))

    def _checkpoint(self, emit: EventFn) -> None:
        if not self.is_main:
            return
        tensors, info = self.trainer.state_tensors()
        info["preset"] = self.preset.name
        if self._calibrated_at == self.trainer.step and self.decode_defaults:
            info["decode_defaults"] = self.decode_defaults
        try:
            path = ck.save_checkpoint(self.run_dir.checkpoints, self.trainer.step, tensors, info)
            ck.prune(self.run_dir.checkpoints, KEEP_CHECKPOINTS)
        except OSError as exc:
            emit(Message(f"could not save a checkpoint in {self.run_dir.checkpoints}: "
                         f"{exc.strerror or exc}; the previous checkpoint is kept"))
            return
        emit(CheckpointSaved(path=str(path), step=self.trainer.step))


class _RateMeter:
    """Steps per second over the last ~20 seconds, for the progress bar's ETA."""

    WINDOW_S = 20.0

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._times: deque[float] = deque()

    def tick(self) -> None:
        now = time.monotonic()
        self._times.append(now)
        while len(self._times) > 2 and now - self._times[0] > self.WINDOW_S:
            self._times.popleft()

    def rate(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


def _readable(exc: BaseException) -> str:
    if isinstance(exc, torch.OutOfMemoryError):
        return "out of memory: choose a smaller preset or batch size"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__


def latest_samples(run: RunDir) -> tuple[int, np.ndarray, list[int]] | None:
    """The newest fixed-seed outputs of a run, for showing a reopened run at once."""
    found = run.list_samples()
    if not found:
        return None
    step, path = found[-1]
    outputs, seeds = RunDir.load_samples(path)
    return step, outputs, seeds
