"""The names of the LRP rule configurations and class targets of the EMG study (Aeles et al. 2021, Methods), without
torch or zennit, so that planning (neuromotor.emg.plan) can count the relevance maps. The rules themselves are in
:mod:`neuromotor.explain.lrp`."""

DENSE_RULES = ("epsilon", "epsilon_zb")
"""The configurations of a model without convolutions."""
CONV_RULES = (
    "epsilon", "epsilon_zb", "epsilon_flat", "composite_alpha2", "composite_alpha2_flat", "composite_alpha2_zB",
    "composite_alpha1", "composite_alpha1_flat", "composite_alpha1_zB",
)  # fmt: skip
"""The configurations of a model with convolutions."""
TARGETS = ("act", "dom")
"""The explained class: ``act`` the true one, ``dom`` the predicted one."""
