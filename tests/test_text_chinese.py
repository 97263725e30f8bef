"""Scripts without spaces: the character n-gram phrasing, the verse form and its alarm, and a real Chinese run."""
from __future__ import annotations

import math
import random
from collections import Counter

import pytest
import torch

from studio.domains.text import DOMAIN, calibration
from studio.domains.text.char_phrasing import CharPhrasing, char_ngrams, fit_order
from studio.domains.text.form import describe, dominant_form, line_form
from studio.domains.text.metrics import corpus_reference, sample_alarms, text_metrics
from studio.domains.text.phrasing import PRIOR_SHARE, DecodeState
from studio.domains.text.vocab import BOS, Vocab
from studio.domains import get_domain

WORDS = ["山水", "花月", "春风", "秋雨", "江天", "松竹", "白云", "归人"]  # two-character words of a made-up verse
ENDS = "来去落开"
PROSE = ["And God said, Let there be light.", "In the beginning", "the earth was without form, and void;",
         "And the evening and the morning were the first day."]


def couplets(count: int, seed: int = 0) -> list[str]:
    """5+5 couplets: each half two words and an ending, so character pairs inside a word always go together."""
    rng = random.Random(seed)
    half = lambda: rng.choice(WORDS) + rng.choice(WORDS) + rng.choice(ENDS)
    return [f"{half()}，{half()}。" for _ in range(count)]


def test_the_character_pair_prior_gives_the_known_witten_bell_answer():
    lines = ["ab", "ab", "ac"]
    vocab = Vocab.build(Counter("".join(lines)))
    model = CharPhrasing(char_ngrams(lines, vocab), vocab.itos, order=2)
    probs = model.probabilities(torch.tensor([[vocab.stoi["a"]]]))[0]
    unigram = {"a": 3 / 9, "b": 2 / 9, "c": 1 / 9, "</s>": 3 / 9}  # line ends count as a symbol
    # after "a": b twice, c once (C = 3 in T = 2 kinds) -> (count + T * unigram) / (C + T)
    for ch, count in (("b", 2), ("c", 1), ("a", 0), ("</s>", 0)):
        assert float(probs[vocab.stoi[ch]]) == pytest.approx((count + 2 * unigram[ch]) / 5, rel=1e-5)
    assert float(probs.sum()) == pytest.approx(1.0, rel=1e-5)
    first = model.probabilities(torch.tensor([[BOS]]))[0]  # every line starts with "a"
    assert float(first[vocab.stoi["a"]]) == pytest.approx((3 + 1 * unigram["a"]) / 4, rel=1e-5)

    scores = model.scores(DecodeState(None, torch.tensor([[vocab.stoi["a"]]])))[0]
    expected = math.log((2 + 2 * unigram["b"]) / 5) - PRIOR_SHARE * math.log(unigram["b"])
    assert float(scores[vocab.stoi["b"]]) == pytest.approx(expected, rel=1e-4)
    assert float(scores[vocab.stoi["</s>"]]) == 0.0  # only letters are scored


def test_the_trigram_backs_off_to_the_pair_and_the_order_is_fitted_to_held_out_lines():
    lines = ["xab", "yac"] * 20  # after "a" comes b or c, and the character before "a" says which
    vocab = Vocab.build(Counter("".join(lines)))
    packed = char_ngrams(lines, vocab)
    ids = lambda text: torch.tensor([[vocab.stoi[ch] for ch in text]])
    pair = CharPhrasing(packed, vocab.itos, order=2).probabilities(ids("xa"))[0]
    triple = CharPhrasing(packed, vocab.itos, order=3).probabilities(ids("xa"))[0]
    b, c = vocab.stoi["b"], vocab.stoi["c"]
    assert float(pair[b]) == pytest.approx(float(pair[c]))  # the pair alone cannot tell
    assert float(triple[b]) == pytest.approx((20 + 1 * float(pair[b])) / 21, rel=1e-5)  # "xa" seen 20 times, 1 kind
    assert float(triple[b]) > 0.9 > 0.1 > float(triple[c])
    assert fit_order(packed, ["xab", "yac"], vocab) == 3
    rng = random.Random(0)
    drawn = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=4)) for _ in range(200)]  # no order to learn
    loose = Vocab.build(Counter("".join(drawn)))
    assert fit_order(char_ngrams(drawn[:150], loose), drawn[150:], loose) == 1  # pairs seen once are noise


def test_line_forms_and_the_dominant_one():
    assert line_form("白日依山尽，黄河入海流。") == "5，5。"
    assert line_form("春眠不觉晓") == "5"
    assert describe("7，7。") == "7+7 with ，。" and describe("5") == "5 characters"
    assert dominant_form(couplets(50) + ["山水花月春风来。"] * 10) == ("5，5。", pytest.approx(50 / 60))
    assert dominant_form(PROSE) is None  # no form holds form.MIN_SHARE of the lines


def test_the_form_alarm_fires_when_samples_break_the_form_and_clears_when_they_keep_it():
    lines = couplets(400)
    reference = corpus_reference(lines[:300], lines[300:])
    assert reference["form"] == 1.0
    broken = [line.replace("，", "") if i % 3 == 0 else line[:-1] for i, line in enumerate(couplets(40, seed=9))]
    figures = text_metrics(broken, lines[:300])
    assert figures["form"] == 0.0
    found = sample_alarms(figures, reference)
    assert any(str(a).startswith("form: 0% of samples keep the folder's form") for a in found), found
    kept = text_metrics(couplets(40, seed=9), lines[:300])
    assert kept["form"] == 1.0 and not any(a.kind == "form" for a in sample_alarms(kept, reference))
    english = text_metrics(["the moon is bright"], PROSE)
    assert "form" not in english  # no dominant form, no figure


@pytest.fixture(scope="module")
def chinese_run(tmp_path_factory):
    """A few real steps on a folder of 5+5 couplets, through the session: import, training, phrasing fit."""
    from studio.core.session import TrainingSession

    root = tmp_path_factory.mktemp("chinese")
    folder = root / "verse"
    folder.mkdir()
    (folder / "couplets.txt").write_text("\n".join(couplets(300)), "utf-8")
    base = DOMAIN.presets["cpu-small"]
    overrides = {
        "z_dim": 8, "batch_size": 16, "sample_every": 1000, "metrics_every": 1000, "checkpoint_every": 1000,
        "net": {**base.net, "ae_steps": 40, "ae_lr": 1e-2, "emb_dim": 16, "hidden": 48, "code_dim": 16,
                "g_hidden": 32, "d_hidden": 32},
        "import_options": {**base.import_options, "max_len": 16, "min_count": 1, "heldout": 0.4},
    }
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    session = TrainingSession.create(root / "run", get_domain("text"), folder, steps=45, pretrain_steps=40, device="cpu",
                                     overrides=overrides)
    events: list = []
    status = session.run(lambda event: events.append((event.kind, event.payload())))
    torch.set_num_threads(threads)
    return session, status, events, root / "run"


def test_a_chinese_folder_trains_and_fits_its_own_phrasing_weight(chinese_run):
    from studio.core.model import load_model

    session, status, events, run_dir = chinese_run
    assert status == "finished", [p for k, p in events if k == "error"]
    meta = session.corpus.meta
    assert meta["language"] == "Chinese" and "lexicon" not in meta and meta["char_ngrams"]
    assert meta["form"] == "5，5。" and session.corpus.report.details["form"].startswith("5+5 with ，。")
    assert len(meta["heldout"]) >= calibration.MIN_HELDOUT
    fitted = session.decode_defaults["phrasing"]  # calibration picked a weight for a spaceless corpus
    assert calibration.LOWEST <= fitted <= calibration.HIGHEST
    model = load_model(run_dir, get_domain)
    assert model.decode_defaults == {"phrasing": fitted}
    texts = model.render_seeds(list(range(8)))
    assert all(isinstance(t, str) and t and "\ufffd" not in t for t in texts)
    reference = DOMAIN.reference_metrics(session.corpus)
    assert reference["form"] == 1.0


def test_character_phrasing_steers_decoding_towards_the_corpus_pairs(chinese_run):
    from studio.core.domain import ModelContext

    session, _, _, _ = chinese_run
    corpus = session.corpus
    pairs = {line[i : i + 2] for line in couplets(300) for i in range(len(line) - 1)}
    torch.manual_seed(3)
    babbler = DOMAIN.pretrainer(session.preset, corpus, torch.device("cpu")).autoencoder  # untrained
    ctx = ModelContext(session.preset, corpus.meta, torch.device("cpu"), aux={"autoencoder": babbler}, options={})
    codes = torch.randn(64, 16, generator=torch.Generator().manual_seed(4))

    def corpus_pair_share(weight: float) -> float:
        lines = DOMAIN.decode_codes(codes, ctx, {"decoding": "sample", "temperature": 1.0, "seed": 2,
                                                 "phrasing": weight})
        found = [line[i : i + 2] for line in lines for i in range(len(line) - 1)
                 if line[i].isalpha() and line[i + 1].isalpha()]
        return sum(p in pairs for p in found) / max(1, len(found))

    assert corpus_pair_share(4.0) > corpus_pair_share(0.0) + 0.3
    beam = DOMAIN.decode_codes(codes[:4], ctx, {"decoding": "beam", "beam": 3, "phrasing": 1.0})
    assert len(beam) == 4 and all(isinstance(t, str) for t in beam)


def test_an_alphabet_larger_than_the_decoder_state_gets_a_factorised_output_layer():
    from studio.domains.text.autoencoder import build_autoencoder

    preset = DOMAIN.presets["cpu-small"]
    hidden, rank = preset.net["hidden"], preset.net["out_rank"]
    big = build_autoencoder(preset, {"vocab": [str(i) for i in range(hidden * 4)]})
    assert [layer.out_features for layer in big.out] == [rank, hidden * 4]
    small = build_autoencoder(preset, {"vocab": list("abcdefgh")})
    assert isinstance(small.out, torch.nn.Linear) and small.out.out_features == 8  # as every run before
    state = big.initial_state(torch.nn.functional.normalize(torch.randn(2, preset.net["code_dim"]), dim=1))
    logits, _ = big.step(torch.tensor([BOS, BOS]), state, torch.zeros(2, preset.net["code_dim"]))
    assert logits.shape == (2, hidden * 4)
