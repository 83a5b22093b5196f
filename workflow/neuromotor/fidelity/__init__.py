"""This run against the published numbers: the reference table, agreement rules and verdicts (docs/fidelity.md).

Modules: :mod:`rules` (published values, agreement rules, comparability), :mod:`reference` (the reference table,
validated), :mod:`compare` (verdicts), :mod:`extract` (run values per study), :mod:`stages` (the vs_paper stage).
"""
