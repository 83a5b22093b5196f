"""The representational-analysis workflow stages: paths and config sections in, files out (Sandbrink et al. 2023). Every
output is written atomically.

1. :func:`input_representations` — RDMs of the input representations (spindles, muscles, joints, end-effector) on
   the RDM sample, and tSNE of the end-effector trajectories of each family's activation subset.
2. :func:`extract_network` — one model state: activations of layers 0..K on the test subset with the aligned
   kinematics (``activations.zarr``), and its RDM similarities to the oracle on the RDM sample.
3. :func:`analyse_units` — one model state: single-unit tuning curves of every layer and plane subset, label
   tuning, preferred directions and their uniformity, invariance across plane heights, population decoding, tSNE.
4. :func:`compare_cka` — one (family, seed): linear CKA (and mean squared CCA) between the layers of trained and
   untrained networks and of the task twins.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import zarr

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_directory, open_store, read_arrays, write_array, write_arrays
from neuromotor.io.tables import write_tsv
from neuromotor.represent import activations as act
from neuromotor.represent import blocks
from neuromotor.represent import cka as cka_lib
from neuromotor.represent import kinematics as kin
from neuromotor.represent import rdm as rdm_lib
from neuromotor.represent import tuning as tun
from neuromotor.represent.decoding import decode_streamed
from neuromotor.represent.embedding import pca_scores_from_gram, tsne_embedding
from neuromotor.represent.stats import score_quantile, scored

log = logging.getLogger(__name__)

WINDOW = 320
"""The PCRT window the networks are built for (the default of :func:`fit_sets`; a job takes its dataset's own,
:class:`neuromotor.pcrt.layout.DatasetLayout`)."""
LAYER_CACHE_BYTES = 10**9
"""The units job keeps every layer in memory when they take at most this much, one layer at a time otherwise (and
reads a layer above ``blocks.STREAM_BYTES`` from the store block by block)."""
INPUT_REPRESENTATIONS = {
    "spindle_firing": "spindles (v1)",
    "spindle_info": "spindles (v2)",
    "muscle_coords": "muscle lengths",
    "joint_coords": "joints",
    "endeffector_coords": "end-effector",
}
"""Dataset arrays whose RDMs are compared with the oracle (Sandbrink et al. 2023, Figure 4), with their figure names."""

MODEL_COLUMNS = ("task", "family", "seed", "state")
RDM_COLUMNS = MODEL_COLUMNS + ("representation", "layer", "depth", "n", "similarity", "kendall_tau")
UNITS_COLUMNS = MODEL_COLUMNS + (
    "plane", "layer", "depth", "class", "feature_set", "model", "n_units", "n_scored", "n_tuned", "fraction_tuned",
    "q90", "median", "mean",
)  # fmt: skip
PD_BINS_PREFIX = "bin_"
INVARIANCE_COLUMNS = MODEL_COLUMNS + (
    "orientation", "height", "reference", "layer", "depth", "n_trajectories", "n_tuned_both", "mean_abs_dpd",
)  # fmt: skip
DECODING_COLUMNS = MODEL_COLUMNS + (
    "plane", "layer", "depth", "target", "component", "split", "n", "rmse", "r2", "pcc", "mean_distance",
)  # fmt: skip
CKA_COLUMNS = (
    "family", "seed", "task_a", "state_a", "task_b", "state_b", "configuration_a", "configuration_b",
    "same_configuration", "layer_a", "layer_b", "depth_a", "depth_b", "n", "cka", "cca",
)  # fmt: skip
SWEEP_COLUMNS = ("family", "configuration", "input_key", "layer", "depth", "n", "cka")
COMPONENTS = {"ee": ("u", "w"), "eepolar": ("r", "theta"), "vel": ("speed", "direction"), "acc": ("r", "theta")}


def limit_threads(stage):
    """Run a stage with at most its keyword ``threads`` (default 1) in BLAS, OpenMP (tSNE) and torch thread
    pools, so a job uses the cores it was given and no more (oversubscribed pools are slower, not faster)."""

    @functools.wraps(stage)
    def run(*args, threads: int = 1, **kwargs):
        import os
        import sys

        from threadpoolctl import threadpool_limits

        threads = max(1, threads)
        # pools loaded later (scikit-learn's OpenMP for tSNE) read the environment; loaded ones are limited below
        names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        saved = {name: os.environ.get(name) for name in names}
        os.environ.update({name: str(threads) for name in names})
        torch = sys.modules.get("torch")  # only stages that run networks import torch (it takes seconds)
        previous = torch.get_num_threads() if torch else None
        if torch:
            torch.set_num_threads(threads)
        try:
            with threadpool_limits(limits=threads):
                return stage(*args, threads=threads, **kwargs)
        finally:
            if torch:
                torch.set_num_threads(previous)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    return run


def _model_row(model: Mapping) -> dict:
    return {key: model[key] for key in MODEL_COLUMNS}


def _depths(n_layers: int) -> list[float]:
    """Relative depth layer / K of layers 0..K."""
    depth = n_layers - 1
    return [layer / depth if depth else 0.0 for layer in range(n_layers)]


def _tsne_rows(n: int, cfg: Mapping) -> np.ndarray:
    """Trajectories embedded by tSNE: all, or ``n_samples`` of them drawn with ``random_state``."""
    if cfg["n_samples"] is None or cfg["n_samples"] >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(cfg["random_state"]).choice(n, cfg["n_samples"], replace=False))


def _embed(x: np.ndarray, cfg: Mapping) -> np.ndarray:
    return tsne_embedding(x, n_pca=cfg["n_pca"], perplexity=cfg["perplexity"], max_iter=cfg["max_iter"],
                          random_state=cfg["random_state"])  # fmt: skip


def _rdm_rows(dataset, rdm_cfg: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """The RDM sample (positions in the train split, sorted) and its labels."""
    labels = read_arrays(dataset, "train", ["label"])["label"]
    rows = rdm_lib.class_balanced_sample(labels, rdm_cfg["per_class"], rdm_cfg["seed"])
    return rows, labels[rows]


def _rdm_scores(x: np.ndarray, labels: np.ndarray, rdm_cfg: Mapping, classes: Sequence[int]):
    """(similarity, Kendall τ, class-mean RDM) of one representation on the RDM sample (in memory or a zarr
    array, read block by block)."""
    rdm = rdm_lib.correlation_rdm(x)
    oracle = rdm_lib.oracle_rdm(labels)
    tau = rdm_lib.rdm_kendall(rdm, oracle) if rdm_cfg["kendall"] else float("nan")
    return rdm_lib.rdm_similarity(rdm, oracle), tau, rdm_lib.class_mean_rdm(rdm, labels, classes)


# ---------------------------------------------------------------------------------------------------------------
# 1. input representations


@limit_threads
def input_representations(
    dataset,
    *,
    rdm_cfg: Mapping,
    tsne_cfg: Mapping,
    subsets: Mapping[str, float],
    subset_seed: int,
    out_rdm_table,
    out_rdm_store,
    out_tsne,
    threads: int = 1,
) -> None:
    """RDM similarity of every input representation of ``rdm_cfg['inputs']`` and the end-effector tSNE of each
    family's activation subset (``subsets``: family → test fraction)."""
    rows, labels = _rdm_rows(dataset, rdm_cfg)
    classes = sorted(np.unique(labels).tolist())
    table, class_means = [], {}
    for name in rdm_cfg["inputs"]:
        values = act.read_rows(dataset, "train", [name], rows)[name]
        similarity, tau, means = _rdm_scores(values, labels, rdm_cfg, classes)
        log.info("RDM of %s: similarity %.4f, Kendall tau %.4f", name, similarity, tau)
        table.append({"task": "", "family": "", "seed": -1, "state": "input", "representation": name, "layer": 0,
                      "depth": 0.0, "n": len(rows), "similarity": similarity, "kendall_tau": tau})  # fmt: skip
        class_means[name] = means
    write_tsv(out_rdm_table, table, RDM_COLUMNS)
    write_arrays(out_rdm_store, {"": {**class_means, "classes": np.asarray(classes)}},
                 attrs={"rows": "train split, RDM sample", "per_class": rdm_cfg["per_class"],
                        "seed": rdm_cfg["seed"], "distance": "1 - Pearson r"})  # fmt: skip

    n_test = act.split_length(dataset, "test")
    groups, done = {}, {}
    for family, fraction in subsets.items():
        subset = act.test_subset(n_test, fraction, subset_seed)
        key = tuple(subset)
        if key not in done:
            data = act.read_rows(dataset, "test", ["endeffector_coords", "label"], subset)
            chosen = _tsne_rows(len(subset), tsne_cfg)
            done[key] = {"embedding": _embed(data["endeffector_coords"][chosen], tsne_cfg),
                         "label": data["label"][chosen], "index": subset[chosen]}  # fmt: skip
        groups[family] = done[key]
    write_arrays(out_tsne, groups, attrs={"representation": "endeffector_coords", "split": "test", **tsne_cfg})


# ---------------------------------------------------------------------------------------------------------------
# 2. one network: activations and RDMs


def load_model_state(model_dir, state: str):
    """The network of a final model folder with the weights of ``state`` (trained: best.pt, untrained: init.pt),
    and its config.json content."""
    from neuromotor.convnets.models import load_network, read_config
    from neuromotor.represent.plan import STATES

    return load_network(model_dir, weights=STATES[state]), read_config(model_dir)


@limit_threads
def extract_network(
    dataset,
    model_dir,
    *,
    model: Mapping,
    activations_cfg: Mapping,
    rdm_cfg: Mapping,
    device: str = "auto",
    threads: int = 1,
    out_activations,
    out_rdm_table,
    out_rdm_store,
) -> None:
    """Activations of one model state on its test subset (``activations.zarr``; skipped when ``out_activations`` is
    None: the RDM-only analysis of experiment models) and RDM similarity of each of its layers to the oracle on the
    RDM sample (table + class-mean RDMs)."""
    from neuromotor.train.runtime import setup_torch

    network, config = load_model_state(model_dir, model["state"])
    input_key = config["input_key"]
    torch_device = setup_torch(device)  # threads: the stage wrapper's
    batch = activations_cfg["batch_size"]
    if out_activations is not None:
        _store_activations(dataset, network, config, model, activations_cfg, torch_device, out_activations)
    _network_rdms(dataset, network, model, input_key, rdm_cfg, batch, torch_device, out_rdm_table, out_rdm_store)


def _store_activations(dataset, network, config, model, activations_cfg, torch_device, out_activations) -> None:
    """Every layer's activations on the family's test subset, with the aligned kinematics."""
    from neuromotor.pcrt.layout import DatasetLayout

    input_key = config["input_key"]
    batch = activations_cfg["batch_size"]
    layout = DatasetLayout.from_store(dataset)
    _, n_muscles, n_time = config["input_shape"]
    layout.require(n_time, n_muscles, consumer=f"the network of {config.get('name', model)}", store=dataset)
    window = layout.window

    n_test = act.split_length(dataset, "test")
    subset = act.test_subset(n_test, activations_cfg["fraction"][model["family"]], activations_cfg["seed"])
    names = [input_key, "endeffector_coords", "joint_coords", "muscle_coords", "label", "plane", "startpt"]
    data = act.read_rows(dataset, "test", names, subset)
    started = time.perf_counter()
    n = len(subset)
    with atomic_directory(out_activations) as tmp:  # the layers are streamed batch by batch (memory: one batch's)
        root = zarr.open_group(store=str(tmp), mode="w", zarr_format=3)
        group = root.require_group("activations")
        layers: list = []
        start = 0
        for outputs in act.layer_batches(network, act.network_input(data[input_key], input_key), batch, torch_device):
            if not layers:  # chunks of a batch x channels: the units and CKA jobs read blocks of either
                layers = [blocks.create_layer_array(group, f"layer_{k}", (n,) + out.shape[1:], batch)
                          for k, out in enumerate(outputs)]  # fmt: skip
            for array, values in zip(layers, outputs):
                array[start : start + len(values)] = values
            start += len(outputs[0])
        shapes = [tuple(array.shape[1:]) for array in layers]
        strides = act.layer_strides(network, [shape[-1] for shape in shapes], window)
        for k, (array, stride) in enumerate(zip(layers, strides)):
            array.attrs.update({"axes": ["trajectory", "channel", "row", "time"], "time_stride": stride})
        log.info("activations of %d trajectories, %d layers in %.1f s", n, len(layers),
                 time.perf_counter() - started)  # fmt: skip
        arrays = {
            "kinvars": act.kinematic_panel(data["endeffector_coords"], data["joint_coords"], data["muscle_coords"]),
            "label": data["label"], "plane": data["plane"], "startpt": data["startpt"],
            "endeffector": data["endeffector_coords"].astype(np.float32), "index": subset,
        }  # fmt: skip
        kinvars_attrs = {"axes": ["trajectory", "variable", "time"], "rows": list(act.KINVARS_ROWS),
                         "units": "cm (0-2), deg (3-6), mm (7-31), cm/step (32)"}  # fmt: skip
        for name, values in arrays.items():
            write_array(group, name, values, chunk=256, attrs=kinvars_attrs if name == "kinvars" else None)
        root.attrs.update({**_model_row(model), "name": config.get("name", ""),
                           "configuration": config.get("configuration", ""), "input_key": input_key,
                           "n_layers": len(layers), "time_stride": strides, "window": window,
                           "layer_shapes": [list(shape) for shape in shapes], "split": "test",
                           "subset_fraction": activations_cfg["fraction"][model["family"]],
                           "subset_seed": activations_cfg["seed"]})  # fmt: skip


def _network_rdms(dataset, network, model, input_key, rdm_cfg, batch, torch_device, out_rdm_table, out_rdm_store):
    """RDM similarity to the oracle of every layer on the RDM sample (table and class-mean RDMs)."""
    rows, labels = _rdm_rows(dataset, rdm_cfg)
    classes = sorted(np.unique(labels).tolist())
    inputs = act.network_input(act.read_rows(dataset, "train", [input_key], rows)[input_key], input_key)
    count = act.n_layers(network, inputs, torch_device)
    depths = _depths(count)
    table, class_means = [], {}
    for layer in range(count):  # one layer of the RDM sample at a time (one forward pass each), held or streamed
        layer_batches = (outputs[layer] for outputs in act.layer_batches(network, inputs, batch, torch_device))
        with blocks.streamed_layer(layer_batches, len(inputs), directory=Path(out_rdm_store).parent) as values:
            similarity, tau, means = _rdm_scores(values, labels, rdm_cfg, classes)
        table.append({**_model_row(model), "representation": "network", "layer": layer, "depth": depths[layer],
                      "n": len(rows), "similarity": similarity, "kendall_tau": tau})  # fmt: skip
        class_means[f"layer_{layer}"] = means
    log.info("RDM similarities: %s", ", ".join(f"{row['similarity']:.4f}" for row in table))
    write_tsv(out_rdm_table, table, RDM_COLUMNS)
    write_arrays(out_rdm_store, {"": {**class_means, "classes": np.asarray(classes)}},
                 attrs={**_model_row(model), "per_class": rdm_cfg["per_class"], "seed": rdm_cfg["seed"]})


# ---------------------------------------------------------------------------------------------------------------
# 3. one network: single units, decoding, tSNE


class ActivationStore:
    """The ``activations.zarr`` of one model state, read lazily layer by layer."""

    def __init__(self, path):
        self.path = Path(path)
        root = open_store(path)
        if "activations" not in root:
            raise DataFormatError(f"{path}: missing group 'activations'")
        self.group = root["activations"]
        self.attrs = dict(root.attrs)
        for key in ("n_layers", "time_stride", "window"):
            if key not in self.attrs:
                raise DataFormatError(f"{path}: attribute {key!r} missing")
        self.n_layers = int(self.attrs["n_layers"])
        self.strides = [int(s) for s in self.attrs["time_stride"]]
        meta = read_arrays(path, "activations", ["label", "endeffector", "index"])
        self.labels, self.endeffector, self.index = meta["label"], meta["endeffector"], meta["index"]

    def layer(self, k: int) -> np.ndarray:
        name = f"layer_{k}"
        if name not in self.group:
            raise DataFormatError(f"{self.path}: activations/{name} missing (n_layers = {self.n_layers})")
        return np.asarray(self.group[name][...])

    def array(self, k: int):
        """Layer k as its zarr array (read block by block by neuromotor.represent.blocks)."""
        name = f"layer_{k}"
        if name not in self.group:
            raise DataFormatError(f"{self.path}: activations/{name} missing (n_layers = {self.n_layers})")
        return self.group[name]

    def source(self, k: int):
        """Layer k in memory when it takes at most ``blocks.STREAM_BYTES``, else its zarr array."""
        array = self.array(k)
        return self.layer(k) if 4 * int(np.prod(array.shape)) <= blocks.STREAM_BYTES else array

    def model(self) -> dict:
        return {key: self.attrs[key] for key in MODEL_COLUMNS}


def _unit_index(layers_shapes: Sequence[tuple]) -> dict[str, np.ndarray]:
    """Layer, row and channel of every unit (unit order: layer, then row-major (row, channel))."""
    layer, row, channel = [], [], []
    for k, (channels, rows, _) in enumerate(layers_shapes):
        r, c = np.divmod(np.arange(rows * channels), channels)
        layer.append(np.full(rows * channels, k)), row.append(r), channel.append(c)
    return {"layer": np.concatenate(layer), "row": np.concatenate(row), "channel": np.concatenate(channel)}


def _label_tuning(y_train, y_test, labels_train, labels_test, classes, max_iter, threads) -> np.ndarray:
    """Label scores (train, test) of every unit: (U, 2)."""
    def one(unit):
        return tun.label_scores(y_train[:, unit], labels_train, y_test[:, unit], labels_test, classes, max_iter)

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return np.array(list(pool.map(one, range(y_train.shape[1]))), dtype=np.float64).reshape(-1, 2)


def _design_keys(models_cfg: Mapping[str, Sequence[int]]) -> list[tuple[str, int]]:
    return [(name, int(model)) for name in kin.FEATURE_SETS for model in models_cfg.get(name, [])]


def _class_designs(keys) -> dict[str, int]:
    """Unit class → position of its (feature set, model) among the fitted designs (classes not fitted omitted)."""
    return {cls: keys.index(pair) for cls, pair in tun.UNIT_CLASSES.items() if pair in keys}


class TrajectorySet:
    """One set of trajectories whose units are fitted: a plane subset (all designs, labels, decoding) or a plane
    height (the direction model only). ``trajectories`` (m,) rows of the store, ``features`` their kinematic
    feature sets (m, 2, 320); the train/test split of ``tuning_cfg`` is drawn here."""

    def __init__(self, trajectories, features, tuning_cfg, keys, decoding_cfg=None):
        split = tun.trajectory_split(len(trajectories), tuning_cfg["test_size"], tuning_cfg["random_state"])
        self.trajectories = np.asarray(trajectories)
        self.train, self.test = trajectories[split[0]], trajectories[split[1]]
        self.features_train = {name: features[name][split[0]] for name in features}
        self.features_test = {name: features[name][split[1]] for name in features}
        self.tuning_cfg, self.keys, self.decoding_cfg = tuning_cfg, list(keys), decoding_cfg or {}
        self.models: dict[str, list[int]] = {}
        for name, model in self.keys:
            self.models.setdefault(name, []).append(model)
        self._designs: tuple | None = None

    def designs(self, times) -> tun.DesignSet:
        """The designs at ``times`` (layers sampled at the same steps share them; the last one is kept)."""
        if self._designs is None or self._designs[0] != tuple(times):
            train = tun.tuning_designs(self.features_train, self.models, np.arange(len(self.train)), times)[1]
            test = tun.tuning_designs(self.features_test, self.models, np.arange(len(self.test)), times)[1]
            self._designs = (tuple(times), tun.DesignSet(train, test))
        return self._designs[1]


def _unit_positions(c0: int, c1: int, channels: int, rows: int) -> np.ndarray:
    """Layer unit indices (row-major over (row, channel)) of the units of channels c0..c1-1, in the order of
    ``tun.layer_samples`` of that channel block."""
    return np.add.outer(np.arange(rows) * channels, np.arange(c0, c1)).ravel()


def _decode_layer(source, kset: TrajectorySet, kept, times, alpha) -> dict:
    """Population decoding of every target of ``kset`` from one layer, reading it sample block by sample block."""
    targets = kset.decoding_cfg.get("targets", [])
    if not targets:
        return {}

    def batches(split):
        rows = kset.train if split == "train" else kset.test
        features = kset.features_train if split == "train" else kset.features_test
        order = np.argsort(rows, kind="stable")
        for r0, r1, values in blocks.row_blocks(blocks.select_rows(source, rows[order])):
            positions = order[r0:r1]
            x = tun.layer_samples(values, np.arange(r1 - r0), kept)
            yield x, {t: tun.feature_samples(features[t], positions, times) for t in targets}

    return decode_streamed(batches, {t: 2 for t in targets}, kset.decoding_cfg["alpha"])


def fit_sets(
    layer: Callable[[int], np.ndarray],
    strides: Sequence[int],
    labels: np.ndarray,
    sets: Sequence[TrajectorySet],
    threads: int = 1,
    window: int = WINDOW,
) -> list[list[dict]]:
    """Tuning curves, label tuning and decoding of every layer on several trajectory sets, in one pass over each
    layer's channel blocks (units) plus its sample blocks (decoding) — a layer read from its store never whole.
    ``window``: the time steps of the dataset's trajectories (the activations store's ``window``).

    ``layer(k)`` returns layer k's activations (n, C, H, T_k) of all stored trajectories, in memory or as a zarr
    array; ``strides`` the layers' cumulative temporal strides, ``labels`` (n,) the characters. The layer's kept
    time steps are pooled. Returns per set and layer ``{"fits": LinearFits, "labels": (U, 2) | None, "decoding":
    {target: decode's dict}}``; the same numbers whichever blocks the layer is read in (to rounding, tested).
    """
    classes = sorted(np.unique(labels).tolist())
    results: list[list[dict]] = [[] for _ in sets]
    for k, stride in enumerate(strides):
        source = layer(k)
        n, channels, rows, length = source.shape
        units = channels * rows
        kept = kin.kept_time_indices(length, stride, window, sets[0].tuning_cfg["onset"],
                                     sets[0].tuning_cfg["tcoff"] == "symmetric") if sets else []  # fmt: skip
        times = kin.sample_times(kept, stride)
        outs = []
        for kset in sets:
            design = kset.designs(times)
            n_designs = len(kset.keys)
            outs.append({"coef": np.zeros((n_designs, units, 3)), "metrics": np.full((n_designs, units, 2, 3), np.nan),
                         "n_samples": design.n_samples.copy(),
                         "labels": np.zeros((units, 2)) if kset.tuning_cfg["labels"] != "off" else None})  # fmt: skip
        for c0, c1, values in blocks.channel_blocks(source):
            positions = _unit_positions(c0, c1, channels, rows)
            for kset, out in zip(sets, outs):
                y_train = tun.layer_samples(values, kset.train, kept)
                y_test = tun.layer_samples(values, kset.test, kept)
                fits = kset.designs(times).fit(y_train, y_test)
                out["coef"][:, positions], out["metrics"][:, positions] = fits.coef, fits.metrics
                mode = kset.tuning_cfg["labels"]
                if mode != "off":
                    labels_train = np.repeat(labels[kset.train], len(kept))
                    labels_test = np.repeat(labels[kset.test], len(kept))
                    if mode == "svm":
                        out["labels"][positions] = _label_tuning(y_train, y_test, labels_train, labels_test, classes,
                                                                 kset.tuning_cfg["label_max_iter"], threads)  # fmt: skip
                    else:
                        out["labels"][positions] = tun.label_scores_auc(y_train, labels_train, y_test, labels_test,
                                                                        classes)  # fmt: skip
            del values
        for kset, out, result in zip(sets, outs, results):
            fits = tun.LinearFits(coef=out["coef"], metrics=out["metrics"], n_samples=out["n_samples"])
            decoding = _decode_layer(source, kset, kept, times, kset.decoding_cfg.get("alpha", 1.0))
            result.append({"fits": fits, "labels": out["labels"], "decoding": decoding})
    return results


def fit_layers(
    layer: Callable[[int], np.ndarray],
    strides: Sequence[int],
    labels: np.ndarray,
    trajectories: np.ndarray,
    features: Mapping[str, np.ndarray],
    tuning_cfg: Mapping,
    keys: Sequence[tuple[str, int]],
    decoding_cfg: Mapping | None = None,
    threads: int = 1,
) -> list[dict]:
    """Tuning curves (and decoding) of every layer on one set of trajectories: :func:`fit_sets` of one
    :class:`TrajectorySet` (``trajectories`` (m,), ``features`` their feature sets (m, 2, 320), ``keys`` the
    (feature set, model) designs, split by ``train_test_split`` with ``tuning_cfg``'s test size and seed)."""
    return fit_sets(layer, strides, labels, [TrajectorySet(trajectories, features, tuning_cfg, keys, decoding_cfg)],
                    threads)[0]  # fmt: skip


def _direction_pd(results: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Direction-model (vel, 1) fits of every layer: (PD, test R²) per unit, concatenated over layers."""
    pd = np.concatenate([tun.preferred_directions(r["fits"].coef[0]) for r in results])
    r2 = np.concatenate([r["fits"].metrics[0, :, 1, 1] for r in results])
    return pd, r2


def _embed_source(source, rows: np.ndarray, cfg: Mapping) -> np.ndarray:
    """tSNE of a layer's ``rows``: in memory as :func:`_embed`; a stored layer's PCA from the column-centred Gram of
    those rows (exact; read block by block), then tSNE of the scores."""
    if not blocks.is_stored(source):
        return _embed(np.asarray(source)[rows], cfg)
    n_pca = min(cfg["n_pca"], len(rows), blocks.n_features(source))
    gram = rdm_lib.gram_matrix(blocks.select_rows(source, rows), center="columns")
    return _embed(pca_scores_from_gram(gram, n_pca), cfg)


@limit_threads
def analyse_units(
    activations,
    *,
    tuning_cfg: Mapping,
    pd_cfg: Mapping,
    invariance_cfg: Mapping,
    decoding_cfg: Mapping,
    tsne_cfg: Mapping,
    threads: int = 1,
    out_units,
    out_units_table,
    out_pd,
    out_invariance,
    out_decoding,
    out_tsne,
) -> None:
    """All single-unit and population analyses of one model state's ``activations.zarr``."""
    store = ActivationStore(activations)
    model = store.model()
    depths = _depths(store.n_layers)
    shapes = [tuple(store.attrs["layer_shapes"][k]) for k in range(store.n_layers)]
    cache: dict[int, np.ndarray] = {}
    keep_all = len(store.labels) * sum(int(np.prod(s)) for s in shapes) * 4 <= LAYER_CACHE_BYTES

    def layers_cache(k):
        """Layer k's activations: all layers stay in memory when they fit in LAYER_CACHE_BYTES, else one (in
        memory up to blocks.STREAM_BYTES, else read from the store block by block)."""
        if k not in cache:
            if not keep_all:
                cache.clear()
            cache[k] = store.source(k)
        return cache[k]

    units = _unit_index(shapes)
    keys = _design_keys(tuning_cfg["models"])
    classes = _class_designs(keys)
    threshold = tuning_cfg["threshold"]
    groups: dict[str, dict] = {"": units}
    units_rows, pd_rows, decoding_rows, invariance_rows = [], [], [], []

    plane_sets: dict[str, TrajectorySet] = {}
    for plane in tuning_cfg["planes"]:
        trajectories = np.flatnonzero(kin.plane_mask(store.endeffector, plane))
        if len(trajectories) < tuning_cfg["min_trajectories"]:
            log.warning("plane subset %s: %d trajectories, fewer than %d; skipped", plane, len(trajectories),
                        tuning_cfg["min_trajectories"])  # fmt: skip
            continue
        features = kin.feature_components(store.endeffector[trajectories], plane)
        plane_sets[plane] = TrajectorySet(trajectories, features, tuning_cfg, keys, decoding_cfg)
    height_sets: dict[tuple[str, int], TrajectorySet] = {}
    heights_of: dict[str, tuple[list, float, np.ndarray]] = {}
    for orientation, plane in kin.ORIENTATIONS.items():
        if plane not in tuning_cfg["planes"] or not invariance_cfg["enabled"]:
            continue
        heights = list(invariance_cfg["heights"][orientation])
        reference = invariance_cfg["reference"][orientation]
        if reference not in heights:
            heights.append(reference)
        masks = kin.height_masks(store.endeffector, plane, heights)
        heights_of[orientation] = (heights, reference, masks.sum(axis=1))
        for h, mask in enumerate(masks):
            trajectories = np.flatnonzero(mask)
            if len(trajectories) < invariance_cfg["min_trajectories"]:
                continue
            features = kin.feature_components(store.endeffector[trajectories], plane)
            height_sets[(orientation, h)] = TrajectorySet(trajectories, features, {**tuning_cfg, "labels": "off"},
                                                          [("vel", 1)])  # fmt: skip
    started = time.perf_counter()
    all_sets = list(plane_sets.values()) + list(height_sets.values())
    window = int(store.attrs["window"])  # the dataset's (DatasetLayout), recorded by the network job
    fitted = fit_sets(layers_cache, store.strides, store.labels, all_sets, threads, window) if all_sets else []
    log.info("tuning of %d units on %d plane subsets and %d plane heights in %.1f s", len(units["layer"]),
             len(plane_sets), len(height_sets), time.perf_counter() - started)  # fmt: skip
    by_set = dict(zip([("plane", p) for p in plane_sets] + list(height_sets), fitted))

    for plane, kset in plane_sets.items():
        results = by_set[("plane", plane)]
        metrics = np.concatenate([r["fits"].metrics.transpose(1, 0, 2, 3) for r in results])  # (U, D, 2, 3)
        coef = np.concatenate([r["fits"].coef.transpose(1, 0, 2) for r in results])  # (U, D, 3)
        labels = (np.concatenate([r["labels"] for r in results]) if tuning_cfg["labels"] != "off"
                  else np.full((len(metrics), 2), np.nan))  # fmt: skip
        n_samples = np.stack([r["fits"].n_samples for r in results])
        groups[plane] = {"metrics": metrics, "coef": coef, "labels": labels, "n_samples": n_samples,
                         "trajectories": store.index[kset.trajectories]}  # fmt: skip
        for k in range(store.n_layers):
            in_layer = units["layer"] == k
            scores = {cls: metrics[in_layer, d, 1, 1] for cls, d in classes.items()}
            if tuning_cfg["labels"] != "off":
                scores["labels"] = labels[in_layer, 1]
            for cls, values in scores.items():
                kept = scored(values)
                fset, mid = tun.UNIT_CLASSES.get(cls, ("labels", -1))
                units_rows.append({**model, "plane": plane, "layer": k, "depth": depths[k], "class": cls,
                                   "feature_set": fset, "model": mid, "n_units": int(in_layer.sum()),
                                   "n_scored": len(kept), "n_tuned": int(tun.tuned(values, threshold).sum()),
                                   "fraction_tuned": float(tun.tuned(values, threshold).mean()) if len(values) else np.nan,
                                   "q90": score_quantile(values, tuning_cfg["quantile"]),
                                   "median": float(np.median(kept)) if len(kept) else np.nan,
                                   "mean": float(np.mean(kept)) if len(kept) else np.nan})  # fmt: skip
            if "direction" in classes:
                d = classes["direction"]
                tuned = tun.tuned(metrics[in_layer, d, 1, 1], threshold)
                pds = tun.preferred_directions(coef[in_layer, d])[tuned]
                counts = tun.direction_histogram(pds, pd_cfg["bins"])
                pd_rows.append({**model, "plane": plane, "layer": k, "depth": depths[k],
                                "n_units": int(in_layer.sum()), "n_tuned": int(tuned.sum()),
                                "deviation": tun.uniformity_deviation(counts),
                                **{f"{PD_BINS_PREFIX}{b:02d}": int(c) for b, c in enumerate(counts)}})  # fmt: skip
            for target, result in results[k]["decoding"].items():
                for s, split in enumerate(tun.SPLITS):
                    for c, component in enumerate(COMPONENTS[target]):
                        rmse, r2, pcc = result[split][c]
                        decoding_rows.append({**model, "plane": plane, "layer": k, "depth": depths[k],
                                              "target": target, "component": component, "split": split,
                                              "n": int(result["n"][s]), "rmse": rmse, "r2": r2, "pcc": pcc,
                                              "mean_distance": result["distance"][s] if target == "ee" else np.nan})  # fmt: skip

    for orientation, (heights, reference, counts) in heights_of.items():
        pd = np.full((len(heights), len(units["layer"])), np.nan)
        r2 = np.full_like(pd, np.nan)
        for h in range(len(heights)):
            if (orientation, h) in by_set:
                pd[h], r2[h] = _direction_pd(by_set[(orientation, h)])
        groups[f"heights_{orientation}"] = {"height": np.asarray(heights, dtype=np.float64), "pd": pd, "r2": r2,
                                            "n_trajectories": counts}  # fmt: skip
        tuned_pd = np.where(tun.tuned(r2, threshold), pd, np.nan)
        ref = heights.index(reference)
        for h, height in enumerate(heights):
            for k in range(store.n_layers):
                in_layer = units["layer"] == k
                mean, count = tun.invariance_deviation(tuned_pd[h, in_layer], tuned_pd[ref, in_layer],
                                                       invariance_cfg["min_units"])  # fmt: skip
                invariance_rows.append({**model, "orientation": orientation, "height": float(height),
                                        "reference": float(reference), "layer": k, "depth": depths[k],
                                        "n_trajectories": int(counts[h]), "n_tuned_both": count,
                                        "mean_abs_dpd": mean})  # fmt: skip

    tsne_arrays = {}
    if tsne_cfg["enabled"]:
        chosen = _tsne_rows(len(store.labels), tsne_cfg)
        for k in range(store.n_layers):
            tsne_arrays[f"layer_{k}"] = _embed_source(layers_cache(k), chosen, tsne_cfg)
        tsne_arrays |= {"label": store.labels[chosen], "index": store.index[chosen]}

    attrs = {**model, "designs": [f"{name}:{mid}" for name, mid in keys], "metrics": list(tun.METRICS),
             "splits": list(tun.SPLITS), "threshold": threshold, "n_layers": store.n_layers,
             "label_score": "2 (ROC-AUC - 0.5)"}  # fmt: skip
    write_arrays(out_units, groups, attrs=attrs)
    write_tsv(out_units_table, units_rows, UNITS_COLUMNS)
    pd_columns = MODEL_COLUMNS + ("plane", "layer", "depth", "n_units", "n_tuned", "deviation") + tuple(
        f"{PD_BINS_PREFIX}{b:02d}" for b in range(pd_cfg["bins"])
    )
    write_tsv(out_pd, pd_rows, pd_columns)
    write_tsv(out_invariance, invariance_rows, INVARIANCE_COLUMNS)
    write_tsv(out_decoding, decoding_rows, DECODING_COLUMNS)
    write_arrays(out_tsne, {"": tsne_arrays}, attrs={**model, **tsne_cfg})


# ---------------------------------------------------------------------------------------------------------------
# 4. CKA within one (family, seed)


@limit_threads
def compare_cka(
    stores: Mapping[tuple[str, str], str],
    configurations: Mapping[str, str],
    comparisons: Sequence[tuple[tuple[str, str], tuple[str, str]]],
    *,
    family: str,
    seed: int,
    cka_cfg: Mapping,
    threads: int = 1,
    out_table,
    out_store,
) -> None:
    """Layer × layer linear CKA (and mean squared CCA where defined) for each comparison of two model states
    ``(task, state)`` of one family and seed; ``stores`` maps each to its ``activations.zarr``,
    ``configurations`` each task to its network configuration name."""
    grams: dict[tuple[str, str], list[np.ndarray]] = {}
    bases: dict[tuple[str, str], list] = {}
    n = {}
    for key, path in stores.items():
        store = ActivationStore(path)
        layers = [store.array(k) for k in range(store.n_layers)]  # read block by block (blocks.column_chunks)
        n[key] = int(layers[0].shape[0])
        grams[key] = [cka_lib.normalized_gram(layer) for layer in layers]
        bases[key] = [cka_lib.cca_basis(layer, cka_cfg["cca_pca"], gram) if cka_cfg["cca"] else None
                      for layer, gram in zip(layers, grams[key])]  # fmt: skip
    rows, matrices = [], {}
    for a, b in comparisons:
        if n[a] != n[b]:
            raise DataFormatError(f"CKA of {a} and {b}: activation subsets differ ({n[a]} vs {n[b]} trajectories)")
        matrix = cka_lib.cka_matrix(grams[a], grams[b])
        name = f"{a[0]}_{a[1]}__{b[0]}_{b[1]}"
        matrices[name] = matrix
        depth_a, depth_b = _depths(len(grams[a])), _depths(len(grams[b]))
        same = configurations[a[0]] == configurations[b[0]]
        for i in range(len(grams[a])):
            for j in range(len(grams[b])):
                rows.append({"family": family, "seed": seed, "task_a": a[0], "state_a": a[1], "task_b": b[0],
                             "state_b": b[1], "configuration_a": configurations[a[0]],
                             "configuration_b": configurations[b[0]], "same_configuration": same, "layer_a": i,
                             "layer_b": j, "depth_a": depth_a[i], "depth_b": depth_b[j], "n": n[a],
                             "cka": float(matrix[i, j]),
                             "cca": cka_lib.cca_r2(bases[a][i], bases[b][j]) if i == j else np.nan})  # fmt: skip
        log.info("CKA %s, same layer: %s", name, ", ".join(f"{v:.3f}" for v in np.diag(matrix)))
    write_tsv(out_table, rows, CKA_COLUMNS)
    write_arrays(out_store, {"": matrices}, attrs={"family": family, "seed": seed, "comparisons": list(matrices)})


@limit_threads
def sweep_cka(
    dataset,
    art_dir,
    tdt_dir,
    *,
    family: str,
    configuration: str,
    input_key: str,
    activations_cfg: Mapping,
    device: str = "auto",
    threads: int = 1,
    out_table,
) -> None:
    """ART-vs-TDT sweep (Sandbrink et al. 2023, Methods): linear CKA between the same layers of the trained ART and TDT
    networks of one searched configuration, on the family's activation subset of the test split (nothing is stored but
    the table: family, configuration, input key, layer, relative depth, n, CKA)."""
    from neuromotor.convnets.models import load_network
    from neuromotor.train.runtime import setup_torch

    torch_device = setup_torch(device)  # threads: the stage wrapper's
    subset = act.test_subset(act.split_length(dataset, "test"), activations_cfg["fraction"][family],
                             activations_cfg["seed"])  # fmt: skip
    inputs = act.network_input(act.read_rows(dataset, "test", [input_key], subset)[input_key], input_key)
    batch = activations_cfg["batch_size"]
    networks = {task: load_network(folder, "best") for task, folder in (("art", art_dir), ("tdt", tdt_dir))}
    counts = {task: act.n_layers(network, inputs, torch_device) for task, network in networks.items()}
    if counts["art"] != counts["tdt"]:
        raise DataFormatError(f"{art_dir} and {tdt_dir}: the twins have {counts['art']} and "
                              f"{counts['tdt']} layers; expected the same configuration")  # fmt: skip
    depths = _depths(counts["art"])
    scratch = Path(out_table).parent

    def layer_stream(task, k):  # one layer of one twin, held or streamed through a temporary store
        stream = (outputs[k] for outputs in act.layer_batches(networks[task], inputs, batch, torch_device))
        return blocks.streamed_layer(stream, len(inputs), directory=scratch)

    rows = []
    for k in range(counts["art"]):  # one forward pass per layer and twin: memory of one layer's Gram matrices
        with layer_stream("art", k) as a, layer_stream("tdt", k) as b:
            rows.append({"family": family, "configuration": configuration, "input_key": input_key, "layer": k,
                         "depth": depths[k], "n": len(subset), "cka": cka_lib.linear_cka(a, b)})  # fmt: skip
    log.info("%s: CKA ART vs TDT per layer: %s", configuration, ", ".join(f"{r['cka']:.3f}" for r in rows))
    write_tsv(out_table, rows, SWEEP_COLUMNS)
