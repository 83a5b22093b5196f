"""Configuration: JSON-schema validation with defaults, and the checks that need more than one key.

One contract: every check *returns* its problems as messages naming the key (the schema's, :func:`plan_problems`
with each study's ``check_config``, :func:`data_problems`), and one entry point raises. ``validate_config(raw)``
returns a new dict with every default filled in, or raises one :class:`ConfigError` listing every problem of the
schema and of the studies' checks, each with the key's dotted path, the offending value and what is allowed.
:func:`checked_config` adds the data files; it is the one path Snakemake (rules/common.smk) and :func:`load_config`
take, so a config that loads here plans there.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

import jsonschema
import yaml

from neuromotor.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    """The config schema (parsed once per process and path: treat it as read-only)."""
    return _parsed_schema(str(path))


@functools.lru_cache(maxsize=None)
def _parsed_schema(path: str) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: the same result, ~8x faster (1,800 lines)
    with open(path) as fh:
        return yaml.load(fh, Loader=loader)


def _with_defaults(validator_class):
    """A validator class that fills in ``default`` values of object properties before validating them."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _dotted(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    """One line: key path, value, and what the schema allows."""
    key = _dotted(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        prefix = "" if key == "<top level>" else key + "."
        names = ", ".join(repr(prefix + u) for u in unknown)
        return f"unknown config key {names}; allowed keys here: {allowed}"
    if error.validator == "enum":
        return f"config key '{key}': {error.instance!r} is not allowed; allowed values: {error.validator_value}"
    description = schema.get("description")
    hint = f" ({description})" if description else ""
    return f"config key '{key}': {error.message}{hint}"


STUDY_PLANS = ("pcrt", "svm", "convnets", "represent", "emg", "kd", "eeg", "neural")
"""The plan modules ``neuromotor.<name>.plan``: each has ``check_config(config) -> list[str]``, the checks of its
section(s) that the schema cannot express (one message per problem, naming the key; it never raises on a
schema-valid config)."""

_UNCHECKABLE = (KeyError, TypeError, ValueError, AttributeError, IndexError)
"""What a study's check may raise on values the schema rejected (a string where a list belongs)."""


def schema_problems(config: dict) -> list[str]:
    """Every schema problem of ``config`` (one line each, sorted by key path); fills in the defaults in place."""
    errors = sorted(_Validator(load_schema()).iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    return [_describe(e) for e in errors]


def plan_problems(config: Mapping[str, Any], schema_valid: bool = True) -> list[str]:
    """Every plan-level problem of a config with its defaults filled in: the ``data`` entries, then each study's
    ``check_config`` in :data:`STUDY_PLANS` order. Empty when the plan is sound. With ``schema_valid=False`` (the
    schema found problems) a check that cannot run on the rejected values is skipped: the schema's messages name
    them already."""
    import importlib

    from neuromotor.io.fetch import check_entries

    def data_entries(config: Mapping[str, Any]) -> list[str]:
        return check_entries(config["data"]) if "data" in config else []

    checks = [data_entries] + [importlib.import_module(f"neuromotor.{name}.plan").check_config for name in STUDY_PLANS]
    problems = []
    for check in checks:
        try:
            problems += check(config)
        except _UNCHECKABLE:
            if schema_valid:
                raise
    return problems


def validate_config(raw: Mapping[str, Any] | None) -> dict:
    """Validate a config against the schema and every study's check; return a copy with all defaults filled in.

    Raises:
        ConfigError: one error listing every problem (the schema's, then the studies' checks'), each with the key's
        dotted path and the allowed values.
    """
    config = copy.deepcopy(dict(raw or {}))
    problems = schema_problems(config)
    problems += plan_problems(config, schema_valid=not problems)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


SYNTHETIC_DATA_KEYS = {
    "kd": (("data", "source"), "synthetic", (("layout",),)),
    "emg_signatures": (("data", "source"), "synthetic", (("data", "participants"),)),
}
"""Per study: the key choosing its data source, the synthetic source's value, and the keys that describe the
data rather than the plan. In the demo config (``config/config.yaml``) those keys describe the small synthetic
stand-in; they do not apply once a user's config points the study at real files (see :func:`layer_configs`)."""


def _get(tree: Mapping, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return tree


def merge_configs(base: Mapping, overlay: Mapping) -> dict:
    """``overlay`` over ``base``, recursively for mappings (lists and values are replaced), as Snakemake does."""
    merged = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_configs(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def layer_configs(demo: Mapping, user: Mapping) -> dict:
    """The user's config (``--configfile``/``--config``) over the demo config, without the demo's data-layout keys
    of every study the user points at real files: there the original layout (the schema defaults) applies unless
    the user's own config sets the key (:data:`SYNTHETIC_DATA_KEYS`)."""
    demo = copy.deepcopy(dict(demo or {}))
    for study, (source_key, synthetic, data_keys) in SYNTHETIC_DATA_KEYS.items():
        source = _get(user, (study, *source_key))
        if source is None or source == synthetic:
            continue
        for keys in data_keys:
            parent = _get(demo, (study, *keys[:-1]))
            if isinstance(parent, dict):
                parent.pop(keys[-1], None)
    return merge_configs(demo, user or {})


def data_problems(config: dict, text_files: bool = True) -> list[str]:
    """Every problem of the configured data files with a validated config (:func:`neuromotor.datacheck.
    check_data_files`; fills in what it reads from the files, such as the EMG participant count), and the PCRT
    muscle model (present, or downloaded by a ``data`` entry). ``text_files=False`` skips the KD line counts."""
    from neuromotor.datacheck import check_data_files
    from neuromotor.pcrt.plan import model_identity

    problems = check_data_files(config, text_files=text_files)
    try:
        model_identity(config["pcrt"], config.get("data", {}))
    except ConfigError as error:
        problems.append(str(error))
    return problems


def checked_config(raw: Mapping[str, Any] | None, data_files: bool = True, text_files: bool = True) -> dict:
    """:func:`validate_config`, then, with ``data_files``, the configured data files (:func:`data_problems`, paths
    relative to the working directory; ``text_files=False`` skips the KD line counts). The one path of Snakemake
    (rules/common.smk) and :func:`load_config`.

    Raises:
        ConfigError: every problem of the config, or, for a valid config, every problem of its data files.
    """
    config = validate_config(raw)
    problems = data_problems(config, text_files=text_files) if data_files else []
    if problems:
        raise ConfigError("the data files do not fit the configuration:\n  " + "\n  ".join(problems))
    return config


def load_config(path: str | Path, data_files: bool = True) -> dict:
    """Read a YAML config file and check it as Snakemake does before planning (:func:`checked_config`): the
    schema, every study's check and, with ``data_files``, its data files."""
    path = Path(path)
    try:
        with open(path) as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)  # 0-based in PyYAML; said 1-based, as every text position here
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML: {where}{getattr(exc, 'problem', None) or exc}") from None
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys at the top level, got {type(raw).__name__}")
    try:
        return checked_config(raw, data_files=data_files)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def digest(section: Any) -> str:
    """Stable short hash of a config section, stored in array attrs so outputs record what made them."""
    text = json.dumps(section, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if not ref:
        return node
    target = schema
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _type_of(node: dict, schema: dict | None = None) -> str:
    """A key's type for the table: its enum values, its JSON types, or its alternatives (``anyOf``) joined."""
    if "anyOf" in node and schema is not None:
        return " or ".join(_type_of(_resolve(schema, alternative), schema) for alternative in node["anyOf"])
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    kind = node.get("type", "")
    return " or ".join(kind) if isinstance(kind, list) else kind


def schema_markdown(schema: dict | None = None) -> str:
    """Every config key as a Markdown table per section (the body of config/README.md)."""
    schema = schema or load_schema()
    lines = [
        "# Configuration keys",
        "",
        "Generated from `workflow/schemas/config.schema.yaml` by `python -m neuromotor.config > config/README.md`;",
        "a test keeps the two in step. A config file lists only the keys it changes; everything else takes the",
        "default below. `config/config.yaml` is the small default run; `config/paper/*.yaml` are the full-scale plans.",
        "",
    ]

    def walk(node: dict, path: str) -> None:
        node = _resolve(schema, node)
        rows = []
        children = []
        for name, child in node.get("properties", {}).items():
            child = _resolve(schema, child)
            key = f"{path}.{name}" if path else name
            if child.get("type") == "object" and "properties" in child:
                children.append((child, key))
                continue
            default = json.dumps(child.get("default"))
            rows.append(f"| `{key}` | {_type_of(child, schema)} | `{default}` | {child.get('description', '')} |")
        if rows:
            lines.extend([f"## `{path or 'top level'}`", "", node.get("description", "").strip(), ""])
            lines.extend(["| key | type | default | meaning |", "|---|---|---|---|", *rows, ""])
        for child, key in children:
            walk(child, key)

    walk(schema, "")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(schema_markdown(), end="")
