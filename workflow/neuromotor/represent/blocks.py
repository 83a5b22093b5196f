"""Representations too large for memory, read block by block (issue 15: no paper-plan job needs more than 16 GB).

A *representation* is an array (n samples, ...) flattened per sample into n × p features, in memory (numpy) or in a
zarr store (an ``activations.zarr`` layer (n, C, H, T), or a temporary store of a layer computed batch by batch).
The analyses need it only through

- :func:`column_chunks`: consecutive feature chunks (n, ≤ chunk) float64 (Gram matrices: RDMs, CKA, PCA);
- :func:`channel_blocks`: channel ranges (n, c1 − c0, H, T) (single-unit tuning: units are (row, channel) pairs);
- :func:`row_blocks`: sample ranges (b, C, H, T) (population decoding: sums over samples).

A zarr array is read in blocks of at most ``block_bytes`` (its float32 size), aligned with its chunks, so the
memory of a pass is one block whatever the layer's size. The column chunks of a zarr array are the same
``chunk``-wide chunks, with the same values, as those of the array in memory, so every result accumulated from
them is the same bit for bit streamed or whole (tested).
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

BLOCK_BYTES = 2**28
"""Largest block a pass over a zarr-held representation reads at once (256 MB of float32)."""
CHUNK_BYTES = 2**22
"""Target size of a stored layer's chunks (4 MB): a batch of samples × as many channels as fit (one channel of a
paper-scale layer, 100 × 25 × 320 floats, so channel blocks read whole chunks)."""
STREAM_BYTES = 2**30
"""Representations (float32) above this size are streamed through a temporary store rather than held whole."""


def is_stored(source) -> bool:
    """True for a zarr array (read in blocks), False for anything numpy holds in memory."""
    return not isinstance(source, np.ndarray) and hasattr(source, "chunks") and hasattr(source, "shape")


def n_samples(source) -> int:
    return int(source.shape[0])


def n_features(source) -> int:
    return int(math.prod(source.shape[1:]))


def _aligned(step: int, chunk: int, limit: int) -> int:
    """``step`` (at least 1, at most ``limit``) rounded down to a multiple of ``chunk`` when it spans one."""
    step = max(1, min(limit, step))
    return step // chunk * chunk if step >= chunk else step


def channel_blocks(source, block_bytes: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """(c0, c1, values (n, c1 − c0, ...)) over axis 1 of ``source`` (n, C, ...), each block at most ``block_bytes``
    of float32 (at least one channel; a stored array's blocks align with its chunks along axis 1; an array in
    memory gives views)."""
    shape = tuple(source.shape)
    if len(shape) < 2:
        raise ValueError(f"channel_blocks needs an array (n, C, ...), got shape {shape}")
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    per_channel = 4 * shape[0] * math.prod(shape[2:])
    chunk = int(source.chunks[1]) if is_stored(source) else 1
    step = _aligned(block_bytes // max(1, per_channel), chunk, shape[1])
    for c0 in range(0, shape[1], step):
        c1 = min(shape[1], c0 + step)
        yield c0, c1, np.asarray(source[:, c0:c1])


def row_blocks(source, block_bytes: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """(r0, r1, values (r1 − r0, ...)) over the samples of ``source``, each block at most ``block_bytes`` of float32
    (at least one sample; a stored array's blocks align with its chunks along axis 0; an array in memory gives
    views)."""
    shape = tuple(source.shape)
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    per_row = 4 * math.prod(shape[1:])
    chunk = int(source.chunks[0]) if is_stored(source) else 1
    step = _aligned(block_bytes // max(1, per_row), chunk, shape[0])
    for r0 in range(0, shape[0], step):
        r1 = min(shape[0], r0 + step)
        yield r0, r1, np.asarray(source[r0:r1])


class Rows:
    """Rows ``rows`` (sorted positions) of an array, read lazily like a stored array by the block readers (a zarr
    array's axis 0 selected with orthogonal indexing: only the chunks holding those rows are read)."""

    def __init__(self, source, rows):
        self.source, self.rows = source, np.asarray(rows, dtype=np.int64)
        self.shape = (len(self.rows),) + tuple(source.shape[1:])
        self.chunks = source.chunks if is_stored(source) else (1,) * len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        first = self.rows[key[0]] if not (isinstance(key[0], slice) and key[0] == slice(None)) else self.rows
        if not is_stored(self.source):
            return np.asarray(self.source)[first][(slice(None),) + tuple(key[1:])]
        return np.asarray(self.source.oindex[(first,) + tuple(key[1:])])


def select_rows(source, rows) -> Rows:
    """``source[rows]`` as a lazy :class:`Rows` (nothing is read until a block is)."""
    return Rows(source, rows)


def _flat_blocks(source, block_bytes: int | None) -> Iterator[np.ndarray]:
    """Consecutive feature blocks (n, p_b) of the flattened representation (a stored array: by channel blocks)."""
    if not is_stored(source):
        x = np.asarray(source)
        yield x.reshape(len(x), -1)
        return
    if len(source.shape) < 2:
        x = np.asarray(source[...])
        yield x.reshape(len(x), -1)
        return
    for _, _, block in channel_blocks(source, block_bytes):
        yield block.reshape(len(block), -1)


def column_chunks(source, chunk: int = 4096, block_bytes: int | None = None) -> Iterator[np.ndarray]:
    """Features ``[0, chunk)``, ``[chunk, 2 chunk)``, … of ``source`` (n, ...) flattened per sample, each as a
    float64 array (n, ≤ chunk): the same chunks and values for an array in memory and for the same array in a
    zarr store (read ``block_bytes`` at a time, a chunk straddling two blocks joined)."""
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    carry: np.ndarray | None = None
    for block in _flat_blocks(source, block_bytes):
        start = 0
        if carry is not None:
            start = chunk - carry.shape[1]
            carry = np.concatenate([carry, block[:, :start]], axis=1)
            if carry.shape[1] < chunk:
                continue
            yield np.array(carry, dtype=np.float64)
            carry = None
        while block.shape[1] - start >= chunk:
            yield np.array(block[:, start : start + chunk], dtype=np.float64)  # a copy: callers centre it
            start += chunk
        if start < block.shape[1]:
            carry = np.array(block[:, start:])
    if carry is not None and carry.shape[1]:
        yield np.array(carry, dtype=np.float64)


def create_layer_array(group, name: str, shape: tuple, batch: int, *, compress: bool = True):
    """An empty float32 zarr array (n, C, H, T) for a layer written batch by batch: chunks of ``batch`` samples ×
    as many channels as fit in ``CHUNK_BYTES``, so that sample blocks (writing, decoding) and channel blocks (tuning, Gram
    matrices) both read whole chunks."""
    n = shape[0]
    per_channel = 4 * max(1, min(batch, n)) * math.prod(shape[2:])
    channels = max(1, min(shape[1], CHUNK_BYTES // max(1, per_channel))) if len(shape) > 1 else None
    chunks = (max(1, min(batch, n)),) + ((channels,) + tuple(shape[2:]) if channels else ())
    kwargs = {} if compress else {"compressors": None}
    return group.create_array(name, shape=shape, dtype=np.float32, chunks=chunks, **kwargs)


@contextlib.contextmanager
def streamed_layer(batches: Iterator[np.ndarray], n: int, *, directory=None, stream_bytes: int | None = None):
    """The concatenation of ``batches`` (each (b, ...) float32; n samples in all) as one representation: a numpy
    array when it takes at most ``stream_bytes``, else a zarr array in a temporary store under ``directory``
    (deleted on exit), written batch by batch (memory: one batch). Same values either way."""
    import zarr

    iterator = iter(batches)
    first = next(iterator)
    size = 4 * n * math.prod(first.shape[1:])
    if size <= (STREAM_BYTES if stream_bytes is None else stream_bytes):
        yield np.concatenate([first, *iterator]) if n > len(first) else np.asarray(first)
        return
    if directory is not None:
        Path(directory).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".layer_") as tmp:
        root = zarr.open_group(store=str(tmp), mode="w", zarr_format=3)
        array = create_layer_array(root, "layer", (n,) + tuple(first.shape[1:]), len(first), compress=False)
        start = 0
        for values in _chain(first, iterator):
            array[start : start + len(values)] = values
            start += len(values)
        if start != n:
            raise ValueError(f"streamed_layer: {start} samples written, {n} announced")
        yield array


def _chain(first, rest):
    yield first
    yield from rest


# ---- memory of the streamed stages (the cost models of represent.plan use these) -----------------------------------

BASE_MB = 1500
"""Interpreter, numpy, scikit-learn, zarr (and torch for the network jobs), in MB."""


def _read_buffer(n: int, layer_bytes: int, batch: int = 100) -> int:
    """Bytes zarr decodes to read one block: the chunks it touches (at most a chunk per ``batch`` samples), twice."""
    return 2 * min(layer_bytes, -(-n // max(1, batch)) * CHUNK_BYTES)


def _block(layer_bytes: int, one_channel: int) -> int:
    """Bytes of the largest channel block of a layer (at least one channel)."""
    return min(layer_bytes, max(BLOCK_BYTES, one_channel))


def units_peak_bytes(n: int, shapes, kept_fraction: float = 0.9) -> int:
    """Peak bytes, besides the interpreter, of a units job on ``n`` trajectories with layers of ``shapes``
    (C, H, T): the layers held (all up to ``stages.LAYER_CACHE_BYTES``, else the largest in memory when at most
    STREAM_BYTES), the designs of both plane subsets (about 120 float64 per train sample), and the largest of the
    phases: tuning a channel block (the block, its samples twice, the float64 moments of its units), decoding a
    sample block (the block, its samples, their float64 copy, four U × U sums and the solve) and the tSNE Gram
    (n × n float64, four times for the eigendecomposition, and a column chunk)."""
    from neuromotor.represent.stages import LAYER_CACHE_BYTES

    layers = [4 * n * c * h * t for c, h, t in shapes]
    total = sum(layers)
    held = total if total <= LAYER_CACHE_BYTES else max([b for b in layers if b <= STREAM_BYTES] or [0])
    samples = int(n * 320 * kept_fraction)  # (trajectory, kept step) samples of all plane subsets together
    designs = samples * 120 * 8
    phases = [0]
    for (c, h, t), size in zip(shapes, layers):
        block = _block(size, 4 * n * h * t)
        units_in_block = max(h, block // max(1, 4 * n * t))
        tuning = 3 * block + 4 * samples * min(512, units_in_block) * 8 // max(1, 320 // max(t, 1))
        units = c * h
        decoding = 5 * min(size, max(BLOCK_BYTES, 4 * c * h * t)) + 6 * units * units * 8
        phases += [tuning, decoding]
    tsne = 4 * n * n * 8 + 2 * n * 4096 * 8 + min(max(layers or [0]), BLOCK_BYTES)
    return int(held + designs + max(max(phases), tsne) + _read_buffer(n, max(layers or [0])))


def cka_peak_bytes(n: int, n_layers_total: int, largest_layer_floats: int) -> int:
    """Peak bytes of a CKA job: the normalised n × n Gram of every layer of every compared state
    (``n_layers_total`` in all), a channel block and a float64 column chunk of the layer being read, and the
    Gram being accumulated."""
    layer = 4 * n * largest_layer_floats
    block = min(layer, BLOCK_BYTES)
    return int(n_layers_total * n * n * 8 + block + 2 * n * 4096 * 8 + 2 * n * n * 8 + _read_buffer(n, layer))


def network_peak_bytes(n_subset: int, n_rdm: int, floats, batch: int) -> int:
    """Peak bytes of a network job: the subset's and the RDM sample's inputs (as read, in the network's layout), a
    batch's layers (twice: the outputs and their copy into the store), the RDM sample's layer being computed (in
    memory when at most STREAM_BYTES, else streamed through a temporary store: one block), its column chunk and the
    n_rdm × n_rdm Gram, correlation and condensed matrices (10 × n²)."""
    largest = 4 * n_rdm * max(floats)
    layer = largest if largest <= STREAM_BYTES else min(largest, BLOCK_BYTES)
    inputs = 3 * (n_subset + n_rdm) * floats[0] * 4
    return int(inputs + 2 * min(batch, n_subset) * sum(floats) * 4 + 2 * layer + n_rdm * 4096 * 8
               + 10 * n_rdm * n_rdm * 8 + _read_buffer(n_rdm, largest, batch))


def sweep_peak_bytes(n: int, floats, batch: int) -> int:
    """Peak bytes of a sweep job: the inputs, a batch's layers, one layer of each twin (in memory up to
    STREAM_BYTES, else a block of its temporary store) and their two Gram matrices."""
    largest = 4 * n * max(floats)
    layer = largest if largest <= STREAM_BYTES else min(largest, BLOCK_BYTES)
    return int(3 * n * floats[0] * 4 + 2 * min(batch, n) * sum(floats) * 4 + 2 * layer + n * 4096 * 8
               + 4 * n * n * 8 + 2 * _read_buffer(n, largest, batch))
