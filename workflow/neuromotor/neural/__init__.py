"""Prediction of recorded neurons from the networks' layers: the DeepDraw successor's neural-data analysis
(Marin Vargas et al. 2024, Cell).

Modules: :mod:`~neuromotor.neural.session` (the successor's aligned session files, read and written),
:mod:`~neuromotor.neural.synthetic` (a session with planted tuning), :mod:`~neuromotor.neural.resample` (10-ms bins
and network steps), :mod:`~neuromotor.neural.features` (layer and baseline regressors), :mod:`~neuromotor.neural.predict`
(PCA, ridge, cross-validation over trials), :mod:`~neuromotor.neural.findings` (the published findings' values),
:mod:`~neuromotor.neural.figures`, :mod:`~neuromotor.neural.plan` (jobs, paths, costs) and
:mod:`~neuromotor.neural.stages` (the only module the scripts import).
"""
