"""Pairwise linear SVM analysis of the PCRT inputs (Sandbrink et al. 2023, Figures 3B and 3C).

For each input (end-effector, joints, muscle lengths, spindle inputs), each data variant (full variability and the
subsets with one latent variable suppressed) and each pair of labels ``i < j``: a linear SVM with the objective of
``sklearn.svm.LinearSVC(loss='hinge', dual=True)`` is fitted on the first 90 % of the pair's training samples (file
order) for every C of the grid, C* is chosen on the last 10 %, and the classifier with C* is tested on the test split;
multiclass accuracy comes from one-vs-one voting.

Modules:

- :mod:`neuromotor.svm.solver` — the exact dual solver (all C of the grid along a warm-started path) and the
  literal original procedure (a loop of LinearSVC fits);
- :mod:`neuromotor.svm.data` — inputs, pairs, data variants (subsets), the fit/validation split, feature stores;
- :mod:`neuromotor.svm.vote` — one-vs-one voting with a per-sample confidence tie-break (docs/decisions.md);
- :mod:`neuromotor.svm.stages` — the workflow stages: feature stores, one job's pairs, evaluation and tables.

Conventions: labels ``i < j``; a decision value ``f_ij(x) > 0`` means the larger label ``j``; features are the
C-order flatten of (channels, time) with no scaling or centring.
"""
