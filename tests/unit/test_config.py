import pytest
import yaml

from neuromotor.config import load_config, validate_config
from neuromotor.errors import ConfigError


def test_defaults_are_filled_in():
    config = validate_config({})
    assert config["seed"] == 2023
    assert config["pcrt"]["muscle"]["quantity"] == "fiber_length"
    assert config["pcrt"]["assembly"]["window"] == 320
    assert len(config["pcrt"]["labels"]) == 20


def test_shipped_configs_are_valid():
    for path in ["config/config.yaml", *sorted(map(str, __import__("pathlib").Path("config/paper").glob("*.yaml")))]:
        load_config(path)


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
