"""The scaffold: copy the reference publisher into a project as package NAME, built to a plan.

The copy is read from the installed ``activity_publisher`` package (importlib.resources), so
this works from a wheel as well as from the repository. Every Python file goes through libcst:

- ``_RenamePackage``: ``activity_publisher`` becomes NAME in imports, names and strings (the
  reference imports itself relatively; the templates and docstrings name it).
- ``_SetDefaults``: the plan's client settings become the defaults of ``ActivityClient.__init__``
  and of the ``ClientConfig`` fields, so the builder, the constructor and the config agree.
- the plan's schema is written to ``NAME/schemas/event.json``, compiled in ``validation.py``
  (``EVENT_VALIDATOR``) and used by a new ``ActivityClient.publish_event()``.
- ``_SetConstants``: the generated tests get the planned values and example events.

``render`` computes every file (nothing is written); ``write`` refuses to overwrite existing
files unless forced.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Any, Final

import libcst as cst

from .plan import Plan
from .project_file import PYPROJECT, render_pyproject

REFERENCE: Final = "activity_publisher"
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Inside a class, so that the docstring's lines are indented as in the client.
_PUBLISH_EVENT: Final = '''
class ActivityClient:
    def publish_event(self, event: dict[str, Any]) -> None:
        """Validate ``event`` against ``schemas/event.json``, then publish it.

        The schema was inferred from the plan's example events (``publisher-check plan``).
        Raises EventValidationError (a ValueError) naming the JSON path of the bad field;
        nothing is queued then.
        """
        validate(event, EVENT_VALIDATOR, "event")
        self.publish(event)
'''

_EVENT_VALIDATOR: Final = """
#: The plan's event schema, inferred from its example events; used by publish_event().
EVENT_VALIDATOR: Final = load_validator("event.json")
"""


class ScaffoldError(ValueError):
    """The scaffold cannot be made as asked; the message starts with the option or argument."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


class _RenamePackage(cst.CSTTransformer):
    """``activity_publisher`` -> ``package`` in names (imports included) and string literals."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self._package = package
        self._word = re.compile(rf"\b{REFERENCE}\b")

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value=self._package) if updated_node.value == REFERENCE else updated_node

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
        return updated_node.with_changes(value=self._word.sub(self._package, updated_node.value))


def _literal(value: object) -> cst.BaseExpression:
    """A Python literal for a planned value: ``12_000``, ``0.5``, ``True``, ``"events.db"``."""
    if isinstance(value, bool):
        return cst.Name(str(value))
    if isinstance(value, int):
        return cst.Integer(f"{value:_}" if value >= 10_000 else str(value))
    if isinstance(value, float):
        return cst.Float(repr(value))
    if isinstance(value, str):
        return cst.SimpleString(json.dumps(value))
    raise TypeError(f"no literal for {value!r}")


class _SetDefaults(cst.CSTTransformer):
    """Defaults of one class: its ``__init__`` parameters and its annotated field declarations."""

    def __init__(self, class_name: str, values: Mapping[str, object]) -> None:
        super().__init__()
        self._class_name = class_name
        self._values = values
        self._classes: list[str] = []
        self._functions: list[str] = []
        self.applied: set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self._functions.pop()
        return updated_node

    def _in_class(self) -> bool:
        return self._classes[-1:] == [self._class_name]

    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        name = updated_node.name.value
        if self._in_class() and self._functions == ["__init__"] and name in self._values and updated_node.default:
            self.applied.add(name)
            return updated_node.with_changes(default=_literal(self._values[name]))
        return updated_node

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign) -> cst.AnnAssign:
        target = updated_node.target
        if (
            self._in_class()
            and not self._functions
            and isinstance(target, cst.Name)
            and target.value in self._values
            and updated_node.value is not None
        ):
            self.applied.add(target.value)
            return updated_node.with_changes(value=_literal(self._values[target.value]))
        return updated_node


class _AddPublishEvent(cst.CSTTransformer):
    """Import EVENT_VALIDATOR in client.py and add publish_event() after publish_audit_log()."""

    def __init__(self) -> None:
        super().__init__()
        self.imported = False
        self.added = False

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        module = updated_node.module
        if (
            len(updated_node.relative) != 1
            or not isinstance(module, cst.Name)
            or module.value != "validation"
            or isinstance(updated_node.names, cst.ImportStar)
        ):
            return updated_node
        aliases = [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in updated_node.names]
        position = next((i for i, a in enumerate(aliases) if a.evaluated_name == "validate"), len(aliases))
        aliases.insert(position, cst.ImportAlias(cst.Name("EVENT_VALIDATOR")))
        self.imported = True
        return updated_node.with_changes(names=aliases)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        if updated_node.name.value != "ActivityClient" or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        body = list(updated_node.body.body)
        for index, statement in enumerate(body):
            if isinstance(statement, cst.FunctionDef) and statement.name.value == "publish_audit_log":
                wrapper = cst.ensure_type(cst.parse_statement(_PUBLISH_EVENT.lstrip("\n")), cst.ClassDef)
                method = cst.ensure_type(wrapper.body.body[0], cst.FunctionDef)
                body.insert(index + 1, method.with_changes(leading_lines=[cst.EmptyLine(indent=False)]))
                self.added = True
                break
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))


def _add_event_validator(module: cst.Module) -> cst.Module:
    """Add ``EVENT_VALIDATOR`` to validation.py, after the last ``*_VALIDATOR`` constant."""
    body = list(module.body)
    positions = [
        index
        for index, statement in enumerate(body)
        if isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.AnnAssign)
        and isinstance(statement.body[0].target, cst.Name)
        and statement.body[0].target.value.endswith("_VALIDATOR")
    ]
    if not positions:
        raise ScaffoldError(REFERENCE, "validation.py has no *_VALIDATOR constant: the reference changed")
    body.insert(positions[-1] + 1, cst.parse_statement(_EVENT_VALIDATOR.lstrip("\n")))
    return module.with_changes(body=body)


def python_source(value: object, indent: str = "") -> str:
    """Python source for a JSON value, one item per line (black's layout, double quotes)."""
    inner = indent + "    "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key)}: {python_source(item, inner)}," for key, item in value.items()]
        return "{\n" + "\n".join(items) + f"\n{indent}}}" if items else "{}"
    if isinstance(value, list):
        items = [f"{inner}{python_source(item, inner)}," for item in value]
        return "[\n" + "\n".join(items) + f"\n{indent}]" if items else "[]"
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are Python's
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    raise TypeError(f"not a JSON value: {value!r}")


class _SetConstants(cst.CSTTransformer):
    """Module-level ``NAME: type = value`` assignments get the given (JSON) values."""

    def __init__(self, values: Mapping[str, object]) -> None:
        super().__init__()
        self._values = values

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign) -> cst.AnnAssign:
        target = updated_node.target
        if isinstance(target, cst.Name) and target.value in self._values:
            return updated_node.with_changes(value=cst.parse_expression(python_source(self._values[target.value])))
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # module level only

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def check_package_name(package: str) -> None:
    """NAME must be an importable name that shadows nothing the publisher or its tests import."""
    if not _IDENTIFIER.fullmatch(package) or keyword.iskeyword(package):
        raise ScaffoldError("--package", f"{package!r} is not a valid Python package name (letters, digits, _)")
    # The copy and its tests import these (fastapi's TestClient imports starlette and httpx).
    imported = {"requests", "jsonschema", "pytest", "fastapi", "starlette", "httpx", "flask", "werkzeug", "tests"}
    shadowed = sys.stdlib_module_names | imported
    if package in shadowed:
        raise ScaffoldError(
            "--package",
            f"{package!r} would shadow the module {package!r} that the publisher or its tests import; choose another name",
        )


def _transform(source: str, *transformers: cst.CSTTransformer) -> cst.Module:
    module = cst.parse_module(source)
    for transformer in transformers:
        module = module.visit(transformer)
    return module


def _require(applied: set[str], wanted: Mapping[str, object], where: str) -> None:
    missing = sorted(set(wanted) - applied)
    if missing:
        raise ScaffoldError(REFERENCE, f"{where} has no default for {', '.join(missing)}: the reference changed")


def _reference_files(root: Traversable, prefix: PurePosixPath) -> dict[PurePosixPath, bytes]:
    files: dict[PurePosixPath, bytes] = {}
    for entry in root.iterdir():
        if entry.name == "__pycache__" or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            files.update(_reference_files(entry, prefix / entry.name))
        else:
            files[prefix / entry.name] = entry.read_bytes()
    return files


def _template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


def _invalid_event(plan: Plan, example: dict[str, Any]) -> object:
    """An event the plan's schema rejects: the example without its first required field."""
    required = plan.schema.get("required", [])
    if required:
        return {key: value for key, value in example.items() if key != required[0]}
    return []  # with no required field, only a non-object is invalid


def _copy_module(name: str, source: str, rename: _RenamePackage, defaults: Mapping[str, object]) -> bytes:
    """One reference module, renamed; client.py, config.py and validation.py built to the plan."""
    module = cst.parse_module(source).visit(rename)
    if name in ("client.py", "config.py"):
        setter = _SetDefaults("ActivityClient" if name == "client.py" else "ClientConfig", defaults)
        module = module.visit(setter)
        _require(setter.applied, defaults, name)
    if name == "client.py":
        adder = _AddPublishEvent()
        module = module.visit(adder)
        if not (adder.imported and adder.added):
            raise ScaffoldError(REFERENCE, "client.py: cannot add publish_event(): the reference changed")
    if name == "validation.py":
        module = _add_event_validator(module)
    return module.bytes


def render(package: str, plan: Plan) -> dict[PurePosixPath, bytes]:
    """Every file of the scaffold, relative to DEST; nothing is written."""
    check_package_name(package)
    rename = _RenamePackage(package)
    root = PurePosixPath(package)
    out: dict[PurePosixPath, bytes] = {}
    for path, data in _reference_files(resources.files(REFERENCE), PurePosixPath()).items():
        if path.suffix == ".py":
            out[root / path] = _copy_module(path.name, data.decode("utf-8"), rename, plan.defaults)
        else:
            out[root / path] = data
    schema = {"$id": f"urn:{package}:schema:event", **plan.schema}
    out[root / "schemas" / "event.json"] = (json.dumps(schema, indent=2) + "\n").encode()
    out[root / "testing.py"] = _transform(_template("testing.py.tmpl"), rename).bytes

    examples = [example.event for example in plan.answers.examples] or [{"type": "example"}]
    constants = {
        "PLANNED": plan.defaults,
        "EXAMPLES": examples,
        "EXAMPLE_EVENT": examples[0],
        "INVALID_EVENT": _invalid_event(plan, examples[0]),
    }
    tests = [("test_publisher.py.tmpl", f"test_{package}_publisher.py")]
    framework = plan.answers.framework
    if framework != "standalone":
        for name in ("__init__.py", f"{framework}.py"):
            out[root / "integrations" / name] = _transform(_template(f"integrations/{name}.tmpl"), rename).bytes
        tests.append((f"test_{framework}.py.tmpl", f"test_{package}_{framework}.py"))
    for template, target in tests:
        out[PurePosixPath("tests") / target] = _transform(_template(template), rename, _SetConstants(constants)).bytes
    out[PYPROJECT] = render_pyproject(package, framework)
    return out


def write(dest: Path, files: Mapping[PurePosixPath, bytes], *, force: bool) -> list[Path]:
    """Write ``files`` under ``dest``; ScaffoldError if any exists already and not ``force``."""
    if dest.exists() and not dest.is_dir():
        raise ScaffoldError("DEST", f"{dest} exists and is not a folder")
    targets = [dest / Path(*path.parts) for path in files]
    if not force:
        existing = [target for target in targets if target.exists()]
        if existing:
            shown = ", ".join(str(path) for path in existing[:3]) + (", …" if len(existing) > 3 else "")
            raise ScaffoldError(
                "DEST", f"would overwrite {len(existing)} existing file(s) ({shown}); pass --force to replace them"
            )
    for target, data in zip(targets, files.values(), strict=True):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise ScaffoldError("DEST", f"cannot write {target}: {exc.strerror or exc}") from None
    return targets


def scaffold(dest: Path, package: str, plan: Plan, *, force: bool = False) -> list[Path]:
    """Copy the reference into ``dest/package`` built to ``plan``, with tests in ``dest/tests`` and
    the dependencies of both in ``dest/pyproject.toml`` (an existing one is kept unless ``force``)."""
    files = render(package, plan)
    if not force and (dest / PYPROJECT).exists():
        files = {path: data for path, data in files.items() if path != PYPROJECT}
    return write(dest, files, force=force)
