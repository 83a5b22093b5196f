"""Download one public input file named by a `data` entry, or fail with one message saying how to put it in place
by hand. Thin entry point; see neuromotor.io.fetch."""

import logging
import sys

from neuromotor.io.fetch import DataEntry, FetchError, fetch_entry
from neuromotor.logs import log_to

log_to(snakemake.log[0])
entry = DataEntry.from_config(snakemake.params.name, snakemake.params.entry)
try:
    outcome = fetch_entry(entry, timeout_s=snakemake.params.timeout_s, cache_dir=snakemake.params.cache)
except FetchError as error:
    logging.getLogger("neuromotor.data").error("%s", error)
    sys.exit(1)
logging.getLogger("neuromotor.data").info("%s: %s (sha256 %s)", entry.path, outcome, entry.sha256 or "not configured")
