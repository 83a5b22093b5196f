"""Training on the CPU: a small net learns a planted effect within a few epochs, runs are deterministic, a checkpoint
reloads to its test metrics, the untrained control is the same-seed initial weights, the lr schedules behave as
the original Trainer does (Sandbrink et al. 2023, Methods)."""

import json
import math

import numpy as np
import pytest
import torch

from neuromotor.convnets.models import build_network, load_network, parse_name
from neuromotor.convnets.stages import evaluate_model, summarise_search, train_model, resolve_configuration
from neuromotor.convnets.train import Recipe, evaluate, fit
from neuromotor.io.tables import read_tsv
from neuromotor.train.batches import seeded_generator
from neuromotor.train.checkpoint import load_checkpoint
from tests.unit.convnets_synthetic import write_synthetic_dataset

SMALL_S = "spatial_temporal_1_8_8_3232"
RECIPE = Recipe(epochs=6, batch_size=16, learning_rate=1e-2, val_interval=5, eval_batch_size=64)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """5 classes (chance 0.2): 200 training (180 fit + 20 validation) and 50 test samples."""
    return write_synthetic_dataset(tmp_path_factory.mktemp("convnets_train") / "dataset.zarr")


def train(dataset, out, name=SMALL_S, task="art", seed=1, recipe=RECIPE, control=True):
    return train_model(
        dataset, out, arch=parse_name(name).architecture, task=task, input_key="spindle_info", seed=seed,
        config_seed=3, recipe=recipe, device="cpu", control_json=out / "control_metrics.json" if control else None,
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("convnets_run") / "S" / "seed1"
    return out, train(dataset, out)


def test_small_net_learns_clearly_above_chance_in_a_few_cpu_epochs(trained):
    out, metrics = trained
    control = json.loads((out / "control_metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.6  # chance 0.2
    assert control["test"]["accuracy"] <= 0.45 and control["name"] == SMALL_S + "_1r"
    assert metrics["epochs"] == 6 and metrics["steps"] == 6 * (180 // 16)
    history = read_tsv(out / "history.tsv")
    assert [row["step"] for row in history] == list(range(5, 66, 5)) + [66]
    assert {row["lr"] for row in history} == {1e-2}  # schedule 'effective': constant learning rate
    best = min(history, key=lambda row: row["val_loss"])
    assert metrics["best_step"] == best["step"] and metrics["val"]["loss"] == pytest.approx(best["val_loss"], rel=1e-6)
    assert metrics["parameters"]["original"] == 2 * 8 * 3 + 8 * 8 * 3


def test_training_is_deterministic_on_the_cpu(dataset, trained, tmp_path):
    out, metrics = trained
    again = train(dataset, tmp_path / "again")
    for name in ("init.pt", "best.pt"):
        first, second = (
            load_checkpoint(out / name)["state_dict"],
            load_checkpoint(tmp_path / "again" / name)["state_dict"],
        )
        assert all(torch.equal(first[key], second[key]) for key in first)
    for split in ("train", "val", "test"):
        assert again[split] == metrics[split]
    drop = lambda rows: [{k: v for k, v in row.items() if k != "elapsed_s"} for row in rows]  # noqa: E731
    assert drop(read_tsv(out / "history.tsv")) == drop(read_tsv(tmp_path / "again" / "history.tsv"))
    other = train(dataset, tmp_path / "seed2", seed=2, recipe=Recipe(epochs=1, batch_size=16, val_interval=5))
    assert not torch.equal(
        load_checkpoint(out / "init.pt")["state_dict"]["blocks.0.conv.weight"],
        load_checkpoint(tmp_path / "seed2" / "init.pt")["state_dict"]["blocks.0.conv.weight"],
    )
    assert other["seed"] == 2


def test_checkpoint_reload_reproduces_the_test_metrics(dataset, trained):
    out, metrics = trained
    assert evaluate_model(out, dataset)["test"] == metrics["test"]  # bitwise: same path as the training job
    control = json.loads((out / "control_metrics.json").read_text())
    assert evaluate_model(out, dataset, weights="init")["test"] == control["test"]
    # a plain reload (default layout, another batch size) agrees up to float rounding
    model = load_network(out, "best")
    from neuromotor.convnets.data import load_split

    x, y = load_split(dataset, "test", "spindle_info", "art")
    plain = evaluate(model, torch.as_tensor(x), torch.as_tensor(y), "art", batch_size=7)
    assert plain["accuracy"] == metrics["test"]["accuracy"]
    assert plain["loss"] == pytest.approx(metrics["test"]["loss"], rel=1e-5)


def test_untrained_control_is_the_same_seed_initial_weights(trained):
    out, _ = trained
    config = json.loads((out / "config.json").read_text())
    torch.manual_seed(config["torch_seed"])
    fresh = build_network(config)
    init = load_checkpoint(out / "init.pt")["state_dict"]
    assert all(torch.equal(init[key], value) for key, value in fresh.state_dict().items())
    best = load_checkpoint(out / "best.pt")["state_dict"]
    assert not torch.equal(init["blocks.0.conv.weight"], best["blocks.0.conv.weight"])


def test_tdt_twin_learns_and_shares_the_trunk_initialisation(dataset, trained, tmp_path):
    out, _ = trained
    metrics = train(
        dataset,
        tmp_path / "tdt",
        task="tdt",
        recipe=Recipe(epochs=6, batch_size=16, learning_rate=1e-2, val_interval=11),
    )
    control = json.loads((tmp_path / "tdt" / "control_metrics.json").read_text())
    assert metrics["metric"] == "error_cm" and metrics["test"]["error_cm"] < 0.8 * control["test"]["error_cm"]
    assert metrics["name"] == "spatial_temporal_r_1_8_8_3232_1"
    art_init = load_checkpoint(out / "init.pt")["state_dict"]
    tdt_init = load_checkpoint(tmp_path / "tdt" / "init.pt")["state_dict"]
    assert all(torch.equal(art_init[k], tdt_init[k]) for k in art_init if k.startswith("blocks."))


def test_lstm_and_st_families_train(dataset, tmp_path):
    recipe = Recipe(epochs=1, batch_size=32, learning_rate=2e-3, val_interval=3)
    for name in ("lstm_1_8_8_52", "spatiotemporal_1_8_5252"):
        metrics = train(dataset, tmp_path / name, name=name, recipe=recipe, control=False)
        assert metrics["steps"] == 180 // 32 and math.isfinite(metrics["test"]["loss"])
        assert load_network(tmp_path / name).arch.family == metrics["family"]


def test_a_batch_larger_than_the_training_set_names_the_key(dataset, tmp_path):
    with pytest.raises(ValueError, match=r"180 training samples give no full batch of 256; lower convnets.train.conv"):
        train(dataset, tmp_path / "big", recipe=Recipe(epochs=1, batch_size=256))


def _tensors(n=96, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 25, 320, generator=generator)
    y = torch.randint(0, 20, (n,), generator=generator)
    return x, y


def test_plateau_schedule_divides_the_lr_by_four_and_stops_after_the_second_decay():
    # an lr far below float32 resolution leaves the weights unchanged: the validation loss never improves after the
    # first check, so the decays fall at known steps (6 steps per epoch, patience 1 epoch, stop allowed from step 18)
    x, y = _tensors(96, 0)
    torch.manual_seed(0)
    model = build_network(
        {
            "architecture": parse_name("spatiotemporal_1_8_5252").architecture.to_dict(),
            "task": "art",
            "input_shape": [1, 25, 320],
        }
    )
    lr = 1e-30
    recipe = Recipe(
        epochs=40, batch_size=16, learning_rate=lr, schedule="plateau", val_interval=2, patience_epochs=1, min_epochs=3
    )
    result = fit(model, x, y, x[:32], y[:32], "art", recipe, seeded_generator(0))
    lrs = {row["step"]: row["lr"] for row in result.history}
    assert lrs == {
        2: lr,
        4: lr,
        6: lr,
        8: lr,
        10: lr / 4,
        12: lr / 4,
        14: lr / 4,
        16: lr / 16,
        18: lr / 16,
        20: lr / 16,
    }
    # decays at steps 8 and 14 (< 18: training goes on), the decay at step 20 stops it
    assert result.steps == 20 and result.final_lr == pytest.approx(lr / 64) and result.best_step == 2
    effective = fit(
        model,
        x,
        y,
        x[:32],
        y[:32],
        "art",
        Recipe(epochs=3, batch_size=16, learning_rate=lr, val_interval=2),
        seeded_generator(0),
    )
    assert {row["lr"] for row in effective.history} == {lr} and effective.steps == 18


def test_search_table_and_selection(dataset, trained, tmp_path):
    out, metrics = trained
    rows = summarise_search([out / "metrics.json"], tmp_path / "summary.tsv")
    assert rows[0]["configuration"] == SMALL_S and rows[0]["val_metric"] == metrics["val"]["accuracy"]
    arch = resolve_configuration("S", {}, tmp_path / "summary.tsv", "validation")
    assert arch == parse_name(SMALL_S).architecture
    pinned = resolve_configuration("S", {"S": "spatial_temporal_2_8-8_8-8_3232"}, None, "validation")
    assert pinned.n_layers == 2
    np.testing.assert_equal(len(read_tsv(tmp_path / "summary.tsv")), 1)


# ---- several models per job, successive halving, mixed precision (issue 15) ---------------------------------------

SMALL_S2 = "spatial_temporal_1_16_16_3232"
PART_RECIPE = Recipe(epochs=2, batch_size=16, learning_rate=1e-2, val_interval=5, eval_batch_size=64)


def _part_settings(recipe, rung=0, configurations=(), slots=(0, 0), order=()):
    from dataclasses import asdict

    return {
        "recipe": asdict(recipe), "val_fraction": 0.1, "config_seed": 3, "device": "cpu", "seed": 0, "rung": rung,
        "configurations": list(configurations), "slots": list(slots), "order": list(order),
    }  # fmt: skip


def _same_files(a, b):
    for name in ("init.pt", "best.pt"):
        first, second = load_checkpoint(a / name)["state_dict"], load_checkpoint(b / name)["state_dict"]
        assert all(torch.equal(first[key], second[key]) for key in first), (a, name)
    for name in ("history.tsv",):
        strip = lambda rows: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in rows]  # noqa: E731
        assert strip(read_tsv(a / name)) == strip(read_tsv(b / name))
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert all(ma[split] == mb[split] for split in ("train", "val", "test")) and ma["best_step"] == mb["best_step"]


def test_several_models_per_job_equal_one_model_per_job(dataset, tmp_path):
    from neuromotor.convnets.stages import part_job, search_job

    names = [SMALL_S, SMALL_S2]
    rows = part_job(dataset, tmp_path / "part0", task="art", input_key="spindle_info", family="S", previous=[],
                    settings=_part_settings(PART_RECIPE, configurations=names))  # fmt: skip
    assert [r["configuration"] for r in rows] == names
    assert [r["configuration"] for r in read_tsv(tmp_path / "part0/models.tsv")] == names
    assert not (tmp_path / ".part0.partial").exists()
    for name in names:
        settings = _part_settings(PART_RECIPE)
        search_job(dataset, tmp_path / "single" / name, task="art", input_key="spindle_info", configuration=name,
                   settings=settings)  # fmt: skip
        _same_files(tmp_path / "part0" / name, tmp_path / "single" / name)


def test_halving_rung_trains_the_ranked_survivors_exactly_as_the_full_search(dataset, tmp_path):
    from neuromotor.convnets.stages import part_job, search_job, search_metrics

    order = [SMALL_S, SMALL_S2, "spatial_temporal_1_8_16_3232"]
    for part, names in enumerate((order[:2], order[2:])):  # rung 0 in two parts of 2 and 1 models, 1 epoch
        part_job(dataset, tmp_path / f"rung0/part{part}", task="art", input_key="spindle_info", family="S",
                 previous=[], settings=_part_settings(Recipe(**{**PART_RECIPE.__dict__, "epochs": 1}),
                                                      configurations=names))  # fmt: skip
    previous = [tmp_path / "rung0/part0", tmp_path / "rung0/part1"]
    rung0 = summarise_search(search_metrics(previous), tmp_path / "rung0.tsv")
    best = max(rung0, key=lambda r: (r["val_metric"], -order.index(r["configuration"])))["configuration"]
    rows = part_job(dataset, tmp_path / "rung1/part0", task="art", input_key="spindle_info", family="S",
                    previous=previous, settings=_part_settings(PART_RECIPE, rung=1, slots=(0, 1), order=order))  # fmt: skip
    assert [r["configuration"] for r in rows] == [best]
    # the last rung's model is the full search's model of that configuration, bit for bit
    search_job(dataset, tmp_path / "full" / best, task="art", input_key="spindle_info", configuration=best,
               settings=_part_settings(PART_RECIPE))  # fmt: skip
    _same_files(tmp_path / "rung1/part0" / best, tmp_path / "full" / best)


def _cpu_fit_and_validation(dataset):
    """The ART fit and validation tensors of the spindle_info dataset on the CPU: (x, y, val_x, val_y)."""
    from neuromotor.convnets.data import load_task_data
    from neuromotor.convnets.train import to_device

    data = load_task_data(dataset, "spindle_info", "art", None)
    cpu = torch.device("cpu")
    return tuple(to_device(part, cpu) for part in (data.fit_x, data.fit_y, data.val_x, data.val_y))


def test_amp_leaves_cpu_training_float32_and_bitwise_unchanged(dataset):
    from neuromotor.convnets.train import autocast, prepare_model

    x, y, vx, vy = _cpu_fit_and_validation(dataset)
    results = {}
    for amp in ("off", "bf16"):
        torch.manual_seed(5)
        model = prepare_model(build_network(_config(SMALL_S)), torch.device("cpu"))
        recipe = Recipe(epochs=1, batch_size=16, learning_rate=1e-2, val_interval=4, eval_batch_size=64, amp=amp)
        result = fit(model, x, y, vx, vy, "art", recipe, seeded_generator(0))
        results[amp] = (result, evaluate(model, vx, vy, "art", 64, amp))
        assert isinstance(autocast(model, amp), type(autocast(model, "off")))  # no autocast on the CPU
        assert all(p.dtype == torch.float32 for p in model.parameters())
    (off, eval_off), (bf16, eval_bf16) = results["off"], results["bf16"]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in rows]  # noqa: E731
    assert strip(off.history) == strip(bf16.history) and len(off.history) > 1
    assert all(torch.equal(off.best_state[k], bf16.best_state[k]) for k in off.best_state)
    assert eval_off == eval_bf16
    with pytest.raises(ValueError, match="amp must be one of"):
        Recipe(amp="fp16")


def test_amp_bf16_path_runs_on_the_cpu_when_asked_and_stays_close_to_float32(dataset):
    """The GPU's mixed-precision path, run on the CPU (``amp_devices``): the forward passes compute in bfloat16,
    the weights stay float32, and one epoch's validation loss and accuracy stay near the float32 run's."""
    from neuromotor.convnets.train import autocast, prepare_model

    x, y, vx, vy = _cpu_fit_and_validation(dataset)
    runs = {}
    for amp in ("off", "bf16"):
        torch.manual_seed(5)
        model = prepare_model(build_network(_config(SMALL_S)), torch.device("cpu"))
        recipe = Recipe(epochs=1, batch_size=16, learning_rate=1e-2, val_interval=4, eval_batch_size=64, amp=amp)
        result = fit(model, x, y, vx, vy, "art", recipe, seeded_generator(0), amp_devices=("cpu",))
        with autocast(model, amp, ("cpu",)):
            output = model(vx[:8])
        assert output.dtype == (torch.bfloat16 if amp == "bf16" else torch.float32)
        assert all(p.dtype == torch.float32 for p in model.parameters())
        runs[amp] = (result, evaluate(model, vx, vy, "art", 64, amp, ("cpu",)))
    (off, eval_off), (bf16, eval_bf16) = runs["off"], runs["bf16"]
    assert [r["step"] for r in off.history] == [r["step"] for r in bf16.history]
    losses = lambda rows: [(r["train_loss"], r["val_loss"]) for r in rows]  # noqa: E731
    assert losses(off.history) != losses(bf16.history)  # bfloat16 rounding did change the numbers
    assert bf16.history[-1]["val_loss"] == pytest.approx(off.history[-1]["val_loss"], rel=0.1)
    assert abs(bf16.history[-1]["val_accuracy"] - off.history[-1]["val_accuracy"]) <= 0.15
    assert eval_bf16["loss"] == pytest.approx(eval_off["loss"], rel=0.1)


def _config(name):
    from neuromotor.convnets.models import network_config

    return network_config(parse_name(name).architecture, "art", "spindle_info", 1)
