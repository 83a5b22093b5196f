"""Convolutional and recurrent networks on the PCRT (Sandbrink et al. 2023): action recognition
(ART, 20 letters) and trajectory decoding (TDT, hand position [+ velocity]) from muscle-spindle inputs.

Modules:

- :mod:`neuromotor.convnets.architecture` — configurations and names of the S, T-S, ST and LSTM families (no torch);
- :mod:`neuromotor.convnets.models` — the networks (TF-SAME conv blocks with layer norm, heads), building and
  loading them (``build_network``, ``load_network``), ``layer_outputs`` for the representational analyses;
- :mod:`neuromotor.convnets.data` — inputs and targets from ``results/pcrt/dataset.zarr``, read once into memory;
- :mod:`neuromotor.convnets.train` — the original ``Trainer``'s recipe (Adam, best-validation checkpoint, optional
  plateau schedule) on tensors in memory;
- :mod:`neuromotor.convnets.plan` — the search sampler, the jobs, paths and resource estimates of the workflow;
- :mod:`neuromotor.convnets.stages` — one function per workflow job (train a model, tables, untrained controls,
  figures).
"""
