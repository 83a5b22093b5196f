"""neuromotor: the library behind the neuromotor Snakemake workflow.

Subpackages hold the science (``pcrt``, ...), ``io`` the storage and the loaders of the original data formats.
Nothing here knows about Snakemake: rules call these functions through thin scripts.
"""

__version__ = "0.1.0"
