"""Price paths inside recorded bars, and exact integer splits of a bar's volume over them
(the replay feed plays a kline file back one sample per second with these)."""

from __future__ import annotations

import numpy as np


def intrabar_paths(
    o: np.ndarray,
    h: np.ndarray,
    low: np.ndarray,
    c: np.ndarray,
    n: int,
    rng: np.random.Generator,
    noise: float = 0.5,
) -> np.ndarray:
    """Price samples (ticks, shape (bars, n)) inside bars that hit each bar's O, H, L, C exactly.

    The path goes open -> nearer extreme -> farther extreme -> close (O -> L -> H -> C when the
    low is nearer the open), reaching the extremes at random instants, with Brownian-bridge
    noise between these anchors that is clipped to [low, high]. The first sample is the open
    and the last the close, so the bar built from the samples is the bar given.
    """
    if n < 4:
        raise ValueError(f"an intra-bar path needs at least 4 samples, got {n}")
    bars = len(o)
    first = rng.integers(1, n - 1, bars)
    second = rng.integers(1, n - 2, bars)
    second = np.where(second >= first, second + 1, second)
    t1, t2 = np.minimum(first, second), np.maximum(first, second)
    low_first = (o - low) < (h - o)
    x1, x2 = np.where(low_first, low, h), np.where(low_first, h, low)
    anchor_at = np.stack([np.zeros(bars, np.int64), t1, t2, np.full(bars, n - 1)], axis=1)
    anchor_px = np.stack([o, x1, x2, c], axis=1).astype(np.float64)
    j = np.arange(n)[None, :]
    segment = (j > t1[:, None]).astype(np.int64) + (j > t2[:, None])
    left = np.take_along_axis(anchor_at, segment, 1)
    right = np.take_along_axis(anchor_at, segment + 1, 1)
    frac = (j - left) / (right - left)
    left_px = np.take_along_axis(anchor_px, segment, 1)
    right_px = np.take_along_axis(anchor_px, segment + 1, 1)
    line = left_px + frac * (right_px - left_px)
    walk = np.cumsum(rng.standard_normal((bars, n)), axis=1)
    walk_left = np.take_along_axis(walk, left, 1)
    walk_right = np.take_along_axis(walk, right, 1)
    bridge = walk - (walk_left + frac * (walk_right - walk_left))
    scale = (h - low).astype(np.float64) * noise / np.sqrt(n)
    path = np.rint(line + bridge * scale[:, None]).astype(np.int64)
    path = np.clip(path, low[:, None], h[:, None])
    rows = np.arange(bars)
    path[rows, 0], path[rows, t1], path[rows, t2], path[rows, n - 1] = o, x1, x2, c
    return path


def split_exactly(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Integer parts of ``totals`` (per row) in proportion to ``weights``; rows sum exactly.

    Cumulative floors: part j = floor(T * W_j / W) - floor(T * W_(j-1) / W), where W_j are
    running sums of the weights. A part never exceeds ceil(T * w_j / W).
    """
    cumulative = np.cumsum(weights, axis=1, dtype=np.float64)
    whole = cumulative[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(whole > 0, cumulative / whole, 0.0)
    floors = np.floor(totals[:, None].astype(np.float64) * share).astype(np.int64)
    floors[:, -1] = np.where(whole[:, 0] > 0, totals, 0)
    return np.diff(floors, axis=1, prepend=0)
