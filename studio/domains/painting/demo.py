"""The built-in demo folder: abstract paintings the studio draws itself, so first launch needs no data.

Four families an artist will recognise (suprematist compositions on warm
paper, landscapes at the golden hour, Rothko-like colour fields, Mondrian-like
grids), each with a small coherent palette and strong large-scale structure,
so a small GAN on a CPU shows recognisable progress in minutes.  Everything
is drawn at twice the size and reduced, which antialiases the edges; the
same seed gives the same files on every machine.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

DEMO_VERSION = 1
MANIFEST = ".gan-studio-demo.json"  # hidden, so the importer passes over it

Colour = tuple[int, int, int]
Rng = np.random.Generator


def _hex(code: str) -> Colour:
    code = code.lstrip("#")
    return (int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16))


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))  # type: ignore[return-value]


def _jitter(c: Colour, rng: Rng, amount: int = 10) -> Colour:
    return tuple(int(np.clip(v + rng.integers(-amount, amount + 1), 0, 255)) for v in c)  # type: ignore[return-value]


def _texture(canvas: np.ndarray, rng: Rng, blotch: float, grain: float) -> np.ndarray:
    """Uneven paint and paper: low-frequency blotches times the picture, plus fine grain."""
    h, w, _ = canvas.shape
    low = rng.standard_normal((5, 5)).astype(np.float32)
    low_img = Image.fromarray(((low - low.min()) / (np.ptp(low) + 1e-6) * 255).astype(np.uint8), "L")
    field = np.asarray(low_img.resize((w, h), Image.Resampling.BICUBIC), np.float32) / 255.0 - 0.5
    noisy = canvas * (1.0 + blotch * field[:, :, None]) + grain * rng.standard_normal((h, w, 1)).astype(np.float32)
    return np.clip(noisy, 0, 255)


# --- suprematism ---------------------------------------------------------------------------

_PAPER = [_hex(c) for c in ("#efe4cc", "#f2e8d5", "#e9dcc0", "#f4ecdc")]
_SUPREMATIST_INKS = [_hex(c) for c in ("#1c1a1a", "#c0392b", "#1f4e8c", "#e2b21f", "#2f6b3a", "#d35f2a")]


def _rotated_rect(cx: float, cy: float, w: float, h: float, angle: float) -> list[tuple[float, float]]:
    c, s = np.cos(angle), np.sin(angle)
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in corners]


def _suprematist(rng: Rng, s: int) -> np.ndarray:
    """Malevich/Lissitzky: coloured bars and a disc floating on paper along one diagonal axis."""
    img = Image.new("RGB", (s, s), _jitter(_PAPER[rng.integers(len(_PAPER))], rng, 6))
    draw = ImageDraw.Draw(img)
    axis = np.deg2rad(rng.uniform(-50, 50))
    inks = [_SUPREMATIST_INKS[i] for i in rng.permutation(len(_SUPREMATIST_INKS))[:4]]
    cx, cy = s * rng.uniform(0.35, 0.65), s * rng.uniform(0.35, 0.65)
    if rng.random() < 0.6:  # a disc behind the bars
        r = s * rng.uniform(0.12, 0.25)
        dx, dy = rng.uniform(-0.25, 0.25, 2) * s
        draw.ellipse([cx + dx - r, cy + dy - r, cx + dx + r, cy + dy + r], fill=_jitter(inks[3], rng, 8))
    big_w, big_h = s * rng.uniform(0.35, 0.6), s * rng.uniform(0.12, 0.3)
    draw.polygon(_rotated_rect(cx, cy, big_w, big_h, axis), fill=_jitter(inks[0], rng, 6))
    for k in range(int(rng.integers(3, 7))):
        t = rng.uniform(-0.4, 0.4) * s
        off = rng.uniform(-0.3, 0.3) * s
        px = cx + t * np.cos(axis) - off * np.sin(axis)
        py = cy + t * np.sin(axis) + off * np.cos(axis)
        w, h = s * rng.uniform(0.08, 0.35), s * rng.uniform(0.025, 0.09)
        angle = axis + (np.pi / 2 if rng.random() < 0.3 else 0.0) + rng.normal(0, 0.05)
        draw.polygon(_rotated_rect(px, py, w, h, angle), fill=_jitter(inks[1 + k % 3], rng, 10))
    for _ in range(int(rng.integers(0, 3))):  # hairlines crossing the composition
        t = rng.uniform(-0.4, 0.4) * s
        length = s * rng.uniform(0.4, 0.8)
        a = axis + np.pi / 2 + rng.normal(0, 0.1)
        x0, y0 = cx + t * np.cos(axis), cy + t * np.sin(axis)
        dx, dy = np.cos(a) * length / 2, np.sin(a) * length / 2
        draw.line([(x0 - dx, y0 - dy), (x0 + dx, y0 + dy)], fill=inks[0], width=max(1, s // 96))
    return _texture(np.asarray(img, np.float32), rng, blotch=0.06, grain=2.5)


# --- landscape -----------------------------------------------------------------------------

# (zenith, horizon, sun, near ground) per time of day.
_SKIES = [
    tuple(_hex(c) for c in row)
    for row in (
        ("#27406b", "#f2a65a", "#fff1c9", "#2b2233"),  # dusk
        ("#4a78b5", "#cfe3ee", "#fffbe8", "#2f4a2c"),  # clear day
        ("#3b2c5e", "#e86f6a", "#ffd59e", "#231a2b"),  # violet sunset
        ("#6aa2c9", "#f6d7a7", "#fff4d6", "#4b3a2a"),  # morning haze
        ("#0f1d3a", "#41537a", "#e8ecf5", "#0c111c"),  # moonlight
    )
]


def _landscape(rng: Rng, s: int) -> np.ndarray:
    """Sky gradient, a sun or moon, and hills fading with distance (aerial perspective)."""
    zenith, horizon, sun, ground = (_jitter(c, rng, 12) for c in _SKIES[rng.integers(len(_SKIES))])
    horizon_y = s * rng.uniform(0.45, 0.7)
    t = np.clip(np.arange(s, dtype=np.float32) / horizon_y, 0, 1)[:, None, None] ** 0.8
    sky = np.asarray(zenith, np.float32) * (1 - t) + np.asarray(horizon, np.float32) * t
    canvas = np.broadcast_to(sky, (s, s, 3)).copy()
    sx, sy = s * rng.uniform(0.2, 0.8), horizon_y - s * rng.uniform(0.05, 0.3)
    r = s * rng.uniform(0.05, 0.1)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    dist = np.hypot(xx - sx, yy - sy)
    glow = np.exp(-((dist / (3.5 * r)) ** 2))[:, :, None] * 0.45
    disc = np.clip(r + 1.0 - dist, 0, 1)[:, :, None]
    canvas = canvas * (1 - glow) + np.asarray(sun, np.float32) * glow
    canvas = canvas * (1 - disc) + np.asarray(sun, np.float32) * disc
    img = Image.fromarray(canvas.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    layers = int(rng.integers(2, 5))
    x = np.linspace(0, s, 64)
    for k in range(layers):
        depth = (k + 1) / layers  # 0 far .. 1 near
        base = horizon_y + (s - horizon_y) * (depth - 1 / layers) * 0.8
        amp = s * (0.03 + 0.1 * rng.random()) * (1.2 - 0.5 * depth)
        ridge = base - amp * (
            np.sin(x / s * rng.uniform(2, 6) + rng.uniform(0, 6.3))
            + 0.4 * np.sin(x / s * rng.uniform(7, 13) + rng.uniform(0, 6.3))
        )
        colour = _mix(horizon, ground, 0.35 + 0.65 * depth)
        draw.polygon(list(zip(x, ridge)) + [(s, s), (0, s)], fill=colour)
    return _texture(np.asarray(img, np.float32), rng, blotch=0.05, grain=2.0)


# --- colour field --------------------------------------------------------------------------

_FIELDS = [
    tuple(_hex(c) for c in row)
    for row in (
        ("#6b1d1d", "#d4561f", "#2b0f12", "#e59b3a"),
        ("#1d2e4f", "#4f7cac", "#0d1424", "#c7d3e0"),
        ("#3d2b4f", "#b0413e", "#f0a04b", "#1b1221"),
        ("#e8b04b", "#d46a2f", "#f6dca0", "#8a2c1d"),
        ("#2f4a3a", "#9bbf85", "#17261d", "#e6d59a"),
        ("#0e2a2b", "#1f6f6b", "#e0c36b", "#0a1516"),
    )
]


def _colour_field(rng: Rng, s: int) -> np.ndarray:
    """Rothko: two or three soft-edged rectangles stacked on a saturated ground."""
    palette = [_jitter(c, rng, 14) for c in _FIELDS[rng.integers(len(_FIELDS))]]
    img = Image.new("RGB", (s, s), palette[0])
    count = int(rng.integers(2, 4))
    margin_x, margin_y = s * rng.uniform(0.08, 0.14), s * rng.uniform(0.06, 0.1)
    gap = s * rng.uniform(0.03, 0.06)
    weights = rng.uniform(0.6, 1.6, count)
    heights = (s - 2 * margin_y - gap * (count - 1)) * weights / weights.sum()
    y = margin_y
    order = rng.permutation(np.arange(1, len(palette)))
    for k in range(count):
        block = Image.new("RGB", (s, s), palette[int(order[k % len(order)])])
        mask = Image.new("L", (s, s), 0)
        ImageDraw.Draw(mask).rectangle([margin_x, y, s - margin_x, y + heights[k]], fill=255)
        mask = mask.filter(ImageFilter.GaussianBlur(s * rng.uniform(0.012, 0.025)))
        img = Image.composite(block, img, mask)
        y += heights[k] + gap
    return _texture(np.asarray(img, np.float32), rng, blotch=0.14, grain=2.0)


# --- grid ----------------------------------------------------------------------------------

_GRID_WHITE = _hex("#f1eee4")
_GRID_PRIMARIES = [_hex(c) for c in ("#c8282d", "#1e3f8f", "#f1c31d", "#161616", "#d9d5c9")]


def _split(rng: Rng, box: tuple[float, float, float, float], depth: int, out: list) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if depth == 0 or max(w, h) < 0.18 or rng.random() < 0.12 * (4 - depth):
        out.append(box)
        return
    cut_across_width = (w > h) == (rng.random() < 0.8)  # mostly cut the longer side
    if cut_across_width:
        cut = x0 + w * rng.uniform(0.3, 0.7)
        _split(rng, (x0, y0, cut, y1), depth - 1, out)
        _split(rng, (cut, y0, x1, y1), depth - 1, out)
    else:
        cut = y0 + h * rng.uniform(0.3, 0.7)
        _split(rng, (x0, y0, x1, cut), depth - 1, out)
        _split(rng, (x0, cut, x1, y1), depth - 1, out)


def _grid(rng: Rng, s: int) -> np.ndarray:
    """Mondrian: black bars dividing an off-white canvas, a few cells in primaries."""
    cells: list[tuple[float, float, float, float]] = []
    _split(rng, (0.0, 0.0, 1.0, 1.0), 4, cells)
    img = Image.new("RGB", (s, s), _GRID_WHITE)
    draw = ImageDraw.Draw(img)
    filled = rng.permutation(len(cells))[: max(1, int(round(len(cells) * rng.uniform(0.25, 0.45))))]
    for i in filled:
        x0, y0, x1, y1 = cells[int(i)]
        weights = np.array([0.35, 0.25, 0.25, 0.08, 0.07])
        colour = _GRID_PRIMARIES[int(rng.choice(len(_GRID_PRIMARIES), p=weights))]
        draw.rectangle([x0 * s, y0 * s, x1 * s, y1 * s], fill=_jitter(colour, rng, 8))
    line = max(2, int(round(s * rng.uniform(0.018, 0.03))))
    for x0, y0, x1, y1 in cells:
        half = line / 2
        box = [x0 * s - half, y0 * s - half, x1 * s + half, y1 * s + half]
        draw.rectangle(box, outline=(20, 20, 20), width=line)
    return _texture(np.asarray(img, np.float32), rng, blotch=0.05, grain=2.0)


STYLES: dict[str, Callable[[Rng, int], np.ndarray]] = {
    "suprematist": _suprematist,
    "landscape": _landscape,
    "colour-field": _colour_field,
    "grid": _grid,
}


def paint(index: int, size: int = 96, seed: int = 0) -> tuple[str, np.ndarray]:
    """Demo painting number ``index``: its style name and H x W x 3 uint8 pixels (styles take turns)."""
    names = list(STYLES)
    style = names[index % len(names)]
    rng = np.random.default_rng([int(seed), int(index), DEMO_VERSION])
    big = STYLES[style](rng, 2 * size)
    small = Image.fromarray(np.rint(big).astype(np.uint8)).resize((size, size), Image.Resampling.LANCZOS)
    return style, np.asarray(small)


def _file_name(index: int, style: str) -> str:
    return f"{index:04d}-{style}.png"


def write_demo_folder(target: str | Path, count: int = 240, size: int = 96, seed: int = 0) -> Path:
    """Writes the demo paintings into ``target`` unless a complete set with these settings is there."""
    target = Path(target)
    recipe = {"version": DEMO_VERSION, "count": count, "size": size, "seed": seed}
    names = [_file_name(i, list(STYLES)[i % len(STYLES)]) for i in range(count)]
    manifest = target / MANIFEST
    try:
        if json.loads(manifest.read_text("utf-8")) == recipe and all((target / n).is_file() for n in names):
            return target
    except (OSError, ValueError):
        pass
    target.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)
    wanted = set(names)
    for old in target.glob("[0-9][0-9][0-9][0-9]-*.png"):  # a previous recipe's leftovers
        if old.name not in wanted:
            old.unlink(missing_ok=True)
    for i in range(count):
        _, pixels = paint(i, size, seed)
        final = target / names[i]
        tmp = final.with_name(f".{final.name}.tmp")
        Image.fromarray(pixels).save(tmp, format="PNG", compress_level=6)
        os.replace(tmp, final)
    tmp_manifest = manifest.with_name(manifest.name + ".tmp")
    tmp_manifest.write_text(json.dumps(recipe), "utf-8")
    os.replace(tmp_manifest, manifest)
    return target
