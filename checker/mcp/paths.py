"""The MCP server's roots: every path a client names must lie inside one of them.

A client of ``publisher-check mcp`` is a program (often an agent) that names paths in tool
arguments. The server reads and writes only under the folders it was started with
(``--root``, default the working directory):

- a relative path is taken from the first root; an absolute one must be inside some root;
- ``..`` and symbolic links are resolved before the test, so neither can lead out;
- a path that does not exist is an error where the tool needs it to exist.

Each refusal is a ``RootError`` whose message the tool returns to the client as its error.
(Folders walked below a given path are confined by the checker itself: ``files.py`` never
follows a link out of the folder it walks.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class RootError(ValueError):
    """A path outside the roots, a link leading out of them, or a missing path."""


@dataclass(frozen=True, slots=True)
class Roots:
    folders: tuple[Path, ...]  # resolved, existing folders; the first one anchors relative paths

    @classmethod
    def of(cls, folders: Iterable[Path]) -> Roots:
        resolved: list[Path] = []
        for folder in folders:
            real = folder.resolve()
            if not real.is_dir():
                raise RootError(f"root is not a folder: {folder}")
            resolved.append(real)
        if not resolved:
            raise RootError("at least one root is needed")
        return cls(tuple(dict.fromkeys(resolved)))

    def contains(self, path: Path) -> bool:
        real = path.resolve()
        return any(real.is_relative_to(root) for root in self.folders)

    def resolve(self, given: str, *, must_exist: bool = True) -> Path:
        """The real path for ``given``, or RootError saying why it is refused."""
        if "\x00" in given:
            raise RootError(f"{given!r}: not a valid path")
        raw = Path(given).expanduser() if given.startswith("~") else Path(given)
        candidate = raw if raw.is_absolute() else self.folders[0] / raw
        real = candidate.resolve()
        if not any(real.is_relative_to(root) for root in self.folders):
            lexical = Path(*_normalised(candidate.parts))
            if any(lexical.is_relative_to(root) for root in self.folders):
                raise RootError(f"{given}: a symbolic link leads out of the server's roots ({self.describe()})")
            raise RootError(f"{given}: outside the server's roots ({self.describe()})")
        if must_exist and not real.exists():
            raise RootError(f"{given}: no such file or folder (under {self.describe()})")
        return real

    def describe(self) -> str:
        return ", ".join(str(root) for root in self.folders)


def _normalised(parts: tuple[str, ...]) -> list[str]:
    """``parts`` with ``..`` applied lexically (no link followed), to tell a link from a plain escape."""
    out: list[str] = []
    for part in parts:
        if part == "..":
            if len(out) > 1:
                out.pop()
        elif part != ".":
            out.append(part)
    return out
