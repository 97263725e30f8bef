"""The headless studio: the same core as the window, for terminals and GPU servers.

The command names and flags below are a contract (scripts depend on them):

    studio train DOMAIN DATA_DIR --out RUN_DIR [--steps N] [--pretrain-steps M] [--preset P] [--device D] [--seed S]
    studio sample RUN_DIR --count N --seed S --out DIR_OR_FILE [--edit NAME=VALUE ...]
    studio interpolate RUN_DIR (--seeds A B [C ...] | --images A.png B.png [...]) [--frames N | --seconds S]
        [--fps F] [--size PX] [--loop]
        [--edit NAME=VALUE ...] --out FILE
    studio timelapse RUN_DIR --out FILE.mp4|.gif|.webp [--fps F] [--size PX]
    studio project RUN_DIR IMAGE --out FILE.png [--steps N] [--extension-steps N]
        (interpolate --images takes --place-steps N)
    studio animate RUN_DIR --music CLIP.mid|SOUND.wav --out FILE.mp4 [--seeds A B ...] [--fps F] [--size PX]
        [--push X] [--loudness-direction NAME] [--loudness-amount SD] [--pitch-direction NAME] [--pitch-amount SD]
        [--phrase-beats N]
    studio import DOMAIN DATA_DIR [--json]
    studio demo DOMAIN --out DIR
    studio export-model RUN_DIR --out FILE.safetensors
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence, TextIO

from studio.core import events as ev
from studio.core.animation import DEFAULT_FPS
from studio.core.projection import RECONSTRUCTION, ProjectionSettings
from studio.core.events import EventHandler
from studio.domains import domain_names, get_domain


class TerminalProgress:
    """One self-rewriting line on a terminal; a line every few seconds in a log file."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = 5.0):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval_s = 0.2 if self.tty else interval_s
        self._last = 0.0

    def update(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        if self.tty:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class TerminalReport(EventHandler):
    """A training session's events as terminal lines: what happened, figures, and one line of progress."""

    def __init__(self, progress: TerminalProgress):
        self.out = progress
        self.last_losses: dict[str, float] = {}

    def started(self, event: ev.Started) -> None:
        self.out.line(f"run {event.run} | {event.preset} on {event.device} | step {event.step} of {event.total}")

    def message(self, event: ev.Message) -> None:
        self.out.line(event.text)

    def error(self, event: ev.Failed) -> None:
        self.out.line(f"error: {event.text}")

    def phase(self, event: ev.PhaseChanged) -> None:
        self.out.line(f"phase: {event.phase}")

    def log(self, event: ev.Logged) -> None:
        self.last_losses.update({k: v for k, v in event.records[-1].items() if isinstance(v, float)})

    def metrics(self, event: ev.Metrics) -> None:
        figures = ", ".join(f"{k} {v:.4g}" for k, v in event.values.items())
        self.out.line(f"step {event.step}: {figures}")

    def progress(self, event: ev.Progress) -> None:
        losses = " ".join(f"{k} {v:.3f}" for k, v in list(self.last_losses.items())[:3])
        self.out.update(f"step {event.step}/{event.total} {event.steps_per_s:.1f} it/s "
                        f"eta {_duration(event.eta_s)} {losses}")


def _import_progress(progress: TerminalProgress):
    return lambda done, total, path: progress.update(f"importing {done}/{total} {Path(path).name}")


def cmd_train(args: argparse.Namespace) -> int:
    from studio.core import distributed

    dist_ctx = None
    if distributed.launched_by_torchrun():
        dist_ctx, args.device = distributed.init_from_env(args.device)
    try:
        return _train(args, dist_ctx)
    finally:
        if dist_ctx is not None:
            distributed.shutdown()


def _train(args: argparse.Namespace, dist_ctx) -> int:
    from studio.core import distributed
    from studio.core.runs import is_run
    from studio.core.session import TrainingSession

    main_process = dist_ctx is None or dist_ctx.is_main
    progress = TerminalProgress()
    overrides: dict[str, Any] = {}
    if args.batch is not None:
        overrides["batch_size"] = args.batch
    if args.lr is not None:
        overrides["lr_g"] = overrides["lr_d"] = args.lr
    if args.no_augment:
        overrides["augment"] = ""
    existing = is_run(args.out)
    if not main_process:
        distributed.barrier()  # rank 0 creates or updates the run first
    if existing or not main_process:
        session = TrainingSession.open(
            args.out, get_domain, data_dir=args.data_dir, steps=args.steps, device=args.device,
            import_progress=_import_progress(progress), dist=dist_ctx, pretrain_steps=args.pretrain_steps,
        )
        if session.config["domain"] != args.domain:
            raise SystemExit(f"{args.out} holds a {session.config['domain']} run, not {args.domain}")
    else:
        session = TrainingSession.create(
            args.out, get_domain(args.domain), args.data_dir, preset=args.preset, steps=args.steps, seed=args.seed,
            device=args.device, overrides=overrides or None, import_progress=_import_progress(progress),
            dist=dist_ctx, pretrain_steps=args.pretrain_steps,
        )
    if dist_ctx is not None and main_process:
        distributed.barrier()
    from studio.core.session import TrainControl

    control = TrainControl()

    def stop_on_interrupt(signum: int, frame: Any) -> None:
        """Ctrl-C ends the run like Stop in the window, with a checkpoint; a second Ctrl-C abandons it."""
        if control.stop_requested:
            raise KeyboardInterrupt
        progress.line("stopping: writing a checkpoint (Ctrl-C again to abandon)")
        control.stop()

    previous = signal.signal(signal.SIGINT, stop_on_interrupt)
    try:
        status = session.run(TerminalReport(progress), control)
    except KeyboardInterrupt:
        status = "abandoned"
    finally:
        signal.signal(signal.SIGINT, previous)
    if main_process:
        progress.line(f"{status} at step {session.trainer.step}; run folder: {session.run_dir.path}")
    return {"failed": 1, "abandoned": 130}.get(status, 0)  # 130: the shell's code for an interrupted command


def decode_options(items: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs from ``--option``: numbers, true/false and null as JSON reads them, anything else as text."""
    options: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"--option {item!r}: expected KEY=VALUE, for example decoding=sample")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


def edits_of(model: Any, items: list[str] | None) -> tuple[Any, dict[str, Any]]:
    """``--edit NAME=VALUE``: a function moving (N, z_dim) latents along the run's directions, and what exports record.

    The directions of the loaded checkpoint are read from the run; a checkpoint
    without them has them found now (seconds) and saved with the run, and says so.
    """
    from studio.core.directions import directions_for, parse_edits

    edits = parse_edits(items)
    if not edits:
        return (lambda z: z), {}
    directions, computed = directions_for(model)
    assert directions is not None
    if computed:
        print(f"found the directions of step {directions.step} (saved with the run)", file=sys.stderr)
    names = {directions.name(directions.index(name)): value for name, value in edits.items()}
    offset = directions.offset(edits)
    return (lambda z: (z + offset).astype("float32")), {"edits": names, "directions_step": directions.step}


def cmd_sample(args: argparse.Namespace) -> int:
    from studio.core.latent import seed_to_z, seeds_to_z
    from studio.core.model import load_model

    model = load_model(args.run_dir, get_domain, device=args.device)
    seeds = [args.seed + i for i in range(args.count)]
    options = model.decode_options(decode_options(args.option))  # the exports record what decoded them
    steer, edited = edits_of(model, args.edit)
    artifacts = model.render_exactly(steer(seeds_to_z(seeds, model.z_dim)), {**options, "psi": args.psi})
    out = Path(args.out)
    domain = model.domain
    if out.suffix.lower() == domain.artifact_suffix:
        path = domain.save_grid(artifacts, out, model.info(seeds=seeds, psi=args.psi, options=options, **edited))
        print(f"wrote {len(artifacts)} samples to {path}")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for seed, artifact in zip(seeds, artifacts):
        path = out / f"{domain.name}-seed{seed}{domain.artifact_suffix}"
        latent = steer(seed_to_z(seed, model.z_dim)[None])[0]
        domain.save_artifact(artifact, path, model.info(seed=seed, latent=latent, psi=args.psi, options=options,
                                                        **edited))
    print(f"wrote {len(artifacts)} files to {out}")
    return 0


def walk_frames(args: argparse.Namespace) -> int:
    """``--frames``, or ``--seconds`` at ``--fps``: the number of frames written, loop or not."""
    if args.seconds is not None:
        if args.frames is not None:
            raise SystemExit("give --frames or --seconds, not both")
        return max(1, round(args.fps * args.seconds))
    return 32 if args.frames is None else args.frames


def check_walk_out(domain: Any, out: str) -> None:
    kinds = domain.walk_suffixes
    if Path(out).suffix.lower() not in kinds:
        raise SystemExit(f"{out}: a {domain.name} walk is written as {' or '.join(kinds)} (the extension chooses)")


def check_motion(args: argparse.Namespace) -> None:
    """The frame rate and size in range, and PyAV importable when an MP4 is asked for, before anything renders."""
    from studio.core.animation import MAX_FPS, MIN_FPS, VideoUnavailable, load_av

    if Path(args.out).suffix.lower() == ".mp4":
        try:
            load_av()
        except VideoUnavailable as exc:
            raise SystemExit(str(exc)) from None

    if not MIN_FPS <= args.fps <= MAX_FPS:
        raise SystemExit(f"--fps {args.fps:g}: choose {MIN_FPS:g} to {MAX_FPS:g} frames a second")
    if args.size is not None and not 8 <= args.size <= 4096:
        raise SystemExit(f"--size {args.size}: choose 8 to 4096 pixels (the longest side)")


def cmd_interpolate(args: argparse.Namespace) -> int:
    from studio.core.latent import seeds_to_z, walk
    from studio.core.model import load_model

    if (args.seeds is None) == (args.images is None):
        raise SystemExit("interpolate walks through --seeds or through --images (pictures placed first), one of them")
    stops = args.seeds if args.seeds is not None else args.images
    if len(stops) < 2:
        raise SystemExit(f"interpolate needs at least two {'seeds' if args.seeds is not None else 'images'}")
    check_motion(args)
    frames = walk_frames(args)
    if frames < len(stops):
        raise SystemExit(f"{frames} frames cannot visit {len(stops)} anchors; ask for more frames")
    model = load_model(args.run_dir, get_domain, device=args.device)
    check_walk_out(model.domain, args.out)
    steer, edited = edits_of(model, args.edit)
    if args.seeds is not None:
        anchors, through = list(seeds_to_z(args.seeds, model.z_dim)), {"seeds": list(args.seeds)}
    else:
        placed = placed_latents(model, args.images, TerminalProgress(), ProjectionSettings(steps=args.place_steps))
        anchors = [p.z for p in placed]
        through = {"images": [str(Path(i).resolve()) for i in args.images], "latents": anchors}
    latents = steer(walk(anchors, frames, loop=args.loop, eased=args.loop))
    options = model.decode_options(decode_options(args.option))  # the exports record what decoded them
    artifacts = model.render_exactly(latents, {**options, "psi": args.psi})
    info = model.info(frames=frames, options=options, loop=args.loop, fps=args.fps, size=args.size, **through,
                      **edited)
    path = model.domain.save_walk(artifacts, args.out, info)
    shape = "looping " if args.loop else ""
    names = ' '.join(map(str, args.seeds)) if args.seeds is not None else ' '.join(Path(i).name for i in args.images)
    print(f"wrote a {frames}-frame {shape}walk through {'seeds' if args.seeds is not None else 'pictures'} "
          f"{names} to {path}")
    return 0


def placed_latents(model: Any, files: list[str], progress: TerminalProgress,
                   settings: ProjectionSettings) -> list[Any]:
    """Each file placed in ``model``'s latent space (core/projection.py) with ``settings``, kept with the run."""
    from studio.core.projection import project, save_placement

    if model.domain.projection_target is None:
        raise SystemExit(f"a {model.domain.name} run cannot place files in its latent space yet")
    placed = []
    for name in files:
        target = model.domain.projection_target(name, model.meta)
        result = project(model, target, settings, progress=lambda p, n=Path(name).name:
                         progress.update(f"placing {n}: step {p.step}/{p.total}, distance {p.distance:.4f}"))
        if model.run_path is not None:
            save_placement(model.run_path, name, result, model.step)
        progress.line(f"placed {Path(name).name}: distance {result.distance:.4f} "
                      f"(best of the seeds tried: {result.seed_distance:.4f}) in {result.seconds:.1f} s")
        placed.append(result)
    return placed


def cmd_project(args: argparse.Namespace) -> int:
    from studio.core.model import load_model

    model = load_model(args.run_dir, get_domain, device=args.device)
    if Path(args.out).suffix.lower() != model.domain.artifact_suffix:
        raise SystemExit(f"{args.out}: a {model.domain.name} reconstruction is written as "
                         f"{model.domain.artifact_suffix}")
    settings = replace(RECONSTRUCTION, steps=args.steps, extension_steps=args.extension_steps)
    result = placed_latents(model, [args.image], TerminalProgress(), settings)[0]
    extension = None if result.extension is None else result.extension[None]
    artifact = model.render_exactly(result.z[None], extension=extension)[0]
    record = {k: v for k, v in result.record().items() if k != "latent"}
    info = model.info(latent=result.z, placed=str(Path(args.image).resolve()), **record)
    path = model.domain.save_artifact(artifact, args.out, info)
    print(f"distance {result.distance:.4f}; wrote the reconstruction of {Path(args.image).name} to {path}")
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    from studio.core.latent import seeds_to_z
    from studio.core.model import load_model
    from studio.core.music_drive import DriveSettings
    from studio.core.music_video import paint_to_music, read_music

    if Path(args.out).suffix.lower() != ".mp4":
        raise SystemExit(f"{args.out}: Paint to music writes an MP4 (the video carries the music)")
    if len(args.seeds) < 2:
        raise SystemExit("animate walks between at least two seeds")
    check_motion(args)
    model = load_model(args.run_dir, get_domain, device=args.device)
    check_walk_out(model.domain, args.out)
    settings = DriveSettings(push=args.push, loudness_direction=args.loudness_direction,
                             loudness_amount=args.loudness_amount, pitch_direction=args.pitch_direction,
                             pitch_amount=args.pitch_amount, phrase_beats=args.phrase_beats)
    music = read_music(args.music, args.fps, get_domain("music"))  # the app layer hands the synthesiser down
    options = model.decode_options(decode_options(args.option))
    info = model.info(seeds=list(args.seeds), options=options, fps=args.fps, size=args.size)
    progress = TerminalProgress()
    path = paint_to_music(model, music, list(seeds_to_z(args.seeds, model.z_dim)), settings, args.out, info,
                          progress=lambda done, total: progress.update(f"painting frame {done}/{total}"))
    progress.line(f"wrote {music.features.frames} frames ({music.features.seconds:.1f} s) painted to "
                  f"{Path(args.music).name}, with its sound, to {path}")
    return 0


def cmd_timelapse(args: argparse.Namespace) -> int:
    from studio.core.timelapse import TimelapseError, write_timelapse

    check_motion(args)
    try:
        path, count = write_timelapse(args.run_dir, args.out, get_domain, args.fps, args.size)
    except TimelapseError as exc:
        raise SystemExit(str(exc)) from None
    print(f"wrote a {count}-frame timelapse of the gallery to {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    domain = get_domain(args.domain)
    folder = Path(args.data_dir)
    if not folder.is_dir():
        print(f"{folder}: not a folder", file=sys.stderr)
        return 2
    preset = domain.presets[args.preset or domain.default_preset("cpu")]
    options = {**preset.import_options, **decode_options(args.option)}
    progress = TerminalProgress()
    try:
        corpus = domain.import_folder(folder, options, progress=_import_progress(progress))
    except ValueError as err:  # a bad import option: the message names it and the fix
        print(f"{folder}: {err}", file=sys.stderr)
        return 2
    report = corpus.report
    if args.json:
        print(report.to_json())
    else:
        progress.line(report.summary())
        for skipped in report.skipped:
            print(f"skipped {skipped.path}: {skipped.reason}")
    return 0 if report.items > 0 else 1


def cmd_demo(args: argparse.Namespace) -> int:
    path = get_domain(args.domain).demo_corpus_folder(args.out)
    print(f"demo {args.domain} data in {path}")
    return 0


def cmd_export_model(args: argparse.Namespace) -> int:
    from studio.core.model import load_model, save_model_file

    model = load_model(args.run_dir, get_domain)
    path = save_model_file(model, args.out, note=args.note)
    print(f"wrote the {model.domain.name} model of step {model.step} to {path}")
    return 0


def _add_edit_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--edit", action="append", metavar="NAME=VALUE",
                        help="steer along a direction of the latent space, repeatable: VALUE in standard deviations, "
                             "NAME a name given in the explorer or the index (0 = the strongest). The loaded "
                             "checkpoint's directions are read from the run, or found (seconds) and saved with it; "
                             "an unknown name exits with status 2")


def _add_option_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--option", action="append", metavar="KEY=VALUE",
                        help="a decode option, repeatable: for text decoding=sample, temperature=1, phrasing=0.7, "
                             "lexicon=false; for music threshold=0.3, key=Am (C, F#m, Bb ...; none for any key)")


PLACE_STEPS = ProjectionSettings.steps


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio", description="GAN Studio from the command line")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train (or resume) a run on a folder")
    train.add_argument("domain", choices=domain_names())
    train.add_argument("data_dir")
    train.add_argument("--out", required=True, help="run folder; an existing run is resumed")
    train.add_argument("--steps", type=int, metavar="N",
                       help="steps in all, the number the progress bar counts to (default: the preset's). A text run "
                            "trains its autoencoder first and then its GAN: the two share N as the preset shares "
                            "its own steps. Resuming a run trains it up to N")
    train.add_argument("--pretrain-steps", type=int, metavar="M",
                       help="a new text run: M of the --steps for the autoencoder, the rest for the GAN")
    train.add_argument("--preset")
    train.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:1, mps")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--batch", type=int)
    train.add_argument("--lr", type=float)
    train.add_argument("--no-augment", action="store_true")
    train.set_defaults(func=cmd_train)

    sample = sub.add_parser("sample", help="write samples from a trained run")
    sample.add_argument("run_dir")
    sample.add_argument("--count", type=int, default=16)
    sample.add_argument("--seed", type=int, default=0, help="first seed; samples use seed, seed+1, ...")
    sample.add_argument("--out", required=True, help="a folder (one file each) or a file of the domain's type")
    sample.add_argument("--psi", type=float, default=1.0, help="truncation ψ")
    sample.add_argument("--device", default="cpu")
    _add_option_flag(sample)
    _add_edit_flag(sample)
    sample.set_defaults(func=cmd_sample)

    inter = sub.add_parser("interpolate", help="an interpolation walk through seeds")
    inter.add_argument("run_dir")
    inter.add_argument("--seeds", type=int, nargs="+")
    inter.add_argument("--images", nargs="+", metavar="FILE",
                       help="instead of --seeds: your own pictures, placed in the latent space first "
                            "(kept with the run)")
    inter.add_argument("--place-steps", type=int, default=PLACE_STEPS, metavar="N",
                       help=f"with --images: optimisation steps for each picture (default {PLACE_STEPS})")
    inter.add_argument("--frames", type=int, metavar="N", help="frames written, loop or not (default 32)")
    inter.add_argument("--seconds", type=float, metavar="S", help="instead of --frames: S seconds at --fps")
    inter.add_argument("--fps", type=float, default=DEFAULT_FPS, metavar="F", help="frames a second (default 12.5)")
    inter.add_argument("--size", type=int, metavar="PX", help="longest side of a picture walk in pixels")
    inter.add_argument("--loop", action="store_true",
                       help="come back to the first seed along great circles, eased at each seed, with no seam")
    inter.add_argument("--out", required=True, help="the extension chooses the format (.gif, .webp, .mp4, .mid...)")
    inter.add_argument("--psi", type=float, default=1.0)
    inter.add_argument("--device", default="cpu")
    _add_option_flag(inter)
    _add_edit_flag(inter)
    inter.set_defaults(func=cmd_interpolate)

    proj = sub.add_parser("project", help="place your own picture in the latent space: its closest sample")
    proj.add_argument("run_dir")
    proj.add_argument("image")
    proj.add_argument("--out", required=True, help="the reconstruction (.png), its latent in the text chunk")
    proj.add_argument("--steps", type=int, default=PLACE_STEPS, metavar="N",
                      help=f"optimisation steps (default {PLACE_STEPS}); the distance printed drops with more")
    proj.add_argument("--extension-steps", type=int, default=RECONSTRUCTION.extension_steps, metavar="N",
                      help=f"then steps of the latent extension, an offset on G's early features kept with the "
                           f"latent (default {RECONSTRUCTION.extension_steps}; 0: z alone)")
    proj.add_argument("--device", default="cpu")
    proj.set_defaults(func=cmd_project)

    anim = sub.add_parser("animate", help="paint to music: a walk that follows a MIDI or WAV file, as an MP4 with it")
    anim.add_argument("run_dir")
    anim.add_argument("--music", required=True, metavar="FILE", help="a MIDI file (.mid) or a WAV file (.wav)")
    anim.add_argument("--out", required=True, help="FILE.mp4")
    anim.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3],
                      help="the anchors each phrase moves between, in turn (default 0 1 2 3)")
    anim.add_argument("--fps", type=float, default=25.0, metavar="F", help="frames a second (default 25)")
    anim.add_argument("--size", type=int, metavar="PX", help="longest side in pixels")
    anim.add_argument("--push", type=float, default=3.0, help="speed on the strongest onset over the speed between")
    anim.add_argument("--loudness-direction", default="0", metavar="NAME", help="direction loudness steers along")
    anim.add_argument("--loudness-amount", type=float, default=1.5, metavar="SD",
                      help="standard deviations between the quietest and the loudest moment (0: off)")
    anim.add_argument("--pitch-direction", default="1", metavar="NAME", help="direction pitch height steers along")
    anim.add_argument("--pitch-amount", type=float, default=1.5, metavar="SD",
                      help="standard deviations for an octave above the piece's average pitch (0: off)")
    anim.add_argument("--phrase-beats", type=float, default=16.0, metavar="N",
                      help="beats from one anchor to the next (a WAV counts beats at 120 bpm)")
    anim.add_argument("--device", default="cpu")
    _add_option_flag(anim)
    anim.set_defaults(func=cmd_animate)

    lapse = sub.add_parser("timelapse", help="the fixed-seed gallery through training, as a video or GIF")
    lapse.add_argument("run_dir")
    lapse.add_argument("--out", required=True, help="FILE.mp4, FILE.gif or FILE.webp")
    lapse.add_argument("--fps", type=float, default=DEFAULT_FPS, metavar="F")
    lapse.add_argument("--size", type=int, metavar="PX", help="longest side in pixels")
    lapse.set_defaults(func=cmd_timelapse)

    imp = sub.add_parser("import", help="import a folder and print the report")
    imp.add_argument("domain", choices=domain_names())
    imp.add_argument("data_dir")
    imp.add_argument("--json", action="store_true")
    imp.add_argument("--preset")
    imp.add_argument("--option", action="append", metavar="KEY=VALUE",
                     help="an import option over the preset's, repeatable: for music steps_per_beat=12 (or auto), "
                          "key=normalise, roles=merged")
    imp.set_defaults(func=cmd_import)

    export = sub.add_parser("export-model", help="save a run's generator as a model file to share or ship")
    export.add_argument("run_dir")
    export.add_argument("--out", required=True)
    export.add_argument("--note", default="")
    export.set_defaults(func=cmd_export_model)

    demo = sub.add_parser("demo", help="write the built-in demo data of a domain")
    demo.add_argument("domain", choices=domain_names())
    demo.add_argument("--out", required=True)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from studio.core.checkpoints import CheckpointError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError, CheckpointError) as exc:
        print(f"studio {args.command}: {exc}", file=sys.stderr)
        return 2
