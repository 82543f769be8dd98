"""Property-based: whatever program the checker is given, VERIFY returns and executive mode
leaves only compiling files behind, and a second --fix changes nothing.

Two sources of programs:

- ``publishers()``: publisher-shaped packages built from random combinations of what the
  rules look at — queue imports and constructors, publish bodies, worker threads (``Thread``
  subclasses, ``target=``, every way to say ``daemon``), retry loops, status comparisons,
  error callbacks, flush/close, builders, dataclasses, hints present or not — wrapped in odd
  syntax (tabs, two-space indents, CRLF, a BOM, a latin-1 cookie, one-line bodies,
  semicolons, match statements, walrus, nested defs, decorators, suppression comments). They
  reach every rule and every fix, which random grammar rarely does.
- hypothesmith's random programs (grammar-derived and libcst-derived), alone and spliced
  into a module that the checker treats as a publisher candidate, so they go through libcst
  and the fact extraction rather than only ``compile()``.

Example counts are modest (each run forks the parser workers); hypothesis keeps a database
of failing examples only when a run fails, and ``derandomize`` is off, so each suite run
explores new programs.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher_check import api
from publisher_check.config import Config
from publisher_check.engine import run
from publisher_check.ftypes import FileError, FixReport, RunResult


def examples(count: int) -> settings:
    """Few examples, no deadline (a run forks parser workers on a possibly loaded machine).
    PUBLISHER_CHECK_PROPERTY_SCALE=20 runs twenty times as many, to hunt for bugs by hand."""
    return settings(
        max_examples=count * int(os.environ.get("PUBLISHER_CHECK_PROPERTY_SCALE", "1")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,  # no .hypothesis folder in the work tree; a failure prints its example
    )

Project = dict[str, bytes]  # relative path -> bytes


# ---------------------------------------------------------------------------
# Publisher-shaped programs


@dataclass(frozen=True)
class Style:
    """How a module is written down, independent of what it says."""

    indent: str  # "    ", "  " or "\t"
    newline: str  # "\n", "\r\n", or "mixed": both, alternating
    bom: bool
    latin1: bool  # a latin-1 coding cookie and a latin-1 character
    formfeed: bool  # ^L on the blank lines before top-level statements, as old code has
    ending: str  # "newline"; "none": no final newline; "comment": a last comment without one

    def render(self, code: str) -> bytes:
        lines = []
        for line in code.split("\n"):
            stripped = line.lstrip(" ")
            depth = (len(line) - len(stripped)) // 4
            rest = (len(line) - len(stripped)) % 4
            lines.append(self.indent * depth + " " * rest + stripped)
        if self.latin1:
            lines = ["# -*- coding: latin-1 -*-", *lines, "CAFE = 'caf\xe9'"]
        if self.formfeed:
            lines = [
                "\x0c" if not line and following[:1] not in ("", " ", "\t") else line
                for line, following in zip(lines, [*lines[1:], ""], strict=True)
            ]
        while lines and not lines[-1]:
            lines.pop()
        if self.ending == "comment":
            lines.append("# the end")
        text = "".join(
            line + ("\r\n" if self.newline == "\r\n" or (self.newline == "mixed" and i % 2) else "\n")
            for i, line in enumerate(lines)
        )
        if self.ending != "newline":
            text = text.rstrip("\r\n")
        if self.latin1:
            return text.encode("latin-1")
        data = text.encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.bom else data


styles = st.builds(
    Style,
    indent=st.sampled_from(["    ", "    ", "  ", "\t"]),
    newline=st.sampled_from(["\n", "\n", "\r\n", "mixed"]),
    bom=st.booleans(),
    latin1=st.booleans(),
    formfeed=st.booleans(),
    ending=st.sampled_from(["newline", "newline", "none", "comment"]),
)

# How the queue type is imported, and the expression that names it.
QUEUE_IMPORTS = [
    ("import queue", "queue.Queue", "queue.Full"),
    ("from queue import Queue, Full", "Queue", "Full"),
    ("from queue import Queue as Q, Full as QueueFull", "Q", "QueueFull"),
    ("import queue as qmod", "qmod.Queue", "qmod.Full"),
    ("import queue\nfrom queue import LifoQueue", "LifoQueue", "queue.Full"),
    ("import queue", "queue.SimpleQueue", "queue.Full"),
    ("import collections\nimport queue", "collections.deque", "queue.Full"),
]
QUEUE_ARGS = [
    "()", "(maxsize=100)", "(100)", "(0)", "(maxsize=0)", "(maxsize=-1)", "(maxsize=size)", "(size)",
    "(**options)", "(*sizes)", "(\n    maxsize=size,  # bounded\n)", "(\n    0\n)", "(maxsize = 0 )",
    "(  # unbounded\n)", "(\n    # no size\n)", "(maxsize=size if size else 0)", "(0,)",
]
PUBLISH_BODIES = [
    "self._queue.put_nowait(event)",
    "self._queue.put(event)",
    "self._queue.put(event, block=True)",
    "self._queue.put(event, block=False)",
    "self._queue.put(event, timeout=1.0)",
    "self._queue.put(\n    event,\n)",
    "try:\n    self._queue.put_nowait(event)\nexcept {full}:\n    pass",
    "try:\n    self._queue.put_nowait(event)\nexcept {full}:\n    raise",
    "try:\n    self._queue.put(event)\nexcept Exception:\n    return None",
    "requests.post(self._url, json=event, timeout=5)",
    "time.sleep(0.1); self._queue.put_nowait(event)",
    "self._queue.append(event)",
    "if (n := self._queue.qsize()) > 10:\n    self._dropped += 1\nelse:\n    self._queue.put(event)",
    "self._enqueue(event)",
    "self._worker.join()\nself._queue.put_nowait(event)",
    "return self._queue.put_nowait(event)",
    "self._queue.put(event)  # publisher-check: ignore[PUB001, PUB004]",
    "self._queue.put(event)  # publisher-check: ignore",
]
THREADS = [
    "self._worker = threading.Thread(target=self._run)",
    "self._worker = threading.Thread(target=self._run, daemon=True)",
    "self._worker = threading.Thread(target=self._run, daemon=False)",
    "self._worker = Thread(target=self._run, name='publisher')",
    "self._worker = threading.Thread(\n    target=self._run,\n    name='publisher',\n)",
    "self._worker = threading.Thread(target=self._run, **thread_options)",
    "self._worker = threading.Thread(target=self._run); self._worker.daemon = True",
    "self._worker = threading.Thread(None, self._run, 'publisher', (), {}, daemon=None)",
    "self._worker = Worker(self._queue)",
    "self._workers = [threading.Thread(target=self._run) for _ in range(2)]",
    "self._worker = threading.Thread(target=self._run,)  # one worker",
    "self._worker = threading.Thread(target=self._run, daemon=bool(options))",
    "self._worker = threading.Thread(\n    target=self._run\n    )",
    "",
]
WORKER_CLASSES = [
    "",
    "class Worker(threading.Thread):\n    def __init__(self, q):\n        super().__init__()\n        self.q = q\n\n"
    "    def run(self):\n        while True:\n            item = self.q.get()\n            self.q.task_done()\n",
    "class Worker(Thread):\n    def __init__(self, q: object) -> None:\n        super().__init__(daemon=True)\n"
    "        self.q = q\n",
    "class Worker(threading.Thread):\n    def __init__(self, q):\n        threading.Thread.__init__(self, name='w')\n"
    "        self.daemon = True\n        self.q = q\n",
    "class Worker(threading.Thread):\n    def __init__(self, q, **kwargs):\n        super().__init__(**kwargs)\n",
    "class Worker(threading.Thread):\n    daemon = True\n",
    "class Worker(threading.Thread): pass\n",
]
RETRY_LOOPS = [
    "",
    "delay = 1.0\nfor attempt in range(5):\n    status = self._post(batch)\n    if status < 300:\n        return\n"
    "    time.sleep(delay)\n    delay = min(delay * 2, 60)",
    "for attempt in range(3):\n    try:\n        self._post(batch)\n        break\n    except Exception:\n"
    "        time.sleep(2 ** attempt)",
    "while True:\n    if self._post(batch) == 200:\n        break\n    time.sleep(1)",
    "attempt = 0\nwhile attempt < 4:\n    attempt += 1\n    time.sleep(self._backoff * 2 ** attempt + random.random())",
    "self._post(batch)",
]
CLASSIFIERS = [
    "",
    "def classify(status):\n    if 200 <= status < 400:\n        return 'ok'\n    if status == 429:\n"
    "        return 'rate'\n    if status == 409 or status >= 500:\n        return 'retry'\n    return 'drop'\n",
    "def classify(status: int) -> str:\n    match status:\n        case 429:\n            return 'rate'\n"
    "        case s if 200 <= s < 300:\n            return 'ok'\n        case _:\n            return 'retry'\n",
    "def classify(response):\n    if response.status_code == 429:\n"
    "        time.sleep(float(response.headers.get('Retry-After', 1)))\n        return 'rate'\n"
    "    elif response.status_code >= 500: return 'retry'\n    elif response.ok: return 'ok'\n    return 'drop'\n",
    "def classify(response) -> bool:\n    response.raise_for_status()\n    return True\n",
    "classify = lambda status: 'ok' if status < 400 else 'retry'\n",
]
CALLBACKS = [
    "",
    "def _report(self, error):\n    self._error_callback(error)",
    "def _report(self, error):\n    runner = threading.Thread(target=self._error_callback, args=(error,))\n"
    "    runner.start()\n    runner.join()",
    "def _report(self, error: Exception) -> None:\n    runner = threading.Thread(target=self._error_callback, args=(error,))\n"
    "    runner.start()\n    runner.join(timeout=5.0)",
    "def _report(self, error):\n    t = threading.Thread(target=self._error_callback, args=(error,), daemon=True); t.start(); t.join()",
    "def _report(self, error):\n    if self._error_callback is not None:\n        self._pool.submit(self._error_callback, error).result()",
]
FLUSHES = [
    "",
    "def flush(self):\n    self._queue.join()",
    "def flush(self):\n    while not self._queue.empty():\n        time.sleep(0.05)",
    "def flush(self, timeout=None):\n    deadline = time.monotonic() + (timeout or 5)\n"
    "    while self._queue.unfinished_tasks and time.monotonic() < deadline:\n        time.sleep(0.01)",
    "def flush(self) -> None:\n    pass",
    "def flush(self) -> bool:\n    while self._queue.qsize():\n        time.sleep(0.1)\n    return True",
    "def force_flush(self):\n    \"\"\"Wait.\"\"\"\n    while self._queue.qsize(): time.sleep(0.1)",
    "async def flush(self):\n    while not self._queue.empty():\n        await asyncio.sleep(0)",
    "def flush(self): time.sleep(1)",
    "def flush(self):\n    return self._queue.qsize() == 0",
    "def flush(self):\n    \"\"\"Nothing to do.\"\"\"",
    "def flush(self):\n    if self._closed:\n        return\n    while self._queue.qsize(): time.sleep(0.1)",
]
CLOSES = [
    "",
    "def close(self):\n    self._stop.set()",
    "def close(self):\n    self.flush()\n    self._stop.set()",
    "def close(self) -> None:\n    \"\"\"Stop.\"\"\"\n    if self._closed:\n        return\n    self._closed = True\n    self._stop.set()",
    "def close(self, timeout=5.0):\n    global CLOSED\n    CLOSED = True\n    self._stop.set()",
    "def close(self): self._stop.set()",
    "def shutdown(self):\n    if self._closed: return\n    self._stop.set()\n    self._worker.join()",
    "async def close(self):\n    self._stop.set()",
    "def close(self):\n    raise NotImplementedError",
    "def close(self):\n    self._stop.set(); self._worker.join()",
    "def close(self):\n    # stop first\n    self._stop.set()\n    # then nothing",
    "def close(self):\n    \"\"\"Stop.\n\n    Twice is fine.\n    \"\"\"\n    with self._lock:\n        self._stop.set()",
    "def close(self):\n    try:\n        self._stop.set()\n    finally:\n        self._closed = True",
]
CONTEXT = [
    "",
    "def __enter__(self):\n    return self\n\ndef __exit__(self, *exc):\n    self.close()",
    "def __enter__(self):\n    return self",
    "def __exit__(self, exc_type, exc, tb) -> None:\n    self.close()",
]
POSTS = [
    "",
    "def _post(self, batch):\n    response = requests.post(self._url, json=batch, timeout=5)\n    return classify(response.status_code)",
    "def _post(self, batch):\n    response = self._session.post(self._url, json=batch)\n    return classify(response)",
    "def _post(self, batch):\n    with urllib.request.urlopen(self._url, data=batch, timeout=5) as response:\n"
    "        return response.status",
    "def _post(self, batch):\n    response = requests.post(self._url, json=batch)\n    if response.status_code == 429:\n"
    "        retry_after = response.headers.get('Retry-After')\n        time.sleep(float(retry_after or 1))\n"
    "    if 400 <= response.status_code < 500:\n        return 'drop'\n    return response.status_code",
]
HANDLERS = [
    "",
    "def on(self, name, handler):\n    self._handlers.setdefault(name, []).append(handler)",
    "def add_listener(self, handler):\n    self._handlers.append(handler)",
]
EXTRAS = [
    "",
    "@property\ndef size(self):\n    return self._queue.qsize()",
    "@staticmethod\ndef describe(size):\n    return f\"queue of {size!r:>{size}}\"",
    "@classmethod\ndef builder(cls):\n    return ClientBuilder()",
    "def _run(self):\n    while not self._stop.is_set():\n        try:\n            batch = self._queue.get(timeout=0.5)\n"
    "        except Exception:\n            continue\n        self._send(batch)\n        self._queue.task_done()",
    "def _send(self, batch):\n    def inner(x, /, *, y=1):\n        nonlocal batch\n        return x\n    return inner(batch)",
    "def _enqueue(self, event):\n    self._queue.put(event)",
    "def _iter(self):\n    yield from ()",
    "class Nested:\n    def publish(self, event):\n        pass",
    "def __init_subclass__(cls, **kwargs):\n    super().__init_subclass__(**kwargs)",
    "if True:\n    def maybe(self): return 1",
    "# a comment that ends the class body",
    "__slots__ = ('_queue', '_worker')",
]
SETTERS = [
    "def endpoint(self, url):\n    self._url = url",
    "def endpoint(self, url: str) -> None:\n    self._url = url",
    "def endpoint(self, url: str) -> 'ClientBuilder':\n    self._url = url\n    return self",
    "def endpoint(self, url): self._url = url",
    "def endpoint(self, url):\n    if not url:\n        return\n    self._url = url",
    "def endpoint(self, url):\n    \"\"\"Set.\"\"\"\n    self._url = url\n    return None",
    "def queue_size(self, size: int):\n    self._size = size; return self",
    "def retries(self, n):\n    for _ in range(n):\n        pass\n    else:\n        self._n = n",
    "async def endpoint(self, url):\n    self._url = url",
    "def endpoint(self, url):\n    while True:\n        self._url = url\n        break",
    "def endpoint(self, url):\n    yield url",
    "def endpoint(self, url):\n    raise ValueError(url)",
]
DATACLASSES = [
    "@dataclass\nclass Event:\n    name: str\n    data: dict = field(default_factory=dict)",
    "@dataclass()\nclass Event:\n    name: str",
    "@dataclass(frozen=True)\nclass Event:\n    name: str",
    "@dataclass(frozen=False, slots=True)\nclass Event:\n    name: str",
    "@dataclasses.dataclass(order=True)\nclass Event:\n    name: str = 'x'",
    "@dataclass\nclass Event:\n    name: str\n\n    def rename(self, name):\n        self.name = name",
    "@dataclass\nclass Event:\n    name: str\n\n\n@dataclass\nclass Child(Event):\n    extra: int = 0",
    "@dataclass(frozen=True)\nclass Event:\n    name: str\n\n\n@dataclass\nclass Child(Event):\n    extra: int = 0",
    "@dataclass(\n    eq=True,  # compare\n)\nclass Event:\n    name: str",
    "@dataclass\n@functools.total_ordering\nclass Event:\n    name: str",
    "@dataclass(**OPTIONS)\nclass Event:\n    name: str",
    "class Event(NamedTuple):\n    name: str",
    "@dataclass\nclass Event: name: str",
]
ODDITIES = [
    "",
    "x = 1; y = 2; del x",
    "if TYPE_CHECKING:\n    from typing import Any",
    "def decorate(f):\n    return f\n\n\n@decorate\ndef helper(*args, **kwargs):\n    return [a for a in args if (b := a)]",
    "try:\n    import ujson as json\nexcept ImportError:\n    import json",
    "async def gather(xs):\n    async with xs as y:\n        async for z in y:\n            await z",
    "try:\n    pass\nexcept* ValueError:\n    pass",
    "VALUE = \\\n    3",
    "PAIRS = {**{}, 'a': [*range(3)], 'b': (lambda: (yield))}",
    "def publish(event):\n    return event",
    "ÉVÉNEMENTS = ['é']  # non-ascii names",
    "class Empty: ...",
    "with open(__file__) as a, open(__file__) as b: pass",
    "for i in range(3):\n    pass\nelse:\n    i = None",
    "print(f\"{'nested' + f'{1!r}'}\")",
    "while False:\n    continue",
    "assert True, 'message'",
    "class Meta(type):\n    def __call__(cls, *a, **k):\n        return super().__call__(*a, **k)",
]


def indent(code: str, depth: int = 1) -> str:
    return "\n".join(("    " * depth + line) if line else "" for line in code.split("\n"))


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b for b in blocks if b)


@st.composite
def publishers(draw: st.DrawFn) -> Project:
    """A publisher package of one to four modules, each in its own style."""
    queue_import, queue_type, full = draw(st.sampled_from(QUEUE_IMPORTS))
    hinted = draw(st.booleans())
    init_lines = [
        f"self._queue = {queue_type}{draw(st.sampled_from(QUEUE_ARGS))}",
        "self._stop = threading.Event()",
        "self._closed = False",
        "self._handlers = {}",
        "self._error_callback = error_callback",
    ]
    thread = draw(st.sampled_from(THREADS))
    if thread:
        init_lines.append(thread)
        init_lines.append(draw(st.sampled_from(["self._worker.start()", "", "self._worker.daemon = True"])))
    signature = (
        "def __init__(self, size: int = 100, error_callback: object = None, **options: object) -> None:"
        if hinted
        else "def __init__(self, size=100, error_callback=None, **options):"
    )
    publish_name = draw(st.sampled_from(["publish", "publish_event", "track", "emit", "enqueue", "send_event"]))
    publish_body = draw(st.sampled_from(PUBLISH_BODIES)).replace("{full}", full)
    publish_sig = f"def {publish_name}(self, event: dict) -> None:" if hinted else f"def {publish_name}(self, event):"
    methods = [
        signature + "\n" + indent("\n".join(line for line in init_lines if line)),
        publish_sig + "\n" + indent(publish_body),
        draw(st.sampled_from(FLUSHES)),
        draw(st.sampled_from(CLOSES)),
        draw(st.sampled_from(CONTEXT)),
        draw(st.sampled_from(HANDLERS)),
        draw(st.sampled_from(CALLBACKS)),
        "def _send(self, batch):\n" + indent(draw(st.sampled_from(RETRY_LOOPS)) or "pass"),
        draw(st.sampled_from(POSTS)),
        *draw(st.lists(st.sampled_from(EXTRAS), max_size=3)),
    ]
    methods = [m for m in methods if m]
    methods = draw(st.permutations(methods))
    client_name = draw(st.sampled_from(["Client", "EventClient", "Telemetry", "Ünïcode"]))
    bases = draw(st.sampled_from(["", "(object)", "(Base)", "(metaclass=Meta)"]))
    decorator = draw(st.sampled_from(["", "@final\n", "@decorate\n"]))
    client = f"{decorator}class {client_name}{bases}:\n" + indent(_join(methods))
    suppress = draw(st.sampled_from(["", "  # publisher-check: ignore[PUB011]", "  # publisher-check: ignore"]))
    client = client.replace(":\n", ":" + suppress + "\n", 1) if suppress and not decorator else client

    setters = draw(st.lists(st.sampled_from(SETTERS), min_size=0, max_size=3, unique=True))
    builder = ""
    with_builder = draw(st.booleans())  # a builder without setters to judge, too
    if setters or with_builder:
        builder_methods = ["def __init__(self):\n    self._url = ''", *setters, f"def build(self):\n    return {client_name}()"]
        builder = "class ClientBuilder:\n" + indent(_join(builder_methods))
    models = _join(draw(st.lists(st.sampled_from(DATACLASSES), min_size=0, max_size=2, unique=True)))
    worker = draw(st.sampled_from(WORKER_CLASSES))
    classifier = draw(st.sampled_from(CLASSIFIERS))
    oddities = draw(st.lists(st.sampled_from(ODDITIES), max_size=3))

    header = "\n".join(
        [
            draw(st.sampled_from(["", '"""A publisher."""', "#!/usr/bin/env python3"])),
            draw(st.sampled_from(["", "from __future__ import annotations"])),
            queue_import,
            "import asyncio\nimport dataclasses\nimport functools\nimport random\nimport threading\nimport time",
            "import urllib.request",
            "from dataclasses import dataclass, field\nfrom threading import Thread",
            "from typing import TYPE_CHECKING, NamedTuple, final",
            "import requests",
            "OPTIONS = {}\nthread_options = {}\nCLOSED = False",
            "class Base: pass",
            "class Meta(type): pass",
            "def decorate(f):\n    return f",
        ]
    ).lstrip("\n")
    # Where each part goes: one module, or split (the checker follows imports across modules).
    layout = draw(st.sampled_from(["single", "split", "split-absolute"]))
    parts = {"client": [client], "builder": [builder], "models": [models], "worker": [worker, classifier]}
    if layout == "single":
        modules = {"client": [*oddities, models, worker, classifier, client, builder]}
        imports = ""
    else:
        modules = {"client": [*oddities, *parts["client"], *parts["builder"]], "models": parts["models"], "worker": parts["worker"]}
        prefix = "." if layout == "split" else "pkg."
        imports = f"from {prefix}models import *\nfrom {prefix}worker import *"
    project: Project = {}
    for name, blocks in modules.items():
        body = _join([header, imports if name == "client" else "", *blocks]) + "\n"
        project[f"pkg/{name}.py"] = draw(styles).render(body)
    project["pkg/__init__.py"] = draw(st.sampled_from([b"", b"from .client import *\n", b'"""Package."""\n']))
    return project


# ---------------------------------------------------------------------------
# hypothesmith's random programs

CANDIDATE_HEAD = "import queue\nimport threading\n\n"
CANDIDATE_TAIL = (
    "\n\nclass Client:\n    def __init__(self):\n        self._queue = queue.Queue()\n"
    "        self._worker = threading.Thread(target=self.flush)\n\n"
    "    def publish(self, event):\n        self._queue.put(event)\n\n"
    "    def flush(self):\n        pass\n\n    def close(self):\n        self._worker.join()\n"
)


def spliced(program: str) -> Project:
    """The random program twice: alone, and inside a module the checker treats as a candidate
    (which goes through libcst, the fact extraction and, in executive mode, the fixes)."""
    candidate = CANDIDATE_HEAD + program + ("" if program.endswith("\n") else "\n") + CANDIDATE_TAIL
    return {
        "random_alone.py": program.encode("utf-8", "surrogatepass"),
        "random_client.py": candidate.encode("utf-8", "surrogatepass"),
    }


random_programs = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()).map(spliced)


# ---------------------------------------------------------------------------
# The properties


def materialise(project: Project, root: Path) -> list[Path]:
    paths = []
    for name, data in project.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings in generated code are expected
            compile(data, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def assert_verify_survives(result: RunResult, files: list[Path]) -> None:
    assert isinstance(result, RunResult)
    assert all(isinstance(e, FileError) for e in result.errors)
    assert {e.path for e in result.errors} <= set(files), "errors name the files they are about"
    assert all(v.path in files for v in result.violations)


def assert_fix_is_sound(report: FixReport, root: Path, before: dict[Path, bytes], config: Config) -> None:
    """Every written file compiles, nothing else changed, and --fix is idempotent."""
    after = snapshot(root)
    assert after.keys() == before.keys(), "executive mode creates and deletes no file"
    changed = {c.path for c in report.changes}
    for path, data in after.items():
        if path in changed:
            assert data != before[path] and compiles(data), f"{path.name} was changed and must still compile"
        else:
            assert data == before[path], f"{path.name} has no fix and must be byte-for-byte unchanged"
    assert report.write_errors == ()
    again = api.check([root], api.Options(config=config, mode="executive", unsafe_fixes=True)).fixes
    assert again.changes == () and again.fixes_applied == 0, "a second --fix changes nothing"
    assert snapshot(root) == after


def assert_fixes_are_clean(report: FixReport) -> None:
    """On a file that compiles, a fix neither raises nor produces code that does not compile,
    and no fix creates a kind of violation that was not there."""
    broken = [(f.violation.rule, f.reason) for f in report.failures if "cannot be verified" not in f.reason]
    assert broken == []
    created = Counter((v.path, v.rule) for v in report.final.violations) - Counter(
        (v.path, v.rule) for v in report.initial.violations
    )
    assert not created, f"fixes created violations: {created}"


def in_temporary_folder(check: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="publisher-check-property-") as folder:
        check(Path(folder))


@examples(100)
@given(publishers())
def test_generated_publishers_compile(project: Project) -> None:
    """The generator's own promise: every module it writes is valid Python."""
    for name, data in project.items():
        assert compiles(data), name


@examples(20)
@given(publishers())
def test_verify_never_fails_on_generated_publishers(project: Project) -> None:
    def check(root: Path) -> None:
        files = materialise(project, root)
        result = run([root], Config())
        assert_verify_survives(result, files)
        assert result.errors == (), "every generated module is valid Python, so none is an error"

    in_temporary_folder(check)


@examples(15)
@given(publishers())
def test_fixing_generated_publishers_is_sound_and_idempotent(project: Project) -> None:
    def check(root: Path) -> None:
        materialise(project, root)
        before = snapshot(root)
        config = Config()
        report = api.check([root], api.Options(config=config, mode="executive", unsafe_fixes=True)).fixes
        assert report.converged
        assert_fixes_are_clean(report)
        assert_fix_is_sound(report, root, before, config)

    in_temporary_folder(check)


@examples(25)
@given(random_programs)
def test_verify_never_fails_on_random_programs(project: Project) -> None:
    def check(root: Path) -> None:
        files = materialise(project, root)
        assert_verify_survives(run([root], Config()), files)

    in_temporary_folder(check)


@examples(12)
@given(random_programs)
def test_fixing_random_programs_is_sound_and_idempotent(project: Project) -> None:
    def check(root: Path) -> None:
        materialise(project, root)
        before = snapshot(root)
        config = Config()
        report = api.check([root], api.Options(config=config, mode="executive", unsafe_fixes=True)).fixes
        assert_fix_is_sound(report, root, before, config)

    in_temporary_folder(check)
