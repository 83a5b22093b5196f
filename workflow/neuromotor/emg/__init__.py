"""EMG person identification, LRP relevance and individual muscle-activation signatures (Aeles et al. 2021).

Modules: :mod:`~neuromotor.emg.synthetic` (stand-in files with planted signatures),
:mod:`~neuromotor.emg.catalogue` and :mod:`~neuromotor.emg.models` (the 31 models), :mod:`~neuromotor.emg.folds`
(CV and transfer splits), :mod:`~neuromotor.emg.train` (SVM fits and the three-phase SGD schedule),
:mod:`~neuromotor.emg.signatures` (normalisation, signature extraction), :mod:`~neuromotor.emg.subsamples`
(subject-count subsets), :mod:`~neuromotor.emg.robustness` (Fisher-z statistics), :mod:`~neuromotor.emg.plan`
(conditions, experiments, jobs), :mod:`~neuromotor.emg.runs` (the workflow's fitting and explaining steps) and
:mod:`~neuromotor.emg.stages` (its light steps). LRP itself is :mod:`neuromotor.explain.lrp`.
"""
