"""Small files in the layout of DeepDraw's released pcr_dataset_{train,test}.hdf5 (docs/data.md), and a local
HTTP server to publish files from (shared by the unit and workflow tests; nothing here touches the internet)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from neuromotor.io.deepdraw_hdf5 import write_pcr_dataset_hdf5

WINDOW = 320
SIZES = (0.7, 1.0, 1.3)
SPEEDS = (0.8, 1.0, 1.2, 1.4)
ANGLES = (-np.pi / 6, -np.pi / 12, 0.0, np.pi / 12, np.pi / 6)


def released_arrays(n: int, labels, seed: int, window: int = WINDOW, noise: bool = False) -> dict[str, np.ndarray]:
    """``n`` samples in the released layout: labels cycling through ``labels``, both planes, latents drawn from the
    original choices, hold-padded trajectories whose muscle lengths depend on the label (a planted effect)."""
    rng = np.random.default_rng(seed)
    label = np.resize(np.asarray(labels, dtype=float), n)
    start = rng.integers(0, window // 4, n)
    end = start + rng.integers(window // 4, window // 2, n)
    t = np.arange(window) / window
    muscles = 100 + 5 * np.sin(2 * np.pi * label[:, None, None] * t / 10 + np.arange(25)[None, :, None])
    muscles = muscles + 0.1 * rng.standard_normal((n, 25, window))
    arrays = {
        "endeffector_coords": rng.standard_normal((n, 3, window)),
        "joint_coords": rng.uniform(0, 90, (n, 4, window)),
        "muscle_coords": muscles,
        "spindle_firing": rng.standard_normal((n, 25, window)),
        "spindle_info": np.stack([muscles, np.gradient(muscles, 0.015, axis=-1)], axis=-1),
        "label": label,
        "plane": np.array(["horizontal", "vertical"])[np.arange(n) % 2],
        "startpt": rng.uniform(-30, 30, (n, 3)),
        "size": rng.choice(SIZES, n),
        "rot": rng.choice(ANGLES, n),
        "shear_x": rng.choice(ANGLES, n),
        "shear_y": rng.choice(ANGLES, n),
        "speed": rng.choice(SPEEDS, n),
        "start_id": start.astype(float),
        "end_id": end.astype(float),
    }
    if noise:
        arrays["noise"] = rng.choice((0.0, 0.1, 0.3), n)
    return arrays


def write_released_pair(folder: Path, n_train: int, n_test: int, labels, seed: int = 0) -> dict[str, Path]:
    """``pcr_dataset_train.hdf5`` and ``pcr_dataset_test.hdf5`` in ``folder``, written by the project's writer."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, n, offset in (("train", n_train, 0), ("test", n_test, 1)):
        paths[split] = folder / f"pcr_dataset_{split}.hdf5"
        write_pcr_dataset_hdf5(paths[split], released_arrays(n, labels, seed + offset))
    return paths


class FileServer:
    """An HTTP server on 127.0.0.1 (a thread) publishing ``routes``: path -> bytes, or ("truncated", bytes) for a
    response announcing more bytes than it sends. Unknown paths answer 404. ``requests`` lists the paths asked."""

    def __init__(self, routes: dict):
        self.routes = dict(routes)
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404, "not found")
                    return
                announced = None
                if isinstance(body, tuple):
                    _, body = body
                    announced = len(body) + 1000
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(announced or len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                if announced:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> "FileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def refused_url(path: str = "/file") -> str:
    """A URL on 127.0.0.1 where nothing listens (the connection is refused, as when offline)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
