"""How long a run is: one count for the whole run, the first phase of a two-phase medium included.

``studio train --steps N``, the window's Steps box and the progress bar all
mean the same N.  A medium with a pretrainer (text: the autoencoder, then
the GAN) shares N between its phases as its preset shares its own default
length, unless the first phase's length is given (``--pretrain-steps``).
A run's ``run.json`` keeps both numbers (``steps``, ``pretrain_steps``); a
run written before this kept the GAN's steps alone in ``steps`` and has no
``pretrain_steps``, and is read that way.  No torch here: the window reads
these before it has imported torch.
"""
from __future__ import annotations

from typing import Any, Mapping

from studio.core.domain import Domain, Preset


def preset_pretrain_steps(domain: Domain, preset: Preset) -> int:
    """The first phase's length ``preset`` asks for (``Domain.pretrain_steps``); 0 for a one-phase medium."""
    return int(domain.pretrain_steps(preset))


def preset_total_steps(domain: Domain, preset: Preset) -> int:
    """The preset's whole run: what the Steps box offers and what ``--steps`` defaults to."""
    return preset_pretrain_steps(domain, preset) + int(preset.steps)


def split_steps(domain: Domain, preset: Preset, total: int | None = None,
                pretrain: int | None = None) -> tuple[int, int]:
    """(first phase, whole run) for a new run of ``total`` steps; ValueError for a split that cannot be trained.

    Left out, ``total`` is the preset's whole run (or ``pretrain`` plus the
    preset's GAN steps when only ``pretrain`` is given); ``pretrain`` left out
    is the preset's proportion of ``total``, at least one step for each phase.
    """
    default = preset_pretrain_steps(domain, preset)
    if total is None:
        total = (default if pretrain is None else int(pretrain)) + int(preset.steps)
    total = int(total)
    if total < 1:
        raise ValueError(f"--steps {total}: a run needs at least one step")
    if default == 0:
        if pretrain:
            raise ValueError(f"--pretrain-steps: a {domain.name} run has one phase; give --steps alone")
        return 0, total
    if pretrain is None:
        share = round(total * default / (default + int(preset.steps)))
        pretrain = min(max(share, 1), total - 1)
    pretrain = int(pretrain)
    if total < 2 or not 1 <= pretrain < total:
        raise ValueError(f"--steps {total} with --pretrain-steps {pretrain}: a {domain.name} run trains a "
                         "first phase and then its GAN, so it needs at least one step of each "
                         "(--pretrain-steps from 1 to --steps minus 1)")
    return pretrain, total


def run_steps(config: Mapping[str, Any], domain: Domain, preset: Preset) -> tuple[int, int]:
    """(first phase, whole run) of an existing run from its ``run.json``, older runs' GAN-only count included."""
    if "pretrain_steps" in config:
        return int(config["pretrain_steps"]), int(config["steps"])
    pretrain = preset_pretrain_steps(domain, preset)
    return pretrain, pretrain + int(config["steps"])
