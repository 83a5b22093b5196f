"""Explanations of trained models: LRP composites, attribution methods, perturbation and deletion tests, robustness.

zennit is always imported through :func:`neuromotor.explain.zennit_import.load_zennit` (see there why).
"""
