# Public input files (docs/data.md): a missing file that a `data` entry names is downloaded and verified by a job;
# a file already there is used as it is, checked against its sha256 once (the result is remembered by size and
# modification time).
import os

from neuromotor.io import fetch as data_fetch

DATA = config["data"]
DATA_ENTRIES = data_fetch.entries(DATA)
DATA_CHECKSUMS = ".snakemake/neuromotor/checksums"
if workflow.is_main_process:  # files present are checked once per invocation (hashed once per file version)
    try:
        data_fetch.verify_in_use(config, DATA_CHECKSUMS)
    except data_fetch.FetchError as error:
        raise WorkflowError(str(error)) from None


# One download rule per entry whose file is missing (a file present is a plain source file: no rule, no rerun)
for _name, _entry in DATA_ENTRIES.items():
    if os.path.exists(_entry.path):
        continue

    rule:
        name:
            f"data_{_name}"
        output:
            _entry.path,
        log:
            f"logs/data/{_name}.log",
        localrule: True
        conda:
            "../envs/neuromotor.yaml"
        threads: 1
        resources:
            mem_mb=lambda wc, attempt: 500 * attempt,
            runtime=lambda wc, attempt: 240 * attempt,
        params:
            name=_name,
            entry=DATA[_name],
            timeout_s=DATA["timeout_s"],
            cache=DATA_CHECKSUMS,
        script:
            "../scripts/data_fetch.py"
