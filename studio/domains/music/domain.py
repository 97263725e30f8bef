"""The Music domain: what the generic pipeline calls (see ``studio/core/domain.py``).

Corpus rows are 0/1 piano-rolls; G's output space is [-1, 1] with -1 as
silence, so a cell sounds when its value is above 0 (probability 0.5).
torch is imported inside the methods: listing tabs and presets stays fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from studio.core.domain import CancelFn, Corpus, DomainBase, ModelContext, Neighbour, Preset, ProgressFn
from studio.domains.music.layout import has_metre_track, layout_indices, note_rolls
from studio.domains.music.presets import PRESETS
from studio.domains.music.roll import DRUMS, MERGED_ROLES, Clip, clip_from_meta
from studio.domains.music.scale_pull import OFF as SCALE_PULL_OFF

if TYPE_CHECKING:
    import torch
    from torch import nn

AUGMENTATIONS = ("translation",)
DEFAULT_THRESHOLD = 0.3
"""A cell sounds above this probability.  Below one half because decoding (voices.py) already keeps each track
to the corpus's number of notes at once and holds notes for the corpus's shortest length: the threshold only
decides whether a step sounds at all, and at 0.5 melodies break into gaps (docs/experiments/
2026-12-06-music-cpu-small-recipe.md).  Each run fits its own (calibration.py)."""
TIME_SHIFT_RATIO = 0.125  # translation moves a phrase by up to an eighth of its length (two beats of 4 bars)


def _pitched_mask(meta: dict[str, Any], device: "torch.device") -> "torch.Tensor":
    """Which tracks hold pitches: not drums (instruments), nor the metre track (the phrase's structure)."""
    import torch

    pitched = [role != DRUMS for role in meta["roles"]] + [False] * has_metre_track(meta)
    return torch.tensor(pitched, device=device)


def role_tracks(output: "torch.Tensor", meta: dict[str, Any]) -> "torch.Tensor":
    """G's output without the metre track: the notes of the corpus's roles, and nothing for a role it lacks."""
    roles = list(meta["roles"])
    expected = len(roles) + has_metre_track(meta)
    if output.shape[1] != expected:
        raise ValueError(f"the model writes {output.shape[1]} tracks but the corpus has {expected} "
                         f"(roles {', '.join(roles)}{' and the metre track' if has_metre_track(meta) else ''})")
    return output[:, : len(roles)]


def _on_phrase_grid(roll: np.ndarray, steps: int) -> np.ndarray:
    """A clip's roll cut or padded with silence to a phrase's full length (a clip holds only its bars)."""
    out = np.zeros((roll.shape[0], steps, roll.shape[2]), dtype=np.uint8)
    out[:, : min(steps, roll.shape[1])] = roll[:, :steps]
    return out


def random_transpose(x: "torch.Tensor", meta: dict[str, Any], max_shift: int,
                     generator: "torch.Generator | None" = None) -> "torch.Tensor":
    """Shifts each phrase's pitched tracks by up to ``max_shift`` semitones, never pushing a note out of range.

    Drums keep their pitches (they name instruments, not notes), and the metre track its rows.
    """
    import torch

    n, _, _, pitches = x.shape
    pitched = _pitched_mask(meta, x.device)
    if max_shift <= 0 or not bool(pitched.any()):
        return x
    used = (x[:, pitched] > 0).any(dim=(1, 2))  # N x pitches
    rows = torch.arange(pitches, device=x.device)
    low = torch.where(used, rows, pitches).min(dim=1).values
    high = torch.where(used, rows, -1).max(dim=1).values
    down = torch.clamp(low, max=max_shift)  # an empty phrase has low = pitches: any shift is fine
    up = torch.clamp(pitches - 1 - high, max=max_shift)
    r = torch.rand(n, generator=generator, device=generator.device if generator is not None else None)
    shift = (r.to(x.device) * (down + up + 1).float()).long().clamp(max=down + up) - down  # in [-down, up]
    source = rows.unsqueeze(0) - shift.unsqueeze(1)  # N x pitches: output row p reads row p - shift
    valid = (source >= 0) & (source < pitches)
    index = source.clamp(0, pitches - 1).view(n, 1, 1, pitches).expand_as(x)
    moved = torch.where(valid.view(n, 1, 1, pitches), x.gather(3, index), torch.full_like(x, -1.0))
    return torch.where(pitched.view(1, -1, 1, 1), moved, x)


def time_translation(x: "torch.Tensor", generator: "torch.Generator", ratio: float = TIME_SHIFT_RATIO) -> "torch.Tensor":
    """DiffAugment translation along time only (moving along pitch would change the key, not the phrase).

    The core op pads with 0, which in [-1, 1] would mean "half on": shifting
    x + 1 makes the padding silence.
    """
    from studio.core.augment import translation

    return translation(x + 1.0, generator, ratio=ratio, axes="h") - 1.0


class MusicDomain(DomainBase):
    """MIDI folders in, phrases of piano-roll out (see the module docstrings of this package)."""

    name = "music"
    title = "Music"
    artifact_suffix = ".mid"
    walk_suffix = ".mid"
    limits = {"meta.steps_per_beat": (1, 48), "meta.bars": (1, 64), "meta.steps": (1, 4096), "meta.lowest": (0, 127),
              "meta.pitches": (1, 128), "net.width": (1, 1024), "net.g_width": (1, 1024), "net.d_width": (1, 1024),
              "net.bar_dim": (1, 4096), "net.features": (1, 4096), "net.pack": (1, 16)}
    """Sizes a run or model file may describe (studio.core.validation checks them before building nets)."""
    presets: dict[str, Preset] = PRESETS
    figure_panels = {"bars and notes": ["EB", "QN", "PP", "DP", "BR", "LD", "OD", "UR"], "harmony": ["UPC", "TD", "NA"],
                     "melody and key": ["SC", "LP"]}
    figure_labels = {"EB": "empty bars", "QN": "qualified notes", "PP": "polyphony", "DP": "drums on the beat grid",
                     "BR": "bars repeating the one before", "LD": "note-length distance to the corpus",
                     "OD": "onset positions in the bar: distance to the corpus",
                     "UR": "notes in roles the corpus never plays", "NA": "notes sounding at once",
                     "SC": "notes in the clip's key", "LP": "melodic leaps over a fifth",
                     "UPC": "pitch classes per bar", "TD": "tonal distance between tracks"}

    def default_preset(self, device_type: str) -> str:
        return "gpu-large" if device_type == "cuda" else "cpu-small"

    # ----------------------------------------------------------------- data
    def import_folder(self, folder: str | Path, options: dict[str, Any], progress: ProgressFn | None = None,
                      cancel: CancelFn | None = None) -> Corpus:
        from studio.domains.music.corpus import import_midi

        return import_midi(folder, options, progress, cancel)

    def demo_corpus_folder(self, target: str | Path) -> Path:
        from studio.domains.music.demo import write_demo_folder

        return write_demo_folder(target)

    def real_batch(self, batch: "torch.Tensor", meta: dict[str, Any], train: bool) -> "torch.Tensor":
        x = batch.float() * 2.0 - 1.0
        if train:
            x = random_transpose(x, meta, int(meta.get("transpose", 0)))
        return x

    def augment(self, x: "torch.Tensor", policy: str, generator: "torch.Generator") -> "torch.Tensor":
        for name in (n.strip() for n in policy.split(",")):
            if not name:
                continue
            if name != "translation":
                raise ValueError(f"unknown music augmentation {name!r}; known: {', '.join(AUGMENTATIONS)}")
            x = time_translation(x, generator)
        return x

    # ----------------------------------------------------------------- nets
    def build_generator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        from studio.domains.music.nets import build_generator

        return build_generator(preset.z_dim, meta, preset.net)

    def build_discriminator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        from studio.domains.music.nets import build_discriminator

        return build_discriminator(meta, preset.net)

    # -------------------------------------------------------------- outputs
    def binarise(self, output: "torch.Tensor", options: dict[str, Any],
                 meta: dict[str, Any] | None = None) -> np.ndarray:
        """G output -> N x tracks x steps x pitches uint8 of 0/1 (with ``meta``, the role tracks only: never
        the metre track, and a model that writes other tracks than the corpus's roles is refused).

        ``options["threshold"]`` (default :data:`DEFAULT_THRESHOLD`) is a probability: a cell
        sounds above it.  ``options["sampling"] == "bernoulli"`` draws each
        cell instead, from numbers keyed by ``options["seed"]`` (0) and the
        clip itself (core.keyed_draws), so the same options give the same
        notes whether the clip is decoded alone or in a batch.  With the corpus's
        ``meta["voices"]`` each track keeps at most that many notes at once, and with
        ``meta["shortest_notes"]`` a started note is held that many steps while G
        still half supports it (voices.py).  ``options["key"]`` ("C", "Am", "F#m"; None or "none" for
        any) keeps the pitched tracks to that key's scale (key_lock.py); without it ``options["scale_pull"]``
        (1, off) scales the probabilities of notes outside each clip's own key (scale_pull.py), and
        ``options["leap_penalty"]`` (0, off) steers each track's top voice away from leaps (voices.py), and
        ``options["repeat_guard"]`` (0, off) moves notes of bars that copy the bar before (repeats.py).  A run's
        fitted values of these four come as its model's defaults (calibration.py).
        """
        if meta is not None:
            notes = role_tracks(output, meta)  # refuses a model of other tracks first
            layout_of = layout_indices(output.detach().float().cpu().numpy(), meta)
            output = notes
        prob = ((output.detach().float().cpu() + 1.0) / 2.0).clamp(0.0, 1.0)
        threshold = float(options.get("threshold", DEFAULT_THRESHOLD))
        from studio.domains.music.key_lock import lock_to_key, parse_key

        pull = float(options.get("scale_pull", SCALE_PULL_OFF))
        if pull != SCALE_PULL_OFF and parse_key(options.get("key")) is None:  # a named key wins
            import torch

            from studio.domains.music.scale_pull import pull_to_scale

            prob = torch.from_numpy(pull_to_scale(prob.numpy(), (prob > threshold).numpy(), pull, meta))
        if options.get("sampling") == "bernoulli":
            from studio.core.keyed_draws import sample_keys, uniforms

            cells = uniforms(sample_keys(prob, int(options.get("seed", 0))), prob[0].numel())
            on = prob.double() > cells.view(prob.shape)
        else:
            on = prob > threshold
        on, prob_np = lock_to_key(on.numpy(), prob.numpy(), options.get("key"), meta)
        if meta is not None:
            from studio.domains.music.repeats import OFF as REPEAT_GUARD_OFF
            from studio.domains.music.repeats import decode_without_repeats

            on = decode_without_repeats(on, prob_np, meta, threshold, float(options.get("leap_penalty", 0.0)),
                                        float(options.get("repeat_guard", REPEAT_GUARD_OFF)), layout_of)
        return on.astype(np.uint8)

    def decode(self, output: "torch.Tensor", ctx: ModelContext) -> list[Clip]:
        """Clips with the corpus's grid, roles, programs and tempo (``options`` may set "programs", "tempo"),
        each in the metre G wrote on its metre track and holding just that layout's bars."""
        layouts = layout_indices(output.detach().float().cpu().numpy(), ctx.meta)
        rolls = self.binarise(output, ctx.options, ctx.meta)
        clips = [clip_from_meta(roll, ctx.meta, layout=int(k)) for roll, k in zip(rolls, layouts)]
        programs = ctx.options.get("programs")
        tempo = ctx.options.get("tempo")
        for clip in clips:
            if programs is not None and len(programs) == len(clip.roles):  # a list for another band is ignored
                clip.programs = [int(p) for p in programs]
            if tempo is not None:
                clip.tempo = float(tempo)
        return clips

    def calibrate_decoding(self, generate: Callable[[list[int]], "torch.Tensor"], corpus: Corpus,
                           ctx: ModelContext) -> dict[str, Any]:
        """The run's own threshold, scale pull, leap penalty and repeat guard (calibration.py): those that had
        to move for its samples' notes at once, scale share, leaps and repeated bars to meet the corpus's."""
        from studio.domains.music import calibration
        from studio.domains.music.metrics import corpus_metrics

        if not len(corpus.data):
            return {}
        output = generate(list(range(calibration.SEED_BASE, calibration.SEED_BASE + calibration.SAMPLES)))
        fitted = {"threshold", "scale_pull", "leap_penalty", "repeat_guard"}
        base = {k: v for k, v in ctx.options.items() if k not in fitted}
        rows = corpus.data.numpy() if hasattr(corpus.data, "numpy") else np.asarray(corpus.data)
        figures = {**corpus_metrics(corpus), "density": calibration.corpus_density(rows, corpus.meta),
                   "BR": calibration.corpus_repetition(rows, corpus.meta)}
        layout_of = layout_indices(output.detach().float().cpu().numpy(), ctx.meta)
        return calibration.fit_decoding(lambda options: self.binarise(output, options, ctx.meta), ctx.meta,
                                        figures, base, layout_of)

    def sample_rows(self, output: "torch.Tensor", options: dict[str, Any], meta: dict[str, Any]) -> np.ndarray:
        """G output -> 0/1 rows shaped like the corpus's: the decoded notes, then the metre track as G wrote it.

        What metrics compare with the corpus's own rows: music_metrics reads
        each phrase's layout from the metre track (its bars) and leaves the
        track out of every figure.
        """
        notes = self.binarise(output, options, meta)
        if not has_metre_track(meta):
            return notes
        metre = output[:, len(meta["roles"]):].detach().float().cpu().numpy() > 0
        return np.concatenate([notes, metre.astype(np.uint8)], axis=1)

    def metrics(self, output: "torch.Tensor", corpus: Corpus, ctx: ModelContext) -> dict[str, float]:
        from studio.domains.music.metrics import music_metrics, reference_profile

        return music_metrics(self.sample_rows(output, ctx.options, ctx.meta), corpus.meta, reference_profile(corpus))

    def reference_metrics(self, corpus: Corpus) -> dict[str, float]:
        """The training data's own figures, for the dashed reference lines beside :meth:`metrics`."""
        from studio.domains.music.metrics import corpus_metrics

        return corpus_metrics(corpus)

    def nearest_training(self, artifacts: Sequence[Clip], corpus: Corpus) -> list[Neighbour]:
        """Each clip's closest training phrase by shared notes (Jaccard overlap of sounding cells)."""
        from studio.domains.music.nearest import COPY_OVERLAP, nearest_phrases

        if not len(artifacts):
            return []
        rows = corpus.data.numpy() if hasattr(corpus.data, "numpy") else np.asarray(corpus.data)
        notes = note_rolls(rows, corpus.meta)  # the metre track is structure, not notes two phrases share
        query = np.stack([_on_phrase_grid(clip.roll, notes.shape[2]) for clip in artifacts])
        indices, overlaps = nearest_phrases(query, notes)
        return [Neighbour(int(i), clip_from_meta(rows[i], corpus.meta), 1.0 - float(o),
                          f"{o:.0%} of notes shared", bool(o >= COPY_OVERLAP))
                for i, o in zip(indices, overlaps)]

    def preview_items(self, rows: np.ndarray, meta: dict[str, Any]) -> list[Clip]:
        return [clip_from_meta(row, meta) for row in rows]

    # --------------------------------------------------------------- export
    def synthesise_notes(self, notes: Sequence[Any], seconds: float, sample_rate: int) -> np.ndarray:
        """A whole MIDI file's notes through the studio's synthesiser: the sound track of Paint to music."""
        from studio.domains.music.synth import render_notes

        return render_notes(notes, seconds, sample_rate)

    def save_artifact(self, artifact: Clip, path: str | Path, info: dict[str, Any]) -> Path:
        from studio.domains.music.codec import write_midi

        return write_midi(artifact, path, info)

    def save_walk(self, artifacts: Sequence[Clip], path: str | Path, info: dict[str, Any]) -> Path:
        from studio.domains.music.codec import write_midi

        return write_midi(list(artifacts), path, info)

    def save_grid(self, artifacts: Sequence[Clip], path: str | Path, info: dict[str, Any]) -> Path:
        return self.save_walk(artifacts, path, info)

    # ------------------------------------------------------- for the UI tab
    def artifact_image(self, clip: Clip, scale: int = 2) -> np.ndarray:
        """H x W x 3 uint8 piano-roll picture of a clip (thumbnails, gallery, screenshots)."""
        from studio.domains.music.roll import roll_image

        return roll_image(clip, scale)

    def render_audio(self, clip: Clip, sample_rate: int = 22050) -> np.ndarray:
        """Mono float32 audio of a clip from the built-in synthesizer."""
        from studio.domains.music.synth import render_clip

        return render_clip(clip, sample_rate)

    def load_artifacts(self, path: str | Path, meta: dict[str, Any]) -> list[Clip]:
        """A MIDI file's phrases on a corpus's grid, with the corpus's roles only (raises ``codec.MidiProblem``
        naming what is wrong)."""
        from studio.domains.music.codec import midi_to_clips

        options = {k: meta[k] for k in ("steps_per_beat", "bars", "lowest", "pitches")}
        roles = list(meta["roles"])
        options["roles"] = "merged" if roles == list(MERGED_ROLES) else "multi"
        options["drums"] = DRUMS in roles
        return midi_to_clips(path, options, roles=roles)


DOMAIN = MusicDomain()
