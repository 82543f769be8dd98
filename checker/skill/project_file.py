"""The scaffold's ``pyproject.toml``: what the copied publisher and its generated tests need.

With it, the scaffolded project installs and tests on its own, in a fresh virtualenv:
``pip install -e '.[test]' && python -m pytest tests``. A project that already has a
``pyproject.toml`` keeps it (the scaffold does not replace it without ``--force``) and adds
these dependencies itself.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Final

PYPROJECT: Final = PurePosixPath("pyproject.toml")

#: What the reference publisher imports (orjson stays optional: the publisher works without it).
RUNTIME: Final = ("requests>=2.31", "jsonschema>=4.18")
#: Each framework integration's own dependency, and what its generated tests add.
FRAMEWORK: Final = {"fastapi": ("fastapi>=0.110",), "flask": ("flask>=3.0",)}
FRAMEWORK_TESTS: Final = {"fastapi": ("httpx>=0.27",), "flask": ()}


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def render_pyproject(package: str, framework: str) -> bytes:
    dependencies = RUNTIME + FRAMEWORK.get(framework, ())
    tests = ("pytest>=8", *FRAMEWORK_TESTS.get(framework, ()))
    text = f"""# Written by publisher-check scaffold: the dependencies of {package} and of its tests.
# pip install -e '.[test]' && python -m pytest tests
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{package.replace("_", "-")}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = {_toml_list(dependencies)}

[project.optional-dependencies]
test = {_toml_list(tests)}

[tool.setuptools.packages.find]
include = ["{package}", "{package}.*"]

[tool.setuptools.package-data]
{package} = ["py.typed", "schemas/*.json"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""
    return text.encode("utf-8")
