"""The search sampler, the job plan, configuration selection and the config checks (Sandbrink et al. 2023, Methods)."""

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
    assert counts == {("art", "spindle_firing"): 150, ("art", "spindle_info"): 200}
    # successive halving: no job per configuration; 7 (run, family) groups of 5 / 2 / 1 / 1 part jobs of 10 slots
    assert plan.configuration_jobs(cfg) == []
    assert len(plan.part_jobs(cfg)) == 7 * (5 + 2 + 1 + 1)
    run = plan.run_of(cfg, "art", "spindle_info")
    assert [(r["epochs"], r["n_models"]) for r in plan.rung_plan(cfg, run)] == [(2, 50), (6, 17), (18, 6), (50, 2)]
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


# ---- convnets.experiments: the original's experiment 4 (issue 13) ------------------------------------------------

S_5272 = "spatial_temporal_4_8-16-16-32_64-64-64-64_5272"
ST_7272 = "spatiotemporal_4_8-8-32-64_7272"
EXP4 = {
    "exp4": {
        "input_key": "spindle_firing",
        "models": {"S": S_5272, "ST": ST_7272},
        "tasks": ["art"],
        "seeds": [1, 2, 3, 4, 5],
    }
}


def test_experiment_set_plans_its_pinned_models_beside_the_final_models():
    cfg = validate_config({"convnets": {"experiments": EXP4}})["convnets"]
    default = validate_config({})["convnets"]
    jobs = plan.experiment_models(cfg)
    assert len(jobs) == 2 * 5 and {(j["family"], j["configuration"]) for j in jobs} == {("S", S_5272), ("ST", ST_7272)}
    assert plan.experiment_dir("exp4", "art", "ST", 3) == "results/convnets/experiments/exp4/art/ST/seed3"
    targets = plan.target_paths(cfg)
    for seed in range(1, 6):
        for family in ("S", "ST"):
            folder = f"results/convnets/experiments/exp4/art/{family}/seed{seed}"
            assert {f"{folder}/{name}" for name in (*plan.MODEL_FILES, "control_metrics.json")} <= set(targets)
    assert "results/convnets/experiments/exp4/models.tsv" in targets
    # the final models keep their paths and settings (the default plan is unchanged)
    assert [p for p in targets if "/experiments/" not in p] == plan.target_paths(default)
    assert plan.job_settings(cfg, "S", "final", 7) == plan.job_settings(default, "S", "final", 7)
    settings = plan.experiment_settings(cfg, "exp4", "S", 7)
    assert settings["input_key"] == "spindle_firing" and settings["pinned"] == S_5272
    assert settings["role"] == "experiment:exp4" and settings["recipe"] == plan.recipe_settings(cfg, "S", None)
    with pytest.raises(ValueError, match="no set 'exp5'"):
        plan.experiment_models(cfg, "exp5")


@pytest.mark.parametrize(
    "name, family, spatial, temporal, digits, depth, params_1ch",
    [
        (S_5272, "S", (8, 16, 16, 32), (64, 64, 64, 64), (5, 2, 7, 2), 8, 104_872),  # published (Sandbrink et al. 2023)
        (ST_7272, "ST", (8, 8, 32, 64), (), (7, 2, 7, 2), 4, 116_424),  # derived by the same rule
    ],
)
def test_pinned_experiment_names_are_the_published_1_channel_architectures(
    name, family, spatial, temporal, digits, depth, params_1ch
):
    torch = pytest.importorskip("torch")
    from neuromotor.convnets.models import build_network, network_config, parameter_counts

    cfg = validate_config({"convnets": {"experiments": EXP4}})["convnets"]
    job = next(j for j in plan.experiment_models(cfg) if j["configuration"] == name)
    arch = parse_name(job["configuration"]).architecture
    assert (arch.family, arch.spatial_channels, arch.temporal_channels, arch.depth) == (
        family,
        spatial,
        temporal,
        depth,
    )
    assert (arch.spatial_kernel, arch.spatial_stride, arch.temporal_kernel, arch.temporal_stride) == digits
    assert configuration_name(arch) == name
    torch.manual_seed(0)
    model = build_network(network_config(arch, "art", cfg["experiments"]["exp4"]["input_key"], 1))
    assert model.input_shape == (1, 25, 320)
    assert parameter_counts(model)["original"] == params_1ch


def test_experiment_names_are_checked_and_unknown_analysed_sets_name_the_key():
    with pytest.raises(ConfigError, match=r"convnets.experiments.exp4.models.S.*ST network"):
        validate_config({"convnets": {"experiments": {"exp4": {"models": {"S": ST_7272}}}}})
    with pytest.raises(ConfigError, match="convnets.experiments.exp4.models.ST"):
        validate_config({"convnets": {"experiments": {"exp4": {"models": {"ST": "nonsense"}}}}})
    with pytest.raises(ConfigError, match="convnets.experiments.exp4"):
        validate_config({"convnets": {"experiments": {"exp4": {"input_key": "spindle_firing"}}}})  # no models
    from neuromotor.represent import plan as represent_plan

    config = validate_config({"convnets": {"experiments": EXP4}, "representations": {"experiments": ["exp4"]}})
    states = represent_plan.experiment_states(config["representations"], config["convnets"])
    assert len(states["exp4"]) == 2 * 5 * 2  # families x seeds x (trained, untrained)
    assert represent_plan.experiment_state_dir("exp4", states["exp4"][0]) == (
        "results/representations/experiments/exp4/art/S/seed1/trained"
    )
    assert (
        represent_plan.experiment_model_dir("exp4", "art", "ST", "2")
        == "results/convnets/experiments/exp4/art/ST/seed2"
    )
    with pytest.raises(ConfigError, match="representations.experiments"):  # the plan's check_config, at validation
        validate_config({"representations": {"experiments": ["exp4"]}})
    with pytest.raises(ConfigError, match="representations.experiments"):
        represent_plan.experiment_states(config["representations"] | {"experiments": ["exp5"]}, config["convnets"])


# ---- successive halving (issue 15) ---------------------------------------------------------------------------------


def _halving(n=50, eta=3, min_epochs=2, per_job=1, epochs=50, runs=None):
    search = {
        "n_per_family": n, "strategy": "successive_halving", "models_per_job": per_job,
        "halving": {"eta": eta, "min_epochs": min_epochs},
    }  # fmt: skip
    if runs is not None:
        search["runs"] = runs
    return validate_config({"convnets": {"search": search, "train": {"epochs": epochs}}})["convnets"]


def test_rungs_follow_eta_and_the_search_epochs():
    cfg = _halving()
    run = plan.search_runs(cfg)[0]
    assert plan.rung_epochs(cfg, run) == [2, 6, 18, 50]
    assert [r["n_models"] for r in plan.rung_plan(cfg, run)] == [50, 17, 6, 2]
    assert plan.rung_epochs(_halving(min_epochs=5, eta=2, epochs=20), run) == [5, 10, 20]
    assert plan.rung_epochs(_halving(min_epochs=60), run) == [50]  # min_epochs beyond the search: one rung
    assert plan.rung_sizes(5, 3, 4) == [5, 2, 1, 1] and plan.rung_sizes(0, 3, 2) == [0, 0]
    shared = validate_config({"convnets": {"search": {"n_per_family": 50, "models_per_job": 4}}})["convnets"]
    assert plan.uses_rungs(shared, plan.search_runs(shared)[0]) and len(plan.part_jobs(shared)) == 4 * 13
    assert [r["epochs"] for r in plan.rung_plan(shared, plan.search_runs(shared)[0])] == [50]  # full: one rung
    full = validate_config({"convnets": {"search": {"n_per_family": 50}}})["convnets"]
    assert plan.rung_epochs(full, plan.search_runs(full)[0]) == [50] and not plan.uses_rungs(
        full, plan.search_runs(full)[0]
    )


def test_halving_jobs_and_paths_do_not_depend_on_models_per_job():
    one, four = _halving(per_job=1), _halving(per_job=4)
    assert len(plan.part_jobs(one)) == 4 * (50 + 17 + 6 + 2)  # families x models of every rung
    assert len(plan.part_jobs(four)) == 4 * (13 + 5 + 2 + 1)
    assert plan.configuration_jobs(one) == []  # no job per configuration path
    assert (
        plan.part_dir("art", "spindle_info", "S", 2, 1)
        == "results/convnets/art/search/spindle_info/rungs/S/rung2/part1"
    )
    run = plan.search_runs(four)[0]
    assert plan.last_rung_parts(four, run)[0] == "results/convnets/art/search/spindle_info/rungs/S/rung3/part0"
    assert plan.previous_parts(four, "art", "spindle_info", "ST", 1) == [
        f"results/convnets/art/search/spindle_info/rungs/ST/rung0/part{p}" for p in range(13)
    ]
    # rung 0: the sampled configurations in sampling order, cut into parts
    order = plan.family_order(one, "S")
    assert [c for p in range(13) for c in plan.part_configurations(four, "art", "spindle_info", "S", 0, p)] == order
    targets = plan.target_paths(four)
    assert "results/convnets/art/search/spindle_info/summary.tsv" in targets
    assert "results/convnets/art/search/spindle_info/rungs/LSTM/rung3/part0" in targets


def test_rung_selection_is_a_pure_function_of_the_previous_rung():
    cfg = _halving(n=7, per_job=2)
    order = plan.family_order(cfg, "S")
    scores = [0.5, 0.9, 0.7, 0.9, 0.1, float("nan"), 0.8]
    rows = [{"configuration": c, "val_metric": v} for c, v in zip(order, scores)]
    ranked = plan.rank_configurations(rows[::-1], "art", order)  # the row order does not matter
    assert ranked == [order[1], order[3], order[6], order[2], order[0], order[4], order[5]]  # ties: sampling order
    assert plan.rank_configurations(rows, "tdt", order)[:2] == [order[4], order[0]]  # errors: lowest first
    kept = [c for p in range(2) for c in plan.part_configurations(cfg, "art", "spindle_info", "S", 1, p, rows)]
    assert kept == ranked[:3]  # ceil(7 / 3)
    with pytest.raises(ValueError, match="should hold 7 models"):
        plan.part_configurations(cfg, "art", "spindle_info", "S", 1, 0, rows[:3])
    settings = plan.part_settings(cfg, "art", "spindle_info", "S", 1, 1, 7)
    assert settings["slots"] == [2, 3] and settings["recipe"]["epochs"] == 6 and "configurations" not in settings
    assert plan.part_settings(cfg, "art", "spindle_info", "S", 0, 0, 7)["configurations"] == order[:2]


def test_run_strategy_overrides_and_the_sweep_keeps_only_full_runs():
    from neuromotor.represent import plan as represent_plan

    runs = [
        {"task": "art", "input_key": "spindle_info", "families": ["S"]},
        {"task": "tdt", "input_key": "spindle_info", "families": ["S"], "strategy": "full"},
    ]
    config = validate_config({"convnets": {"search": {"n_per_family": 3, "strategy": "successive_halving",
                                                      "runs": runs}, "final": {"families": ["S"]}}})  # fmt: skip
    conv = config["convnets"]
    art, tdt = plan.search_runs(conv)
    assert (art["strategy"], tdt["strategy"]) == ("successive_halving", "full")
    assert {j["task"] for j in plan.configuration_jobs(conv)} == {"tdt"}
    assert represent_plan.sweep_pairs(config["representations"], conv) == []  # the ART run has no full models


def test_amp_is_a_setting_only_when_on():
    cfg = validate_config({})["convnets"]
    assert "amp" not in plan.recipe_settings(cfg, "S", None)  # off: the settings (and reruns) of earlier versions
    on = validate_config({"convnets": {"train": {"amp": "bf16"}}})["convnets"]
    assert plan.recipe_settings(on, "S", None)["amp"] == "bf16"
    with pytest.raises(ConfigError, match="convnets.train.amp"):
        validate_config({"convnets": {"train": {"amp": "fp16"}}})


def test_halving_cost_of_the_paper_search():
    cfg = load_config("config/paper/deepdraw.yaml")["convnets"]
    runs = [{k: v for k, v in run.items() if k != "strategy"} for run in cfg["search"]["runs"]]
    runs += [{"task": "tdt", "input_key": "spindle_info", "families": ["S", "TS", "ST", "LSTM"]}]  # the original's
    search = cfg["search"] | {"runs": runs, "halving": {"eta": 3, "min_epochs": 2}}
    full = plan.search_gpu_hours(cfg | {"search": search | {"strategy": "full"}})
    halving = plan.search_gpu_hours(cfg | {"search": search | {"strategy": "successive_halving"}})
    assert 40 < full["total"] < 55  # the issue's ~48 GPU-h at 20 TFLOP/s (heads and data movement neglected)
    assert full["worst"] == pytest.approx(full["total"])  # every configuration is trained: no uncertainty
    assert halving["search"] < full["search"] / 4 and halving["worst"] > halving["total"]
    assert halving["final"] == full["final"]


def test_survivors_per_eta_are_the_top_of_the_ranking_whatever_the_parts():
    """Rung k + 1 trains the best ceil(n_k / eta) of rung k's models (validation accuracy, ties to the earlier
    sampled configuration), however the slots are cut into part jobs."""
    scores = [0.3, 0.8, 0.8, 0.1, 0.6, 0.8, 0.2, 0.5, 0.9]  # ties at 0.8: sampling order 1, 2, 5
    for eta, kept in ((2, 5), (3, 3), (4, 3), (9, 1)):
        survivors = None
        for per_job in (1, 2, 4):
            cfg = _halving(n=9, eta=eta, min_epochs=1, per_job=per_job, epochs=81)
            order = plan.family_order(cfg, "ST")
            rows = [{"configuration": c, "val_metric": v} for c, v in zip(order, scores)]
            rung1 = plan.rung_plan(cfg, plan.search_runs(cfg)[0])[1]
            assert rung1["n_models"] == kept and rung1["epochs"] == eta
            trained = [
                c for p in range(rung1["n_parts"])
                for c in plan.part_configurations(cfg, "art", "spindle_info", "ST", 1, p, rows)
            ]  # fmt: skip
            assert trained == [order[i] for i in (8, 1, 2, 5, 4)][:kept]
            assert survivors in (None, trained)
            survivors = trained


def test_part_and_final_requests_are_bounded_by_the_sampled_configurations():
    """Before the previous rung (or the search table) exists, a part job is sized for the costliest sampled
    configurations in its slots and a final job for the costliest sampled configuration; afterwards exactly."""
    from neuromotor.costs import MAX_RUNTIME_MIN

    config = load_config("config/paper/deepdraw.yaml")
    cfg, pcrt = config["convnets"], config["pcrt"]
    order = plan.family_order(cfg, "ST")
    costliest = max(order, key=lambda name: plan.forward_macs(parse_name(name).architecture))
    # the last rung holds 2 of 10 slots: a bound of 2 models, not 10
    assert plan.part_architectures(cfg, "art", "spindle_info", "ST", 3, 0, ["absent"]) == [
        parse_name(name).architecture for name in plan._costliest(tuple(order))[:2]
    ]
    bound = plan.final_architecture(cfg, "ST")
    assert bound == parse_name(costliest).architecture
    assert plan.forward_macs(bound) < plan.forward_macs(plan.largest_architecture("ST", cfg))
    single = [plan.job_resources(cfg, pcrt, parse_name(n).architecture, "spindle_info", "search", 2) for n in order]
    part = plan.jobs_resources(cfg, pcrt, [parse_name(n).architecture for n in order[:10]], "spindle_info", 2)
    assert part[1] < sum(minutes for _, minutes in single[:10])  # the data are read once per job
    assert part[0] == max(mb for mb, _ in single[:10])
    for job in plan.part_jobs(cfg):
        previous = plan.previous_parts(cfg, job["task"], job["input_key"], job["family"], job["rung"])
        assert plan.part_cost(cfg, pcrt, **job, previous=previous)[1] <= MAX_RUNTIME_MIN
    assert plan.retry_request(3000, 3, MAX_RUNTIME_MIN) == 9000
    assert plan.retry_request(6000, 2, MAX_RUNTIME_MIN) == MAX_RUNTIME_MIN == 7 * 24 * 60


def test_final_request_follows_the_search_table_once_it_exists(tmp_path):
    from neuromotor.io.tables import write_tsv

    search = {"n_per_family": 4, "strategy": "successive_halving",
              "runs": [{"task": "art", "input_key": "spindle_info", "families": ["S"]}]}  # fmt: skip
    cfg = validate_config({"convnets": {"search": search, "final": {"families": ["S"]}}})["convnets"]
    order = plan.family_order(cfg, "S")
    rows = [{"task": "art", "family": "S", "configuration": c, "val_metric": v, "test_metric": 0.0}
            for c, v in zip(order, [0.2, 0.7, 0.4, 0.7])]  # fmt: skip
    summary = tmp_path / "summary.tsv"
    write_tsv(summary, rows)
    assert plan.final_architecture(cfg, "S", str(summary)) == parse_name(order[1]).architecture
    assert plan.final_architecture(cfg, "S", str(tmp_path / "absent.tsv")) == plan.final_architecture(cfg, "S")
    pinned = cfg | {"final": cfg["final"] | {"models": {"S": order[2]}}}
    assert plan.final_architecture(pinned, "S", str(summary)) == parse_name(order[2]).architecture


def test_a_tasks_search_draws_only_configurations_whose_head_fits_the_input():
    from neuromotor.convnets.architecture import MAX_HEAD_WEIGHTS, head_fits, head_weights

    runs = [{"task": task, "input_key": "spindle_info"} for task in ("art", "autoencoder")]
    cfg = _halving(runs=runs)
    successor = (39, 400)
    stream = [configuration_name(a) for a in plan.sample_configurations("S", 800, seed=0)]
    autoencoder = plan.family_order(cfg, "S", "autoencoder", "spindle_info", successor)
    assert len(autoencoder) == len(set(autoencoder)) == 50
    assert all(head_fits(parse_name(name).architecture, "autoencoder", 2, successor) for name in autoencoder)
    assert autoencoder == [name for name in stream if name in set(autoencoder)]  # the stream's order, filtered
    refused = [name for name in stream[:50] if name not in set(autoencoder)]
    assert refused and all(
        head_weights(parse_name(name).architecture, "autoencoder", 2, successor) > MAX_HEAD_WEIGHTS for name in refused
    )
    # ART fits every configuration: its order, and every DeepDraw-shaped order, is the unfiltered one
    assert plan.family_order(cfg, "S", "art", "spindle_info", successor) == stream[:50] == plan.family_order(cfg, "S")
    assert plan.family_order(cfg, "S", "tdt_pv") == stream[:50] != plan.family_order(cfg, "S", "autoencoder")
    # the plan's jobs take the filtered order: rung 0's parts, the part settings and the final bound
    parts = [c for p in range(50) for c in plan.part_configurations(cfg, "autoencoder", "spindle_info", "S", 0, p,
                                                                      shape=successor)]  # fmt: skip
    assert parts == autoencoder
    settings = plan.part_settings(cfg, "autoencoder", "spindle_info", "S", 1, 0, 0, successor)
    assert settings["order"] == autoencoder
    bound = plan.part_architectures(cfg, "autoencoder", "spindle_info", "S", 1, 0, ["absent"], successor)
    assert configuration_name(bound[0]) in autoencoder
    with pytest.raises(ValueError, match="fewer than 50 distinct accepted configurations"):
        plan.sample_configurations("S", 50, accept=lambda arch: False)


@pytest.mark.parametrize("task", ["art", "tdt", "autoencoder", "barlow", "hand_pos_vel"])
@pytest.mark.parametrize("name", ["spatial_temporal_2_8-16_16-32_3521", "spatiotemporal_2_8-16_5252", "lstm_2_8-16_64_51"])
def test_head_weights_count_the_largest_linear_layer_of_the_built_head(task, name):
    import torch

    from neuromotor.convnets.architecture import head_weights
    from neuromotor.convnets.models import PCRTNetwork

    arch = parse_name(name).architecture
    network = PCRTNetwork(arch, task, 2, (9, 30))
    linear = max(m.weight.numel() for m in network.head.modules() if isinstance(m, torch.nn.Linear))
    assert head_weights(arch, task, 2, (9, 30)) == linear
