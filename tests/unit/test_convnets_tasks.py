"""The successor's training tasks (Marin Vargas et al., Cell 2024) on the PCRT network families: the task registry,
targets and their units, input shapes from the data (39 muscles x 400 steps), heads, losses and metrics, and that
every task trains on the CPU."""

import json

import numpy as np
import pytest
import torch

from neuromotor.convnets.architecture import TASKS
from neuromotor.convnets.data import (
    dataset_arm,
    input_shape,
    load_inputs,
    load_targets,
    quantity,
    regression_targets,
)
from neuromotor.convnets.models import (
    Architecture,
    PCRTNetwork,
    build_network,
    load_network,
    network_config,
    output_steps,
    parse_name,
    target_indices,
    task_output_size,
)
from neuromotor.convnets.stages import evaluate_model, train_model
from neuromotor.convnets.train import Recipe, augment, barlow_loss, evaluate, fit
from neuromotor.io.store import write_arrays
from neuromotor.pcrt.kinematics import Arm, elbow_forward_kinematics, forward_kinematics
from neuromotor.pcrt.layout import LABEL_LETTERS, DatasetLayout
from neuromotor.train.batches import seeded_generator

SUCCESSOR_TASKS = (
    "hand_pos", "hand_vel", "hand_pos_vel", "hand_pos_vel_acc", "limb_pos", "limb_vel", "limb_pos_vel",
    "limb_pos_vel_acc", "joints_pos", "joints_vel", "joints_pos_vel", "joints_pos_vel_acc", "autoencoder", "barlow",
)  # fmt: skip
SNAP = Arm(upper_arm_cm=16.1, forearm_cm=18.6, chain="successor")


def write_successor_dataset(path, n_muscles=12, n_time=60, dt=0.01, arm=SNAP, n_train=96, n_test=24, seed=0):
    """A store in the layout of the successor's dataset: joint angles (n, 4, T) deg on smooth paths, the hand by the
    arm's forward kinematics, muscle lengths linear in the joint angles (so every target is learnable), labels
    1..4 raising four muscles; root attributes as make_dataset writes them (dt_s, arm_chain, segment_lengths_cm)."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(0, 0.3, (n_muscles, 4))

    def split(n):
        t = np.arange(n_time) * dt
        q0 = rng.uniform([10, 5, -20, 40], [60, 30, 20, 90], (n, 4))
        rate = rng.normal(0, 20, (n, 4))
        joints = q0[:, :, None] + rate[:, :, None] * t + 2 * np.sin(2 * np.pi * t / (n_time * dt))
        hand = np.moveaxis(forward_kinematics(np.moveaxis(joints, 1, -1), arm), -1, 1)
        label = rng.integers(1, 5, n).astype(np.int32)
        lengths = 100 + np.einsum("mj,njt->nmt", mixing, joints) + 0.05 * rng.standard_normal((n, n_muscles, n_time))
        for i, k in enumerate(label):
            lengths[i, 4 * (k - 1) % n_muscles : 4 * (k - 1) % n_muscles + 4] += 5.0
        velocity = np.gradient(lengths, dt, axis=-1)
        return {
            "label": label,
            "spindle_info": np.stack([lengths, velocity], -1).astype(np.float32),
            "spindle_firing": velocity.astype(np.float32),
            "endeffector_coords": hand.astype(np.float32),
            "joint_coords": joints.astype(np.float32),
        }

    muscles = tuple(f"muscle{i}" for i in range(n_muscles))
    layout = DatasetLayout(n_time, dt, LABEL_LETTERS, muscles, arm.joint_names)
    attrs = {**layout.store_attrs(), "arm_chain": arm.chain, "segment_lengths_cm": [arm.upper_arm_cm, arm.forearm_cm]}
    write_arrays(path, {"train": split(n_train), "test": split(n_test)}, attrs=attrs)
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_successor_dataset(tmp_path_factory.mktemp("successor") / "dataset.zarr")


# ---- registry ----------------------------------------------------------------------------------------------------


def test_registry_holds_deepdraw_and_the_successors_fourteen_tasks():
    assert tuple(TASKS) == ("art", "tdt", "tdt_pv", *SUCCESSOR_TASKS)
    assert {name: spec.name for name, spec in TASKS.items()} == {name: name for name in TASKS}
    assert [TASKS[t].kind for t in ("art", "tdt", "autoencoder", "barlow")] == [
        "classification", "regression", "autoencoder", "barlow",
    ]  # fmt: skip
    assert TASKS["tdt_pv"].targets == ("hand_pos", "hand_vel_step")
    assert TASKS["limb_pos_vel"].targets == ("hand_pos", "elbow_pos", "hand_vel", "elbow_vel")
    assert TASKS["joints_pos_vel_acc"].targets == ("joints_pos", "joints_vel", "joints_acc")
    sizes = {t: task_output_size(t, 2, 39, 400) for t in TASKS}
    assert sizes["art"] == 20 and sizes["tdt"] == 3 and sizes["tdt_pv"] == 6
    assert [sizes[f"hand_{o}"] for o in ("pos", "vel", "pos_vel", "pos_vel_acc")] == [3, 3, 6, 9]
    assert [sizes[f"limb_{o}"] for o in ("pos", "vel", "pos_vel", "pos_vel_acc")] == [6, 6, 12, 18]
    assert [sizes[f"joints_{o}"] for o in ("pos", "vel", "pos_vel", "pos_vel_acc")] == [4, 4, 8, 12]
    assert sizes["autoencoder"] == 2 * 39 * 400 and sizes["barlow"] == 256
    assert TASKS["barlow"].training_defaults == {"epochs": 40, "learning_rate": 1e-3, "batch_size": 256}
    assert [TASKS[t].metric for t in ("art", "tdt", "limb_vel", "autoencoder", "barlow")] == [
        "accuracy", "error_cm", "r2", "r2", "barlow_loss",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="task must be one of"):
        task_output_size("torque", 2, 39, 400)


# ---- targets and units -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("arm", [Arm(), SNAP], ids=["deepdraw", "successor"])
def test_elbow_lies_a_forearm_from_the_hand_and_an_upper_arm_from_the_shoulder(arm):
    q = np.random.default_rng(1).uniform(arm.q_min, arm.q_max, (50, 4))
    elbow, hand = elbow_forward_kinematics(q, arm), forward_kinematics(q, arm)
    np.testing.assert_allclose(np.linalg.norm(hand - elbow, axis=-1), arm.forearm_cm, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(elbow, axis=-1), arm.upper_arm_cm, rtol=1e-12)
    straight = q.copy()
    straight[:, 3] = 0.0  # a straight elbow: the elbow on the shoulder-hand line
    np.testing.assert_allclose(
        elbow_forward_kinematics(straight, arm),
        forward_kinematics(straight, arm) * arm.upper_arm_cm / (arm.upper_arm_cm + arm.forearm_cm),
        atol=1e-10,
    )


def test_velocity_of_a_ramp_is_its_slope_per_second_and_acceleration_of_a_parabola_twice_its_coefficient():
    dt, t = 0.01, np.arange(400) * 0.01
    ramp = np.broadcast_to(2.0 + 7.5 * t, (2, 3, 400))
    np.testing.assert_allclose(quantity("hand_vel", ramp, None, dt), 7.5, rtol=1e-9)
    np.testing.assert_allclose(quantity("hand_pos", ramp, None, dt), ramp)
    joints = np.broadcast_to(3.0 * t**2, (2, 4, 400))
    velocity = quantity("joints_vel", ramp, joints, dt)[..., 1:-1]
    np.testing.assert_allclose(velocity, np.broadcast_to(6.0 * t[1:-1], velocity.shape), rtol=0, atol=1e-9)
    acceleration = quantity("joints_acc", ramp, joints, dt)[..., 2:-2]
    np.testing.assert_allclose(acceleration, np.full(acceleration.shape, 6.0), rtol=0, atol=1e-8)
    targets = regression_targets([ramp, ramp[:, :2]], 4)
    assert targets.shape == (2, 4, 5) and targets.dtype == np.float32
    np.testing.assert_allclose(targets[0, :, 0], ramp[0, 0, target_indices(4, 400)], rtol=1e-6)


def test_successor_targets_follow_the_dataset_arm_and_the_output_steps(dataset):
    assert dataset_arm(dataset) == Arm(upper_arm_cm=16.1, forearm_cm=18.6, chain="successor")
    from neuromotor.io.store import open_store

    group = open_store(dataset)["train"]
    joints = np.asarray(group["joint_coords"][...], dtype=np.float64)
    hand = np.asarray(group["endeffector_coords"][...], dtype=np.float64)
    y = load_targets(dataset, "train", "limb_pos_vel_acc", 6)
    assert y.shape == (96, 6, 18)
    index = target_indices(6, 60)
    elbow = np.moveaxis(elbow_forward_kinematics(np.moveaxis(joints, 1, -1), SNAP), -1, 1)
    np.testing.assert_allclose(y[:, :, 0:3], hand[:, :, index].transpose(0, 2, 1), rtol=1e-5)
    np.testing.assert_allclose(y[:, :, 3:6], elbow[:, :, index].transpose(0, 2, 1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(y[:, :, 6:9], np.gradient(hand, 0.01, axis=-1)[:, :, index].transpose(0, 2, 1),
                               rtol=1e-4, atol=1e-3)  # fmt: skip
    np.testing.assert_allclose(np.linalg.norm(y[:, :, 0:3] - y[:, :, 3:6], axis=-1), 18.6, rtol=1e-4)
    assert load_targets(dataset, "test", "joints_vel", 60).shape == (24, 60, 4)
    assert load_targets(dataset, "train", "autoencoder").shape == (96, 0)
    assert load_targets(dataset, "train", "art").max() == 3


def test_stores_without_an_arm_use_deepdraws_arm_and_need_dt_for_derivatives(tmp_path):
    path = tmp_path / "plain.zarr"
    joints = np.zeros((2, 4, 10), np.float32)
    joints[:, 3] = 90.0
    arrays = {"spindle_info": np.zeros((2, 5, 10, 2), np.float32), "joint_coords": joints,
              "endeffector_coords": np.zeros((2, 3, 10), np.float32)}  # fmt: skip
    write_arrays(path, {"train": arrays})
    assert dataset_arm(path) == Arm()
    elbow = load_targets(path, "train", "limb_pos", 10)[..., 3:]
    np.testing.assert_allclose(elbow, np.broadcast_to(forward_kinematics(np.zeros(4), Arm()) * 33 / 59, (2, 10, 3)),
                               atol=1e-5)  # fmt: skip
    with pytest.raises(Exception, match="root attribute 'dt_s'"):
        load_targets(path, "train", "hand_vel", 10)


# ---- input shapes ------------------------------------------------------------------------------------------------

WIDE = {  # strides that keep the autoencoder's flat decoder small at 39 x 400
    "S": Architecture("S", 2, (4, 4), (4, 4), 3, 3, 9, 9),
    "TS": Architecture("TS", 2, (4, 4), (4, 4), 3, 3, 9, 9),
    "ST": Architecture("ST", 3, (4, 4, 4), (), 3, 3, 3, 3),
    "LSTM": Architecture("LSTM", 1, (4,), (), 3, 3, units=8),
}


@pytest.mark.parametrize("family", list(WIDE))
def test_a_39_by_400_input_builds_every_family_and_head(family):
    arch = WIDE[family]
    x = torch.randn(3, 2, 39, 400)
    for task in ("art", "hand_pos_vel_acc", "joints_pos", "autoencoder", "barlow"):
        config = network_config(arch, task, "spindle_info", 1, n_muscles=39, n_time=400)
        assert config["input_shape"] == [2, 39, 400]
        torch.manual_seed(0)
        model = build_network(config).eval()
        out = model(x)
        steps = output_steps(arch, 400)
        expected = {"art": (3, 20), "hand_pos_vel_acc": (3, steps, 9), "joints_pos": (3, steps, 4),
                    "autoencoder": (3, 2, 39, 400), "barlow": (3, 256)}[task]  # fmt: skip
        assert tuple(out.shape) == expected, task
    assert model.layer_outputs(x)[-1].shape[-1] == output_steps(arch, 400)
    with pytest.raises(ValueError, match="input must have shape"):
        model(torch.randn(3, 2, 25, 320))


def test_an_autoencoder_decoder_too_large_is_refused_clearly():
    stride_one = Architecture("ST", 1, (64,), (), 3, 1, 3, 1)  # last layer 64 x 39 x 400 -> 31,200 outputs
    with pytest.raises(ValueError, match=r"autoencoder: the head of spatiotemporal_1_64_3131 .*\(larger strides\)"):
        PCRTNetwork(stride_one, "autoencoder", 2, (39, 400))


def test_loaders_take_the_shape_from_the_store(dataset):
    assert input_shape(dataset, "spindle_info") == (2, 12, 60)
    assert input_shape(dataset, "spindle_firing") == (1, 12, 60)
    assert load_inputs(dataset, "test", "spindle_info").shape == (24, 2, 12, 60)


def test_deepdraw_configs_keep_their_keys():
    arch = parse_name("spatial_temporal_1_8_8_3232").architecture
    for task, outputs in (("art", 20), ("tdt", 3), ("tdt_pv", 6)):
        config = network_config(arch, task, "spindle_info", 1)
        assert "targets" not in config and config["input_shape"] == [2, 25, 320] and config["n_outputs"] == outputs
    assert network_config(arch, "limb_vel", "spindle_info", 1)["targets"] == ["hand_vel", "elbow_vel"]


# ---- losses and training -----------------------------------------------------------------------------------------


def test_barlow_loss_is_zero_for_identical_decorrelated_views_and_augment_keeps_the_shape():
    z = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    assert float(barlow_loss(z, z)) == pytest.approx(0.0, abs=1e-4)
    assert float(barlow_loss(z, -z)) == pytest.approx(8.0, rel=1e-3)  # (1 - (-1))^2 per dimension
    x = torch.randn(5, 2, 12, 60)
    view = augment(x, torch.Generator().manual_seed(0))
    assert view.shape == x.shape and not torch.equal(view, x)
    assert torch.equal(view, augment(x, torch.Generator().manual_seed(0)))


SMALL = Architecture("S", 1, (8,), (8,), 3, 2, 3, 2)


@pytest.mark.parametrize(
    "family, task",
    [("S", task) for task in ("art", *SUCCESSOR_TASKS)]
    + [("LSTM", task) for task in ("art", "limb_pos_vel", "autoencoder", "barlow")],
)
def test_every_task_trains_and_its_loss_falls(dataset, task, family):
    arch = SMALL if family == "S" else Architecture("LSTM", 1, (4,), (), 3, 2, units=16)
    torch.manual_seed(0)
    model = PCRTNetwork(arch, task, 2, (12, 60))
    steps = model.output_steps
    x = torch.as_tensor(load_inputs(dataset, "train"))
    y = torch.as_tensor(load_targets(dataset, "train", task, steps))
    recipe = Recipe(epochs=8, batch_size=32, learning_rate=3e-2, val_interval=6, eval_batch_size=96)
    before = evaluate(model, x, y, task, 96)["loss"]
    fit(model, x, y, x, y, task, recipe, seeded_generator(0))
    after = evaluate(model, x, y, task, 96)
    assert np.isfinite(after["loss"]) and after["loss"] < 0.95 * before, (before, after)
    assert set(after) == {"loss", TASKS[task].metric} | ({"rmse"} if TASKS[task].metric == "r2" else set())


@pytest.mark.parametrize("task", ["limb_pos_vel", "autoencoder", "barlow"])
def test_train_model_records_the_input_shape_and_reloads(dataset, tmp_path, task):
    recipe = Recipe(epochs=2, batch_size=16, learning_rate=1e-2, val_interval=4, eval_batch_size=32)
    out = tmp_path / task
    metrics = train_model(dataset, out, arch=SMALL, task=task, input_key="spindle_info", seed=1, config_seed=3,
                          recipe=recipe, device="cpu", control_json=out / "control_metrics.json")  # fmt: skip
    assert {p.name for p in out.iterdir()} >= {"init.pt", "best.pt", "config.json", "metrics.json", "history.tsv"}
    config = json.loads((out / "config.json").read_text())
    assert config["input_shape"] == [2, 12, 60] and config["task"] == task
    assert metrics["metric"] == TASKS[task].metric and np.isfinite(metrics["test"][metrics["metric"]])
    model = load_network(out)
    assert model.input_shape == (2, 12, 60)
    again = evaluate_model(out, dataset)
    assert again["test"] == pytest.approx(metrics["test"], rel=1e-6)
