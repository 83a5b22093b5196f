"""Representational analyses of the PCRT networks (Sandbrink et al. 2023, Figures 4–7).

For every analysed network (task, family, seed, trained or untrained): the activations of every layer on a test
subset with the aligned kinematics, RDMs against the class oracle, linear CKA between twins, tSNE, single-unit tuning
curves, preferred directions and their invariance across planes, population decoding, and the trained-vs-untrained
statistics.

Modules:

- :mod:`neuromotor.represent.activations` — test subset, kinematic panel, forward passes of any module with
  ``layer_outputs``, temporal strides of its layers;
- :mod:`neuromotor.represent.kinematics` — plane subsets and heights, feature sets (velocity, acceleration,
  position, relative position), alignment and trimming of layer time;
- :mod:`neuromotor.represent.tuning` — the four tuning models per feature set fitted to all units at once
  (:class:`~neuromotor.represent.tuning.DesignSet`), the original per-unit loop as reference, label tuning,
  preferred directions, uniformity, invariance;
- :mod:`neuromotor.represent.rdm` / :mod:`~neuromotor.represent.cka` / :mod:`~neuromotor.represent.embedding` /
  :mod:`~neuromotor.represent.decoding` / :mod:`~neuromotor.represent.stats` — RDMs and oracle similarity, linear
  CKA and mean squared CCA, tSNE, ridge decoding, quantiles and paired tests;
- :mod:`neuromotor.represent.plan` — which model states and comparisons a config analyses, paths, resources;
- :mod:`neuromotor.represent.stages`, :mod:`~neuromotor.represent.summary`, :mod:`~neuromotor.represent.figures` —
  the workflow stages (files in, files out);
- :mod:`neuromotor.represent.synthetic` — a small PCRT-like dataset for tests and benchmarks.

Conventions: layer 0 is the network input; a unit is one (row, channel) of a layer with its time series, unit
index ``row · C + channel``; scores are test R² (labels: 2 · (ROC-AUC − 0.5)).
"""
