"""Benchmark: building dataset.zarr from files in the released layout (neuromotor.pcrt.released), all rows and a
label subset (non-contiguous rows), with the projected time for the released 160,000 + 40,000 samples.

Usage: python tests/bench/bench_released_dataset.py [--n 2000] [--folder /tmp/bench_released]
The files written are about 0.2 MB per sample (float64, like the originals); they are removed afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflow"))

from neuromotor.pcrt.released import write_released_dataset  # noqa: E402
from tests.released import WINDOW, write_released_pair  # noqa: E402

AUGMENTATION = {"size": [0.7, 1.0, 1.3], "speed": [0.8, 1.0, 1.2, 1.4]}
FULL = 200_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="samples per file (train and test each)")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/bench_released"))
    args = parser.parse_args()
    shutil.rmtree(args.folder, ignore_errors=True)
    labels = list(range(1, 21))
    start = time.perf_counter()
    files = write_released_pair(args.folder / "files", args.n, args.n, labels=labels)
    size_gb = sum(path.stat().st_size for path in files.values()) / 1e9
    print(f"wrote 2 x {args.n} samples ({size_gb:.2f} GB) in {time.perf_counter() - start:.1f} s")
    try:
        for name, keep in (("all 20 labels (contiguous rows)", labels), ("labels 1, 11 (scattered rows)", [1, 11])):
            n = args.n if len(keep) == 20 else args.n // 10
            out = args.folder / "dataset.zarr"
            start = time.perf_counter()
            write_released_dataset(
                files["train"], files["test"], out, labels=keep, planes=["horizontal", "vertical"], n_train=n,
                n_test=n, window=WINDOW, augmentation=AUGMENTATION,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            per_sample_ms = 1000 * seconds / (2 * n)
            print(
                f"{name}: {2 * n} samples in {seconds:.1f} s = {per_sample_ms:.2f} ms/sample; "
                f"projected for {FULL:,} samples: {FULL * per_sample_ms / 60000:.1f} min"
            )
            shutil.rmtree(out)
    finally:
        shutil.rmtree(args.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
