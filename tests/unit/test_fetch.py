"""Downloads of public input files (neuromotor.io.fetch) from a local HTTP server on 127.0.0.1: a good file, a file
whose checksum differs, a truncated response, a refused connection (offline), files already present."""

from __future__ import annotations

import hashlib
import os

import pytest

from neuromotor.io.fetch import (
    DataEntry,
    FetchError,
    check_entries,
    entry_for_path,
    fetch_entry,
    fetchable,
    verify_present,
)
from tests.released import FileServer, refused_url

GOOD = b"neuromotor public file\n" * 5000
OTHER = b"another version of the file\n" * 4000
GOOD_SHA = hashlib.sha256(GOOD).hexdigest()


@pytest.fixture(scope="module")
def server():
    routes = {"/good.bin": GOOD, "/other.bin": OTHER, "/truncated.bin": ("truncated", GOOD[: len(GOOD) // 2])}
    with FileServer(routes) as running:
        yield running


def entry(tmp_path, url="", sha256=GOOD_SHA, page="https://example.org/record"):
    return DataEntry(name="thing", path=str(tmp_path / "sub" / "thing.bin"), url=url, sha256=sha256, page=page)


def leftovers(tmp_path):
    folder = tmp_path / "sub"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_download_is_verified_and_renamed_into_place(tmp_path, server):
    wanted = entry(tmp_path, server.url("/good.bin"))
    assert fetch_entry(wanted, cache_dir=tmp_path / "cache") == "downloaded"
    assert (tmp_path / "sub" / "thing.bin").read_bytes() == GOOD
    assert leftovers(tmp_path) == ["thing.bin"]  # no temporary file left
    assert len(list((tmp_path / "cache").iterdir())) == 1  # the checksum is remembered


@pytest.mark.parametrize(
    "route, problem",
    [("/other.bin", "sha256 is"), ("/truncated.bin", "truncated response"), ("/absent.bin", "HTTP 404")],
)
def test_bad_download_is_rejected_and_nothing_is_kept(tmp_path, server, route, problem):
    wanted = entry(tmp_path, server.url(route))
    with pytest.raises(FetchError) as error:
        fetch_entry(wanted)
    message = str(error.value)
    assert problem in message
    for part in (str((tmp_path / "sub" / "thing.bin").absolute()), server.url(route), GOOD_SHA, "data.thing.path"):
        assert part in message
    assert leftovers(tmp_path) == []


def test_offline_gives_one_message_with_file_place_url_and_checksum(tmp_path):
    url = refused_url("/thing.bin")
    wanted = entry(tmp_path, url)
    with pytest.raises(FetchError) as error:
        fetch_entry(wanted, timeout_s=5)
    message = str(error.value)
    assert "no connection" in message
    assert message.count(url) >= 1 and GOOD_SHA in message and "https://example.org/record" in message
    assert f"put it at {(tmp_path / 'sub' / 'thing.bin').absolute()}" in message
    assert leftovers(tmp_path) == []


def test_file_present_is_used_without_a_request(tmp_path, server):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "thing.bin").write_bytes(GOOD)
    before = len(server.requests)
    assert fetch_entry(entry(tmp_path, server.url("/good.bin"))) == "present"
    assert len(server.requests) == before


def test_file_present_with_another_checksum_fails_and_is_left_alone(tmp_path, server):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "thing.bin").write_bytes(OTHER)
    with pytest.raises(FetchError, match="differs from the configured") as error:
        fetch_entry(entry(tmp_path, server.url("/good.bin")))
    assert "data.thing.sha256" in str(error.value)
    assert (tmp_path / "sub" / "thing.bin").read_bytes() == OTHER


def test_present_file_without_a_checksum_is_used_as_it_is(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "thing.bin").write_bytes(OTHER)
    assert fetch_entry(entry(tmp_path, sha256="")) == "present"


def test_no_download_without_a_checksum(tmp_path, server):
    before = len(server.requests)
    with pytest.raises(FetchError, match="'data.thing.sha256' is not set"):
        fetch_entry(entry(tmp_path, server.url("/good.bin"), sha256=""))
    assert len(server.requests) == before and leftovers(tmp_path) == []


def test_no_url_names_the_publishing_page(tmp_path):
    with pytest.raises(FetchError, match="no download URL is configured") as error:
        fetch_entry(entry(tmp_path))
    assert "download https://example.org/record" in str(error.value) and GOOD_SHA in str(error.value)


def test_checksum_cache_is_keyed_by_size_and_mtime(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "thing.bin"
    path.write_bytes(GOOD)
    cache = tmp_path / "cache"
    verify_present(entry(tmp_path), cache)  # hashed and remembered
    path.write_bytes(GOOD[:-1] + b"?")  # same size, new content and modification time
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    with pytest.raises(FetchError, match="differs"):
        verify_present(entry(tmp_path), cache)


def test_entries_and_config_checks(tmp_path):
    data = {
        "a": {"path": "x/file.mat", "url": "https://example.org/f", "sha256": ""},
        "b": {"path": "./x/file.mat", "url": "ftp://example.org/f", "sha256": ""},
        "timeout_s": 60,
    }
    problems = check_entries(data)
    assert any("'data.b.url'" in p for p in problems)
    assert any("'data.a.path' and 'data.b.path'" in p for p in problems)
    assert entry_for_path(data, "x/./file.mat").name == "a"
    assert entry_for_path(data, "y.mat") is None
    assert fetchable(data, "x/file.mat")  # missing, with a URL
    assert not fetchable(data, "y.mat")
