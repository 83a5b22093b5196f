"""The convnets plan for every task of the registry (issue 19.2: the successor's tasks): the schema's task list,
errors naming the key, per-task and per-family recipes, rungs, selection by the task's metric, and the cost model on
the successor's 39 x 400 inputs with the tasks' heads."""

from __future__ import annotations

import math

import pytest

from neuromotor.config import load_schema, validate_config
from neuromotor.convnets import plan
from neuromotor.convnets.architecture import TASKS, parse_name
from neuromotor.errors import ConfigError

SUCCESSOR = [task for task in TASKS if task not in ("tdt", "tdt_pv")]
S7293 = parse_name("spatial_temporal_4_8-16-16-32_32-32-64-64_7293").architecture


def test_schema_task_list_is_the_registry():
    assert load_schema()["$defs"]["convnets_task"]["enum"] == list(TASKS)
    assert set(plan.TASK_PATTERN.split("|")) == set(TASKS) and len(TASKS) == 17


def successor_convnets(**final) -> dict:
    return {
        "search": {"runs": [{"task": t, "input_key": "spindle_info"} for t in SUCCESSOR],
                   "strategy": "successive_halving", "models_per_job": 10},
        "final": {"tasks": SUCCESSOR, "select_from": "task"} | final,
    }


def test_every_registry_task_is_accepted_in_search_final_representations_and_neural():
    config = validate_config({
        "convnets": successor_convnets(),
        "representations": {"tasks": ["art", "barlow"]},
        "neural": {"models": {"tasks": SUCCESSOR}, "synthetic": {"plant": {"task": "limb_pos_vel"}}},
    })  # fmt: skip
    conv = config["convnets"]
    assert [run["task"] for run in plan.search_runs(conv)] == SUCCESSOR
    assert {job["task"] for job in plan.final_models(conv)} == set(SUCCESSOR)
    assert plan.selection_summary(conv, "S", "barlow") == "results/convnets/barlow/search/spindle_info/summary.tsv"


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"convnets": {"search": {"runs": [{"task": "elbow_pos", "input_key": "spindle_info"}]}}},
         "convnets.search.runs.0.task"),
        ({"convnets": {"final": {"tasks": ["art", "torque"]}}}, "convnets.final.tasks.1"),
        ({"representations": {"tasks": ["hand"]}}, "representations.tasks.0"),
        ({"neural": {"models": {"tasks": ["limb"]}}}, "neural.models.tasks.0"),
        ({"convnets": {"train": {"per_task": {"barlo": {"epochs": 40}}}}}, "convnets.train.per_task"),
    ],
)  # fmt: skip
def test_an_unknown_task_is_an_error_naming_the_key(raw, key):
    with pytest.raises(ConfigError) as info:
        validate_config(raw)
    assert key in str(info.value)


def test_select_from_task_needs_the_task_s_own_run():
    convnets = successor_convnets()
    convnets["search"]["runs"] = [run for run in convnets["search"]["runs"] if run["task"] != "joints_vel"]
    with pytest.raises(ConfigError, match="joints_vel search run on 'spindle_info'"):
        validate_config({"convnets": convnets})


def test_a_final_head_that_may_not_fit_its_trunk_is_a_config_error():
    """The autoencoder's flat decoder on DeepDraw's 2 x 25 x 320: the ART search's configurations include trunks it
    does not fit, so its final models must come from its own search (drawn to fit) or a pinned trunk that fits."""
    convnets = successor_convnets(select_from="art", tasks=["art", "autoencoder"])
    with pytest.raises(ConfigError, match=r"convnets.final.select_from': the autoencoder S final models take the art"):
        validate_config({"convnets": convnets})
    assert validate_config({"convnets": successor_convnets(tasks=["art", "autoencoder"])})  # select_from: task
    stride_one = "spatiotemporal_1_64_3131"  # last layer 64 x 25 x 320
    pinned = successor_convnets(tasks=["autoencoder"], families=["ST"], models={"ST": stride_one})
    with pytest.raises(ConfigError, match=r"final.models.ST': spatiotemporal_1_64_3131 leaves the autoencoder head"):
        validate_config({"convnets": pinned})
    pinned["final"]["tasks"] = ["art", "hand_pos"]  # small heads fit the same trunk
    assert validate_config({"convnets": pinned})


def test_recipes_per_family_and_task():
    conv = validate_config({"convnets": successor_convnets() | {"train": {
        "conv": {"batch_size": 512}, "lstm": {"batch_size": 512, "epochs": 70},
        "per_task": {"hand_pos": {"learning_rate": 2.0e-3}},
    }}})["convnets"]  # fmt: skip
    art = plan.recipe_settings(conv, "S", None, "art")
    assert (art["epochs"], art["batch_size"], art["learning_rate"]) == (50, 512, 5.0e-4)
    lstm = plan.recipe_settings(conv, "LSTM", None, "hand_vel")
    assert (lstm["epochs"], lstm["batch_size"], lstm["learning_rate"]) == (70, 512, 1.0e-3)
    barlow = plan.recipe_settings(conv, "LSTM", None, "barlow")  # the registry's defaults win over the family's
    assert (barlow["epochs"], barlow["batch_size"], barlow["learning_rate"]) == (40, 256, 1.0e-3)
    assert plan.recipe_settings(conv, "ST", None, "hand_pos")["learning_rate"] == 2.0e-3
    assert plan.recipe_settings(conv, "S", 7, "barlow")["epochs"] == 7  # a role's or rung's epochs are fixed
    run = plan.run_of(conv, "hand_vel", "spindle_info")
    assert plan.rung_epochs(conv, run, "S") == [2, 6, 18, 50]
    assert plan.rung_epochs(conv, run, "LSTM") == [2, 6, 18, 54, 70]
    assert plan.rung_epochs(conv, plan.run_of(conv, "barlow", "spindle_info"), "S") == [2, 6, 18, 40]
    assert [r["n_models"] for r in plan.rung_plan(conv, run, "LSTM")] == [50, 17, 6, 2, 1]
    settings = plan.part_settings(conv, "hand_vel", "spindle_info", "LSTM", 4, 0, 1)
    assert settings["recipe"]["epochs"] == 70 and settings["rungs"] == [2, 6, 18, 54, 70]


def test_deepdraw_recipes_do_not_depend_on_the_task_argument():
    conv = validate_config({})["convnets"]
    for family in ("S", "LSTM"):
        for task in ("art", "tdt", "tdt_pv"):
            assert plan.job_settings(conv, family, "final", 3, task) == plan.job_settings(conv, family, "final", 3)


def test_selection_follows_the_task_s_metric():
    rows = [
        {"family": "S", "task": "barlow", "configuration": "a", "val_metric": 3.0, "test_metric": 1.0},
        {"family": "S", "task": "barlow", "configuration": "b", "val_metric": math.nan, "test_metric": 2.0},
        {"family": "S", "task": "barlow", "configuration": "c", "val_metric": 1.5, "test_metric": 9.0},
    ]
    assert plan.select_configuration(rows, "S") == "c"  # the lowest Barlow loss; NaN never wins
    assert plan.select_configuration(rows, "S", "test") == "a"
    r2 = [dict(row, task="limb_pos") for row in rows]
    assert plan.select_configuration(r2, "S") == "a"  # the highest R^2
    assert plan.rank_configurations(r2, "limb_pos", ["a", "b", "c"])[0] == "a"
    assert plan.rank_configurations(rows, "barlow", ["a", "b", "c"]) == ["c", "a", "b"]
    with pytest.raises(ValueError, match="several tasks"):
        plan.select_configuration(rows + r2, "S")


def test_costs_follow_the_input_shape_and_the_head():
    successor = (39, 400)
    trunk = plan.forward_macs(S7293, 2)
    assert plan.forward_macs(S7293, 2, successor) > 1.5 * trunk  # 39 x 400 = 1.95 x 25 x 320 inputs
    assert plan.forward_macs(S7293, 2, plan.DEEPDRAW_SHAPE, "art") == trunk + 2 * 4 * 64 * 20  # 64 x 2 x 4 -> 20
    autoencoder = plan.head_macs(S7293, 2, successor, "autoencoder")
    assert autoencoder == 64 * 3 * 5 * (2 * 39 * 400)  # the flattened last layer -> the whole input
    barlow = plan.forward_macs(S7293, 2, successor, "barlow")  # two views
    assert barlow == 2 * (plan.forward_macs(S7293, 2, successor) + 64 * 15 * 256 + 2 * 256 * 256)
    assert plan.activation_floats(S7293, 2, successor) > plan.activation_floats(S7293, 2)
    assert plan.job_peak_mb(S7293, "spindle_info", 1000, 512, 200, "cpu", successor) > plan.job_peak_mb(
        S7293, "spindle_info", 1000, 512, 200, "cpu"
    )
