"""Compliant publishers written in other styles than the reference, and one mutant per rule.

fixtures/style_labels (a classifier returning labels, executor callbacks, stop()),
fixtures/style_split (status sets and predicates in another module, a worker draining in a
finally block) and fixtures/style_handler (a logging.Handler) give zero findings
(test_fixtures.py); here each is broken in one place per rule, and that rule must notice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from publisher_check.config import Config
from publisher_check.engine import run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

# (fixture, file, [(old, new), ...], rule that must report the mutant)
MUTANTS: list[tuple[str, str, list[tuple[str, str]], str]] = [
    ("style_labels", "beacon/emitter.py", [("self._pending.put_nowait(beacon)", "self._pending.put(beacon)")], "PUB001"),
    ("style_labels", "beacon/emitter.py", [("self._pending: queue.Queue[Beacon | None] = queue.Queue(maxsize=capacity)", "self._pending: asyncio.Queue[Beacon | None] = asyncio.Queue(maxsize=capacity)"), ("import queue\n", "import asyncio\nimport queue\n")], "PUB002"),
    ("style_labels", "beacon/emitter.py", [("queue.Queue(maxsize=capacity)", "queue.Queue()")], "PUB003"),
    ("style_labels", "beacon/emitter.py", [("        self._pending.put_nowait(beacon)\n", "        try:\n            self._pending.put_nowait(beacon)\n        except queue.Full:\n            pass\n")], "PUB004"),
    ("style_labels", "beacon/emitter.py", [('name="beacon", daemon=True', 'name="beacon"')], "PUB005"),
    ("style_labels", "beacon/emitter.py", [("                delay *= 2\n", ""), ("            delay *= 2\n", "")], "PUB006"),
    ("style_labels", "beacon/outcomes.py", [("if status in RETRYABLE_STATUSES or status >= 500:", "if status >= 500:")], "PUB007"),
    ("style_labels", "beacon/emitter.py", [('wait = retry_after_seconds(response.headers.get("Retry-After"), delay)', "wait = delay")], "PUB008"),
    ("style_labels", "beacon/outcomes.py", [('    return "permanent_failure"\n', '    if status == 408:\n        return "retry"\n    return "permanent_failure"\n')], "PUB009"),
    ("style_labels", "beacon/emitter.py", [("future.result(timeout=self._hook_timeout)", "future.result()")], "PUB010"),
    ("style_labels", "beacon/emitter.py", [("    def __enter__(self) -> Self:\n        return self\n\n", "")], "PUB011"),
    ("style_labels", "beacon/emitter.py", [("        if timeout is None:\n            self._pending.join()\n            return True\n        with self._pending.all_tasks_done:\n            return self._pending.all_tasks_done.wait_for(lambda: self._pending.unfinished_tasks == 0, timeout)\n", "        self._halt.wait(0.1)\n        return self._pending.empty()\n")], "PUB012"),
    ("style_labels", "beacon/emitter.py", [("        self.flush(timeout)\n        self._halt.set()\n        try:\n            self._pending.put_nowait(None)\n        except queue.Full:\n            pass\n", "        self._halt.set()\n")], "PUB013"),
    ("style_labels", "beacon/emitter.py", [("    def on(self, name: str, listener: Listener) -> None:", "    def subscribe(self, name: str, listener: Listener) -> None:")], "PUB014"),
    ("style_labels", "beacon/emitter.py", [("    def url(self, url: str) -> Self:\n        self._url = url\n        return self\n", "    def url(self, url: str) -> None:\n        self._url = url\n")], "PUB015"),
    ("style_labels", "beacon/models.py", [("@dataclass(frozen=True, slots=True)\nclass Beacon:", "@dataclass(slots=True)\nclass Beacon:")], "PUB016"),
    ("style_labels", "beacon/outcomes.py", [("def retry_after_seconds(value: str | None, fallback: float) -> float:", "def retry_after_seconds(value, fallback):")], "PUB017"),
    ("style_split", "relay/relay.py", [("self._pending.put_nowait(item)", "self._pending.put(item)")], "PUB001"),
    ("style_split", "relay/relay.py", [("queue.Queue(maxsize=max_pending)", "queue.Queue()")], "PUB003"),
    ("style_split", "relay/relay.py", [('name="relay", daemon=True', 'name="relay"')], "PUB005"),
    ("style_split", "relay/policy.py", [("    return min(cap, base * 2 ** (attempt - 1))", "    return min(cap, base)")], "PUB006"),
    ("style_split", "relay/policy.py", [("frozenset({HTTPStatus.CONFLICT, 500, 502, 503, 504})", "frozenset({500, 502, 503, 504})")], "PUB007"),
    ("style_split", "relay/policy.py", [("    return status in RETRY_STATUSES or status >= 500", "    return status in RETRY_STATUSES or status >= 500 or status == 404")], "PUB009"),
    ("style_split", "relay/transport.py", [("pending.result(timeout=self._hook_timeout)", "pending.result()")], "PUB010"),
    ("style_split", "relay/transport.py", [("pending.result(timeout=self._hook_timeout)", "wait([pending])"), ("TimeoutError as FutureTimeout\n", "TimeoutError as FutureTimeout, wait\n")], "PUB010"),
    ("style_split", "relay/relay.py", [("    def shutdown(self) -> None:\n        self.flush()\n", "    def shutdown(self) -> None:\n")], "PUB013"),
    ("style_split", "relay/records.py", [("@dataclass(frozen=True, slots=True)\nclass Record:", "@dataclass\nclass Record:")], "PUB016"),
    ("style_handler", "shipper/handler.py", [("self._records.put_nowait(self.format(record))", "self._records.put(self.format(record))")], "PUB001"),
    ("style_handler", "shipper/handler.py", [("queue.Queue(maxsize=capacity)", "queue.Queue()")], "PUB003"),
    ("style_handler", "shipper/handler.py", [('name="shipper", daemon=True', 'name="shipper"')], "PUB005"),
    ("style_handler", "shipper/handler.py", [("            elif status in RETRY_LATER or status >= 500:", "            elif status >= 500:")], "PUB007"),
    ("style_handler", "shipper/handler.py", [("self._pause(float(retry_after) if retry_after.isdigit() else 2.0**attempt)", "self._pause(2.0**attempt)"), ('                retry_after = response.headers.get("Retry-After", "")\n', "")], "PUB008"),
    ("style_handler", "shipper/handler.py", [("            elif status in RETRY_LATER or status >= 500:", "            elif status in RETRY_LATER or status >= 500 or status == 410:")], "PUB009"),
    ("style_handler", "shipper/handler.py", [("        runner.join(timeout=2.0)\n", "        runner.join()\n")], "PUB010"),
    ("style_handler", "shipper/handler.py", [("        self.flush()\n        self._done.set()\n", "        self._done.set()\n")], "PUB013"),
]


@pytest.mark.parametrize(
    ("fixture", "file", "edits", "rule"), MUTANTS, ids=[f"{m[0]}-{m[3]}-{i}" for i, m in enumerate(MUTANTS)]
)
def test_each_mutant_is_caught(tmp_path: Path, fixture: str, file: str, edits: list[tuple[str, str]], rule: str) -> None:
    project = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, project)
    target = project / file
    text = target.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, f"the mutation no longer applies to {file}: {old!r}"
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    result = run([project], Config())
    assert result.publisher_found
    assert rule in {v.rule for v in result.violations}, [f"{v.rule} {v.path.name}:{v.line} {v.message}" for v in result.violations]


def test_every_rule_has_a_mutant_in_the_labels_style() -> None:
    assert {m[3] for m in MUTANTS if m[0] == "style_labels"} == {f"PUB{n:03d}" for n in range(1, 18)}
