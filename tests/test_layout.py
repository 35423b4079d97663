"""The code's shape: no import cycle between blog's packages, and only the factory imports views."""

import ast
from pathlib import Path

BLOG = Path(__file__).resolve().parent.parent / "blog"


def module_name(path: Path) -> str:
    parts = path.relative_to(BLOG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module this file imports, at the top or inside a function, as an absolute name."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import views` names a module too
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {module for module in found if module == "blog" or module.startswith("blog.")}


def all_modules() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in BLOG.rglob("*.py")}


def package_of(module: str) -> str | None:
    """blog.comments.views -> comments; modules directly in blog/ belong to no package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (BLOG / parts[1]).is_dir()) else None


def test_no_import_cycle_between_blog_packages():
    modules = set(all_modules())
    edges: dict[str, set[str]] = {}
    for module, imported in all_modules().items():
        source = package_of(module)
        if source is None:
            continue
        for target_module in imported & modules:
            target = package_of(target_module)
            if target is not None and target != source:
                edges.setdefault(source, set()).add(target)

    def cycle_from(start: str, path: list[str]) -> list[str] | None:
        for nxt in sorted(edges.get(path[-1], ())):
            if nxt == start:
                return path + [nxt]
            if nxt not in path:
                found = cycle_from(start, path + [nxt])
                if found:
                    return found
        return None

    for package in sorted(edges):
        cycle = cycle_from(package, [package])
        assert cycle is None, " -> ".join(cycle or [])


def test_only_the_factory_imports_a_views_module():
    for module, imported in all_modules().items():
        views = sorted(name for name in imported if name.endswith(".views"))
        if module != "blog":
            assert views == [], f"{module} imports {views}"


def test_package_init_files_import_nothing():
    for init in BLOG.glob("*/__init__.py"):
        tree = ast.parse(init.read_text())
        assert not any(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.walk(tree)), init


def test_the_check_sees_a_cycle_and_a_views_import(tmp_path, monkeypatch):
    """The checks above would catch what they look for: a fake tree with both faults fails them."""
    fake = tmp_path / "blog"
    for package, source in {"a": "from ..b import views\n", "b": "from ..a import queries\n"}.items():
        (fake / package).mkdir(parents=True)
        (fake / package / "__init__.py").write_text("")
        (fake / package / "views.py").write_text(source)
        (fake / package / "queries.py").write_text("")
    (fake / "__init__.py").write_text("")
    monkeypatch.setattr(__import__(__name__, fromlist=["BLOG"]), "BLOG", fake)
    for check in (test_no_import_cycle_between_blog_packages, test_only_the_factory_imports_a_views_module):
        try:
            check()
        except AssertionError:
            continue
        raise AssertionError(f"{check.__name__} passed on a tree with the fault")
