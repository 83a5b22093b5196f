"""One-vs-one voting: the spec's tie-break, and agreement with scikit-learn's OneVsOneClassifier."""

import numpy as np
import pytest
from sklearn.multiclass import OneVsOneClassifier
from sklearn.svm import LinearSVC

from neuromotor.svm.data import label_pairs
from neuromotor.svm.vote import ovo_predict, ovo_scores

CLASSES = [1, 2, 3]
PAIRS = label_pairs(CLASSES)  # (1, 2), (1, 3), (2, 3)


def test_votes_decide_and_confidence_breaks_ties():
    decisions = np.array([
        [-1.0, -1.0, 0.5],   # 1 beats 2 and 3: 2 votes -> 1
        [2.0, -0.5, 3.0],    # 2 beats 1, 1 beats 3, 3 beats 2: one vote each, confidence decides
        [0.0, 0.0, 0.0],     # exactly 0 votes for the smaller label: 1 beats 2 and 3
        [5.0, 5.0, 0.1],     # 2 and 3 beat 1, 3 beats 2 by a hair: 3 wins on votes (2 vs 1), not on confidence
    ])  # fmt: skip
    votes, confidence, scores = ovo_scores(decisions, PAIRS, CLASSES)
    np.testing.assert_array_equal(votes, [[2, 0, 1], [1, 1, 1], [2, 1, 0], [0, 1, 2]])
    # s_1 = -f_12 - f_13, s_2 = f_12 - f_23, s_3 = f_13 + f_23
    np.testing.assert_allclose(confidence[1], [-2.0 + 0.5, 2.0 - 3.0, -0.5 + 3.0])
    np.testing.assert_allclose(scores, votes + confidence / (2 * (np.abs(confidence) + 1)))
    np.testing.assert_array_equal(ovo_predict(decisions, PAIRS, CLASSES), [1, 3, 1, 3])


def test_tie_break_never_overturns_a_vote_difference():
    rng = np.random.default_rng(0)
    decisions = rng.normal(scale=1e6, size=(500, len(PAIRS)))
    votes, _, scores = ovo_scores(decisions, PAIRS, CLASSES)
    winner = np.argmax(scores, axis=1)
    assert np.all(votes[np.arange(500), winner] == votes.max(axis=1))


def test_exact_score_ties_go_to_the_first_class():
    # 2 beats 1 and 1 beats 3 by the same margin, 2 and 3 undecided (0 votes for 2): 1 and 2 have equal votes
    # and equal confidence sums, so the first of them wins
    decisions = np.array([[1.0, -1.0, 0.0]])
    votes, confidence, scores = ovo_scores(decisions, PAIRS, CLASSES)
    np.testing.assert_array_equal(votes, [[1, 2, 0]])
    decisions = np.array([[1.0, -1.0, 1.0]])  # votes 1: 1 (vs 3), 2: 1 (vs 1), 3: 1 (vs 2); s = (0, 0, 0)
    votes, confidence, scores = ovo_scores(decisions, PAIRS, CLASSES)
    np.testing.assert_array_equal(votes, [[1, 1, 1]])
    np.testing.assert_array_equal(confidence, [[0, 0, 0]])
    assert ovo_predict(decisions, PAIRS, CLASSES)[0] == 1


def test_unfitted_pairs_take_no_part():
    decisions = np.array([[np.nan, 1.0, 1.0]])  # (1, 2) missing; 3 beats 1 and 2
    votes, confidence, _ = ovo_scores(decisions, PAIRS, CLASSES)
    np.testing.assert_array_equal(votes, [[0, 0, 2]])
    with pytest.raises(ValueError, match="partly NaN"):
        ovo_scores(np.array([[np.nan, 1.0, 1.0], [1.0, 1.0, 1.0]]), PAIRS, CLASSES)


def test_same_predictions_as_sklearn_one_vs_one():
    rng = np.random.default_rng(3)
    classes = [1, 2, 3, 4, 5]
    centres = rng.normal(scale=1.5, size=(len(classes), 6))
    y = np.repeat(classes, 40)
    X = centres[y - 1] + rng.normal(size=(len(y), 6))
    X_test = centres[np.repeat(classes, 30) - 1] + 1.3 * rng.normal(size=(150, 6))
    ovo = OneVsOneClassifier(LinearSVC(loss="hinge", dual=True, C=0.1, random_state=0, max_iter=10000)).fit(X, y)
    pairs = label_pairs(classes)
    # sklearn fits (i, j) with i encoded as 0 and j as 1: its decision > 0 means j, as the spec's f_ij
    decisions = np.column_stack([estimator.decision_function(X_test) for estimator in ovo.estimators_])
    np.testing.assert_array_equal(ovo_predict(decisions, pairs, classes), ovo.predict(X_test))


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="shape"):
        ovo_scores(np.zeros((4, 2)), PAIRS, CLASSES)
    with pytest.raises(ValueError, match="i < j"):
        ovo_scores(np.zeros((4, 3)), [(2, 1), (1, 3), (2, 3)], CLASSES)
