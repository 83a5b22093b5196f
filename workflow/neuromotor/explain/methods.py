"""Names of the attribution methods of the EEG study (Cui et al. 2023, Methods), importable without torch."""

METHODS = (
    "saliency",
    "gradient_x_input",
    "deeplift",
    "integrated_gradients",
    "epsilon_lrp",
    "deconvolution",
    "guided_backprop",
    "random",
)
"""Method names of the config (``eeg.attribution.methods``): the seven methods of Cui et al. 2023, then the random
control."""

ORIGINAL_NAMES = {
    "saliency": "Saliencymap",
    "gradient_x_input": "GradxInput",
    "deeplift": "DeepLIFT",
    "integrated_gradients": "IntegratedGrad",
    "epsilon_lrp": "EpsilonLRP",
    "deconvolution": "deconvolution",
    "guided_backprop": "guidedbackpropogation",
    "random": "random",
}
"""The method names of the original code."""

LABELS = {
    "saliency": "Saliency",
    "gradient_x_input": "Grad × Input",
    "deeplift": "DeepLIFT",
    "integrated_gradients": "Integrated gradients",
    "epsilon_lrp": "ε-LRP",
    "deconvolution": "Deconvolution",
    "guided_backprop": "Guided backprop",
    "random": "Random (control)",
}
"""Names for figures."""
