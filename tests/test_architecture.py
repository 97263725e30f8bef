"""Layering rules from DESIGN.md, enforced rather than hoped for."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "studio"
QT_PREFIXES = ("PySide6", "pyqtgraph", "studio.ui", "studio.workers", "studio.app")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_and_domains_never_import_qt():
    offenders = []
    for layer in ("core", "domains"):
        for path in (ROOT / layer).rglob("*.py"):
            if layer == "domains" and "qt" in path.relative_to(ROOT / layer).parts[1:-1]:
                continue  # a medium's own Qt side (studio/domains/<name>/qt) sits with the ui
            for name in _imports(path):
                if name.startswith(QT_PREFIXES):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


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
