"""SCOPE: the Python files a run looks at.

Skips virtualenvs, VCS and build/cache folders, honours ``.gitignore`` files found in the
walked folders and the configured excludes (gitignore syntax, via pathspec), and never
follows a symlink out of the folder it was given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pathspec

SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "env",
        ".env",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".publisher-check-cache",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        ".eggs",
    }
)


class PathError(ValueError):
    """A path given on the command line that does not exist or cannot be read."""


def _is_virtualenv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def _gitignore_spec(folder: Path) -> pathspec.GitIgnoreSpec | None:
    ignore_file = folder / ".gitignore"
    try:
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _walk(root: Path, excludes: pathspec.GitIgnoreSpec) -> Iterator[Path]:
    real_root = root.resolve()
    ignore_specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    seen_dirs: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        folder = Path(dirpath)
        real = folder.resolve()
        # Symlink loops and links leaving the tree we were given are not followed.
        if real in seen_dirs or not real.is_relative_to(real_root):
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        spec = _gitignore_spec(folder)
        if spec is not None:
            ignore_specs.append((folder, spec))

        def ignored(path: Path, is_dir: bool) -> bool:
            relative = path.relative_to(root).as_posix() + ("/" if is_dir else "")
            if excludes.match_file(relative):
                return True
            for base, base_spec in ignore_specs:
                if path.is_relative_to(base):
                    rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                    if base_spec.match_file(rel):
                        return True
            return False

        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIPPED_DIRS
            and not d.endswith(".egg-info")
            and not _is_virtualenv(folder / d)
            and not ignored(folder / d, True)
        )
        for name in sorted(filenames):
            path = folder / name
            if name.endswith(".py") and not ignored(path, False):
                # A file that is no link is where its folder is, and the folder was checked above.
                if not path.is_symlink() or path.resolve().is_relative_to(real_root):
                    yield path


def collect_files(paths: Iterable[Path], exclude: Iterable[str] = ()) -> list[Path]:
    """Every Python file under ``paths`` (files given explicitly are always kept)."""
    excludes = pathspec.GitIgnoreSpec.from_lines(list(exclude))
    found: dict[Path, None] = {}
    for path in paths:
        if not path.exists():
            raise PathError(f"path does not exist: {path}")
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            for file in _walk(path, excludes):
                found[file] = None
        else:
            raise PathError(f"not a file or folder: {path}")
    return list(found)
