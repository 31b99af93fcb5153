"""The layout is the architecture (docs/architecture.md, "Layers"): apps import only
downwards, the plumbing imports no app, and an app reaches another only through the
modules it offers (its services, selectors, models and a few named public modules).

The first two rules are import-linter contracts (pyproject.toml); the third is checked
here on grimp's graph of the same code, because import-linter has no contract for
"only these modules of a package may be imported from outside it"."""

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("claims", "publishing", "reviewers", "newsrooms", "ops", "demo")
# What each app offers the others. Everything else in it is internal: its admin, API
# views, tasks, templates tags, the modules its services are built from.
COMMON = {"models", "services", "selectors", "apps"}
PUBLIC = {
    "claims": COMMON | {"hooks", "roles", "workflow"},
    # The document format and its URLs (digests link to fact-checks as the API does),
    # and the change log whose sequence numbers digests follow as `changes/` does.
    "publishing": COMMON | {"documents", "changelog", "urls", "api.urls"},
    "reviewers": COMMON,
    "newsrooms": COMMON | {"public_urls", "api.urls"},
    "ops": COMMON,
    "demo": COMMON | {"data"},
}
# They assemble or time the apps, so they may reach any module: the URL configuration,
# `make run`, /healthz, and the benchmarks (which time internals on purpose).
ASSEMBLERS = ("factcheck.urls", "factcheck.api_urls", "factcheck.run", "factcheck.health", "bench")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
    )


def reaches_into_internals(graph: grimp.ImportGraph) -> list[str]:
    """Every import of one app's internal module by another app, as 'a -> b'."""
    found = []
    for importer in sorted(graph.modules):
        if importer.startswith(ASSEMBLERS):
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            app, _, rest = imported.partition(".")
            if app not in PUBLIC or importer.split(".")[0] == app:
                continue
            if rest and rest not in PUBLIC[app]:
                found.append(f"{importer} -> {imported}")
    return found


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # claims at the bottom importing an app built on it: a cycle.
        ("claims/models.py", "import publishing.models", "Apps import only downwards"),
        # Siblings are independent of each other.
        ("reviewers/services.py", "import publishing.services", "Apps import only downwards"),
        ("factcheck/text.py", "import claims.models", "The plumbing in factcheck/ imports no app"),
    ],
)
def test_a_new_cycle_or_upward_import_breaks_a_contract(tmp_path, module, line, contract):
    for name in ("pyproject.toml", *APPS, "factcheck", "bench"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout


def test_apps_reach_each_other_only_through_their_public_modules():
    graph = grimp.build_graph("factcheck", *APPS, "bench", cache_dir=None)
    assert reaches_into_internals(graph) == []


def test_a_reach_into_another_apps_internals_is_found():
    graph = grimp.ImportGraph()
    for module in ("claims", "claims.triage", "claims.services", "newsrooms", "newsrooms.x"):
        graph.add_module(module)
    graph.add_import(importer="newsrooms.x", imported="claims.services")
    graph.add_import(importer="newsrooms.x", imported="claims.triage")
    assert reaches_into_internals(graph) == ["newsrooms.x -> claims.triage"]
