"""The exact Wilcoxon signed-rank test and the summaries of the KD table (Zeng et al. 2022, Table)."""

import itertools
import math

import numpy as np
import pytest
import scipy.stats

from neuromotor.kd.stats import average_ranks, format_mean_std, h0_flag, mean_std, stars, wilcoxon_exact


def _brute_force_p(d):
    """Two-sided p by enumerating all 2^n sign patterns of the (average) ranks of |d| (zeros dropped)."""
    d = np.asarray([v for v in d if v != 0], dtype=float)
    ranks = scipy.stats.rankdata(np.abs(d))
    observed = ranks[d > 0].sum()
    sums = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(d))]
    sums = np.array(sums)
    return min(1.0, 2 * min((sums <= observed + 1e-9).mean(), (sums >= observed - 1e-9).mean()))


def test_all_eight_subjects_improving_gives_2_over_256():
    result = wilcoxon_exact([81.2, 79.9, 85.0, 90.1, 70.4, 77.7, 88.8, 84.0], [80.0, 79.0, 84.0, 89.0, 70.0, 77.0, 88.0, 83.5])
    assert result.p_value == 0.0078125 == 2 / 256
    assert result.statistic == 0 and result.n == 8 and result.w_plus == 36


@pytest.mark.parametrize("w, p", [(1, 4 / 256), (2, 6 / 256), (3, 10 / 256)])  # 2 x #{subsets of 1..8 summing <= w} / 256
def test_the_lattice_of_attainable_p_values_for_eight_subjects(w, p):
    d = np.arange(1.0, 9.0)
    d[w - 1] *= -1  # the difference of rank w is negative: W- = w
    assert wilcoxon_exact(d, np.zeros(8)).p_value == pytest.approx(p, abs=1e-15)


def test_equals_scipy_exact_without_ties():
    rng = np.random.default_rng(0)
    for n in (3, 6, 8, 11):
        for _ in range(25):
            x, y = rng.normal(size=n), rng.normal(size=n)
            ours, reference = wilcoxon_exact(x, y), scipy.stats.wilcoxon(x, y, method="exact")
            assert ours.p_value == pytest.approx(reference.pvalue, abs=1e-14)
            assert ours.statistic == reference.statistic


def test_ties_and_zeros_use_the_exact_permutation_distribution():
    d = np.array([1.0, 1.0, 2.0, 2.0, 3.0, -1.0, 4.0, 5.0, 0.0])
    result = wilcoxon_exact(d, np.zeros_like(d))
    assert result.n == 8  # the zero is dropped
    assert result.p_value == pytest.approx(_brute_force_p(d), abs=1e-15)
    assert result.w_plus == 34.0  # ranks of |d|: 1, 1, 1 -> 2 each; 2, 2 -> 4.5; 3 -> 6; 4 -> 7; 5 -> 8
    np.testing.assert_array_equal(average_ranks(np.array([3.0, 1.0, 1.0, 2.0])), [4.0, 1.5, 1.5, 3.0])


def test_no_difference_gives_nan_and_bad_input_is_rejected():
    result = wilcoxon_exact([80.0, 75.0], [80.0, 75.0 + 1e-12])
    assert result.n == 0 and math.isnan(result.p_value)
    assert h0_flag(result.p_value) == 1 and stars(result.p_value) == "n/a"
    with pytest.raises(ValueError, match="equal length"):
        wilcoxon_exact([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        wilcoxon_exact([1.0, np.nan], [0.0, 0.0])


def test_flags_stars_and_summaries():
    assert [h0_flag(p) for p in (0.0078, 0.0499, 0.05, 0.3)] == [0, 0, 1, 1]
    assert [stars(p) for p in (0.0078, 0.0234, 0.06)] == ["**", "*", "ns"]
    summary = mean_std([70.0, 80.0, 90.0])
    assert summary["mean"] == 80.0
    assert summary["std_ddof0"] == pytest.approx(np.sqrt(200 / 3))
    assert summary["std_ddof1"] == pytest.approx(10.0)
    assert format_mean_std(summary) == "80.00 ± 8.16"
    assert math.isnan(mean_std([5.0])["std_ddof1"]) and math.isnan(mean_std([])["mean"])
