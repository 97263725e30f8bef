"""The generic GAN training step, the same for every domain.

The trainer owns the nets, optimisers, EMA copy and random generator and
knows nothing about files or threads: ``session.py`` drives it and decides
when to sample, log and checkpoint.  Everything that makes a run
reproducible (weights, optimiser moments, RNG states, step counters) goes
through :meth:`GANTrainer.state_tensors` / :meth:`GANTrainer.load_state`, so a
resumed run continues the same curve.
"""
from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch

from studio.core import checkpoints as ck
from studio.core.devices import autocast
from studio.core.distributed import DistContext, average_gradients, broadcast_modules
from studio.core.domain import Corpus, Domain, ModelContext, Preset
from studio.core.ema import update_ema
from studio.core.losses import d_loss, g_loss, gradient_penalty, r1_penalty


class TrainingDiverged(RuntimeError):
    """Losses kept turning NaN/inf even after rolling back."""


class GANTrainer:
    """Alternating D/G steps with EMA, DiffAugment, optional R1/GP and a NaN guard."""

    ROLLBACK_EVERY = 50  # steps between in-memory "last good" snapshots
    MAX_ROLLBACKS = 3  # within one snapshot interval before giving up

    def __init__(self, domain: Domain, preset: Preset, corpus: Corpus, device: torch.device, seed: int = 0,
                 dist: DistContext | None = None, pretrain_steps: int | None = None):
        """``pretrain_steps``: the run's share for the pretrainer (core/steps.py); None keeps the preset's own."""
        self.domain = domain
        self.dist = dist
        self.preset = preset
        self.corpus = corpus
        self.device = device
        self.seed = seed
        torch.manual_seed(seed)
        rank = dist.rank if dist else 0
        self.gen = torch.Generator(device="cpu").manual_seed(seed + 7919 * rank)  # own batches per process
        self.channels_last = preset.channels_last and device.type == "cuda"
        self._build_gan()
        self.autocast = autocast(device, preset.mixed_precision)
        self.pretrainer = domain.pretrainer(preset, corpus, device)
        if self.pretrainer is not None and pretrain_steps is not None:
            self.pretrainer.total_steps = int(pretrain_steps)
        self.pre_step = 0
        self.gan_step = 0
        keep_on_device = device.type != "cpu" and corpus.data.numel() * corpus.data.element_size() < 2 << 30
        self.data = corpus.data.to(device) if keep_on_device else corpus.data
        self.gan_data: torch.Tensor | None = None  # the pretrainer's codes of the whole corpus
        self._with_aux = hasattr(self.D, "forward_with_aux")
        self._good: dict[str, Any] | None = None
        self._good_step = 0
        self._rollbacks = 0
        self.events: list[str] = []  # human-readable notes (rollbacks) for the session to report

    def _build_gan(self) -> None:
        """Fresh G, D, EMA copy and optimisers (at the start, and after an adversarial pretraining)."""
        p, meta = self.preset, self.corpus.meta
        self.G = self.domain.build_generator(p, meta).to(self.device)
        self.D = self.domain.build_discriminator(p, meta).to(self.device)
        if self.channels_last:
            self.G = self.G.to(memory_format=torch.channels_last)
            self.D = self.D.to(memory_format=torch.channels_last)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        # fused: one kernel over all parameters instead of a dozen small ops each (faster on CPU too)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=p.lr_g, betas=p.betas, fused=True)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=p.lr_d, betas=p.betas, fused=True)

    # ------------------------------------------------------------------ steps
    @property
    def pretrain_steps(self) -> int:
        return self.pretrainer.total_steps if self.pretrainer is not None else 0

    @property
    def step(self) -> int:
        """All steps taken, pretraining included: the x axis of every plot."""
        return self.pre_step + self.gan_step

    @property
    def in_pretraining(self) -> bool:
        return self.pre_step < self.pretrain_steps

    def _real_rows(self, batch_size: int) -> torch.Tensor:
        index = torch.randint(0, self.data.shape[0], (batch_size,), generator=self.gen)
        rows = self.data[index.to(self.data.device)]
        return self.domain.real_batch(rows.to(self.device, non_blocking=True), self.corpus.meta, train=True)

    def _pretrain_rows(self) -> torch.Tensor:
        """The pretrainer's own choice of rows; each process takes its own batch of the same sequence."""
        assert self.pretrainer is not None
        rank, world = (self.dist.rank, self.dist.world_size) if self.dist else (0, 1)
        index = self.pretrainer.batch_index(self.pre_step * world + rank, self.seed)
        rows = self.data[index.to(self.data.device)]
        return self.domain.real_batch(rows.to(self.device, non_blocking=True), self.corpus.meta, train=True)

    def _real(self, batch_size: int, pool: torch.Tensor | None = None) -> torch.Tensor:
        """A real batch: drawn from ``pool`` if given, else from the pretrainer's codes or the corpus."""
        pool = self.gan_data if pool is None else pool
        if pool is None:
            real = self._real_rows(batch_size)
        else:
            index = torch.randint(0, pool.shape[0], (batch_size,), generator=self.gen)
            real = pool[index.to(pool.device)]
        if self.channels_last and real.dim() == 4:
            real = real.contiguous(memory_format=torch.channels_last)
        return real

    def _z(self, batch_size: int) -> torch.Tensor:
        return torch.randn(batch_size, self.preset.z_dim, generator=self.gen).to(self.device, non_blocking=True)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        p = self.preset
        if not p.augment or p.augment_p <= 0:
            return x
        out = self.domain.augment(x, p.augment, self.gen)
        if p.augment_p >= 1:
            return out
        keep = torch.rand(x.shape[0], generator=self.gen).to(x.device) >= p.augment_p
        return torch.where(keep.view(-1, *([1] * (x.dim() - 1))), x, out)

    def train_step(self) -> dict[str, float]:
        """One step of whichever phase is current; returns the figures to log."""
        if self.in_pretraining:
            figures = self._pretrain_step()
            self.pre_step += 1
            if not self.in_pretraining:
                assert self.pretrainer is not None
                nets = list(self.pretrainer.modules.values())
                if self.adversarial_pretraining:
                    self._build_gan()
                    nets += [self.G, self.D, self.G_ema]
                    self.events.append(f"step {self.step}: {self.pretrainer.title} is done; a fresh generator now "
                                       "learns its final codes, so the samples start again from rough ones")
                if self.dist is not None:
                    broadcast_modules(nets)
                self.encode_corpus()
            return figures
        if self.pretrainer is not None and self.gan_data is None:
            self.encode_corpus()
        if self._good is None or self.gan_step - self._good_step >= self.ROLLBACK_EVERY:
            self._remember_good()
        figures = self._gan_step()
        if not all(math.isfinite(v) for v in figures.values()):
            self._roll_back(figures)
            return {}
        self.gan_step += 1
        return figures

    @property
    def adversarial_pretraining(self) -> bool:
        """True where a G trains beside the pretrainer (ARAE), so there are samples to show from the first step."""
        return self.pretrainer is not None and self.pretrainer.gan_alongside() > 0

    def _pretrain_step(self) -> dict[str, float]:
        """A pretrainer step; an adversarial one (ARAE) is followed by a GAN step on the batch's own codes.

        That G and D only shape the codes: when pretraining ends the GAN phase
        starts afresh on the final codes, because a G carried over samples a
        narrow part of them (docs/experiments/2026-12-06-tuning-history.md).
        """
        pre = self.pretrainer
        assert pre is not None
        adversarial = self.adversarial_pretraining
        figures = pre.step(self._pretrain_rows(), critic=self.D if adversarial else None)
        codes = pre.gan_batch() if adversarial else None
        if codes is not None:
            figures.update(self._gan_step(pool=codes, d_steps=pre.gan_alongside()))
        return figures

    def _gan_step(self, pool: torch.Tensor | None = None, d_steps: int | None = None) -> dict[str, float]:
        p = self.preset
        b = p.batch_size
        d_steps = p.d_steps if d_steps is None else d_steps
        self.D.requires_grad_(True)
        fake = None
        for i in range(d_steps):
            real = self._real(b, pool)
            with self.autocast:
                # with one D step its fake is reused for the G step; otherwise G's graph would be thrown away
                with torch.set_grad_enabled(d_steps == 1):
                    fake = self.G(self._z(b))
                real_in = self._augment(real)
                r1 = p.r1_gamma > 0 and self.gan_step % p.r1_every == 0 and i == 0
                if r1:
                    real_in = real_in.detach().requires_grad_(True)
                aux = None
                if self._with_aux:
                    real_logits, aux = self.D.forward_with_aux(real_in)
                else:
                    real_logits = self.D(real_in)
                fake_logits = self.D(self._augment(fake.detach()))
                loss_d = d_loss(p.loss, real_logits.float(), fake_logits.float())
                adv_d = loss_d
                if aux is not None:
                    loss_d = loss_d + aux.float()
                if p.loss == "wgan-gp":
                    loss_d = loss_d + p.gp_weight * gradient_penalty(self.D, real, fake.detach(), self.gen)
            if r1:
                loss_d = loss_d + p.r1_gamma * 0.5 * p.r1_every * r1_penalty(real_logits.float(), real_in)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            if self.dist is not None:
                average_gradients(self.D.parameters(), self.dist.world_size)
            self.opt_d.step()
        assert fake is not None
        self.D.requires_grad_(False)
        if d_steps > 1:
            with self.autocast:
                fake = self.G(self._z(b))
        with self.autocast:
            gen_logits = self.D(self._augment(fake))
            loss_g = g_loss(p.loss, gen_logits.float())
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        if self.dist is not None:
            average_gradients(self.G.parameters(), self.dist.world_size)
        self.opt_g.step()
        beta = p.ema_beta if self.gan_step >= p.ema_start else 0.0
        update_ema(self.G_ema, self.G, beta)
        return {
            "d_loss": float(adv_d.detach()),
            "g_loss": float(loss_g.detach()),
            "d_real": float(real_logits.detach().float().mean()),
            "d_fake": float(fake_logits.detach().float().mean()),
            "d_real_sign": float(real_logits.detach().float().sign().mean()),
            **({"d_aux": float(aux.detach())} if aux is not None else {}),
        }

    @torch.no_grad()
    def encode_corpus(self) -> None:
        """After pretraining: the GAN's real data become the pretrainer's codes of the whole corpus."""
        assert self.pretrainer is not None
        codes = []
        for start in range(0, self.data.shape[0], 512):
            rows = self.data[start:start + 512].to(self.device)
            codes.append(self.pretrainer.encode(self.domain.real_batch(rows, self.corpus.meta, train=False)))
        self.gan_data = torch.cat(codes)

    # ------------------------------------------------------------- NaN guard
    def _remember_good(self) -> None:
        self._good = {
            "G": copy.deepcopy(self.G.state_dict()),
            "D": copy.deepcopy(self.D.state_dict()),
            "G_ema": copy.deepcopy(self.G_ema.state_dict()),
            "opt_g": copy.deepcopy(self.opt_g.state_dict()),
            "opt_d": copy.deepcopy(self.opt_d.state_dict()),
        }
        self._good_step = self.gan_step
        self._rollbacks = 0

    def _roll_back(self, figures: dict[str, float]) -> None:
        assert self._good is not None
        self._rollbacks += 1
        bad = ", ".join(f"{k}={v}" for k, v in figures.items() if not math.isfinite(v))
        if self._rollbacks > self.MAX_ROLLBACKS:
            raise TrainingDiverged(
                f"training diverged at step {self.step}: {bad} again after {self.MAX_ROLLBACKS} roll-backs; "
                "try a lower learning rate or another preset"
            )
        self.G.load_state_dict(self._good["G"])
        self.D.load_state_dict(self._good["D"])
        self.G_ema.load_state_dict(self._good["G_ema"])
        self.opt_g.load_state_dict(self._good["opt_g"])
        self.opt_d.load_state_dict(self._good["opt_d"])
        self.events.append(
            f"step {self.step}: {bad}; rolled back to the weights of step {self.pre_step + self._good_step} and went on"
        )

    # --------------------------------------------------------------- sampling
    def model_context(self, options: dict[str, Any] | None = None) -> ModelContext:
        aux = self.pretrainer.modules if self.pretrainer is not None else {}
        return ModelContext(self.preset, self.corpus.meta, self.device, aux=aux, options=dict(options or {}))

    @torch.no_grad()
    def generate(self, z: np.ndarray) -> torch.Tensor:
        """EMA-G on given latents, without touching any training RNG."""
        out = self.G_ema(torch.from_numpy(np.asarray(z, np.float32)).to(self.device))
        return out.float()

    def sampling_weights(self) -> dict[str, np.ndarray]:
        """Numpy copies of what sampling needs (EMA-G and auxiliary nets), named as in checkpoints."""
        tensors = ck.module_tensors(self.G_ema, "G_ema")
        if self.pretrainer is not None:
            for name, module in self.pretrainer.modules.items():
                tensors.update(ck.module_tensors(module, f"aux.{name}"))
        return {k: v.detach().to("cpu").numpy().copy() for k, v in tensors.items()}

    # ------------------------------------------------------------ checkpoints
    def state_tensors(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        tensors: dict[str, torch.Tensor] = {}
        tensors.update(ck.module_tensors(self.G, "G"))
        tensors.update(ck.module_tensors(self.D, "D"))
        tensors.update(ck.module_tensors(self.G_ema, "G_ema"))
        opt_g, plain_g = ck.flatten_optimizer(self.opt_g.state_dict(), "opt_g")
        opt_d, plain_d = ck.flatten_optimizer(self.opt_d.state_dict(), "opt_d")
        tensors.update(opt_g)
        tensors.update(opt_d)
        tensors["rng.train"] = self.gen.get_state()
        tensors["rng.torch"] = torch.get_rng_state()
        info: dict[str, Any] = {
            "opt_g": plain_g,
            "opt_d": plain_d,
            "pre_step": self.pre_step,
            "gan_step": self.gan_step,
            "seed": self.seed,
        }
        if self.device.type == "cuda":
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        if self.pretrainer is not None:
            for name, module in self.pretrainer.modules.items():
                tensors.update(ck.module_tensors(module, f"aux.{name}"))
            opt_p, plain_p = ck.flatten_optimizer(self.pretrainer.optimizer_state(), "opt_pre")
            tensors.update(opt_p)
            info["opt_pre"] = plain_p
        return tensors, info

    def load_state(self, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> None:
        ck.load_module(self.G, tensors, "G")
        ck.load_module(self.D, tensors, "D")
        ck.load_module(self.G_ema, tensors, "G_ema")
        ck.load_optimizer(self.opt_g, tensors, info["opt_g"], "opt_g")
        ck.load_optimizer(self.opt_d, tensors, info["opt_d"], "opt_d")
        self.gen.set_state(tensors["rng.train"])
        torch.set_rng_state(tensors["rng.torch"])
        if self.device.type == "cuda" and "rng.cuda" in tensors:
            torch.cuda.set_rng_state(tensors["rng.cuda"], self.device)
        self.pre_step = int(info.get("pre_step", 0))
        self.gan_step = int(info.get("gan_step", 0))
        if self.pretrainer is not None:
            for name, module in self.pretrainer.modules.items():
                ck.load_module(module, tensors, f"aux.{name}")
            if "opt_pre" in info:
                self.pretrainer.load_optimizer_state(ck.unflatten_optimizer(tensors, info["opt_pre"], "opt_pre"))
            self.gan_data = None
            if not self.in_pretraining:
                self.encode_corpus()
        self._good = None
