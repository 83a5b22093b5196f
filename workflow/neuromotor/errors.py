"""Exceptions raised on bad input. Every message names the file or config key and what was expected."""


class NeuromotorError(Exception):
    """Base class of all errors raised on bad input."""


class ConfigError(NeuromotorError, ValueError):
    """A config value is missing or invalid."""


class DataFormatError(NeuromotorError, ValueError):
    """An input file is missing, truncated, or not in the expected layout."""


class ModelFileError(NeuromotorError, ValueError):
    """An OpenSim model file is missing, invalid, or lacks a required coordinate or muscle."""


class ValidationFailed(NeuromotorError, RuntimeError):
    """A computed artefact failed its validation criteria (e.g. the muscle surrogate)."""
