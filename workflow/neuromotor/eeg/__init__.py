"""Interpreting EEG drowsiness classifiers (Cui et al. 2023).

Leave-one-subject-out InterpretableCNN and EEGNet models (:mod:`~neuromotor.eeg.models`, :mod:`~neuromotor.eeg.train`)
on the original ``dataset.mat`` or its synthetic stand-in (:mod:`~neuromotor.eeg.synthetic`), BatchNorm frozen for
attribution (:mod:`~neuromotor.eeg.batchnorm`), seven attribution methods and the faithfulness tests
(:mod:`neuromotor.explain.attribution`, :mod:`neuromotor.explain.perturbation`), the workflow stages
(:mod:`~neuromotor.eeg.stages`, :mod:`~neuromotor.eeg.report`) and the job plan (:mod:`~neuromotor.eeg.plan`).
"""
