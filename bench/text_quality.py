"""Text quality (issues 4 and 14): cpu-small on English and Chinese verse against held-out real lines of each.

``--corpus kjv`` (English), ``song`` (Chinese) or ``both`` (the default, one
after the other).  The English corpus is Debian's public-domain King James Version (package
``bible-kjv``, whose ``bible`` program prints it; installed with apt at
bench time if missing and possible).  Each verse is cut after every comma,
semicolon, colon and full stop into clauses, about 105k distinct lines, and
written into a cache folder outside the repository.  Where the Bible cannot
be had the bench says so and falls back to lines made by the text demo's
English templates, clearly labelled.  cpu-small then trains through the app's
own TrainingSession for ``--minutes`` of wall clock (autoencoder first, then
the latent GAN).  When training stops the run fits its phrasing weight to
its held-out lines (calibration.py, on seeds of its own); that time counts in
the ``--minutes``.  EMA-G's codes of sixteen groups of 256 seeds, decoded as
the studio decodes the finished run (sampling at temperature 1 with the run's
own phrasing weight), with options.py's fixed default weight (which the
metric plots use), with 0.2 less and more phrasing, without phrasing, and
greedily without phrasing, are scored beside sixteen draws of 256 of the
importer's held-out real lines, all against the training lines.  Each group
is scored on its own (self-BLEU depends on how many lines are compared) and
the table shows the means.  Sixteen, because one line's BLEU-2 varies so
much that the mean of four groups (1,024 lines) of one model still moved by
0.006 to 0.009 from one set of seeds to the next, as much room as the
targets leave; sixteen halve that.

The Chinese corpus is the Song-dynasty shi poems of the npm package
``chinese-poetry`` (``quantangshi/poet.song.*.json``; its Tang collections
are left aside, kept for an independent check), fetched with ``npm pack``
into the cache folder at bench time.  Each paragraph of a poem is one
couplet; the couplets whose form (studio.domains.text.form: lengths of the
character runs and the punctuation between them) is the collection's
commonest are kept, which is 7+7 with ，。 (533k of 1.1M paragraphs; 5+5 is a
close second), shuffled with a fixed seed so the importer's line cap takes
poets of every period, one couplet a line.

Targets (issue 4, English): BLEU-2 within 0.02 of the real lines', self-BLEU-2
at most 0.05 above theirs, copied lines under 2 %, and at least 90 % of
generated words being words of the corpus.  (Issue 14, Chinese): BLEU-2
within 0.03, self-BLEU-2 at most 0.05 above, at least 98 % of lines in the
corpus's dominant form, copied lines under 2 %.
"""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import load, quality_parser, train_for  # noqa: E402

SAMPLES = 256  # lines per group: self-BLEU is measured within a group
GROUPS = 16
SAMPLE_SEED_BASE = 2_000_000
CORPUS_VERSION = 1  # bump when the lines written change
POETRY_PACKAGE = "chinese-poetry@2.0.1"
SONG_FILES = re.compile(r"quantangshi/poet\.song\.\d+\.json$")
VERSE = re.compile(r"^\s+\d+\s+(.*\S)\s*$")
CLAUSE_END = re.compile(r"(?<=[,;:.?!])\s+")
FALLBACK_LINES = 100_000
FIT_RESERVE_S = 25  # training stops this early, so fitting the phrasing weight ends within the minutes


def decodings(fitted: float | None) -> dict[str, dict[str, Any]]:
    """The run's own decoding first (its fitted phrasing, calibration.py), the studio's fixed default (options.py),
    0.2 less and more phrasing than the first, the model alone, greedy."""
    from studio.domains.text.options import DEFAULT_OPTIONS

    base = {"decoding": "sample", "temperature": DEFAULT_OPTIONS["temperature"], "seed": 0}
    default = float(DEFAULT_OPTIONS["phrasing"])
    weight = default if fitted is None else fitted
    sampled = f"sampled (T={base['temperature']:g})"
    whose = "default" if fitted is None else "the run's own"
    rows = {f"{sampled}, phrasing {weight:g} ({whose})": {**DEFAULT_OPTIONS, "phrasing": weight}}
    if fitted is not None:
        rows[f"{sampled}, phrasing {default:g} (the fixed default)"] = dict(DEFAULT_OPTIONS)
    rows[f"{sampled}, phrasing {weight - 0.2:g}"] = {**base, "phrasing": round(weight - 0.2, 2)}
    rows[f"{sampled}, phrasing {weight + 0.2:g}"] = {**base, "phrasing": round(weight + 0.2, 2)}
    rows[f"{sampled}, no phrasing"] = {**base, "phrasing": 0}  # the model alone, without the corpus's word pairs
    rows["greedy, no phrasing"] = {"decoding": "greedy", "phrasing": 0}
    return rows


def _bible_text() -> str | None:
    """The whole KJV, one verse a line, from Debian's ``bible`` program (installed if possible), or None."""
    if shutil.which("bible") is None and shutil.which("apt-get") is not None:
        print("the King James Bible is not installed; trying apt-get install -y bible-kjv ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "bible-kjv"], stdout=subprocess.DEVNULL)
    if shutil.which("bible") is None:
        return None
    done = subprocess.run(["bible", "-l100000", "gen1:1-rev22:21"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 and done.stdout.strip() else None


def corpus_folder(cache: Path) -> tuple[Path, str]:
    """(folder holding one .txt of lines, what the corpus is), written once per cache folder."""
    for name, label in (("kjv", "King James Bible (Debian bible-kjv), verses cut into clauses"),
                        ("generated", "GENERATED English lines from the text demo's templates (no Bible here)")):
        folder = cache / f"text-{name}-v{CORPUS_VERSION}"
        if (folder / "lines.txt").exists():
            return folder, label
    text = _bible_text()
    if text is not None:
        verses = [m.group(1) for m in map(VERSE.match, text.splitlines()) if m]
        lines = [c for v in verses for c in CLAUSE_END.split(v) if c]
        name, label = "kjv", f"King James Bible (Debian bible-kjv): {len(verses)} verses cut into clauses"
    else:
        from studio.domains.text.demo import english_line

        print("could not get the King James Bible: falling back to GENERATED lines", flush=True)
        rng = random.Random(0)
        lines = [english_line(rng) for _ in range(FALLBACK_LINES)]
        name, label = "generated", "GENERATED English lines from the text demo's templates (no Bible here)"
    folder = cache / f"text-{name}-v{CORPUS_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lines.tmp").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "lines.tmp").replace(folder / "lines.txt")
    return folder, label


def _poetry_archive(cache: Path) -> Path | None:
    """The chinese-poetry package's tarball, fetched with ``npm pack`` into the cache once; None without npm."""
    folder = cache / "npm"
    found = sorted(folder.glob("chinese-poetry-*.tgz"))
    if found:
        return found[-1]
    if shutil.which("npm") is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    print(f"fetching {POETRY_PACKAGE} with npm pack into {folder} ...", flush=True)
    subprocess.run(["npm", "pack", POETRY_PACKAGE], cwd=folder, stdout=subprocess.DEVNULL)
    found = sorted(folder.glob("chinese-poetry-*.tgz"))
    return found[-1] if found else None


def song_folder(cache: Path) -> tuple[Path, str] | None:
    """(folder holding one .txt of Song couplets of the collection's dominant form, what it is), or None."""
    import tarfile
    from collections import Counter

    from studio.domains.text.form import describe, line_form

    folder = cache / f"text-song-v{CORPUS_VERSION}"
    about = cache / f"text-song-v{CORPUS_VERSION}.label"  # beside the folder: a .txt inside would be imported
    if (folder / "lines.txt").exists() and about.exists():
        return folder, about.read_text("utf-8")
    archive = _poetry_archive(cache)
    if archive is None:
        print("could not get the chinese-poetry package (npm missing or offline)", flush=True)
        return None
    couplets = []
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile() and SONG_FILES.search(member.name):
                for poem in json.load(tar.extractfile(member)):
                    couplets += [p.strip() for p in poem.get("paragraphs") or [] if p.strip()]
    forms = Counter(line_form(c) for c in couplets)
    form, count = forms.most_common(1)[0]
    lines = [c for c in couplets if line_form(c) == form]
    random.Random(0).shuffle(lines)
    label = (f"Song shi poems of {archive.name} (quantangshi/poet.song.*.json): the {count} of {len(couplets)} "
             f"couplets in the commonest form, {describe(form)}")
    folder.mkdir(parents=True, exist_ok=True)
    about.write_text(label, "utf-8")
    (folder / "lines.tmp").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "lines.tmp").replace(folder / "lines.txt")
    return folder, label


def sample_lines(session: Any, count: int = SAMPLES * GROUPS) -> dict[str, list[str]] | None:
    """Decodings of ``count`` EMA-G codes by each of :func:`decodings`; None while the autoencoder still trains."""
    from studio.core.latent import seeds_to_z

    trainer = session.trainer
    if trainer.in_pretraining:
        return None
    output = trainer.generate(seeds_to_z(list(range(SAMPLE_SEED_BASE, SAMPLE_SEED_BASE + count)),
                                         trainer.preset.z_dim))
    ctx = trainer.model_context()
    rows = decodings(session.decode_defaults.get("phrasing"))
    return {name: session.domain.decode_codes(output, ctx, options) for name, options in rows.items()}


ROWS = (  # key, label (the targets per corpus are in TARGETS)
    ("bleu2", "BLEU-2"),
    ("self_bleu2", "self-BLEU-2"),
    ("copied", "copied lines"),
    ("in_vocab", "real-word rate"),
    ("form", "in the form"),
    ("bleu3", "BLEU-3"),
    ("distinct2", "distinct-2"),
    ("novel4", "novel 4-grams"),
    ("mean_chars", "characters"),
)
TARGETS = {  # corpus -> key -> (test on (samples, real), target text)
    "kjv": {
        "bleu2": (lambda s, r: abs(s - r) <= 0.02, "within 0.02"),
        "self_bleu2": (lambda s, r: s <= r + 0.05, "at most +0.05"),
        "copied": (lambda s, r: s < 0.02, "under 2 %"),
        "in_vocab": (lambda s, r: s >= 0.90, "at least 90 %"),
    },
    "song": {
        "bleu2": (lambda s, r: abs(s - r) <= 0.03, "within 0.03"),
        "self_bleu2": (lambda s, r: s <= r + 0.05, "at most +0.05"),
        "copied": (lambda s, r: s < 0.02, "under 2 %"),
        "form": (lambda s, r: s >= 0.98, "at least 98 %"),
    },
}
ISSUES = {"kjv": "issue 4", "song": "issue 14"}


def group_metrics(lines: list[str], index: Any, size: int = SAMPLES) -> dict[str, float]:
    """Each figure's mean over consecutive groups of ``size`` lines."""
    from studio.domains.text.metrics import text_metrics

    groups = [text_metrics(lines[i : i + size], index) for i in range(0, len(lines), size)]
    keys = {key for g in groups for key in g}  # a figure is absent where a group has nothing to count
    return {key: sum(g[key] for g in groups if key in g) / sum(key in g for g in groups) for key in keys}


def print_table(title: str, real: dict[str, float], fake: dict[str, float], corpus: str) -> list[str]:
    """Prints real lines vs samples per figure; returns the targeted figures that failed."""
    print(title)
    print(f"  {'figure':16s} {'real':>8s} {'samples':>8s} {'gap':>8s}")
    failed = []
    for key, label in ROWS:
        if key not in real and key not in fake and key not in TARGETS[corpus]:
            continue
        r, s = real.get(key, float("nan")), fake.get(key, float("nan"))
        mark = ""
        test, target = TARGETS[corpus].get(key, (None, ""))
        if test is not None:
            mark = f"{'PASS' if test(s, r) else 'FAIL'} ({target})"
            if mark.startswith("FAIL"):
                failed.append(label)
        print(f"  {label:16s} {r:8.3f} {s:8.3f} {s - r:+8.3f}  {mark}")
    return failed


def bench(corpus_name: str, args: Any) -> None:
    """Trains cpu-small on one corpus for ``args.minutes`` and prints its table and PASS/FAIL per target."""
    import torch

    from studio.core.session import TrainingSession
    from studio.domains import get_domain
    from studio.domains.text import DOMAIN
    from studio.domains.text.corpus import corpus_lines
    from studio.domains.text.metrics import corpus_index

    found = corpus_folder(args.cache) if corpus_name == "kjv" else song_folder(args.cache)
    if found is None:
        print(f"{corpus_name}: no corpus, nothing measured")
        return
    folder, label = found
    run_dir = Path(tempfile.mkdtemp(prefix="gan-studio-text-bench-")) / "run"
    session = TrainingSession.create(run_dir, get_domain("text"), folder, preset=args.preset, steps=10**8, seed=0, device="cpu",
                                     pretrain_steps=DOMAIN.pretrain_steps(DOMAIN.presets[args.preset]))
    corpus = session.corpus
    heldout = list(corpus.meta.get("heldout") or [])
    draw = min(SAMPLES, len(heldout))  # a small held-out set is drawn whole, each time alike
    real_lines = [line for g in range(GROUPS) for line in random.Random(g).sample(heldout, draw)]
    index = corpus_index(corpus_lines(corpus))
    real = group_metrics(real_lines, index, max(1, draw))
    details = corpus.report.details
    print(f"corpus: {label}")
    print(f"  {corpus.report.items} training lines, {len(heldout)} held out, "
          f"vocabulary {len(corpus.meta['vocab'])} characters (unknown {details.get('unk_rate', 0):.2%} of "
          f"characters), language {corpus.meta.get('language')}, phrasing {details.get('phrasing')}, "
          f"form {details.get('form')}")
    print(f"start: {load()}", flush=True)

    began = time.monotonic()
    run = train_for(session, args.minutes, sample_lines, at=(min(5.0, args.minutes / 2),),
                    reserve_s=FIT_RESERVE_S, clock=time.process_time if args.clock == "cpu" else time.monotonic)
    trainer = session.trainer
    print(f"wall clock {(time.monotonic() - began) / 60:.2f} min (snapshots included)")
    print(f"trained {args.preset} for {run.seconds / 60:.2f} {args.clock} min: {trainer.pre_step} autoencoder steps "
          f"(of {trainer.pretrain_steps}) + {trainer.gan_step} GAN steps, "
          f"{torch.get_num_threads()} torch thread(s) on {trainer.device}")
    print(f"end:   {load()}")
    verdicts = {}
    for minutes, decoded in sorted(run.snapshots.items()):
        if decoded is None:
            print(f"after {minutes:g} min: still training the autoencoder, no samples yet")
            continue
        for name, lines in decoded.items():
            title = (f"after {minutes:g} min: means over {GROUPS} groups of {SAMPLES}, held-out real lines vs "
                     f"samples, {name}")
            verdicts[name] = print_table(title, real, group_metrics(lines, index), corpus_name)
            print("  samples: " + " | ".join(lines[:8]))
    for name in verdicts or ["(no samples)"]:
        failed = verdicts.get(name, ["no samples"])
        print(f"{corpus_name} targets ({ISSUES[corpus_name]}), {name}: "
              + ("PASS, all met" if not failed else f"FAIL, missed: {', '.join(failed)}"))


def main() -> None:
    parser = quality_parser(__doc__, "the corpora's lines")
    parser.add_argument("--corpus", choices=("kjv", "song", "both"), default="both",
                        help="English (the King James Bible), Chinese (Song poems) or both, one after the other")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="what --minutes counts: wall clock, or the CPU time this process gets (for a machine "
                             "other work shares)")
    args = parser.parse_args()
    for name in ("kjv", "song") if args.corpus == "both" else (args.corpus,):
        bench(name, args)


if __name__ == "__main__":
    main()
