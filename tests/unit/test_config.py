import importlib
from pathlib import Path

import pytest
import yaml

from neuromotor.config import STUDY_PLANS, data_problems, load_config, plan_problems, validate_config
from neuromotor.errors import ConfigError


def test_defaults_are_filled_in():
    config = validate_config({})
    assert config["seed"] == 2023
    assert config["pcrt"]["muscle"]["quantity"] == "fiber_length"
    assert config["pcrt"]["assembly"]["window"] == 320
    assert len(config["pcrt"]["labels"]) == 20


def test_schema_is_parsed_once_and_as_pyyaml_parses_it():
    from neuromotor.config import SCHEMA_PATH, load_schema

    assert load_schema() is load_schema()  # cached per process
    assert load_schema() == yaml.safe_load(SCHEMA_PATH.read_text())  # libyaml's loader: the same result


def test_shipped_configs_are_valid():
    load_config("config/config.yaml")  # the default run's files are all in the repository (or written by it)
    for path in sorted(Path("config").glob("[pv]a*/*.yaml")):  # paper and validation plans: data not shipped
        load_config(path, data_files=False)


def test_every_study_plan_has_one_check_contract():
    """Each neuromotor.<study>.plan.check_config takes the whole config and returns messages (empty when fine)."""
    config = validate_config({})
    for name in STUDY_PLANS:
        assert importlib.import_module(f"neuromotor.{name}.plan").check_config(config) == [], name
    assert plan_problems(config) == []


@pytest.mark.parametrize(
    "raw, expected",
    [  # one plan-level problem per study: validate_config (and so load_config) reports it
        ({"svm": {"C_grid": [1.0, 0.5]}}, "config key 'svm.C_grid'"),
        ({"kd": {"folds": [0, 9]}}, "config key 'kd.folds': [9] do not exist"),
        ({"kd": {"layout": {"trials": 5}}}, "config key 'kd.layout'"),
        ({"eeg": {"subjects": [12], "figures": {"samples": []}}}, "config key 'eeg.subjects': subject 12"),
        ({"emg_signatures": {"data": {"conditions": ["walking_day2"]}}}, "'emg_signatures.data.conditions'"),
        ({"convnets": {"final": {"models": {"S": "nonsense"}}}}, "config key 'convnets.final.models.S'"),
        ({"representations": {"experiments": ["absent"]}}, "config key 'representations.experiments': ['absent']"),
        ({"representations": {"tuning": {"onset": 320}}}, "config key 'representations.tuning.onset'"),
        ({"data": {"extra": {"path": "x.bin", "sha256": "abc"}}}, "config key 'data.extra.sha256'"),
        ({"pcrt": {"assembly": {"window": 400}}}, "config key 'pcrt.assembly.window': 400 steps; the convnets"),
        ({"neural": {"synthetic": {"durations": [300, 200]}}}, "config key 'neural.synthetic.durations'"),
    ],
)
def test_each_study_check_is_run_by_validate_and_load(tmp_path, raw, expected):
    with pytest.raises(ConfigError) as info:
        validate_config(raw)
    assert expected in str(info.value)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value) and "plan.yaml" in str(info.value)


@pytest.mark.parametrize(
    "raw, keys",
    [
        ({"kd": {"folds": [0, 9]}, "svm": {"C_grid": [1.0, 0.5]}}, ["'kd.folds'", "'svm.C_grid'"]),  # two checks
        ({"kd": {"folds": [0, 9]}, "eeg": {"subjects": "all"}}, ["'kd.folds'", "'eeg.subjects'"]),  # check + schema
        ({"kd": {"folds": "all"}, "neural": {"folds": 1}}, ["'kd.folds'", "'neural.folds'"]),  # schema only
    ],
)
def test_one_error_lists_every_problem_of_every_study(tmp_path, raw, keys):
    """validate_config and load_config raise one ConfigError listing the problems of all studies, the schema's
    and the studies' checks' together (a check that cannot run on a value the schema rejected is skipped)."""
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(raw))
    for check in (lambda: validate_config(raw), lambda: load_config(path)):
        with pytest.raises(ConfigError) as info:
            check()
        message = str(info.value)
        assert message.count("invalid configuration") == 1 and all(key in message for key in keys), message


def test_study_checks_return_problems_and_never_raise():
    """Every check_config reports a problem of its section as a message (the one raising entry point is
    validate_config); the neural study, off the default run, finds nothing in the default config."""
    config = validate_config({})
    config["kd"]["layout"]["trials"] = 5
    config["svm"]["C_grid"] = [1.0, 0.5]
    config["neural"]["synthetic"]["durations"] = [300, 200]
    problems = plan_problems(config)
    assert [p.split("'")[1] for p in problems] == ["svm.C_grid", "kd.layout", "neural.synthetic.durations"]
    demo = validate_config(yaml.safe_load(Path("config/config.yaml").read_text()))
    assert importlib.import_module("neuromotor.neural.plan").check_config(demo) == []
    validate_config({"convnets": {"final": {"tasks": []}}})  # no final models: nothing for the neural study
    with pytest.raises(ConfigError, match="'neural.models': selects none"):
        validate_config({"convnets": {"final": {"tasks": ["art"]}}, "neural": {"models": {"tasks": ["tdt"]}}})


def test_load_config_checks_the_data_files_as_snakemake_does(tmp_path):
    path = tmp_path / "nomodel.yaml"
    path.write_text(yaml.safe_dump({"pcrt": {"muscle": {"model_path": "models/absent.osim"}}}))
    with pytest.raises(ConfigError, match=r"(?s)data files do not fit.*pcrt\.muscle\.model_path.*absent\.osim"):
        load_config(path)
    config = load_config(path, data_files=False)  # the config itself is fine
    assert any("absent.osim" in problem for problem in data_problems(config))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"pcrt": {"muscle": {"quantity": "tendon"}}}, ["pcrt.muscle.quantity", "fiber_length", "mtu_length"]),
        ({"pcrt": {"muscle": {"qantity": "fiber_length"}}}, ["pcrt.muscle.qantity", "unknown"]),
        ({"seed": -1}, ["'seed'", "minimum"]),
        ({"pcrt": {"labels": [0, 3]}}, ["pcrt.labels.0", "minimum"]),
        ({"pcrt": {"generation": {"shards": "many"}}}, ["pcrt.generation.shards", "integer"]),
        ({"pcrt": {"spindle": {"v1": "fancy"}}}, ["pcrt.spindle.v1", "deepdraw", "prochazka"]),
        ({"pcrt": {"characters": {"source": "uci"}}}, ["pcrt.characters.uci_path", "required"]),
        ({"pcrt": {"characters": {"scale_range": [1.2, 0.8]}}}, ["pcrt.characters.scale_range", "exceeds"]),
        ({"pcrt": {"assembly": {"n_train": 10**7}}}, ["n_train", "n_test", "exceed"]),
        ({"pcrt": {"assembly": {"window": 100}}}, ["pcrt.assembly.window", "at least"]),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(raw, expected):
    with pytest.raises(ConfigError) as info:
        validate_config(raw)
    for fragment in expected:
        assert fragment in str(info.value)


def test_bad_file_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"pcrt": {"storage": {"dtype": "float16"}}}))
    with pytest.raises(ConfigError, match=r"(?s)bad\.yaml.*pcrt\.storage\.dtype.*float32"):
        load_config(path)
    path.write_text("pcrt: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_config_readme_matches_schema():
    from pathlib import Path

    from neuromotor.config import schema_markdown

    assert Path("config/README.md").read_text() == schema_markdown(), "regenerate: python -m neuromotor.config > config/README.md"
