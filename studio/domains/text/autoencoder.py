"""The character autoencoder (phase one of a text run) and the Pretrainer that trains it.

A GAN cannot pass gradients through sampled characters, so, as in ARAE
(Zhao et al. 2018) and LaTextGAN, the GAN works in the fixed-size code space
of a sequence autoencoder instead.  Codes live on the unit sphere, which
keeps their scale fixed for the critic; Gaussian noise on the code and word
dropout while training make the decoder forgiving of the GAN's slightly-off
codes.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from studio.core.devices import autocast
from studio.core.domain import Preset
from studio.domains.text.vocab import PAD, UNK

NET_DEFAULTS: dict[str, Any] = {
    "ae_steps": 2000,
    "ae_batch": None,  # lines per autoencoder step; the preset's batch size when None
    "ae_lr": 2e-3,
    "ae_lr_floor": 0.1,  # the learning rate decays (cosine) to this share of ae_lr
    "emb_dim": 64,
    "hidden": 256,
    "enc_hidden": None,  # the encoder's GRU width; the decoder's (hidden) when None
    "code_dim": 64,
    "layers": 1,
    "code_noise": 0.1,  # std per code dimension while training; smooths the code space for the GAN
    "word_dropout": 0.1,  # share of teacher-forced inputs replaced by UNK, so the decoder leans on the code
    "grad_clip": 1.0,
    "ae_mixed_precision": False,  # bfloat16 autocast for the autoencoder where the device has it natively
    "adv_weight": 0.0,  # ARAE: weight of the critic's score of the codes in the encoder's loss (0 = plain autoencoder)
    "adv_d_steps": 2,  # critic steps per autoencoder step while the GAN trains on the autoencoder's codes
    "out_rank": None,  # the output layer through this many dimensions where the vocabulary outnumbers ``hidden``
}
ENCODE_CHUNK = 256


def net_options(preset: Preset) -> dict[str, Any]:
    return {**NET_DEFAULTS, **preset.net}


class TextAutoencoder(nn.Module):
    """GRU encoder -> code on the unit sphere -> GRU decoder fed the code at every step."""

    def __init__(self, vocab_size: int, emb_dim: int, hidden: int, code_dim: int, layers: int = 1,
                 enc_hidden: int | None = None, out_rank: int | None = None) -> None:
        super().__init__()
        self.vocab_size, self.hidden, self.code_dim, self.layers = vocab_size, hidden, code_dim, layers
        enc_hidden = enc_hidden or hidden
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD)
        self.encoder = nn.GRU(emb_dim, enc_hidden, layers, batch_first=True)
        self.to_code = nn.Linear(enc_hidden, code_dim)
        self.from_code = nn.Linear(code_dim, hidden * layers)
        self.decoder = nn.GRU(emb_dim + code_dim, hidden, layers, batch_first=True)
        self.out = _output_layer(hidden, vocab_size, out_rank)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        """``[BOS, chars, EOS, PAD...]`` rows -> unit-norm codes (N, code_dim).

        The encoder reads each line backwards (Sutskever et al. 2014): its
        last steps then see the first characters, which the decoder needs
        first.  The code comes from the state at each line's own end (no
        packed sequences: their backward pass is quadratic in length on CPU).
        """
        lengths = (ids != PAD).sum(dim=1).clamp(min=1)
        ids = ids[:, : int(lengths.max())]
        t = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        backwards = torch.where(t < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - t, t)
        out, _ = self.encoder(self.embed(ids.gather(1, backwards)))
        last = out.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])).squeeze(1)
        return F.normalize(self.to_code(last).float(), dim=1)  # float32 on the sphere, also under autocast

    def _scaled(self, code: torch.Tensor) -> torch.Tensor:
        """Unit-norm codes have entries near 1/sqrt(d); scaled up they speak as loudly as the embeddings."""
        return code * math.sqrt(self.code_dim)

    def initial_state(self, code: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.from_code(self._scaled(code)))
        return h.view(code.shape[0], self.layers, self.hidden).transpose(0, 1).contiguous()

    def teacher_forced(self, inputs: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Logits (N, T, vocab) for the next character after each of ``inputs`` (N, T)."""
        emb = self.embed(inputs)
        x = torch.cat([emb, self._scaled(code).unsqueeze(1).expand(-1, inputs.shape[1], -1)], dim=2)
        out, _ = self.decoder(x, self.initial_state(code))
        return self.out(out)

    def step(self, token: torch.Tensor, state: torch.Tensor, code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One decoding step: last tokens (N,) -> next-character logits (N, vocab) and the new state."""
        x = torch.cat([self.embed(token), self._scaled(code)], dim=1).unsqueeze(1)
        out, state = self.decoder(x, state)
        return self.out(out[:, 0]), state


def _output_layer(hidden: int, vocab_size: int, rank: int | None) -> nn.Module:
    """Decoder state -> logits; through ``rank`` dimensions where the vocabulary outnumbers the state.

    A Chinese folder keeps thousands of characters, and a full layer to them
    outweighs the whole GRU: on Song couplets (3,000 characters, hidden 256)
    it made an autoencoder step 3.2 times as long as with 300 characters.
    Alphabets smaller than the state keep the full layer.
    """
    if rank and vocab_size > hidden:
        return nn.Sequential(nn.Linear(hidden, int(rank), bias=False), nn.Linear(int(rank), vocab_size))
    return nn.Linear(hidden, vocab_size)


def build_autoencoder(preset: Preset, meta: dict[str, Any]) -> TextAutoencoder:
    net = net_options(preset)
    return TextAutoencoder(
        len(meta["vocab"]), int(net["emb_dim"]), int(net["hidden"]), int(net["code_dim"]), int(net["layers"]),
        int(net["enc_hidden"]) if net["enc_hidden"] else None, net["out_rank"],
    )


def reconstruction_loss(
    ae: TextAutoencoder, ids: torch.Tensor, code_noise: float = 0.0, word_dropout: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(cross-entropy per character, token accuracy) of rebuilding ``ids`` from their own codes."""
    loss, acc, _ = reconstruction_with_codes(ae, ids, code_noise, word_dropout)
    return loss, acc


def reconstruction_with_codes(
    ae: TextAutoencoder, ids: torch.Tensor, code_noise: float = 0.0, word_dropout: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`reconstruction_loss` and the clean codes it encoded (with their graph), for ARAE's critic term."""
    lengths = (ids != PAD).sum(dim=1)
    ids = ids[:, : int(lengths.max())]
    code = ae.encode(ids)
    clean = code
    if code_noise > 0:
        code = code + code_noise * torch.randn_like(code)
    inputs, targets = ids[:, :-1], ids[:, 1:]
    if word_dropout > 0:
        drop = (torch.rand(inputs.shape, device=ids.device) < word_dropout) & (inputs != PAD)
        drop[:, 0] = False  # keep BOS
        inputs = inputs.masked_fill(drop, UNK)
    logits = ae.teacher_forced(inputs, code)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD)
    mask = targets != PAD
    acc = (logits.detach().max(dim=2).indices == targets)[mask].float().mean()  # max: 2.7x argmax's speed
    return loss, acc, clean


class LengthBuckets:
    """Batches of lines of about one length, every line once per epoch.

    A GRU steps through the longest line of its batch, so a random batch pays
    for its longest line in every row; sorted into buckets a step costs what
    its lines hold (measured in docs/experiments/2026-12-06-tuning-history.md).
    Each epoch sorts the lines by length with ties broken at random and cuts
    them into consecutive batches, taken in a random order: every line is
    seen once per epoch, whatever its length (but for the few left over from
    whole batches, drawn anew each epoch).
    The order is a function of (epoch, seed), so a resumed run goes on with it.
    """

    def __init__(self, lengths: torch.Tensor, batch_size: int) -> None:
        self.lengths = lengths.float().cpu()
        self.batch_size = max(1, min(int(batch_size), len(self.lengths)))
        self.per_epoch = max(1, len(self.lengths) // self.batch_size)
        self._epoch: tuple[int, int] | None = None
        self._batches: list[torch.Tensor] = []

    def batch(self, counter: int, seed: int) -> torch.Tensor:
        epoch, position = divmod(int(counter), self.per_epoch)
        if self._epoch != (epoch, seed):
            gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + epoch)
            kept = torch.randperm(len(self.lengths), generator=gen)[: self.per_epoch * self.batch_size]
            order = kept[torch.argsort(self.lengths[kept] + torch.rand(len(kept), generator=gen))]
            batches = list(order.view(self.per_epoch, self.batch_size))
            self._batches = [batches[i] for i in torch.randperm(self.per_epoch, generator=gen).tolist()]
            self._epoch = (epoch, seed)
        return self._batches[position]


class AutoencoderPretrainer:
    """Trains the autoencoder for ``total_steps`` steps before the GAN (studio.core.domain.Pretrainer).

    The learning rate follows a cosine from ``ae_lr`` down to
    ``ae_lr * ae_lr_floor`` over ``total_steps``; the step count is read back
    from the optimiser state on resume, so a resumed run continues the curve.

    With ``adv_weight`` > 0 it trains as ARAE does (Zhao et al. 2018): the GAN
    learns each batch's codes meanwhile, and the encoder's loss adds
    ``adv_weight`` x the critic's score of its codes, so the codes move toward
    what the generator can make.  A plain autoencoder's codes of a large folder
    sit in clusters the small generator cannot follow, so its samples fall
    between lines and decode to blends of them, generic and alike
    (docs/experiments/2026-12-06-tuning-history.md).
    """

    title = "the autoencoder"

    def __init__(self, preset: Preset, meta: dict[str, Any], device: torch.device | str, rows: torch.Tensor) -> None:
        self.net = net_options(preset)
        self.device = torch.device(device)
        self.autoencoder = build_autoencoder(preset, meta).to(self.device)
        self.modules: dict[str, nn.Module] = {"autoencoder": self.autoencoder}
        self.total_steps = int(self.net["ae_steps"])
        self.buckets = LengthBuckets((rows != PAD).sum(dim=1), int(self.net["ae_batch"] or preset.batch_size))
        self.optimizer = torch.optim.Adam(self.autoencoder.parameters(), lr=float(self.net["ae_lr"]), fused=True)
        self.autocast = autocast(self.device, bool(self.net["ae_mixed_precision"]))
        self.steps_done = 0
        self.adversarial_weight = float(self.net["adv_weight"])
        self.adversarial_d_steps = int(self.net["adv_d_steps"])
        self.last_codes: torch.Tensor | None = None

    def gan_alongside(self) -> int:
        """ARAE's GAN steps after each autoencoder step (``adv_d_steps`` critic steps), none for a plain one."""
        return self.adversarial_d_steps if self.adversarial_weight > 0 else 0

    def gan_batch(self) -> torch.Tensor | None:
        return self.last_codes

    def learning_rate(self) -> float:
        base, floor = float(self.net["ae_lr"]), float(self.net["ae_lr_floor"])
        t = min(1.0, self.steps_done / max(1, self.total_steps))
        return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))

    def batch_index(self, counter: int, seed: int) -> torch.Tensor:
        return self.buckets.batch(counter, seed)

    def step(self, real: torch.Tensor, critic: nn.Module | None = None) -> dict[str, float]:
        """One autoencoder step; with a ``critic`` (and ``adv_weight`` > 0) its score of the codes joins the loss.

        The critic's own weights are left alone (no gradients reach them); the
        batch's codes stay in ``last_codes`` for the GAN step that follows.
        """
        self.autoencoder.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate()
        ids = real.to(self.device).long()
        with self.autocast:
            loss, acc, codes = reconstruction_with_codes(
                self.autoencoder, ids, float(self.net["code_noise"]), float(self.net["word_dropout"])
            )
        total = loss
        if critic is not None and self.adversarial_weight > 0:
            flags = [p.requires_grad for p in critic.parameters()]
            critic.requires_grad_(False)
            try:
                total = loss + self.adversarial_weight * critic(codes).float().mean()
            finally:
                for p, flag in zip(critic.parameters(), flags):
                    p.requires_grad_(flag)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        nn.utils.clip_grad_norm_(self.autoencoder.parameters(), float(self.net["grad_clip"]))
        self.optimizer.step()
        self.steps_done += 1
        self.last_codes = codes.detach()
        return {"ae_loss": float(loss.detach()), "ae_acc": float(acc)}

    @torch.no_grad()
    def encode(self, real: torch.Tensor) -> torch.Tensor:
        """Codes of any number of rows, in chunks of similar length (less padding to run through the GRU)."""
        was_training = self.autoencoder.training
        self.autoencoder.eval()
        rows = real.to(self.device).long()
        order = torch.argsort((rows != PAD).sum(dim=1))
        codes = torch.zeros((rows.shape[0], self.autoencoder.code_dim), device=self.device)
        try:
            for i in range(0, rows.shape[0], ENCODE_CHUNK):
                index = order[i : i + ENCODE_CHUNK]
                with self.autocast:
                    codes[index] = self.autoencoder.encode(rows[index])
        finally:
            self.autoencoder.train(was_training)
        return codes

    def optimizer_state(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state)
        steps = [s.get("step") for s in self.optimizer.state.values() if "step" in s]
        self.steps_done = int(max(float(s) for s in steps)) if steps else 0


@torch.no_grad()
def reconstruction_accuracy(ae: TextAutoencoder, rows: torch.Tensor, chunk: int = 512) -> float:
    """Teacher-forced token accuracy over ``rows`` (no noise, no dropout): how well codes keep the text."""
    ae.eval()
    hits = total = 0.0
    for i in range(0, rows.shape[0], chunk):
        ids = rows[i : i + chunk].long()
        _, acc = reconstruction_loss(ae, ids)
        n = float(((ids[:, 1:] != PAD)).sum())
        hits += float(acc) * n
        total += n
    return hits / total if total else 0.0
