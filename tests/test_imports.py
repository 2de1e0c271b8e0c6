"""Every module of consult/ imports only in the directions ARCHITECTURE.md states.

The two flows (build: config -> content -> model -> render -> output; moderation:
forms -> inbox -> pull) read as layers: a module may import its own layer and the
layers its row of ALLOWED lists, nothing else. Imports inside functions and under
TYPE_CHECKING count too: a late import hides a dependency, it does not remove it.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "consult"

# Module (or package) -> layer; the longest matching prefix wins. Every module must be listed.
LAYERS: dict[str, str] = {
    # shared: pure helpers and the domain's declarations, read by both flows
    "consult": "base",  # the package itself (__version__)
    "consult.errors": "base", "consult.document": "base", "consult.schema": "base", "consult.slug": "base",
    "consult.flags": "base", "consult.i18n": "base", "consult.colors": "base", "consult.charts": "base",
    "consult.markdown": "base", "consult.sandbox": "base", "consult.parallel": "base", "consult.atomic": "base",
    "consult.layout": "base", "consult.kinds": "base", "consult.screen_text": "base", "consult.skeleton": "base",
    "consult.stamps": "base",  # per-file caches in .consult/ (the screen's index, pull's signatures)
    "consult.blockyaml": "base",  # document's fast reader of plain block YAML
    "consult.model": "model",  # the frozen data every stage passes on (site.yaml's settings included)
    # build
    "consult.config": "config", "consult.lock": "config", "consult.watch": "config",
    "consult.content": "content", "consult.cache": "content", "consult.lint": "content",
    "consult.changes": "content",  # which sources a change touches (pure)
    "consult.theme": "view", "consult.formview": "view",
    "consult.render": "render", "consult.pages": "render", "consult.transparency": "render", "consult.results": "render", "consult.opendata": "render",
    "consult.facets": "render",
    "consult.output": "output", "consult.search": "output",  # search: Pagefind over the written output
    # moderation
    "consult.forms": "forms",
    "consult.inbox": "inbox",
    "consult.pull": "pull", "consult.pullrequest": "pull", "consult.detect": "pull", "consult.moderation": "pull",
    "consult.proposals": "pull", "consult.tagging": "pull", "consult.held": "pull", "consult.suggest": "pull",
    "consult.pending": "pull", "consult.decisions": "pull",
    "consult.merge": "pull",
    # after a build: tell the participants (reads the published content, the inbox's subscriptions,
    # signs links the handler checks)
    "consult.notify": "notify", "consult.mailer": "notify",
    # entry points: wire the stages together
    "consult.build": "app", "consult.cli": "app", "consult.screen": "app", "consult.imports": "app", "consult.serve": "app", "consult.scaffold": "app",
    "consult.report": "app", "consult.progress": "app", "consult.gunicorn_conf": "app", "consult.__main__": "app",
}

# Layer -> the other layers it may import. The handler (forms) renders a re-displayed form with
# the site's theme (view) but never imports the renderer; pull reads content/ (content) to place
# what it writes. Nothing but an entry point imports an entry point.
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "model": {"base"},
    "config": {"base", "model"},
    "content": {"base", "model", "config"},
    "view": {"base", "model", "config", "content"},
    "render": {"base", "model", "config", "content", "view"},
    "output": {"base"},
    "inbox": {"base", "model"},
    "forms": {"base", "model", "config", "view", "inbox"},
    "pull": {"base", "model", "config", "content", "inbox"},
    "notify": {"base", "model", "config", "content", "view", "forms", "inbox"},
    "app": {"base", "model", "config", "content", "view", "render", "output", "forms", "inbox", "pull", "notify"},
}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    prefix = module
    while prefix and (prefix != "consult" or module == "consult"):  # "consult" is the package only
        if prefix in LAYERS:
            return LAYERS[prefix]
        prefix = prefix.rpartition(".")[0]
    raise AssertionError(f"{module} is in no layer of tests/test_imports.py: add it to LAYERS")


def imported(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, module) of every consult module `path` imports, at any depth of its code."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from consult import render` imports the module consult.render
            found += [(node.lineno, f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}", root) else base)
                      for alias in node.names]
    return [(line, name) for line, name in found if name == "consult" or name.startswith("consult.")]


def _is_module(name: str, root: Path) -> bool:
    relative = root.parent / Path(*name.split("."))
    return relative.with_suffix(".py").is_file() or relative.is_dir()


def violations(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        layer = layer_of(module)
        for line, target in imported(path, root):
            other = layer_of(target)
            if other != layer and other not in ALLOWED[layer]:
                found.append(f"{path.relative_to(root.parent)}:{line}: {module} ({layer}) imports {target} ({other})")
    return found


def test_every_import_follows_the_layers() -> None:
    assert violations() == []


def test_no_module_imports_its_own_package_in_a_cycle() -> None:
    """Within a layer anything goes, but a package's __init__ must not import a module that imports it back."""
    cycles = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        package = module_name(init)
        for _, target in imported(init):
            if target.startswith(package + "."):
                path = PACKAGE.parent / Path(*target.split("."))
                path = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
                if any(back == package for _, back in imported(path)):
                    cycles.append(f"{package} <-> {target}")
    assert cycles == []


@pytest.mark.parametrize("source, expected", [
    ("from consult.render import FormView\n", "consult.forms.x (forms) imports consult.render (render)"),
    ("def f():\n    from consult import pull\n", "consult.forms.x (forms) imports consult.pull (pull)"),
    ("from ..render import x\n", "consult.forms.x (forms) imports consult.render (render)"),
])
def test_a_wrong_import_is_found(tmp_path: Path, source: str, expected: str) -> None:
    """The check reads absolute, late and relative imports alike (in a copy of the package with one module added)."""
    root = tmp_path / "consult"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "forms" / "x.py").write_text(source, encoding="utf-8")
    assert any(expected in v for v in violations(root))
