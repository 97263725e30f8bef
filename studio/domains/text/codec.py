"""Codes -> strings (greedy, temperature sampling, beam search) and text/JSON export.

Options (``ModelContext.options`` or the ``options`` argument):
``decoding`` in {"greedy", "sample", "beam"}, ``temperature`` (sampling),
``beam`` (width), ``seed`` (sampling), ``max_len`` (characters; the corpus's
by default), ``lexicon`` (True by default: spell only the corpus's words where
the run's metadata has them, lexicon.py).  PAD, BOS and UNK are never emitted, so outputs are always
printable text.
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
from studio.domains.text.lexicon import Lexicon, lexicon_for
from studio.domains.text.vocab import BOS, EOS, PAD, UNK, Vocab

DECODINGS = ("greedy", "sample", "beam")
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


def _allowed_logits(logits: torch.Tensor, banned: torch.Tensor, lexicon: Lexicon | None,
                    nodes: torch.Tensor | None) -> torch.Tensor:
    """Logits with PAD/BOS/UNK and, with a lexicon, every character that would misspell a word at -inf."""
    logits = logits.masked_fill(banned, float("-inf"))
    if lexicon is None or nodes is None:
        return logits
    return logits.masked_fill(~lexicon.allowed(nodes), float("-inf"))


@torch.no_grad()
def greedy(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, lexicon: Lexicon | None = None) -> list[list[int]]:
    return _run(ae, codes, max_len, lambda logits: logits.argmax(dim=1), lexicon)


@torch.no_grad()
def sample(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, temperature: float, seed: int,
           lexicon: Lexicon | None = None) -> list[list[int]]:
    gen = torch.Generator(device=codes.device).manual_seed(int(seed))
    temperature = max(1e-3, float(temperature))

    def pick(logits: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(logits / temperature, dim=1)
        return torch.multinomial(probs, 1, generator=gen).squeeze(1)

    return _run(ae, codes, max_len, pick, lexicon)


def _run(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, pick: Any,
         lexicon: Lexicon | None) -> list[list[int]]:
    """Step the decoder for every code at once until each has written EOS or ``max_len`` characters."""
    n = codes.shape[0]
    banned = _banned_mask(ae.vocab_size, codes.device)
    nodes = lexicon.start(n, codes.device) if lexicon is not None else None
    state = ae.initial_state(codes)
    token = torch.full((n,), BOS, dtype=torch.long, device=codes.device)
    done = torch.zeros(n, dtype=torch.bool, device=codes.device)
    out = []
    for t in range(max_len + 1):
        logits, state = ae.step(token, state, codes)
        token = pick(_allowed_logits(logits, banned, lexicon, nodes))
        token = torch.where(done | (t == max_len), torch.full_like(token, EOS), token)
        if lexicon is not None and nodes is not None:
            nodes = lexicon.advance(nodes, token)
        out.append(token)
        done |= token == EOS
        if bool(done.all()):
            break
    return torch.stack(out, dim=1).tolist() if out else [[] for _ in range(n)]


@torch.no_grad()
def beam_search(ae: TextAutoencoder, codes: torch.Tensor, max_len: int, width: int,
                lexicon: Lexicon | None = None) -> list[list[int]]:
    """The most likely line per code among ``width`` hypotheses (length-normalised when finished)."""
    n, k, device = codes.shape[0], max(1, int(width)), codes.device
    vocab = ae.vocab_size
    banned = _banned_mask(vocab, device)
    nodes = lexicon.start(n * k, device) if lexicon is not None else None
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
        logp = torch.log_softmax(_allowed_logits(logits, banned, lexicon, nodes), dim=1).view(n, k, vocab)
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
        if lexicon is not None and nodes is not None:
            nodes = lexicon.advance(nodes[rows], token)
        if bool(done.all()):
            break
    ranked = scores / lengths.clamp(min=1).pow(LENGTH_ALPHA)
    best = ranked.argmax(dim=1)
    return history[torch.arange(n, device=device), best].tolist()


def decode_codes(
    ae: TextAutoencoder, codes: Any, meta: dict[str, Any], options: dict[str, Any] | None = None
) -> list[str]:
    """Strings for a batch of codes, by the decoding named in ``options``."""
    options = options or {}
    method = options.get("decoding", "greedy")
    if method not in DECODINGS:
        raise ValueError(f"unknown decoding {method!r}; use one of {', '.join(DECODINGS)}")
    device = next(ae.parameters()).device
    codes = _as_codes(codes, device)
    if codes.shape[0] == 0:
        return []
    max_len = int(options.get("max_len", meta["max_len"]))
    lexicon = lexicon_for(meta) if options.get("lexicon", True) else None
    was_training = ae.training
    ae.eval()
    try:
        if method == "greedy":
            ids = greedy(ae, codes, max_len, lexicon)
        elif method == "sample":
            temperature, seed = float(options.get("temperature", 1.0)), int(options.get("seed", 0))
            ids = sample(ae, codes, max_len, temperature, seed, lexicon)
        else:
            ids = beam_search(ae, codes, max_len, int(options.get("beam", 4)), lexicon)
    finally:
        ae.train(was_training)
    vocab = Vocab.from_meta(meta)
    texts = [vocab.decode(row) for row in ids]
    return [lexicon.finish(t) for t in texts] if lexicon is not None else texts


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
