"""A content-addressed cache of per-file parse outcomes.

The key is a hash of the checker's own modules (every byte of them), the module name, the
path and the file's bytes, so an edited file, a moved file or another build of the checker
never sees a stale entry;
configuration does not enter the key because facts do not depend on it (rules re-run on
every run). Entries are written atomically; the folder is safe to delete at any time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pathlib
import pickle
import threading
from collections.abc import Iterable
from importlib import util
from pathlib import Path
from typing import TYPE_CHECKING

from .. import ftypes
from . import facts

if TYPE_CHECKING:
    from .parsing import Outcome

CACHE_FORMAT = "11"  # bump when which files are errors, or what a fact means, changes


_RESULT_CLASSES = frozenset({"RunResult", "Violation", "FileError", "Severity"})
_PATH_CLASSES = frozenset({"Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath", "PureWindowsPath"})


class _EntryUnpickler(pickle.Unpickler):
    """Loads only what the cache writes: the facts' dataclasses, paths and plain values.

    A pickle can name any callable (``exec``, ``os.system``) and call it when loaded, and the
    cache folder may be someone else's: kept in a repository (``--cache-dir
    .publisher-check-cache``) or restored by a CI from a shared cache, under keys anyone can
    compute. An entry naming anything else is refused, which makes it a miss."""

    def find_class(self, module: str, name: str) -> type:
        if module in ("pathlib", "pathlib._local") and name in _PATH_CLASSES:
            found = getattr(pathlib, name)
            assert isinstance(found, type)
            return found
        if module == facts.__name__:
            fact = getattr(facts, name, None)
            if isinstance(fact, type) and dataclasses.is_dataclass(fact):
                return fact
        if module == ftypes.__name__ and name in _RESULT_CLASSES:  # a whole run's result
            found = getattr(ftypes, name)
            assert isinstance(found, type)
            return found
        raise pickle.UnpicklingError(f"a cache entry may not load {module}.{name}")


def _loads(data: bytes) -> object:
    return _EntryUnpickler(io.BytesIO(data)).load()


def is_transient(reason: str) -> bool:
    """A worker that died or ran out of time: maybe the file, maybe a busy machine."""
    return "process died" in reason or "longer than" in reason


def default_cache_dir() -> Path:
    configured = os.environ.get("PUBLISHER_CHECK_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "publisher-check"


def checker_folders() -> list[Path]:
    """The folders of the checker's own modules: the package and its rules."""
    rules = util.find_spec(f"{__package__.rsplit('.', 1)[0]}.rules")  # found, not imported: rules import us
    folders = [Path(__file__).resolve().parents[1]]
    if rules is not None and rules.submodule_search_locations:
        folders += [Path(folder).resolve() for folder in rules.submodule_search_locations]
    return folders


def code_fingerprint(folders: Iterable[Path]) -> str:
    """A hash of every module in ``folders`` (name and bytes; ~1 ms for the checker's 0.7 MB):
    a build whose analysis, rules or facts differ in any way, an editable install's included,
    never reads another build's entries."""
    digest = hashlib.sha256()
    for package in folders:
        for module in sorted(package.rglob("*.py")):
            data = module.read_bytes()
            digest.update(f"{module.relative_to(package)}:{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


class FactsCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._salt = f"{CACHE_FORMAT}\0{code_fingerprint(checker_folders())}\0".encode()
        self._folders: set[Path] = set()  # the entry folders known to exist

    def _write(self, entry: Path, data: bytes) -> None:
        """Write an entry atomically (a temporary file renamed over it), never raising: a
        read-only or full cache folder only costs speed. A new file, not a user's: none of
        ``write_atomic``'s care for an existing file's mode, and no fsync."""
        try:
            if entry.parent not in self._folders:
                entry.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(entry.parent)
            temporary = f"{entry}.{os.getpid()}.{threading.get_ident()}.tmp"  # ours alone (an MCP server runs threads)
            with open(temporary, "wb") as handle:
                handle.write(data)
            os.replace(temporary, entry)
        except OSError:
            pass

    def _key(self, parts: Iterable[bytes]) -> Path:
        digest = hashlib.sha256(self._salt)
        for part in parts:
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
        key = digest.hexdigest()
        return self.folder / key[:2] / key[2:]

    def _entry(self, path: Path, module_name: str, source: bytes, syntax_only: bool) -> Path:
        return self._key((str(path).encode(), module_name.encode(), b"s" if syntax_only else b"f", source))

    def lookup(self, parts: Iterable[bytes]) -> tuple[bool, object]:
        """(hit, value) of another result derived only from ``parts`` (which fixes exist, say)."""
        try:
            return True, _loads(self._key(parts).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return False, None

    def store(self, parts: Iterable[bytes], value: object) -> None:
        self._write(self._key(parts), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def get(self, path: Path, module_name: str, source: bytes, syntax_only: bool) -> tuple[bool, Outcome | None]:
        """(hit, outcome); a missing or unreadable entry is a miss."""
        try:
            data = self._entry(path, module_name, source, syntax_only).read_bytes()
            outcome = _loads(data)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return False, None
        return (True, outcome) if outcome is None or isinstance(outcome, (str, facts.ModuleFacts)) else (False, None)

    def put(
        self,
        path: Path,
        module_name: str,
        source: bytes,
        syntax_only: bool,
        outcome: Outcome | None,
        pickled: bytes | None = None,
    ) -> None:
        """Store ``outcome``; ``pickled`` is it pickled already (as a parser worker sent it)."""
        if isinstance(outcome, str) and is_transient(outcome):
            return  # a crash or a time-out may be the machine's fault: try again next time
        data = pickled if pickled is not None else pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        self._write(self._entry(path, module_name, source, syntax_only), data)
