"""Figures for the workflow's report: pure functions, arrays in, one PNG out.

Every plotting function takes arrays (with the shapes and units stated in its docstring), checks them at the top
(raising :class:`ValueError` that names the function, the argument, the expected and the actual shape), draws on a
:class:`matplotlib.figure.Figure` with its own Agg canvas (never pyplot, so no global state is touched and nothing
survives a call) and writes one PNG through :func:`save_figure` (atomically, at :data:`DPI`). Nothing is returned.

Modules: :mod:`neuromotor.plots.pcrt` (PCRT dataset figures).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, MutableMapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 120
"""Resolution of every report figure (dots per inch)."""


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on its own Agg canvas (detached from pyplot and its backend setting), with constrained layout."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, out_png: str | Path, dpi: int = DPI) -> None:
    """Write ``fig`` as PNG to ``out_png`` (parent folders created), via a temporary file renamed into place."""
    from neuromotor.io.store import atomic_file

    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)


def _format_spec(spec: Sequence[int | str]) -> str:
    inner = ", ".join(str(s) for s in spec)
    return f"({inner},)" if len(spec) == 1 else f"({inner})"


def check_shape(
    where: str,
    name: str,
    values,
    spec: Sequence[int | str],
    dims: MutableMapping[str, tuple[int, str]],
) -> np.ndarray:
    """Return ``values`` as an array after checking its shape against ``spec``.

    ``spec`` holds one entry per axis: an int (that exact size) or a letter (any size, but the same wherever that
    letter appears; ``dims`` records the first size seen per letter and the argument it came from).
    Raises ``ValueError("<where>: <name> must have shape (3, W) ..., got (...)")``.
    """
    array = np.asarray(values)
    expected = _format_spec(spec)
    if array.ndim != len(spec):
        raise ValueError(f"{where}: {name} must have shape {expected}, got shape {array.shape}")
    for axis, (size, want) in enumerate(zip(array.shape, spec)):
        if isinstance(want, str):
            if want in dims and dims[want][0] != size:
                bound, source = dims[want]
                raise ValueError(
                    f"{where}: {name} must have shape {expected} with {want} = {bound} (from {source}), "
                    f"got shape {array.shape}"
                )
            dims.setdefault(want, (size, name))
        elif size != want:
            raise ValueError(f"{where}: {name} must have shape {expected}, got shape {array.shape} (axis {axis})")
    return array


def check_keys(where: str, name: str, mapping: Mapping, required: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the missing keys when ``mapping`` lacks any of ``required``."""
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: {name} must be a mapping, got {type(mapping).__name__}")
    missing = [key for key in required if key not in mapping]
    if missing:
        raise ValueError(f"{where}: {name} lacks the keys {missing}; has {sorted(map(str, mapping))}")
