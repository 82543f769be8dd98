"""The repository's habits, run by the suite: ruff (lint and format) and mypy --strict.

Each test is skipped when its tool is not installed (the ``test`` extra installs both).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _tool(module: str) -> list[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    return [sys.executable, "-m", module]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_lint_is_clean() -> None:
    done = _run([*_tool("ruff"), "check", "--no-cache", "."], REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = _run([*_tool("ruff"), "format", "--check", "--no-cache", "."], REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def installed_layout(root: Path) -> Path:
    """Links that give the source folders their import names (checker/ -> publisher_check/,
    rules/ -> publisher_check/rules/, reference_impl/ -> activity_publisher/).

    mypy cannot follow the editable install's import hook, and pyproject maps folders to
    other names, so it checks the packages through this tree."""
    package = root / "publisher_check"
    package.mkdir()
    for entry in (REPO / "checker").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "rules").symlink_to(REPO / "rules")
    (root / "activity_publisher").symlink_to(REPO / "reference_impl")
    return root


def test_mypy_strict_is_clean(tmp_path: Path) -> None:
    mypy = _tool("mypy")
    root = installed_layout(tmp_path)
    command = [*mypy, "--config-file", str(REPO / "pyproject.toml"), "--cache-dir", str(tmp_path / ".mypy_cache")]
    done = _run([*command, "-p", "publisher_check", "-p", "activity_publisher"], root)
    assert done.returncode == 0, done.stdout + done.stderr
