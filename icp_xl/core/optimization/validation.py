"""Cross-validation of the weight search: k shuffled folds, the search run on k-1 of them,
the Spearman correlation measured on the held-out fold (the out-of-sample figure)."""

from __future__ import annotations

from typing import Any

import numpy as np

from icp_xl.core.model.settings import Settings
from icp_xl.core.optimization.defaults import DEFAULT_FOLDS, DEFAULT_SEED
from icp_xl.core.optimization.objective import TrainingData, combined_scores, spearman
from icp_xl.core.optimization.search import Progress, search_weights, trial_weights


def fold_indices(n: int, folds: int, seed: int | None) -> list[np.ndarray]:
    """Split positions 0..n-1 into ``folds`` shuffled, near-equal held-out sets."""
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


def cross_validate(
    data: TrainingData,
    settings: Settings,
    *,
    folds: int = DEFAULT_FOLDS,
    progress: Progress | None = None,
    **search: Any,
) -> tuple[float, ...]:
    """Out-of-sample Spearman per fold: optimize on the other folds with
    :func:`search_weights` (``search`` = its keyword arguments), then correlate
    the held-out accounts' ``s = X·w`` with their target."""
    results = []
    seed = search.pop("seed", DEFAULT_SEED)
    for k, held_out in enumerate(fold_indices(len(data), folds, seed), start=1):
        keep = np.setdiff1d(np.arange(len(data)), held_out)
        study, _ = search_weights(
            data.subset(keep),
            settings,
            seed=None if seed is None else seed + k,
            progress=progress,
            phase_prefix=f"fold {k}/{folds} ",
            **search,
        )
        w = trial_weights(study.best_trial)
        test = data.subset(held_out)
        results.append(spearman(combined_scores(test.components, w), test.target))
    return tuple(results)
