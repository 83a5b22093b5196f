"""The PCRT cost model (neuromotor.pcrt.plan) against measured Snakemake benchmark files of real runs at two scales
(tests/fixtures/pcrt_benchmarks.tsv: the default demo config and the tiny test config), and its requests."""

import csv
from collections import defaultdict

import pytest

from neuromotor.costs import MAX_MEM_MB, MAX_RUNTIME_MIN, memory_request_mb, runtime_request_min
from neuromotor.pcrt import plan
from tests.runner import PROJECT_ROOT

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "pcrt_benchmarks.tsv"


def measured():
    """{(scale, rule): rows} of the fixture."""
    lines = [line for line in FIXTURE.read_text().splitlines() if not line.startswith("#")]
    groups = defaultdict(list)
    for row in csv.DictReader(lines, delimiter="\t"):
        groups[row["scale"], row["rule"]].append(row)
    return groups


def test_fixture_holds_two_scales_of_both_rules():
    assert set(measured()) == {(s, r) for s in ("demo", "tiny") for r in ("pcrt_generate", "pcrt_dataset")}


@pytest.mark.parametrize("scale", ["demo", "tiny"])
def test_generation_time_within_a_factor_of_two(scale):
    """The model's seconds against the longest measured shard (what a request must cover)."""
    rows = measured()[scale, "pcrt_generate"]
    longest = max(float(row["s"]) for row in rows)
    expected = plan.generate_seconds(int(rows[0]["items_per_shard"]), "surrogate")
    assert 0.5 <= expected / longest <= 2.0, (scale, expected, longest)


@pytest.mark.parametrize("scale", ["demo", "tiny"])
def test_dataset_memory_within_a_factor_of_two(scale):
    (row,) = measured()[scale, "pcrt_dataset"]
    expected = plan.dataset_peak_mb(int(row["n_train"]))
    assert 0.5 <= expected / float(row["max_rss"]) <= 2.0, (scale, expected, row["max_rss"])


def test_dataset_memory_at_the_paper_scale():
    """Issue 15 measured a 9.1 GB peak at n_train = 160,000; the request keeps >= 30 % headroom and stays < 16 GB."""
    assert 0.5 <= plan.dataset_peak_mb(160_000) / 9100 <= 2.0
    assert 1.3 * 9100 <= plan.dataset_mem_mb(160_000) <= 16_000
    assert plan.dataset_mem_mb(160_000, attempt=2) == 2 * plan.dataset_mem_mb(160_000)


def test_generation_request_grows_with_items_and_attempt():
    pcrt = {"characters": {"samples_per_letter": 143}, "generation": {"repeats": 75, "shards": 15},
            "muscle": {"backend": "surrogate"}}
    one = plan.generate_runtime_min(pcrt)
    assert one == runtime_request_min(plan.generate_seconds(715, "surrogate"))
    assert plan.generate_runtime_min(pcrt, attempt=2) == 2 * one
    pcrt["muscle"]["backend"] = "opensim"
    assert plan.generate_runtime_min(pcrt) > one
    with pytest.raises(ValueError, match="shards"):
        plan.items_per_shard(143, 75, 0)


def test_requests_have_headroom_floor_and_cluster_caps():
    assert runtime_request_min(60) == 10  # floor
    assert runtime_request_min(3600) == 120  # 2x headroom
    assert runtime_request_min(3600, attempt=3) == 360
    assert runtime_request_min(1e9) == MAX_RUNTIME_MIN
    assert memory_request_mb(1000) == 1400 and memory_request_mb(1e7) == MAX_MEM_MB
    with pytest.raises(ValueError):
        runtime_request_min(-1)
