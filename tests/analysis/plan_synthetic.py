"""Synthetic, seeded covering instances for the planner's tests (made-up points and weights,
not real data)."""

from __future__ import annotations

import numpy as np
from scipy import sparse


def random_instance(
    seed: int, max_demand: int = 30, max_candidates: int = 10
) -> tuple[sparse.csr_array, np.ndarray, np.ndarray | None, int]:
    """A random coverage matrix, integer weights, maybe a served mask, and a budget p.

    Columns are sometimes duplicated or made subsets of others, so the reductions (identical
    rows, dominated candidates) have something to do.
    """
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, max_demand + 1))
    n = int(rng.integers(1, max_candidates + 1))
    dense = rng.random((m, n)) < rng.uniform(0.05, 0.5)
    if n >= 3 and rng.random() < 0.5:
        dense[:, 1] = dense[:, 0]  # an identical candidate
        dense[:, 2] = dense[:, 0] & (rng.random(m) < 0.5)  # a dominated one
    weights = rng.integers(0, 100, m).astype(float)
    served = rng.random(m) < 0.2 if rng.random() < 0.5 else None
    p = int(rng.integers(0, n + 2))
    return sparse.csr_array(dense), weights, served, p


def random_points(seed: int, n: int, size: float = 3000.0) -> np.ndarray:
    """``n`` uniform random points in a ``size`` metre square (synthetic coordinates)."""
    return np.random.default_rng(seed).uniform(0.0, size, (n, 2))


def straight(dxy: np.ndarray, cxy: np.ndarray, detour: float = 1.3) -> np.ndarray:
    """Every demand-candidate straight-line distance times ``detour`` (dense, by brute force)."""
    return np.hypot(*(dxy[:, None, :] - cxy[None, :, :]).transpose(2, 0, 1)) * detour


def points_cover(
    dxy: np.ndarray, cxy: np.ndarray, catchment: float = 800.0, detour: float = 1.3
) -> sparse.csr_array:
    """Coverage by brute force: straight line x detour within the catchment (inclusive)."""
    return sparse.csr_array(straight(dxy, cxy, detour) <= catchment)
