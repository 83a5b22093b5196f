"""Storage (zarr v3 with atomic writes) and loaders of the original data formats."""
