"""zennit loads through neuromotor.explain.zennit_import whether or not torchvision can be loaded."""

import subprocess
import sys
import textwrap

import pytest


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


EPSILON_LRP_OF_A_LINEAR_LAYER = """
    import torch
    from neuromotor.explain.zennit_import import load_zennit

    zennit = load_zennit()
    from zennit.attribution import Gradient
    from zennit.composites import EpsilonGammaBox  # noqa: F401  (the composites module imports)
    from zennit.core import Composite
    from zennit.rules import Epsilon

    layer = torch.nn.Linear(3, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]]))
    x = torch.tensor([[2.0, 1.0, -4.0]])
    composite = Composite(module_map=lambda ctx, name, module: Epsilon(epsilon=1e-9) if isinstance(module, torch.nn.Linear) else None)
    with Gradient(model=layer, composite=composite) as attributor:
        # start from the first output's value (-2), the usual "explain the logit" choice
        _, relevance = attributor(x, torch.tensor([[-2.0, 0.0]]))
    # epsilon-LRP of one linear output without bias: R_i = w_i x_i, summing to the explained output
    print(relevance.tolist()[0])
"""


def test_zennit_loads_and_computes_epsilon_lrp():
    relevance = eval(run_python(EPSILON_LRP_OF_A_LINEAR_LAYER).strip())
    assert relevance == pytest.approx([2.0, -2.0, -2.0], abs=1e-6)


def test_zennit_loads_when_torchvision_is_absent_and_its_canonizers_fail_clearly():
    out = run_python(
        """
        import sys
        sys.modules["torchvision"] = None  # makes `import torchvision` raise ImportError
        from neuromotor.explain.zennit_import import load_zennit

        zennit = load_zennit()
        from zennit.canonizers import SequentialMergeBatchNorm  # noqa: F401
        try:
            zennit.torchvision.ResNetCanonizer
        except ImportError as error:
            print("clear:", "needs torchvision" in str(error))
        """
    )
    assert out.strip() == "clear: True"


def test_zennit_import_is_the_only_direct_import_of_zennit():
    from pathlib import Path

    library = Path(__file__).resolve().parents[2] / "workflow" / "neuromotor"
    offenders = [
        str(path.relative_to(library))
        for path in library.rglob("*.py")
        if path.name != "zennit_import.py"
        and any(line.lstrip().startswith(("import zennit", "from zennit")) for line in path.read_text().splitlines())
        and "load_zennit()" not in path.read_text()
    ]
    assert offenders == [], f"import zennit through neuromotor.explain.zennit_import.load_zennit(): {offenders}"
