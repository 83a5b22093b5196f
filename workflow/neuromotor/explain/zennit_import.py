"""The one place that imports zennit.

zennit 0.5 imports ``zennit.torchvision`` (canonizers for torchvision's ResNet and VGG) from its package
``__init__``, and that module imports torchvision. Where the only installable torchvision wheel was built against a
different torch (e.g. a CUDA torchvision next to a CPU torch, whose import fails with ``operator torchvision::nms
does not exist``), the whole of zennit fails to import although nothing this project uses needs torchvision: our
models are plain Conv/Linear/BatchNorm stacks, canonized with zennit's generic ``SequentialMergeBatchNorm``.

:func:`load_zennit` imports zennit normally. Only when torchvision itself cannot be loaded does it register an
explicit placeholder for ``zennit.torchvision`` first: any attribute of the placeholder raises an ImportError that
carries the original torchvision error, so the missing canonizers can never be used by accident.
"""

from __future__ import annotations

import importlib
import sys
import types

TORCHVISION_CANONIZERS = "zennit.torchvision"


class _UnavailableModule(types.ModuleType):
    """A module whose every attribute lookup raises the ImportError that made it unavailable."""

    def __init__(self, name: str, reason: str):
        super().__init__(name, f"{name} is unavailable: {reason}")
        self.__reason = reason

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise ImportError(
            f"{self.__name__}.{attribute} needs torchvision, which cannot be loaded here ({self.__reason}); "
            "install a torchvision build matching the installed torch to use zennit's torchvision canonizers"
        )


def torchvision_error() -> str | None:
    """Why torchvision cannot be imported (its exception as text), or None when it imports."""
    try:
        importlib.import_module("torchvision")
    except Exception as error:  # a broken binary build raises RuntimeError, an absent one ImportError
        return f"{type(error).__name__}: {error}"
    return None


def load_zennit() -> types.ModuleType:
    """Import and return the ``zennit`` package, working around an unloadable torchvision (module docstring)."""
    if "zennit" in sys.modules:
        return sys.modules["zennit"]
    reason = torchvision_error()
    if reason is not None:
        sys.modules.setdefault(TORCHVISION_CANONIZERS, _UnavailableModule(TORCHVISION_CANONIZERS, reason))
    zennit = importlib.import_module("zennit")
    for submodule in ("attribution", "canonizers", "composites", "core", "rules", "types"):
        importlib.import_module(f"zennit.{submodule}")
    return zennit
