"""One-vs-one voting with the confidence tie-break of docs/decisions.md (Pairwise SVMs).

For a sample and each pair (i, j), i < j, with decision value f_ij (> 0 means j): the winner gets one vote; the
confidence sums move by s_j += f_ij, s_i -= f_ij. The score of class c is ``votes_c + s_c / (2 (|s_c| + 1))``; the
added term lies in (-0.5, 0.5), so it only orders classes with equal votes, and the prediction is the first class
of highest score. This gives the same predictions as scikit-learn's one-vs-one decision (which scales by 1/3).
A decision of exactly 0 is a vote for i (as ``LinearSVC.predict``). Pairs whose classifier could not be fitted
(NaN decisions) take no part.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def ovo_scores(decisions: np.ndarray, pairs: Sequence[tuple[int, int]], classes: Sequence[int]):
    """Votes, confidence sums and scores, each (n_samples, n_classes).

    Parameters
    ----------
    decisions : (n_samples, n_pairs) float; column k is f_ij for ``pairs[k] = (i, j)``; NaN columns are skipped.
    pairs : the (i, j) label pairs, i < j, each label in ``classes``.
    classes : the class labels, in the order of the output columns.
    """
    decisions = np.asarray(decisions, dtype=np.float64)
    classes = list(int(c) for c in classes)
    if decisions.ndim != 2 or decisions.shape[1] != len(pairs):
        raise ValueError(f"ovo_scores: decisions must have shape (n_samples, {len(pairs)}), got {decisions.shape}")
    position = {label: k for k, label in enumerate(classes)}
    n = decisions.shape[0]
    votes = np.zeros((n, len(classes)))
    confidence = np.zeros((n, len(classes)))
    for k, (i, j) in enumerate(pairs):
        if i >= j or i not in position or j not in position:
            raise ValueError(f"ovo_scores: pair {(i, j)} must be (i, j) with i < j, both in the classes {classes}")
        column = decisions[:, k]
        if np.isnan(column).all():
            continue
        if np.isnan(column).any():
            raise ValueError(f"ovo_scores: decisions of pair {(i, j)} are partly NaN")
        j_wins = column > 0
        votes[:, position[j]] += j_wins
        votes[:, position[i]] += ~j_wins
        confidence[:, position[j]] += column
        confidence[:, position[i]] -= column
    scores = votes + confidence / (2.0 * (np.abs(confidence) + 1.0))
    return votes, confidence, scores


def ovo_predict(decisions: np.ndarray, pairs: Sequence[tuple[int, int]], classes: Sequence[int]) -> np.ndarray:
    """Predicted class label per sample (the first class of highest score)."""
    _, _, scores = ovo_scores(decisions, pairs, classes)
    return np.asarray(classes)[np.argmax(scores, axis=1)] if len(scores) else np.zeros(0, dtype=int)
