"""Write subject-count subsets in the original layout (Aeles et al. 2021, Methods):
<out>/Robustness/<Task>/Data_<Task>_Baseline_Day1_P{k}_N{m}_S{n}.mat, for every target k, size N and repetition S.

From an existing condition file (--data), or from the workflow's synthetic stand-in (planted signature regions
included; the same data as `emg_synthetic` writes for --seed and the synthetic settings), e.g.

    python scripts/emg_subsample_files.py --task pedalling --participants 5 --cycles 20 \
        --targets 1 2 --sizes 2 3 5 --repetitions 2 --seed 99 --out data/emg

Then run the robustness stage on them with `emg_signatures.subsample.source: files` (and `subsample.directory`).
"""

from __future__ import annotations

import argparse

import numpy as np

from neuromotor.emg import plan
from neuromotor.emg.subsamples import write_subset_files
from neuromotor.emg.synthetic import SyntheticSettings, condition_data
from neuromotor.io.emg_mat import EmgRecording, load_emg_mat


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=sorted(plan.TASKS), required=True)
    parser.add_argument("--data", help="the task's baseline condition file; default: the synthetic stand-in")
    parser.add_argument("--participants", type=int, default=12, help="synthetic participants (without --data)")
    parser.add_argument("--cycles", type=int, default=30, help="synthetic cycles per participant (without --data)")
    parser.add_argument("--data-seed", type=int, default=2023, help="seed of the synthetic data (the config seed)")
    parser.add_argument("--targets", type=int, nargs="+", help="target participants (default: all)")
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--seed", type=int, required=True, help="seed of the subset draws")
    parser.add_argument("--out", required=True, help="folder that receives Robustness/<Task>/")
    args = parser.parse_args(argv)
    if args.data:
        recording = load_emg_mat(args.data)
    else:
        settings = SyntheticSettings(participants=args.participants, cycles=args.cycles,
                                     day2_participants=min(8, args.participants))
        features, target = condition_data(args.data_seed, plan.TASKS[args.task][1], settings)
        recording = EmgRecording(features, target.astype(np.uint8))
    targets = args.targets or recording.participants.tolist()
    items = plan.subsample_items(targets, args.sizes, args.repetitions)
    paths = write_subset_files(recording, args.task, items, args.out, args.seed)
    print(f"{len(paths)} subset files under {args.out}/Robustness")


if __name__ == "__main__":
    main()
