"""The layers, walked: which package may import which (models ← admin ← views ← app/cli), and every module imports
on its own, whatever was imported before it."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "admin", "views")
# What views/ may use of admin/: the panel's public pieces for pages, never a register's internals.
ADMIN_FOR_VIEWS = {"admin", "admin.access", "admin.page"}
# Heavy web libraries the domain layer must not need (the role matrix and the rules are read without them).
WEB_LIBRARIES = ("flask_admin", "flask_login", "flask_wtf", "wtforms", "xhtml2pdf", "reportlab")


def project_modules():
    names = ["app", "cli"]
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            names.append(package if path.stem == "__init__" else f"{package}.{path.stem}")
    return names


def imports_of(module):
    """Every module the file imports, at the top or inside functions, as absolute dotted names."""
    path = ROOT / (module.replace(".", "/") + ("/__init__.py" if module in PACKAGES else ".py"))
    package = module if module in PACKAGES else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append((base, node.lineno))
            # «from admin import access» names a module too
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def forbidden(module, target):
    top = target.split(".")[0]
    layer = module.split(".")[0]
    if layer == "models":
        if top in ("admin", "views", "cli", "app"):
            return "models/ не импортирует admin/, views/, cli.py и app.py"
        if top in WEB_LIBRARIES:
            return f"models/ не зависит от {top}"
    if layer == "admin" and top in ("views", "cli", "app"):
        return "admin/ не импортирует views/, cli.py и app.py"
    if layer == "views":
        if top in ("cli", "app"):
            return "views/ не импортирует cli.py и app.py"
        if top == "admin" and target not in ADMIN_FOR_VIEWS and not _is_name_of(target):
            return f"views/ берёт из admin/ только {sorted(ADMIN_FOR_VIEWS)}"
    if layer == "cli" and top in ("app", "views"):
        return "cli.py не импортирует app.py и views/"
    return None


def _is_name_of(target):
    # «from admin.access import allowed» yields admin.access.allowed: a name inside an allowed module.
    return target.rpartition(".")[0] in ADMIN_FOR_VIEWS and target not in _ADMIN_MODULES


_ADMIN_MODULES = {f"admin.{p.stem}" for p in (ROOT / "admin").glob("*.py")}


def test_no_import_goes_against_the_layers():
    problems = []
    for module in project_modules():
        for target, line in imports_of(module):
            reason = forbidden(module, target)
            if reason:
                problems.append(f"{module}:{line} импортирует {target}: {reason}")
    assert not problems, "\n".join(problems)


def test_the_layer_check_catches_an_upward_import():
    assert forbidden("models.users", "admin.roles")
    assert forbidden("models.retention", "flask_admin.contrib.sqla")
    assert forbidden("views.issuance", "admin.base")
    assert forbidden("admin.people", "views.leaving")
    assert not forbidden("views.issuance", "admin.page.PanelPage")
    assert not forbidden("admin.people", "models.roles")


def load_time_imports(module):
    """Project modules the file imports while it is being imported: its body and class bodies, not functions."""
    path = ROOT / (module.replace(".", "/") + ("/__init__.py" if module in PACKAGES else ".py"))
    package = module if module in PACKAGES else module.rpartition(".")[0]
    known = set(project_modules())
    own_ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    found = set()

    def add(name, namespace=False):
        # Importing a.b runs a/__init__.py first, unless «a» is the importer's own package (already running).
        # Taking plain names from a package («from models import db») needs its __init__ finished: a real edge.
        parts = name.split(".")
        for i in range(1, len(parts)):
            ancestor = ".".join(parts[:i])
            if ancestor not in own_ancestors:
                found.add(ancestor)
        if namespace or name not in own_ancestors:
            found.add(name)

    def visit(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.ClassDef):
                visit(node.body)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                names = [f"{base}.{alias.name}" for alias in node.names]
                for name in names:
                    if name in known:
                        add(name)
                if any(name not in known for name in names):
                    add(base, namespace=True)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                visit(getattr(node, "body", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "orelse", []))

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {name for name in found if name in known and name != module}


def import_cycles(graph):
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def strongconnect(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.add(item)
                if item == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in graph:
        if node not in index:
            strongconnect(node)
    return cycles


def test_every_module_imports_on_its_own():
    # A module fails to import first («python -c 'import views.leaving'») only when it sits on a cycle of
    # load-time imports; the graph shows every such cycle at once, in milliseconds rather than a process each.
    graph = {module: load_time_imports(module) for module in project_modules()}
    assert not import_cycles(graph), import_cycles(graph)


def test_the_cycle_check_finds_the_cycle_of_november():
    # views/page.py → admin/__init__.py → views/leaving.py → views/page.py, as the review found it
    graph = {"views.page": {"admin"}, "admin": {"views.leaving"}, "views.leaving": {"views.page"}, "models": set()}
    assert import_cycles(graph) == [["admin", "views.leaving", "views.page"]]


def test_the_role_matrix_loads_without_flask_admin():
    code = "import sys, models.roles; sys.exit(1 if 'flask_admin' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_every_table_has_a_russian_label(app):
    from models import db
    from models.references import TABLE_LABELS

    missing = sorted(set(db.metadata.tables) - set(TABLE_LABELS))
    assert not missing, f"добавьте русские названия таблиц в models/references.py TABLE_LABELS: {missing}"
