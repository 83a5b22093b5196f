"""EEG plan (jobs, config checks), summaries and ranking of methods, and the figure functions' argument checks."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from neuromotor.config import validate_config
from neuromotor.eeg import plan
from neuromotor.eeg.report import accuracy_rows, ranking_rows, summary_rows
from neuromotor.errors import ConfigError
from neuromotor.io.eeg_mat import eeg_info
from neuromotor.io.tables import write_tsv
from neuromotor.plots.eeg import plot_sample, plot_topomaps

DEMO = {
    "synthetic": {"scale": 0.05},
    "subjects": [2],
    "figures": {"samples": [{"model": "eegnet", "subject": 2, "index": 1}]},
}


def eeg_config(change: dict | None = None) -> dict:
    def merge(base, extra):
        out = copy.deepcopy(base)
        for key, value in extra.items():
            out[key] = merge(out.get(key, {}), value) if isinstance(value, dict) else value
        return out

    return validate_config({"eeg": merge(DEMO, change or {})})["eeg"]


def test_method_chunks_and_attribution_jobs():
    eeg = eeg_config({"attribution": {"methods_per_job": 3}})
    chunks = plan.method_chunks(eeg["attribution"]["methods"], 3)
    assert [len(c) for c in chunks] == [3, 3, 2] and sum(chunks, []) == eeg["attribution"]["methods"]
    assert len(plan.attribution_jobs(eeg)) == 2 * 1 * 3
    assert plan.method_store(eeg, "eegnet", 2, "random") == "results/eeg/attribution/eegnet/sub02/methods02.zarr"
    full = validate_config({})["eeg"]
    assert len(plan.attribution_jobs(full)) == 2 * 11 * 8  # the schema default is the full plan


def test_a_valid_config_has_no_problems():
    assert plan.check_config({"eeg": eeg_config()}) == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"figures": {"samples": [{"model": "eegnet", "subject": 5, "index": 0}]}},
         "config key 'eeg.figures.samples[0].subject': 5 is not in 'eeg.subjects'"),
        ({"figures": {"samples": [{"model": "eegnet", "subject": 2, "index": 6}]}},
         "config key 'eeg.figures.samples[0].index': subject 2 has 6 epochs"),
        ({"models": ["interpretable_cnn"]}, "config key 'eeg.figures.samples[0].model': 'eegnet' is not in"),
        ({"data": {"source": "mat"}}, "config key 'eeg.data.path': required when 'eeg.data.source' is 'mat'"),
        ({"subjects": [12], "figures": {"samples": []}}, "config key 'eeg.subjects': subject 12 does not exist"),
        ({"synthetic": {"effect": {"window_s": [2.0, 1.0]}}}, "config key 'eeg.synthetic.effect.window_s'"),
    ],
)  # fmt: skip
def test_config_checks_name_the_key(change, message):
    with pytest.raises(ConfigError) as error:  # neuromotor.config.validate_config runs the plan's check
        eeg_config(change)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"attribution": {"methods": ["lime"]}}, "config key 'eeg.attribution.methods.0'"),
        ({"train": {"epoch": 3}}, "unknown config key 'eeg.train.epoch'"),
        ({"train": {"bn_eval": "running"}}, "'running' is not allowed; allowed values: ['batch', 'train_stats']"),
    ],
)
def test_schema_errors_name_the_key(change, message):
    with pytest.raises(ConfigError) as error:
        eeg_config(change)
    assert message in str(error.value)


def test_accuracy_rows_label_both_protocols(tmp_path):
    paths = []
    for subject, accuracies in ((1, [0.5, 0.9, 0.7]), (2, [0.6, 0.6, 0.8])):
        path = tmp_path / f"epochs{subject}.tsv"
        write_tsv(path, [{"epoch": e + 1, "test_accuracy": a, "bn_eval": "batch"} for e, a in enumerate(accuracies)])
        paths.append(str(path))
    rows = {(r["subject"], r["protocol"]): r for r in accuracy_rows(paths, ["eegnet"], [1, 2])}
    assert rows[(1, "honest")]["accuracy"] == 0.7 and rows[(1, "honest")]["epoch"] == 3
    assert rows[(1, "best_test_epoch")]["accuracy"] == 0.9 and rows[(1, "best_test_epoch")]["epoch"] == 2
    assert rows[(2, "best_test_epoch")]["epoch"] == 3
    assert rows[("mean", "honest")]["accuracy"] == pytest.approx(0.75)
    assert rows[("mean", "best_test_epoch")]["accuracy"] == pytest.approx(0.85)


def sample_rows():
    """Two subjects; method a beats b on subject 1, b beats a on subject 2 by less; c is always last."""
    means = {1: {"a": 0.8, "b": 0.6, "c": 0.0}, 2: {"a": 0.5, "b": 0.55, "c": 0.1}}
    rows = []
    for subject, by_method in means.items():
        for method, value in by_method.items():
            for sample, offset in enumerate((-0.1, 0.1)):
                r = value + offset
                rows.append(
                    {
                        "model": "m",
                        "subject": subject,
                        "method": method,
                        "sample": sample,
                        **{f"patch_r_{n}": r for n in (38, 76)},
                        "channel_r": r / 2,
                        "patch_r_mean": r,
                        "p_sample_deletion": 0.5,
                        "fraction_deleted": 0.1,
                        "p_channel_deletion": 0.4,
                        "n_channels_deleted": 3,
                    }
                )
    return rows


def test_summary_means_and_sds_over_samples_overall_and_per_subject():
    summary = {(r["method"], r["subject"]): r for r in summary_rows(sample_rows(), [38, 76])}
    assert summary[("a", 1)]["patch_r_38_mean"] == pytest.approx(0.8)
    assert summary[("a", 1)]["patch_r_38_sd"] == pytest.approx(0.1)
    assert summary[("a", "all")]["patch_r_mean_mean"] == pytest.approx(0.65)
    assert summary[("a", "all")]["n_samples"] == 4 and summary[("c", 2)]["channel_r_mean"] == pytest.approx(0.05)


def test_ranking_orders_methods_by_mean_rank_over_subjects():
    ranking = ranking_rows(summary_rows(sample_rows(), [38, 76]))
    assert [r["method"] for r in ranking] == ["a", "b", "c"]  # a: ranks 1, 2; b: 2, 1 (tie on rank, a higher r)
    assert [r["mean_rank"] for r in ranking] == [1.5, 1.5, 3.0]
    assert ranking[0]["patch_r_mean"] == pytest.approx(0.65) and ranking[0]["n_subjects"] == 2
    assert ranking[0]["patch_r_sd_over_subjects"] == pytest.approx(0.15)


def test_figure_functions_check_their_arguments(tmp_path):
    info = eeg_info()
    with pytest.raises(ValueError, match="plot_sample: smoothed must have shape"):
        plot_sample(tmp_path / "x.png", np.zeros((30, 384)), np.zeros((30, 383)), np.zeros(30), info, "t", "x")
    with pytest.raises(ValueError, match="plot_topomaps: relevance must have shape"):
        plot_topomaps(tmp_path / "y.png", np.zeros((2, 3, 29)), info, ["r1", "r2"], ["a", "b", "c"])
    assert not list(tmp_path.iterdir())
