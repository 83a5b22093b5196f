import numpy as np
import pytest

from neuromotor.plots import pcrt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
W = 60  # a short window keeps the tests fast


def assert_png(path):
    assert path.is_file(), f"{path} was not written"
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 1000
    assert not list(path.parent.glob(".*.partial")), "a temporary file was left behind"


def characters(n_per_label=2, t_max=40, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(1, 21), n_per_label)
    lengths = rng.integers(10, t_max + 1, size=len(labels))
    trajectories = np.full((len(labels), 2, t_max), np.nan)
    for i, n in enumerate(lengths):
        phase = np.linspace(0, 2 * np.pi, n)
        trajectories[i, :, :n] = 5 * np.stack([np.cos(phase * (1 + labels[i] / 10)), np.sin(phase)])
    return trajectories, lengths, labels


def arm_sample():
    t = np.linspace(0, 1, W)
    endeffector = np.stack([np.full(W, 40.0), -10 + 5 * np.cos(6 * t), -20 + 5 * np.sin(6 * t)])
    joints = np.stack([50 + 10 * t, 40 - 5 * t, 20 * t - 10, 75 + 20 * np.sin(3 * t)])
    return endeffector, joints


def muscle_sample(n_muscles=25):
    t = np.arange(W) * pcrt.DT_S
    lengths = 100 + 10 * np.sin(np.outer(np.arange(1, n_muscles + 1), t))
    velocity = np.gradient(lengths, pcrt.DT_S, axis=-1)
    firing = 2 * np.gradient(lengths, axis=-1) + 4.3 * np.sign(velocity) * np.abs(velocity) ** 0.6
    names = [f"M{j}" for j in range(n_muscles)]
    return lengths, firing, np.stack([lengths, velocity], axis=-1), names


def latents(n=200, seed=1):
    rng = np.random.default_rng(seed)
    angles = np.array([-np.pi / 6, -np.pi / 12, 0, np.pi / 12, np.pi / 6])
    return {
        "size": rng.choice([0.7, 1.0, 1.3], n),
        "rot": rng.choice(angles, n),
        "shear_x": rng.choice(angles, n),
        "shear_y": rng.choice(angles, n),
        "speed": rng.choice([0.8, 1.0, 1.2, 1.4], n),
        "noise": rng.choice([0.0, 0.1, 0.3], n),
        "label": rng.integers(1, 21, n),
        "plane": rng.choice(["horizontal", "vertical"], n),
        "startpt": rng.choice([[30.0, -10, -30], [40, 0, -20], [36, -6, -12]], n),
    }


def surrogate_report(failing=("PT",)):
    muscles = {}
    for j, name in enumerate(["CORB", "DELT1", "BIClong", "PT", "TRImed"]):
        rmse_rel = 0.008 if name in failing else 1e-4 * (j + 1)
        muscles[name] = {
            "rmse_mm": rmse_rel * 30, "max_abs_error_mm": 4 * rmse_rel * 30, "range_mm": 30.0,
            "rmse_rel": rmse_rel, "max_abs_rel": 4 * rmse_rel, "passed": name not in failing,
        }
    return {
        "quantity": "fiber_length", "degree": 6, "n_points": 1024, "passed": not failing,
        "thresholds": {"max_rmse_rel": 0.005, "max_abs_rel": 0.02}, "muscles": muscles,
    }


def test_plot_characters_writes_png(tmp_path):
    trajectories, lengths, labels = characters()
    out = tmp_path / "figs" / "characters.png"
    pcrt.plot_characters(trajectories, lengths, labels, out, per_letter=3)  # fewer samples than per_letter
    assert_png(out)


def test_plot_characters_with_missing_letters(tmp_path):
    trajectories, lengths, labels = characters()
    keep = labels <= 5
    pcrt.plot_characters(trajectories[keep], lengths[keep], labels[keep], tmp_path / "c.png", per_letter=1)
    assert_png(tmp_path / "c.png")


def test_plot_characters_rejects_bad_input(tmp_path):
    trajectories, lengths, labels = characters()
    with pytest.raises(ValueError, match=r"plot_characters: trajectories must have shape \(N, 2, T\)"):
        pcrt.plot_characters(trajectories[:, :1], lengths, labels, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) with N = 40 \(from trajectories\)"):
        pcrt.plot_characters(trajectories, lengths, labels[:-1], tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"labels must lie in 1..20, got \[21\]"):
        pcrt.plot_characters(trajectories, lengths, np.where(labels == 20, 21, labels), tmp_path / "x.png")
    with pytest.raises(ValueError, match="lengths must lie in"):
        pcrt.plot_characters(trajectories, lengths + 100, labels, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_arm_trajectory_writes_png(tmp_path):
    endeffector, joints = arm_sample()
    pcrt.plot_arm_trajectory(endeffector, joints, 10, 45, tmp_path / "arm.png")
    assert_png(tmp_path / "arm.png")
    pcrt.plot_arm_trajectory(endeffector, joints, 0, W, tmp_path / "arm_full.png", dt_s=0.01)  # no hold
    assert_png(tmp_path / "arm_full.png")


def test_plot_arm_trajectory_rejects_bad_input(tmp_path):
    endeffector, joints = arm_sample()
    with pytest.raises(ValueError, match=r"endeffector must have shape \(3, W\), got shape \(60, 3\)"):
        pcrt.plot_arm_trajectory(endeffector.T, joints, 10, 45, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"joints must have shape \(4, W\) with W = 60 \(from endeffector\)"):
        pcrt.plot_arm_trajectory(endeffector, joints[:, :50], 10, 45, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"joints must have shape \(4, W\), got shape \(3, 60\)"):
        pcrt.plot_arm_trajectory(endeffector, joints[:3], 10, 45, tmp_path / "x.png")
    with pytest.raises(ValueError, match="start_id < end_id"):
        pcrt.plot_arm_trajectory(endeffector, joints, 45, 10, tmp_path / "x.png")
    with pytest.raises(ValueError, match="end_id ≤ W = 60"):
        pcrt.plot_arm_trajectory(endeffector, joints, 10, 61, tmp_path / "x.png")


def test_plot_muscle_heatmaps_writes_png(tmp_path):
    lengths, firing, info, names = muscle_sample()
    pcrt.plot_muscle_heatmaps(lengths, firing, info, names, tmp_path / "muscles.png")
    assert_png(tmp_path / "muscles.png")


def test_plot_muscle_heatmaps_rejects_bad_input(tmp_path):
    lengths, firing, info, names = muscle_sample()
    with pytest.raises(ValueError, match=r"spindle_info must have shape \(M, W, 2\), got shape \(25, 60\)"):
        pcrt.plot_muscle_heatmaps(lengths, firing, info[..., 0], names, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"spindle_firing must have shape \(M, W\) with M = 25 \(from muscles\)"):
        pcrt.plot_muscle_heatmaps(lengths, firing[:24], info, names, tmp_path / "x.png")
    with pytest.raises(ValueError, match="muscle_names must hold M = 25 names"):
        pcrt.plot_muscle_heatmaps(lengths, firing, info, names[:-1], tmp_path / "x.png")


def test_plot_latent_distributions_writes_png(tmp_path):
    pcrt.plot_latent_distributions(latents(), tmp_path / "latents.png")
    assert_png(tmp_path / "latents.png")


def test_plot_latent_distributions_with_continuous_values_and_one_plane(tmp_path):
    values = latents()
    values["size"] = np.random.default_rng(2).uniform(0.7, 1.3, len(values["label"]))  # histogram branch
    values["plane"] = np.full(len(values["label"]), "vertical")
    pcrt.plot_latent_distributions(values, tmp_path / "latents.png")
    assert_png(tmp_path / "latents.png")


def test_plot_latent_distributions_rejects_bad_input(tmp_path):
    values = latents()
    with pytest.raises(ValueError, match=r"latents lacks the keys \['speed'\]"):
        pcrt.plot_latent_distributions({k: v for k, v in values.items() if k != "speed"}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"latents\['startpt'\] must have shape \(N, 3\)"):
        pcrt.plot_latent_distributions({**values, "startpt": values["startpt"][:, :2]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"latents\['label'\] must have shape \(N,\) with N = 200"):
        pcrt.plot_latent_distributions({**values, "label": values["label"][:10]}, tmp_path / "x.png")


def test_plot_surrogate_validation_writes_png(tmp_path):
    pcrt.plot_surrogate_validation(surrogate_report(), tmp_path / "fail.png")
    assert_png(tmp_path / "fail.png")
    pcrt.plot_surrogate_validation(surrogate_report(failing=()), tmp_path / "pass.png")
    assert_png(tmp_path / "pass.png")


def test_plot_surrogate_validation_accepts_mm_only_entries(tmp_path):
    report = surrogate_report()
    for entry in report["muscles"].values():
        for key in ("rmse_rel", "max_abs_rel", "passed"):
            entry.pop(key)
    pcrt.plot_surrogate_validation(report, tmp_path / "mm.png")
    assert_png(tmp_path / "mm.png")


def test_plot_surrogate_validation_rejects_bad_report(tmp_path):
    report = surrogate_report()
    with pytest.raises(ValueError, match=r"report lacks the keys \['thresholds'\]"):
        pcrt.plot_surrogate_validation({"muscles": report["muscles"]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"report\['muscles'\]\['PT'\] needs 'rmse_rel' or one of \['rmse_mm'\]"):
        entry = {"range_mm": 30.0, "max_abs_rel": 0.01}
        pcrt.plot_surrogate_validation({**report, "muscles": {"PT": entry}}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="is empty"):
        pcrt.plot_surrogate_validation({**report, "muscles": {}}, tmp_path / "x.png")


def test_plotting_leaves_no_pyplot_figures(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    pcrt.plot_latent_distributions(latents(), tmp_path / "latents.png")
    assert plt.get_fignums() == before
