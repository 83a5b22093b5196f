"""The MoBL-ARMS muscle benchmark's bookkeeping: paper-scale projection, CPU timing, held-out trajectory file."""

import time

import numpy as np
import pytest

from tests.bench.bench_mobl_muscles import PAPER_ITEMS, core_hours, load_or_generate, paper_steps, timed_interleaved


def test_paper_steps_scale_items_by_the_measured_evaluations_and_steps():
    assert PAPER_ITEMS == 429_000
    # 78 evaluations for 80 items, 9,050 steps on 78 trajectories: the figures of the seed-5 held-out set
    assert paper_steps(80, 78, 9050, 78) == pytest.approx(429_000 * 0.975 * 9050 / 78)
    # timing a subset changes only the steps per evaluation
    assert paper_steps(80, 78, 2900, 24) == pytest.approx(429_000 * 0.975 * 2900 / 24)


def test_core_hours_are_steps_times_cpu_per_step_plus_the_build():
    assert core_hours(3.6, 1000, 1e6) == pytest.approx(1.0)  # 3.6 ms per step x 1 M steps = 1 h
    assert core_hours(3.6, 1000, 1e6, 0.25) == pytest.approx(1.25)


def test_interleaved_timing_returns_each_methods_outputs_and_counts_only_its_own_cpu():
    def busy(q):  # burns CPU for about 20 ms
        end = time.process_time() + 0.02
        while time.process_time() < end:
            pass
        return q * 2.0

    trajectories = [np.ones((3, 4)), np.zeros((2, 4))]
    outputs, cpu, wall = timed_interleaved(trajectories, {"busy": busy, "idle": lambda q: q + 1.0})
    np.testing.assert_array_equal(outputs["busy"], np.concatenate(trajectories) * 2.0)
    assert outputs["idle"].shape == (5, 4)
    assert cpu["busy"] >= 0.04 and cpu["idle"] < 0.02
    assert wall["busy"] >= cpu["busy"] * 0.5  # wall clock also advances (not asserted tighter: a loaded machine)


def test_held_out_trajectories_are_read_back_and_a_file_of_another_seed_is_refused(tmp_path):
    path = tmp_path / "held_out.npz"
    qs = [np.full((5, 4), 1.0), np.full((7, 4), 2.0)]
    np.savez(path, items=3, seed=5, per_letter=2, n_trajectories=2, trajectory0=qs[0], trajectory1=qs[1])
    read, items = load_or_generate(str(path), None, per_letter=2, seed=5)  # no method needed: nothing generated
    assert items == 3 and [q.shape for q in read] == [(5, 4), (7, 4)]
    np.testing.assert_array_equal(read[1], qs[1])
    with pytest.raises(SystemExit, match="seed 5"):
        load_or_generate(str(path), None, per_letter=2, seed=2)
