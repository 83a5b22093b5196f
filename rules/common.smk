# What all the rules/*.smk files share (no rules here): the validated config, the seed and the PCRT section (its
# dataset feeds the SVM, convnets and representations stages). Each study's planning lives in
# neuromotor/<study>/plan.py, bound to this run's config by rules/plan/<study>.smk (included by rules/<study>.smk).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from neuromotor.config import checked_config, layer_configs
from neuromotor.errors import ConfigError


def _layered_config():
    """The user's config over the Snakefile's demo config, without the demo's data-layout keys of a study the
    user points at real files (neuromotor.config.layer_configs)."""
    from snakemake.common.configfile import load_configfile

    settings = workflow.config_settings
    if not settings.overwrite_config or settings.replace_workflow_config:
        return config
    cli = {str(Path(f)) for f in workflow.overwrite_configfiles}
    demo = {}
    for path in workflow.configfiles:
        if str(Path(path)) not in cli:
            demo = layer_configs(demo, load_configfile(path))
    return layer_configs(demo, settings.overwrite_config)


try:  # the schema, every study's check_config and the data files: one error listing every problem
    _validated = checked_config(_layered_config(), text_files=workflow.is_main_process)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
config.clear()
config.update(_validated)

PCRT = config["pcrt"]
SEED = config["seed"]
