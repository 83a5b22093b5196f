"""The search sampler, the job plan, configuration selection and the config checks (spec convnets.md §4, §6)."""

import pytest

from neuromotor.config import load_config, validate_config
from neuromotor.convnets import plan
from neuromotor.convnets.architecture import configuration_name, parse_name
from neuromotor.errors import ConfigError


def test_sampler_draws_from_the_spec_space_with_sorted_channels_and_kernels():
    for family in ("S", "TS", "ST"):
        configs = plan.sample_configurations(family, 50, seed=0)
        assert len({configuration_name(a) for a in configs}) == 50
        for arch in configs:
            assert arch.n_layers in (1, 2, 3, 4)
            assert set(arch.spatial_channels + arch.temporal_channels) <= {8, 16, 32, 64}
            assert arch.spatial_kernel in (3, 5, 7, 9) and arch.spatial_stride in (1, 2)
            assert parse_name(configuration_name(arch)).architecture == arch
            if family == "ST":
                assert list(arch.spatial_channels) == sorted(arch.spatial_channels)
                assert (arch.temporal_kernel, arch.temporal_stride) == (arch.spatial_kernel, arch.spatial_stride)
            else:
                first, second = (
                    (arch.spatial_channels, arch.temporal_channels)
                    if family == "S"
                    else (arch.temporal_channels, arch.spatial_channels)
                )
                assert list(first + second) == sorted(first + second)  # 2L sorted draws, first L to the first stage
                assert arch.spatial_kernel <= arch.temporal_kernel and arch.temporal_stride in (1, 2, 3)
    for arch in plan.sample_configurations("LSTM", 50, seed=0):
        assert arch.n_layers in (1, 2, 3, 4) and arch.units in (32, 64, 128, 256)
        assert set(arch.spatial_channels) <= {8, 16, 32} and list(arch.spatial_channels) == sorted(
            arch.spatial_channels
        )


def test_sampler_is_seeded_per_family_and_prefix_stable():
    fifty = [configuration_name(a) for a in plan.sample_configurations("S", 50, seed=0)]
    assert fifty == [configuration_name(a) for a in plan.sample_configurations("S", 50, seed=0)]
    assert fifty[:7] == [configuration_name(a) for a in plan.sample_configurations("S", 7, seed=0)]
    assert fifty != [configuration_name(a) for a in plan.sample_configurations("S", 50, seed=1)]
    small = {"n_layers": [1], "channels": [8], "kernels": [3], "spatial_strides": [1], "temporal_strides": [1]}
    with pytest.raises(ValueError, match="fewer than 2 distinct"):
        plan.sample_configurations("S", 2, conv_space=small)


def test_paper_plan_jobs_and_paths():
    cfg = load_config("config/paper/deepdraw.yaml")["convnets"]
    search = plan.search_models(cfg)
    counts = {}
    for job in search:
        key = (job["task"], job["input_key"])
        counts[key] = counts.get(key, 0) + 1
    assert counts == {("art", "spindle_firing"): 150, ("art", "spindle_info"): 200, ("tdt", "spindle_info"): 200}
    # the ART and TDT runs train the same configurations (the ART-vs-TDT sweep)
    art = {j["configuration"] for j in search if j["task"] == "art" and j["input_key"] == "spindle_info"}
    assert art == {j["configuration"] for j in search if j["task"] == "tdt"}
    finals = plan.final_models(cfg)
    assert len(finals) == 3 * 3 * 5 and {f["family"] for f in finals} == {"S", "ST", "LSTM"}
    assert plan.final_dir("art", "S", 3) == "results/convnets/art/final/S/seed3"
    assert plan.selection_summary(cfg, "S") == "results/convnets/art/search/spindle_info/summary.tsv"
    targets = plan.target_paths(cfg)
    assert "results/convnets/tdt_pv/final/LSTM/seed5/control_metrics.json" in targets
    assert "results/convnets/figures/trained_vs_untrained.png" in targets


def test_select_configuration_by_validation_accuracy_ties_to_the_earlier():
    rows = [
        {"family": "S", "task": "art", "configuration": "a", "val_metric": 0.5, "test_metric": 0.9},
        {"family": "S", "task": "art", "configuration": "b", "val_metric": 0.7, "test_metric": 0.1},
        {"family": "S", "task": "art", "configuration": "c", "val_metric": 0.7, "test_metric": 0.2},
        {"family": "ST", "task": "art", "configuration": "d", "val_metric": 0.9, "test_metric": 0.9},
    ]
    assert plan.select_configuration(rows, "S") == "b"
    assert plan.select_configuration(rows, "S", "test") == "a"
    with pytest.raises(ValueError, match="no ART model of family LSTM"):
        plan.select_configuration(rows, "LSTM")


@pytest.mark.parametrize(
    "convnets, fragments",
    [
        ({"search": {"runs": [{"task": "tdt", "input_key": "spindle_info"}]}}, ["convnets.final", "ART search run"]),
        ({"final": {"input_key": "spindle_firing"}}, ["spindle_firing", "convnets.final.models"]),
        ({"final": {"models": {"S": "spatiotemporal_4_8-8-32-64_7272"}}}, ["convnets.final.models.S", "ST network"]),
        ({"final": {"models": {"ST": "nonsense"}}}, ["convnets.final.models.ST", "model name"]),
        ({"final": {"tasks": ["pose"]}}, ["convnets.final.tasks.0", "art"]),
        ({"search": {"space": {"kernels": [11]}}}, ["convnets.search.space.kernels.0", "maximum"]),
    ],
)
def test_config_errors_name_the_key(convnets, fragments):
    with pytest.raises(ConfigError) as info:
        validate_config({"convnets": convnets})
    for fragment in fragments:
        assert fragment in str(info.value)


def test_pinned_models_need_no_search():
    config = validate_config(
        {
            "convnets": {
                "search": {"runs": []},
                "final": {"families": ["S"], "models": {"S": "spatial_temporal_1_8_8_3232"}},
            }
        }
    )["convnets"]
    assert plan.search_models(config) == [] and plan.selection_summary(config, "S") is None


def test_cost_estimates_follow_the_architecture():
    s7293 = parse_name("spatial_temporal_4_8-16-16-32_32-32-64-64_7293").architecture
    # spatial: 13*320*8*7*2 + 7*320*16*7*8 + 4*320*16*7*16 + 2*320*32*7*16; temporal: 2*107*32*9*32 + ...
    spatial = 13 * 320 * 8 * 7 * 2 + 7 * 320 * 16 * 7 * 8 + 4 * 320 * 16 * 7 * 16 + 2 * 320 * 32 * 7 * 16
    temporal = (2 * 107 * 32 + 2 * 36 * 32) * 9 * 32 + (2 * 12 * 64 * 32 + 2 * 4 * 64 * 64) * 9
    assert plan.forward_macs(s7293) == spatial + temporal
    cfg = validate_config({})["convnets"]
    largest = plan.largest_architecture("S", cfg)
    assert plan.forward_macs(largest) > plan.forward_macs(s7293)
    assert plan.job_memory_mb(largest, "spindle_info", 200_000, 256, 200) > plan.job_memory_mb(
        s7293, "spindle_info", 200_000, 256, 200
    )
