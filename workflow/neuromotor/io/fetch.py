"""Public input files obtained by the workflow: download with checksum verification, and checks of files present.

A data entry (config section ``data``, one per public file) names where the file goes (``path``), where it is
downloaded from (``url``), its SHA-256 checksum (``sha256``) and the page it is published on (``page``, for people).
The rules of ``rules/data.smk`` call :func:`fetch_entry` for a missing file and :func:`verify_present` for a file
already there.

Guarantees:

- a download is written to a temporary file in the destination's folder, verified (length announced by the server,
  SHA-256), and only then renamed into place; on any failure nothing of it is kept;
- a download needs a configured checksum (a file nobody can verify is never accepted from the network);
- every failure raises :class:`FetchError` with one message that names the file, where to put it by hand, the URL
  and the checksum;
- a file already present is never replaced; with a configured checksum it is verified once and the result is
  remembered in a small cache keyed by (path, size, modification time), so large files are not hashed on every run.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from neuromotor.errors import NeuromotorError

BLOCK_BYTES = 1 << 20
USER_AGENT = "neuromotor-workflow (data fetch)"


class FetchError(NeuromotorError, RuntimeError):
    """A public input file is missing and cannot be downloaded, or its content does not match its checksum."""


@dataclass(frozen=True)
class DataEntry:
    """One public input file of the config section ``data``.

    Attributes:
        name: the entry's key (``data.<name>``), used in messages.
        path: where the file goes (relative to the working directory or absolute).
        url: direct download URL (``http``, ``https`` or ``file``); empty when no download is known.
        sha256: lower-case hex SHA-256 of the file; empty when not known (then downloading is refused).
        page: the page the file is published on, for people (messages, docs); may be empty.
    """

    name: str
    path: str
    url: str = ""
    sha256: str = ""
    page: str = ""

    @classmethod
    def from_config(cls, name: str, entry: Mapping) -> "DataEntry":
        return cls(
            name=name,
            path=str(entry.get("path") or ""),
            url=str(entry.get("url") or ""),
            sha256=str(entry.get("sha256") or "").lower(),
            page=str(entry.get("page") or ""),
        )

    def by_hand(self) -> str:
        """The sentence telling a person how to put the file in place themselves."""
        where = f"put it at {Path(self.path).absolute()} (config key 'data.{self.name}.path')"
        source = self.url or self.page
        if self.url and self.page:
            source = f"{self.url} (published at {self.page})"
        obtain = f"download {source}" if source else f"obtain the file (no URL configured: 'data.{self.name}.url')"
        check = (
            f"its sha256 must be {self.sha256}"
            if self.sha256
            else f"no sha256 is configured ('data.{self.name}.sha256'), so its content cannot be checked"
        )
        return f"{obtain}, {where}; {check}"


def entries(data_cfg: Mapping) -> dict[str, DataEntry]:
    """The entries of the config section ``data`` that name a path, by name."""
    return {
        name: DataEntry.from_config(name, entry)
        for name, entry in data_cfg.items()
        if isinstance(entry, Mapping) and entry.get("path")
    }


def entry_for_path(data_cfg: Mapping, path: str | Path | None) -> DataEntry | None:
    """The entry whose ``path`` is ``path`` (compared after normalisation), or None."""
    if not path:
        return None
    wanted = os.path.normpath(str(path))
    for entry in entries(data_cfg).values():
        if os.path.normpath(entry.path) == wanted:
            return entry
    return None


def fetchable(data_cfg: Mapping, path: str | Path | None) -> bool:
    """Whether ``path`` is missing and an entry with a URL would download it (checks of its content must wait)."""
    entry = entry_for_path(data_cfg, path)
    return entry is not None and bool(entry.url) and not Path(entry.path).exists()


def check_entries(data_cfg: Mapping) -> list[str]:
    """Config problems of the section ``data``: malformed checksums, two entries with the same path."""
    problems = []
    seen: dict[str, str] = {}
    for name, entry in entries(data_cfg).items():
        if entry.sha256 and (len(entry.sha256) != 64 or any(c not in "0123456789abcdef" for c in entry.sha256)):
            problems.append(f"config key 'data.{name}.sha256': {entry.sha256!r} is not a SHA-256 (64 hex digits)")
        if entry.url and urllib.parse.urlparse(entry.url).scheme not in ("http", "https", "file"):
            problems.append(f"config key 'data.{name}.url': {entry.url!r} is not an http, https or file URL")
        key = os.path.normpath(entry.path)
        if key in seen:
            problems.append(f"config keys 'data.{seen[key]}.path' and 'data.{name}.path' both name {entry.path}")
        seen[key] = name
    return problems


# --------------------------------------------------------------------------------------------------------------
# Checksums of files present
# --------------------------------------------------------------------------------------------------------------


def sha256_of(path: str | Path) -> str:
    """Lower-case hex SHA-256 of a file's bytes, read in 1-MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _cache_file(cache_dir: Path, path: Path) -> Path:
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    return cache_dir / f"{key}.json"


def _stamp(path: Path) -> dict:
    info = path.stat()
    return {"path": str(path.resolve()), "size": info.st_size, "mtime_ns": info.st_mtime_ns}


def _cached_sha256(cache_dir: Path | None, path: Path) -> str | None:
    if cache_dir is None:
        return None
    try:
        record = json.loads(_cache_file(cache_dir, path).read_text())
    except (OSError, ValueError):
        return None
    stamp = _stamp(path)
    if all(record.get(key) == value for key, value in stamp.items()):
        return record.get("sha256")
    return None


def remember_sha256(cache_dir: Path | None, path: str | Path, sha256: str) -> None:
    """Record that ``path`` (at its current size and modification time) has ``sha256`` (atomic write)."""
    if cache_dir is None:
        return
    path = Path(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = _cache_file(cache_dir, path)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=f".{target.name}.", suffix=".partial")
    with os.fdopen(handle, "w") as out:
        json.dump({**_stamp(path), "sha256": sha256}, out)
    os.replace(temporary, target)


def verify_present(entry: DataEntry, cache_dir: str | Path | None = None) -> None:
    """Check a file that is already in place against the entry's checksum (nothing to check without one).

    The file is never modified. ``cache_dir`` remembers verified checksums by (path, size, mtime), so an unchanged
    file is hashed once.

    Raises:
        FetchError: the file's SHA-256 differs from the configured one.
    """
    path = Path(entry.path)
    if not entry.sha256 or not path.is_file():
        return
    cache = Path(cache_dir) if cache_dir is not None else None
    actual = _cached_sha256(cache, path)
    if actual is None:
        actual = sha256_of(path)
        remember_sha256(cache, path, actual)
    if actual != entry.sha256:
        raise FetchError(
            f"{path}: sha256 {actual} differs from the configured {entry.sha256} (config key "
            f"'data.{entry.name}.sha256'); the file is damaged or another version. Replace it: "
            + entry.by_hand()
        )


# --------------------------------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------------------------------


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"no connection: {error.reason}"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "the connection timed out"
    return f"{type(error).__name__}: {error}"


def download(url: str, destination: str | Path, sha256: str, *, timeout_s: float = 60.0) -> None:
    """Download ``url`` to ``destination``, keeping it only if it is complete and its SHA-256 is ``sha256``.

    The bytes go to a temporary file in the destination's folder, are hashed while they arrive, and the file is
    renamed into place only after both checks pass (announced ``Content-Length`` received in full, checksum
    equal). On any failure the temporary file is removed and ``destination`` is left as it was.

    Raises:
        FetchError: no connection, an HTTP error, a truncated response, a checksum mismatch.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial")
    try:
        digest = hashlib.sha256()
        received = 0
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(request, timeout=timeout_s) as response:
                    announced = response.headers.get("Content-Length")
                    while True:
                        block = response.read(BLOCK_BYTES)
                        if not block:
                            break
                        out.write(block)
                        digest.update(block)
                        received += len(block)
            except Exception as error:  # http.client.IncompleteRead, URLError, timeouts, resets
                if isinstance(error, http.client.IncompleteRead):
                    raise FetchError(
                        f"truncated response ({received} bytes received before the connection ended)"
                    ) from None
                raise FetchError(_reason(error)) from None
        if announced is not None and announced.isdigit() and received != int(announced):
            raise FetchError(f"truncated response ({received} of the announced {announced} bytes)")
        actual = digest.hexdigest()
        if actual != sha256:
            raise FetchError(f"the downloaded file's sha256 is {actual}, expected {sha256}; it was discarded")
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch_entry(entry: DataEntry, *, timeout_s: float = 60.0, cache_dir: str | Path | None = None) -> str:
    """Make the entry's file present: verify it when it is there, download it otherwise.

    Returns:
        ``"present"`` or ``"downloaded"``.

    Raises:
        FetchError: with one message naming the file, where to put it by hand, the URL and the checksum.
    """
    path = Path(entry.path)
    if path.is_file():
        verify_present(entry, cache_dir)
        return "present"
    if not entry.url:
        raise FetchError(f"{path} is missing and no download URL is configured; " + entry.by_hand())
    if not entry.sha256:
        raise FetchError(
            f"{path} is missing; downloading it needs its checksum, and 'data.{entry.name}.sha256' is not set "
            f"(the workflow never accepts an unverified download). Set it from a trusted copy, or "
            + entry.by_hand()
        )
    try:
        download(entry.url, path, entry.sha256, timeout_s=timeout_s)
    except FetchError as error:
        raise FetchError(
            f"{path} is missing and could not be downloaded from {entry.url}: {error}. By hand: " + entry.by_hand()
        ) from None
    remember_sha256(Path(cache_dir) if cache_dir is not None else None, path, entry.sha256)
    return "downloaded"


# --------------------------------------------------------------------------------------------------------------
# The workflow's public inputs
# --------------------------------------------------------------------------------------------------------------

BUILTIN_ENTRIES = ("uci_characters", "mobl_arms", "pcrt_released_train", "pcrt_released_test", "eeg_drowsiness")
"""The entries the schema declares; further entries are the user's own."""


def paths_in_use(config: Mapping) -> list[str]:
    """The public input files a validated config's plan reads (the values of the keys that name them)."""
    pcrt = config["pcrt"]
    if pcrt.get("source") == "released":
        paths = [pcrt["released"]["train_path"], pcrt["released"]["test_path"]]
    else:
        paths = [pcrt["muscle"]["model_path"], pcrt["startpoints"]["path"]]
        if pcrt["characters"]["source"] == "uci":
            paths.append(pcrt["characters"]["uci_path"])
    eeg = config.get("eeg", {}).get("data", {})
    if eeg.get("source") == "mat":
        paths.append(eeg.get("path"))
    return [str(path) for path in paths if path]


def verify_in_use(config: Mapping, cache_dir: str | Path | None = None) -> None:
    """Check every file present that the plan reads (and every present file of a user's own entry) against its
    configured checksum; missing files are left to the download rules.

    Raises:
        FetchError: the first file whose checksum differs.
    """
    used = {os.path.normpath(path) for path in paths_in_use(config)}
    for name, entry in entries(config["data"]).items():
        if name in BUILTIN_ENTRIES and os.path.normpath(entry.path) not in used:
            continue
        verify_present(entry, cache_dir)
