import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_directory, read_arrays, write_arrays


def test_round_trip_with_strings_and_attrs(tmp_path):
    path = tmp_path / "a.zarr"
    write_arrays(
        path,
        {"": {"x": np.arange(6.0).reshape(2, 3)}, "train": {"plane": np.array(["vertical", "horizontal", "vertical"])}},
        attrs={"seed": 3},
        array_attrs={"x": {"units": "cm"}},
        chunk=1,
    )
    assert read_arrays(path)["x"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert read_arrays(path, "train")["plane"].tolist() == ["vertical", "horizontal", "vertical"]


def test_missing_store_group_and_array_fail_clearly(tmp_path):
    with pytest.raises(DataFormatError, match="not found"):
        read_arrays(tmp_path / "none.zarr")
    write_arrays(tmp_path / "b.zarr", {"": {"x": np.zeros(2)}})
    with pytest.raises(DataFormatError, match="missing group 'test'"):
        read_arrays(tmp_path / "b.zarr", "test")
    with pytest.raises(DataFormatError, match=r"lacks arrays \['y'\]"):
        read_arrays(tmp_path / "b.zarr", names=["y"])


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "c.zarr"
    with pytest.raises(RuntimeError):
        with atomic_directory(path) as tmp:
            (tmp / "half").write_text("x")
            raise RuntimeError("boom")
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_killed_writer_leaves_no_output(tmp_path):
    path = tmp_path / "d.zarr"
    code = (
        "import os, signal, numpy as np\n"
        "from neuromotor.io.store import atomic_directory\n"
        f"with atomic_directory({str(path)!r}) as tmp:\n"
        "    (tmp / 'part').write_text('x')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code])
    assert result.returncode == -signal.SIGKILL
    assert not path.exists()
