"""Codes -> strings (greedy, temperature sampling, beam search) and text/JSON export.

Options (``ModelContext.options`` or the ``options`` argument; defaults in options.py):
``decoding`` in {"greedy", "sample", "beam"}, ``temperature`` (sampling),
``beam`` (width), ``seed`` (sampling), ``max_len`` (characters; the corpus's
by default), ``lexicon`` (True by default: spell only the corpus's words where
the run's metadata has them, lexicon.py) and ``phrasing`` (the weight of the
corpus's word pairs, which need the lexicon, or of its character n-grams in
scripts without spaces, beside the decoder; phrasing.py).
PAD, BOS and UNK are never emitted, so outputs are always printable text.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from studio.core.files import write_text_atomically
from studio.domains.text.autoencoder import TextAutoencoder
from studio.domains.text.draws import LineDraws
from studio.domains.text.lexicon import Lexicon, lexicon_for
from studio.domains.text.options import DECODINGS, DEFAULT_OPTIONS
from studio.domains.text.phrasing import DecodeState, Phrasing, fuse, phrasing_for
from studio.domains.text.vocab import BOS, EOS, PAD, UNK, Vocab

LENGTH_ALPHA = 0.7  # beam search ranks finished lines by log-prob / length**alpha


def _banned_mask(vocab_size: int, device: torch.device) -> torch.Tensor:
    mask = torch.zeros(vocab_size, dtype=torch.bool, device=device)
    mask[[PAD, BOS, UNK]] = True
    return mask


def _as_codes(codes: Any, device: torch.device) -> torch.Tensor:
    """Any array-like of codes -> (N, code_dim) float tensor on the unit sphere (blends may have shrunk)."""
    codes = torch.as_tensor(np.asarray(codes, np.float32) if not torch.is_tensor(codes) else codes)
    codes = codes.detach().to(device=device, dtype=torch.float32)
    return F.normalize(codes.reshape(-1, codes.shape[-1]), dim=1)


class Guide:
    """What steers the decoder besides its code: the lexicon's spelling and the corpus's phrasing."""

    def __init__(self, lexicon: Lexicon | None = None, phrasing: Phrasing | None = None,
                 weight: float = 0.0) -> None:
        self.lexicon = lexicon
        self.phrasing = phrasing if weight > 0 else None
        self.weight = float(weight)

    def start(self, n: int, device: torch.device) -> DecodeState:
        walk = self.lexicon.start(n, device) if self.lexicon is not None else None
        size = self.phrasing.context_size if self.phrasing is not None else 0
        context = torch.full((n, size), BOS, dtype=torch.long, device=device) if size else None
        return DecodeState(walk, context)

    def advance(self, state: DecodeState, tokens: torch.Tensor) -> DecodeState:
        walk = self.lexicon.advance(state.walk, tokens) if state.walk is not None else None
        context = state.context
        if context is not None:
            context = torch.cat([context[:, 1:], tokens.unsqueeze(1)], dim=1)
        return DecodeState(walk, context)

    def log_probs(self, logits: torch.Tensor, banned: torch.Tensor, state: DecodeState) -> torch.Tensor:
        """The decoder's log-probabilities with PAD/BOS/UNK and misspellings at -inf, phrasing added."""
        logp = torch.log_softmax(logits.masked_fill(banned, float("-inf")), dim=1)
        if self.lexicon is not None and state.walk is not None:
            logp = logp.masked_fill(~self.lexicon.allowed(state.walk), float("-inf"))
        return fuse(logp, self.phrasing, state, self.weight) if self.phrasing is not None else logp


NO_GUIDE = Guide()


@torch.no_grad()
def greedy(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, guide: Guide = NO_GUIDE) -> list[list[int]]:
    return _run(ae, codes, max_len, lambda logp: logp.argmax(dim=1), guide)


@torch.no_grad()
def sample(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, temperature: float, seed: int,
           guide: Guide = NO_GUIDE) -> list[list[int]]:
    """Each line drawn at ``temperature`` from its own seeded draws (draws.py): the same alone as in any batch."""
    return _run(ae, codes, max_len, LineDraws(codes, seed, temperature), guide)


def _run(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, pick: Any, guide: Guide) -> list[list[int]]:
    """Step the decoder for every code at once until each has written EOS or ``max_len`` characters."""
    n = codes.shape[0]
    banned = _banned_mask(ae.vocab_size, codes.device)
    steer = guide.start(n, codes.device)
    state = ae.initial_state(codes)
    token = torch.full((n,), BOS, dtype=torch.long, device=codes.device)
    done = torch.zeros(n, dtype=torch.bool, device=codes.device)
    out = []
    for t in range(max_len + 1):
        logits, state = ae.step(token, state, codes)
        token = pick(guide.log_probs(logits, banned, steer))
        token = torch.where(done | (t == max_len), torch.full_like(token, EOS), token)
        steer = guide.advance(steer, token)
        out.append(token)
        done |= token == EOS
        if bool(done.all()):
            break
    return torch.stack(out, dim=1).tolist() if out else [[] for _ in range(n)]


@torch.no_grad()
def beam_search(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, width: int,
                guide: Guide = NO_GUIDE) -> list[list[int]]:
    """The most likely line per code among ``width`` hypotheses (length-normalised when finished)."""
    n, k, device = codes.shape[0], max(1, int(width)), codes.device
    vocab = ae.vocab_size
    banned = _banned_mask(vocab, device)
    steer = guide.start(n * k, device)
    flat_codes = codes.repeat_interleave(k, dim=0)
    state = ae.initial_state(flat_codes)
    token = torch.full((n * k,), BOS, dtype=torch.long, device=device)
    scores = torch.full((n, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    history = torch.zeros((n, k, 0), dtype=torch.long, device=device)
    done = torch.zeros((n, k), dtype=torch.bool, device=device)
    lengths = torch.zeros((n, k), device=device)
    finished = torch.full((vocab,), float("-inf"), device=device)
    finished[EOS] = 0.0  # a finished line only "continues" with EOS, at no cost
    for t in range(max_len + 1):
        logits, state = ae.step(token, state, flat_codes)
        logp = torch.log_softmax(guide.log_probs(logits, banned, steer), dim=1).view(n, k, vocab)
        if t == max_len:  # out of room: every line ends here
            logp = torch.where(torch.arange(vocab, device=device) == EOS, logp, torch.full_like(logp, float("-inf")))
        logp = torch.where(done.unsqueeze(2), finished, logp)
        total = (scores.unsqueeze(2) + logp).view(n, k * vocab)
        scores, flat = total.topk(k, dim=1)
        beam, token2d = flat // vocab, flat % vocab
        kept = history.gather(1, beam.unsqueeze(2).expand(-1, -1, history.shape[2]))
        history = torch.cat([kept, token2d.unsqueeze(2)], dim=2)
        was_done = done.gather(1, beam)
        lengths = lengths.gather(1, beam) + (~was_done).float()
        done = was_done | (token2d == EOS)
        rows = (torch.arange(n, device=device).unsqueeze(1) * k + beam).view(-1)
        state = state[:, rows]
        token = token2d.view(-1)
        steer = guide.advance(steer.take(rows), token)
        if bool(done.all()):
            break
    ranked = scores / lengths.clamp(min=1).pow(LENGTH_ALPHA)
    best = ranked.argmax(dim=1)
    return history[torch.arange(n, device=device), best].tolist()


def guide_for(meta: dict[str, Any], options: dict[str, Any]) -> Guide:
    """The lexicon and phrasing that ``options`` ask for and the run's metadata has."""
    options = {**DEFAULT_OPTIONS, **options}
    lexicon = lexicon_for(meta) if options["lexicon"] else None
    weight = float(options["phrasing"])
    return Guide(lexicon, phrasing_for(meta, lexicon) if weight > 0 else None, weight)


def decode_codes(
    ae: TextAutoencoder, codes: Any, meta: dict[str, Any], options: dict[str, Any] | None = None
) -> list[str]:
    """Strings for a batch of codes, by the decoding named in ``options``."""
    options = {**DEFAULT_OPTIONS, **(options or {})}
    method = options["decoding"]
    if method not in DECODINGS:
        raise ValueError(f"unknown decoding {method!r}; use one of {', '.join(DECODINGS)}")
    device = next(ae.parameters()).device
    codes = _as_codes(codes, device)
    if codes.shape[0] == 0:
        return []
    max_len = int(options.get("max_len") or meta["max_len"])
    guide = guide_for(meta, options)
    was_training = ae.training
    ae.eval()
    try:
        if method == "greedy":
            ids = greedy(ae, codes, max_len, guide)
        elif method == "sample":
            temperature, seed = float(options["temperature"]), int(options["seed"])
            ids = sample(ae, codes, max_len, temperature, seed, guide)
        else:
            ids = beam_search(ae, codes, max_len, int(options["beam"]), guide)
    finally:
        ae.train(was_training)
    vocab = Vocab.from_meta(meta)
    texts = [vocab.decode(row).strip() for row in ids]  # the corpus's items are stripped too
    return [guide.lexicon.finish(t) for t in texts] if guide.lexicon is not None else texts


@torch.no_grad()
def encode_texts(ae: TextAutoencoder, texts: Sequence[str], meta: dict[str, Any]) -> np.ndarray:
    """Codes (N, code_dim) of the given lines (cut to the corpus's max length; unknown characters -> UNK)."""
    vocab = Vocab.from_meta(meta)
    rows = torch.tensor([vocab.encode(t, int(meta["max_len"])) for t in texts], dtype=torch.long)
    was_training = ae.training
    ae.eval()
    try:
        codes = ae.encode(rows.to(next(ae.parameters()).device))
    finally:
        ae.train(was_training)
    return codes.cpu().numpy().astype(np.float32)


# ---------------------------------------------------------------- export


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if torch.is_tensor(value):
        return value.detach().cpu().tolist()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _txt_path(path: str | Path) -> Path:
    path = Path(path)
    return path if path.suffix.lower() == ".txt" else path.with_name(path.name + ".txt")


def _header(kind: str, count: int, info: dict[str, Any]) -> str:
    parts = [f"# GAN Studio text {kind}: {count} lines"]
    for key in ("run", "step"):
        if key in info:
            parts.append(f"{key} {info[key]}")
    seeds = info.get("seeds")
    if seeds is None and "seed" in info:
        seeds = [info["seed"]]
    if seeds is not None:
        parts.append("seeds " + " ".join(str(s) for s in _jsonable(list(seeds))))
    return "; ".join(parts)


def _body(texts: Sequence[str]) -> str:
    """One artifact per line; multi-line artifacts (stanzas) are separated by blank lines instead."""
    sep = "\n\n" if any("\n" in t for t in texts) else "\n"
    return sep.join(texts)


def save_json(artifact: str, path: str | Path, info: dict[str, Any]) -> Path:
    """One line as a JSON record: its text first, then what ``info`` carries (seed, latent, options, metrics)."""
    target = Path(path)
    if target.suffix.lower() != ".json":
        target = target.with_name(target.name + ".json")
    record = {"text": artifact, **_jsonable(info)}
    write_text_atomically(target, json.dumps(record, ensure_ascii=False, indent=2))
    return target


def save_text(artifact: str, path: str | Path, info: dict[str, Any]) -> Path:
    """``name.txt`` holds the text alone; ``name.json`` beside it holds text, seed, latent and metrics."""
    target = _txt_path(path)
    write_text_atomically(target, artifact + "\n")
    save_json(artifact, target.with_suffix(".json"), info)
    return target


def save_lines(texts: Sequence[str], path: str | Path, info: dict[str, Any], kind: str) -> Path:
    """A walk or grid: one .txt (a ``#`` header with the seeds, then one line per frame/sample) and a .json."""
    target = _txt_path(path)
    texts = list(texts)
    write_text_atomically(target, _header(kind, len(texts), info) + "\n" + _body(texts) + "\n")
    write_text_atomically(
        target.with_suffix(".json"),
        json.dumps({"kind": kind, "texts": texts, **_jsonable(info)}, ensure_ascii=False, indent=2),
    )
    return target
