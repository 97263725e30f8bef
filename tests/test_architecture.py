"""Layering rules from DESIGN.md, enforced rather than hoped for."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "studio"


def test_import_contracts_hold():
    """pyproject.toml's import-linter contracts: layers pointing down, Qt only where the window is, media
    independent of each other (run where it finds pyproject.toml)."""
    out = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
                         capture_output=True, text=True, cwd=ROOT.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout


def test_listing_domains_and_presets_does_not_load_torch():
    code = (
        "import sys\n"
        "from studio.domains import domain_names, get_domain\n"
        "for n in domain_names():\n"
        "    d = get_domain(n); assert d.presets, n; d.default_preset('cpu')\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_every_registered_domain_builds_on_domain_base():
    """Generic code reads optional members directly: a domain outside DomainBase would fail in the middle of a run."""
    from studio.core.domain import DomainBase
    from studio.domains import domain_names, get_domain

    outside = [name for name in domain_names() if not isinstance(get_domain(name), DomainBase)]
    assert not outside, f"{outside} should subclass studio.core.domain.DomainBase"
