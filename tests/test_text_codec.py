"""Decoding (greedy, sampling, beam), typed-line encoding, exports, and a real run through the session."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from studio.core.domain import ModelContext
from studio.domains.text import DOMAIN
from studio.domains.text.corpus import corpus_lines, import_text_folder
from studio.domains.text.vocab import UNK_GLYPH
from studio.domains import get_domain

LINES = ["the moon is bright", "a river runs", "stars fall down", "we sing at night"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny autoencoder that has memorised four lines (a few seconds of training)."""
    folder = tmp_path_factory.mktemp("codec") / "lines"
    folder.mkdir()
    (folder / "a.txt").write_text("\n".join(LINES), "utf-8")
    corpus = import_text_folder(folder, {"heldout": 0.0, "max_len": 24, "min_count": 1}, use_cache=False)
    base = DOMAIN.presets["cpu-small"]
    preset = dataclasses.replace(
        base, z_dim=8, net={**base.net, "ae_steps": 100, "ae_lr": 1e-2, "emb_dim": 16, "hidden": 64, "code_dim": 16,
                            "code_noise": 0.0, "word_dropout": 0.0}
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module fixtures run before conftest's per-test thread setting
    torch.manual_seed(0)
    pre = DOMAIN.pretrainer(preset, corpus, torch.device("cpu"))
    rows = DOMAIN.real_batch(corpus.data, corpus.meta, train=True)
    for _ in range(pre.total_steps):
        pre.step(rows)
    torch.set_num_threads(threads)
    ctx = ModelContext(preset, corpus.meta, torch.device("cpu"), aux=pre.modules, options={})
    return corpus, preset, pre, ctx


def test_greedy_and_beam_reconstruct_memorised_lines(trained):
    corpus, _, pre, ctx = trained
    codes = pre.encode(corpus.data)
    assert DOMAIN.decode_codes(codes, ctx, {"decoding": "greedy", "phrasing": 0}) == corpus_lines(corpus)
    beam = DOMAIN.decode_codes(codes, ctx, {"decoding": "beam", "beam": 3})
    assert beam == corpus_lines(corpus)
    one = DOMAIN.decode_codes(codes, ctx, {"decoding": "beam", "beam": 1})
    assert one == DOMAIN.decode_codes(codes, ctx, {"decoding": "greedy"})  # width 1 is greedy


def test_sampling_is_seeded_and_temperature_matters(trained):
    _, _, _, ctx = trained
    codes = torch.nn.functional.normalize(torch.randn(6, 16, generator=torch.Generator().manual_seed(3)), dim=1)
    hot = {"decoding": "sample", "temperature": 2.0, "seed": 5}
    first = DOMAIN.decode_codes(codes, ctx, hot)
    assert first == DOMAIN.decode_codes(codes, ctx, hot)
    assert first != DOMAIN.decode_codes(codes, ctx, {**hot, "seed": 6})
    cold = DOMAIN.decode_codes(codes, ctx, {"decoding": "sample", "temperature": 1e-4, "seed": 5, "phrasing": 0})
    assert cold == DOMAIN.decode_codes(codes, ctx, {"decoding": "greedy", "phrasing": 0})
    for text in first:
        assert isinstance(text, str) and len(text) <= 24 and UNK_GLYPH not in text
    with pytest.raises(ValueError):
        DOMAIN.decode_codes(codes, ctx, {"decoding": "nucleus"})


def test_a_sampled_line_is_the_same_alone_as_in_any_batch(trained):
    _, _, _, ctx = trained
    codes = torch.nn.functional.normalize(torch.randn(8, 16, generator=torch.Generator().manual_seed(7)), dim=1)
    options = {"decoding": "sample", "temperature": 1.5, "seed": 3}
    batch = DOMAIN.decode_codes(codes, ctx, options)
    assert [DOMAIN.decode_codes(codes[i : i + 1], ctx, options)[0] for i in range(8)] == batch
    assert DOMAIN.decode_codes(codes.flip(0), ctx, options) == batch[::-1]


def test_line_draws_sample_at_the_temperature():
    from studio.domains.text.draws import LineDraws

    codes = torch.nn.functional.normalize(torch.randn(20_000, 16, generator=torch.Generator().manual_seed(1)), dim=1)
    logp = torch.log(torch.tensor([0.6, 0.3, 0.1])).expand(len(codes), 3)
    for temperature in (1.0, 0.5):
        counts = torch.bincount(LineDraws(codes, seed=0, temperature=temperature)(logp), minlength=3).double()
        expected = torch.softmax(logp[0].double() / temperature, dim=0)
        assert torch.allclose(counts / counts.sum(), expected, atol=0.03), (temperature, counts)
    first = LineDraws(codes[:50], seed=0, temperature=1.0)(logp[:50])
    assert not torch.equal(first, LineDraws(codes[:50], seed=1, temperature=1.0)(logp[:50]))  # the seed draws anew


def test_typed_lines_round_trip_and_blends(trained):
    _, _, _, ctx = trained
    code = DOMAIN.encode_text("stars fall down", ctx)
    assert code.shape == (16,) and code.dtype == np.float32
    assert DOMAIN.decode_codes(code[None], ctx, {"decoding": "greedy"}) == ["stars fall down"]
    other = DOMAIN.encode_text("the moon is bright", ctx)
    blend = 0.5 * code + 0.5 * other  # shorter than unit length; decode puts it back on the sphere
    assert len(DOMAIN.decode_codes(blend[None], ctx)) == 1
    assert DOMAIN.decode_codes(np.zeros((0, 16), np.float32), ctx) == []


def test_metrics_of_decoded_codes(trained):
    corpus, _, pre, ctx = trained
    figures = DOMAIN.metrics(pre.encode(corpus.data), corpus, ctx)  # the default decoding: sampled, phrased
    assert figures["copied"] >= 0.5 and figures["bleu2"] > 0.7  # memorised codes mostly give their lines back
    near, same = DOMAIN.nearest_training(["stars fall dow", "stars fall down"], corpus)
    assert near.item == "stars fall down" and not near.copied and 0 < near.distance < 0.5
    assert same.copied and same.distance == 0.0 and same.label == "the same line"
    assert DOMAIN.preview_items(corpus.data[near.index : near.index + 1].numpy(), corpus.meta) == ["stars fall down"]


def test_the_lexicon_spells_only_words_of_the_corpus(trained):
    from studio.domains.text.lexicon import Lexicon
    from studio.domains.text.metrics import words

    corpus, preset, _, _ = trained
    lexicon = set(corpus.meta["lexicon"])
    assert lexicon == {w for line in LINES for w in words(line)}
    torch.manual_seed(3)
    babbler = DOMAIN.pretrainer(preset, corpus, torch.device("cpu")).autoencoder  # untrained: spells anything
    ctx = ModelContext(preset, corpus.meta, torch.device("cpu"), aux={"autoencoder": babbler}, options={})
    codes = torch.randn(24, 16)
    for options in ({"decoding": "greedy"}, {"decoding": "sample", "temperature": 2.0, "seed": 1},
                    {"decoding": "beam", "beam": 3}):
        lines = DOMAIN.decode_codes(codes, ctx, options)
        assert sum(len(words(line)) for line in lines) > 0
        assert all(set(words(line)) <= lexicon for line in lines), (options, lines)
        free = DOMAIN.decode_codes(codes, ctx, {**options, "lexicon": False})
        assert not all(set(words(line)) <= lexicon for line in free), options

    vocab = ["<pad>", "<s>", "</s>", "<unk>", " ", ",", "'", "t", "h", "e", "s", "a", "T", "x"]
    lex = Lexicon.build(["the", "sea", "sea's"], vocab)
    start = lambda: lex.start(1, torch.device("cpu"))
    allowed = lambda state: {vocab[i] for i in torch.nonzero(lex.allowed(state)[0]).flatten().tolist()}
    walk = lambda state, text: [state := lex.advance(state, torch.tensor([vocab.index(ch)])) for ch in text][-1]
    assert allowed(start()) == {"</s>", " ", ",", "'", "t", "T", "s"}  # a word starts, or a separator
    assert allowed(walk(start(), "Th")) == {"e"}  # mid-word: nothing ends "th"
    sea = walk(start(), "sea")
    assert allowed(sea) == {"</s>", " ", ",", "'"}  # "sea" ends, or goes on to "sea's"
    after = walk(sea, " ")
    assert int(after.nodes) == 0 and int(after.prev) == lex.word_id["sea"]  # the finished word is remembered
    assert int(walk(after, ",").prev) == lex.word_id["sea"]  # punctuation between words keeps it
    assert Lexicon.build(["zzz"], vocab) is None  # nothing spellable


def test_phrasing_scores_characters_by_the_corpus_word_pairs():
    from studio.domains.text.lexicon import Lexicon
    from studio.domains.text.phrasing import PRIOR_SHARE, DecodeState
    from studio.domains.text.word_phrasing import SMOOTHING, WordPhrasing, word_pairs

    vocab = ["<pad>", "<s>", "</s>", "<unk>", " ", ",", "t", "h", "e", "m", "o", "n", "s", "a"]
    words = ["the", "moon", "sea"]  # counts 3, 2, 1
    lex = Lexicon.build(words, vocab)
    phrasing = WordPhrasing(lex, words, word_pairs(["the moon", "the moon,", "the sea"], words))
    state = lex.start(1, torch.device("cpu"))
    for ch in "the ":
        state = lex.advance(state, torch.tensor([vocab.index(ch)]))
    probs = phrasing.scores(DecodeState(state, None))[0].exp()
    for ch, pairs, n in (("t", 0, 3), ("m", 2, 2), ("s", 1, 1)):  # after "the": the, moon, sea
        after_the = (pairs + SMOOTHING * n / 6) / (3 + SMOOTHING)  # the smoothed bigram P(word | "the")
        assert float(probs[vocab.index(ch)]) == pytest.approx(after_the / (n / 6) ** PRIOR_SHARE, rel=1e-5)
    assert float(probs[vocab.index(",")]) == 1.0  # between words only letters are scored
    for ch in "mo":
        state = lex.advance(state, torch.tensor([vocab.index(ch)]))
    assert float(phrasing.scores(DecodeState(state, None))[0, vocab.index("o")].exp()) == pytest.approx(1.0)  # "mo" must be "moon"


def test_phrasing_steers_decoding_towards_the_corpus_word_pairs(trained):
    from studio.domains.text.metrics import words

    corpus, preset, _, _ = trained
    pairs = {p for line in LINES for p in zip(words(line), words(line)[1:])}
    torch.manual_seed(3)
    babbler = DOMAIN.pretrainer(preset, corpus, torch.device("cpu")).autoencoder
    ctx = ModelContext(preset, corpus.meta, torch.device("cpu"), aux={"autoencoder": babbler}, options={})
    codes = torch.randn(48, 16, generator=torch.Generator().manual_seed(4))

    def corpus_pair_share(weight: float) -> float:
        lines = DOMAIN.decode_codes(codes, ctx, {"decoding": "sample", "temperature": 1.0, "seed": 2,
                                                 "phrasing": weight})
        found = [p for line in lines for p in zip(words(line), words(line)[1:])]
        return sum(p in pairs for p in found) / max(1, len(found))

    assert corpus_pair_share(4.0) > corpus_pair_share(0.0) + 0.3


def test_exports_text_and_json(tmp_path):
    info = {"seed": 7, "latent": np.arange(3, dtype=np.float32), "run": "runs/x", "step": 40, "metrics": {"bleu2": 0.5}}
    path = DOMAIN.save_artifact("the moon is bright", tmp_path / "one", info)
    assert path.suffix == ".txt" and path.read_text("utf-8") == "the moon is bright\n"
    meta = json.loads(path.with_suffix(".json").read_text("utf-8"))
    assert meta["text"] == "the moon is bright" and meta["seed"] == 7 and meta["latent"] == [0.0, 1.0, 2.0]
    assert meta["metrics"] == {"bleu2": 0.5}

    walk = DOMAIN.save_walk(["白日依山尽", "a river runs", "stars fall"], tmp_path / "walk.txt", {"seeds": [1, 2], "step": 9})
    lines = walk.read_text("utf-8").splitlines()
    assert lines[0].startswith("#") and "seeds 1 2" in lines[0] and "step 9" in lines[0]
    assert lines[1:] == ["白日依山尽", "a river runs", "stars fall"]
    assert json.loads(walk.with_suffix(".json").read_text("utf-8"))["texts"][0] == "白日依山尽"

    grid = DOMAIN.save_grid(["one\ntwo", "three"], tmp_path / "grid.txt", {"seeds": np.array([4, 5])})
    body = grid.read_text("utf-8").split("\n", 1)[1]
    assert body == "one\ntwo\n\nthree\n"  # stanzas are separated by a blank line
    assert json.loads(grid.with_suffix(".json").read_text("utf-8"))["seeds"] == [4, 5]
    assert not list(tmp_path.glob("*.tmp"))


def test_a_real_run_through_the_session(tmp_path):
    from studio.core.model import load_model
    from studio.core.session import TrainingSession

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "poems.txt").write_text("\n".join(f"the {w} sings of {v}" for w in LINES for v in ("dawn", "dusk")), "utf-8")
    base = DOMAIN.presets["cpu-small"]
    overrides = {
        "z_dim": 8, "batch_size": 8, "sample_every": 5, "metrics_every": 10, "checkpoint_every": 1000,
        "net": {**base.net, "ae_steps": 12, "emb_dim": 16, "hidden": 32, "code_dim": 16, "g_hidden": 32, "d_hidden": 32},
        "import_options": {**base.import_options, "max_len": 32},
    }
    session = TrainingSession.create(tmp_path / "run", get_domain("text"), folder, steps=22, pretrain_steps=12, device="cpu",
                                     overrides=overrides)
    events = []
    assert session.run(lambda event: events.append((event.kind, event.payload()))) == "finished"
    kinds = [k for k, _ in events]
    assert "error" not in kinds, [p for k, p in events if k == "error"]
    logs = [r for k, p in events if k == "log" for r in p["records"]]
    assert any("ae_acc" in r for r in logs) and any("d_loss" in r for r in logs)
    samples = [p for k, p in events if k == "samples"]
    assert all(isinstance(a, str) for a in samples[-1]["artifacts"])
    assert [p["step"] for p in samples] == [5, 10, 17, 22]  # from the G beside the autoencoder, then the fresh G's
    assert any("a fresh generator" in p["text"] for k, p in events if k == "message")
    measured = [p for k, p in events if k == "metrics"]
    assert [p["step"] for p in measured] == [22] and {"bleu2", "self_bleu2", "copied"} <= set(measured[0]["values"])

    model = load_model(tmp_path / "run", get_domain)
    texts = model.render_seeds([0, 1, 2])
    assert len(texts) == 3 and all(isinstance(t, str) for t in texts)
    assert texts == model.render_seeds([0, 1, 2])
    beam = model.render(np.zeros((1, 8), np.float32), {"decoding": "beam", "beam": 2, "psi": 0.7})
    assert isinstance(beam[0], str)

    plain = {**overrides, "net": {**overrides["net"], "adv_weight": 0.0}}
    session = TrainingSession.create(tmp_path / "plain", get_domain("text"), folder, steps=17, pretrain_steps=12, device="cpu",
                                     overrides=plain)
    events.clear()
    assert session.run(lambda event: events.append((event.kind, event.payload()))) == "finished"
    assert [p["step"] for k, p in events if k == "samples"] == [17]  # nothing to show until the GAN phase
