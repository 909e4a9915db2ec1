"""Distinct territory colours, friendly to colour-blind viewers as far as the number of colours allows.

The first seven colours are the Okabe-Ito palette (black left out: it reads as a border or as text on the
map). Beyond that, colours are added glasbey-style: each new colour is the candidate from an sRGB grid that
lies farthest (CIELAB distance) from every colour already chosen, where the distance is the smallest of the
distance seen with normal vision and the distances seen with deuteranopia and protanopia (simulated with
the Machado et al. 2009 matrices). Greys, very dark and very light colours are never candidates, because the
map uses grey for unassigned accounts and the selection is drawn in black and white.

The result is deterministic and, for k up to a few thousand, prefix-stable: `territory_palette(k)` is the
start of `territory_palette(k + 1)`, so adding a territory does not repaint the others.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

OKABE_ITO = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7")

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
_DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                          [0.280085, 0.672501, 0.047413],
                          [-0.011820, 0.042940, 0.968881]])
_PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868],
                        [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]])

# Candidate filter: keep colours that read as colours, on a light or a dark base map.
_MIN_LIGHTNESS, _MAX_LIGHTNESS, _MIN_CHROMA = 35.0, 88.0, 18.0
# Grid resolutions tried in turn; the first one with enough candidates is used. The greedy picks are
# incremental, so every k up to the coarsest grid's capacity (about 3,000 colours) gets a prefix of the
# same sequence.
_GRID_LEVELS = (16, 32, 64, 128, 256)


def territory_palette(k: int) -> list[str]:
    """k distinct colours as "#rrggbb", most distinguishable first."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"the number of colours must be an integer, got {k!r}")
    k = int(k)
    if k < 0:
        raise ValueError(f"the number of colours must be zero or more, got {k}")
    for levels in _GRID_LEVELS:
        if k <= len(OKABE_ITO) + _candidate_count(levels):
            return list(_sequence(levels, k))
    raise ValueError(f"cannot make {k} distinct colours (at most {len(OKABE_ITO) + _candidate_count(256)})")


def hex_to_rgb(colors) -> np.ndarray:
    """"#rrggbb" strings -> (n, 3) floats in 0..1."""
    return np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=np.float64) / 255.0


def _to_hex(rgb: np.ndarray) -> list[str]:
    ints = np.rint(np.asarray(rgb) * 255).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in ints]


def _srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _linear_to_lab(linear: np.ndarray) -> np.ndarray:
    """Linear sRGB -> CIELAB (D65)."""
    to_xyz = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    eps = 216 / 24389
    f = np.where(xyz > eps, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.column_stack((116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])))


def _views(rgb: np.ndarray) -> np.ndarray:
    """Lab coordinates as seen with normal vision, deuteranopia and protanopia: shape (3, n, 3)."""
    linear = _srgb_to_linear(rgb)
    return np.stack([_linear_to_lab(np.clip(linear @ m.T, 0.0, 1.0)) for m in (np.eye(3), _DEUTERANOPIA, _PROTANOPIA)])


def _distance_to(views: np.ndarray, point_views: np.ndarray) -> np.ndarray:
    """Smallest over the three visions of the Lab distance from every candidate to one colour."""
    diff = views - point_views[:, None, :]
    return np.sqrt(np.einsum("vni,vni->vn", diff, diff)).min(axis=0)


@lru_cache(maxsize=None)
def _candidates(levels: int) -> np.ndarray:
    steps = np.linspace(0.0, 1.0, levels)
    rgb = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), axis=-1).reshape(-1, 3)
    lab = _linear_to_lab(_srgb_to_linear(rgb))
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    keep = (lab[:, 0] >= _MIN_LIGHTNESS) & (lab[:, 0] <= _MAX_LIGHTNESS) & (chroma >= _MIN_CHROMA)
    rgb = rgb[keep]
    # A grid point that rounds to a seed colour would be a duplicate.
    return rgb[~np.isin(_to_hex(rgb), OKABE_ITO)]


def _candidate_count(levels: int) -> int:
    return len(_candidates(levels))


@lru_cache(maxsize=8)
def _sequence(levels: int, k: int) -> tuple[str, ...]:
    """Okabe-Ito followed by greedy farthest-point picks from the grid, k colours in all."""
    chosen = list(OKABE_ITO[:k])
    if k <= len(OKABE_ITO):
        return tuple(chosen)
    candidates = _candidates(levels)
    views = _views(candidates)
    nearest = np.full(len(candidates), np.inf)
    for seed_views in _views(hex_to_rgb(OKABE_ITO)).transpose(1, 0, 2):
        nearest = np.minimum(nearest, _distance_to(views, seed_views))
    picks = []
    for _ in range(k - len(OKABE_ITO)):
        best = int(np.argmax(nearest))  # first maximum: deterministic tie-break
        picks.append(best)
        nearest = np.minimum(nearest, _distance_to(views, views[:, best, :]))
        nearest[best] = -np.inf  # never picked twice, even once every distance has shrunk to zero
    return tuple(chosen + _to_hex(candidates[picks]))
