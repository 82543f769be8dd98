"""``--show-model``: the code model the rules judge, per client, with the lines behind it.

No linter shows why it decided; this does. For each client: its entry points, the buffer
they put on, the worker threads, the HTTP sends, the retry mechanism, the delivery table
(what the status helpers on the delivery path answer for each representative status, read
by evaluation) and the lifecycle methods. Where the checker could not decide, the model
says ``unknown`` instead of guessing — and no rule reports on what is unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..analysis.evaluate import Member, Raised
from ..analysis.parts import (
    ThreadSite,
    buffer_of,
    client_method,
    enqueue_sites,
    loop_tables,
    reads_retry_after,
    retries,
    send_functions,
    status_tables,
    thread_sites,
)
from ..analysis.project import Func, Publisher

Model = dict[str, Any]


def _where(path: Path, line: int | None, root: Path | None) -> str:
    shown = path
    if root is not None:
        try:
            shown = path.resolve().relative_to(root.resolve())
        except ValueError:
            shown = path
    return f"{shown.as_posix()}:{line}" if line is not None else shown.as_posix()


def _func(func: Func, root: Path | None) -> dict[str, str]:
    return {"name": func.fact.qualname, "at": _where(func.module.path, func.fact.line, root)}


def _thread_at(site: ThreadSite, root: Path | None) -> str:
    if site.func is not None and site.call is not None:
        return _where(site.func.module.path, site.call.line, root)
    if site.klass is not None:
        return _where(site.klass.module.path, site.klass.fact.line, root)
    return "unknown"


def _answer_text(answer: object) -> str:
    if isinstance(answer, Raised):
        return f"raises {answer.name}"
    if isinstance(answer, Member):
        return answer.name
    return repr(answer)


def _action(answer: object, answers: dict[int, object]) -> str:
    """The action an answer stands for, read from what the helper says for anchor statuses:
    a 503 is retried, a 200 succeeds, a 400 is dropped. A yes/no predicate that answers alike
    for 200 and 400 only tells "retry" from "not retried"."""
    if answer == answers[503] and answers[503] != answers[400]:
        return "retry"
    if answers[200] != answers[400]:
        if answer == answers[200]:
            return "success"
        if answer == answers[400]:
            return "drop" if answers[400] != answers[503] else "failure"
        if answer == answers[429]:
            return "rate-limit"
        return "unknown"
    return "not retried"


def _delivery(publisher: Publisher, root: Path | None) -> Model:
    """One evaluated table per status helper on the delivery path; none means "unknown"."""
    tables = [
        {
            "helper": _func(table.func, root),
            "rows": [
                {"status": status, "action": _action(answer, table.answers), "answer": _answer_text(answer)}
                for status, answer in sorted(table.answers.items())
            ],
        }
        for table in status_tables(publisher)
    ]
    loops = [
        {
            "loop": _func(table.retry.func, root),
            "send_at": _where(table.retry.func.module.path, table.retry.send_line, root),
            "rows": [{"status": status, "action": action} for status, action in sorted(table.actions.items())],
        }
        for table in loop_tables(publisher)
    ]
    return {"retry_after_read": reads_retry_after(publisher), "retry_loops": loops, "tables": tables}


def describe(publishers: list[Publisher], root: Path | None = None) -> Model:
    """The model of every client found, as plain data (what ``--show-model --format json`` prints)."""
    clients = []
    for publisher in publishers:
        client = publisher.clients[0]
        klass = client.klass
        sites = enqueue_sites(publisher)
        buffers = []
        for site in sites:
            buffer = buffer_of(publisher, site)
            buffers.append(
                {
                    "enqueue": f"{site.call.callee}()",
                    "at": _where(site.func.module.path, site.call.line, root),
                    "kind": buffer.type_name or "unknown",
                }
            )
        workers = [
            {"kind": site.kind, "daemon": site.daemon, "at": _thread_at(site, root)} for site in thread_sites(publisher)
        ]
        sends = [
            {"call": f"{call.callee}()", "at": _where(func.module.path, call.line, root)}
            for func, call in send_functions(publisher)
        ]
        retry = [
            {"kind": r.kind, "exponential": r.exponential, "at": _where(r.func.module.path, r.line, root)}
            for r in retries(publisher)
        ]
        config = publisher.config
        clients.append(
            {
                "client": client.name,
                "at": _where(klass.module.path, klass.fact.line, root),
                "entry_points": [_func(f, root) for f in client.publish_methods],
                "buffers": buffers,
                "workers": workers,
                "sends": sends,
                "retries": retry,
                "delivery": _delivery(publisher, root),
                "lifecycle": {
                    "flush": [_func(f, root) for f in client_method(publisher, client, config.flush_methods)],
                    "close": [_func(f, root) for f in client_method(publisher, client, config.close_methods)],
                    "handlers": [_func(f, root) for f in client_method(publisher, client, config.handler_methods)],
                    "context_manager": {"__enter__", "__exit__"} <= set(publisher.project.methods(klass)),
                },
            }
        )
    return {"clients": clients}


def render_json(model: Model) -> str:
    return json.dumps(model, indent=2) + "\n"


def _list(items: list[dict[str, Any]], key: str) -> str:
    return ", ".join(f"{item[key]} ({item['at']})" for item in items) or "none found"


def render_text(model: Model) -> str:
    """One block per client; the delivery table groups statuses by action."""
    if not model["clients"]:
        return "No publisher found.\n"
    lines: list[str] = []
    for client in model["clients"]:
        lines.append(f"{client['client']}  {client['at']}")
        lines.append(f"  entry points: {_list(client['entry_points'], 'name')}")
        buffers = ", ".join(f"{b['enqueue']} on {b['kind']} ({b['at']})" for b in client["buffers"])
        lines.append(f"  buffer:       {buffers or 'none found'}")
        workers = ", ".join(
            f"{w['kind']}{' daemon' if w['daemon'] else ' NOT daemon'} ({w['at']})" for w in client["workers"]
        )
        lines.append(f"  workers:      {workers or 'none found'}")
        lines.append(f"  sends:        {_list(client['sends'], 'call')}")
        retry = ", ".join(
            f"{r['kind']}{' exponential' if r['exponential'] else ' not exponential'} ({r['at']})"
            for r in client["retries"]
        )
        lines.append(f"  retries:      {retry or 'none found'}")
        delivery = client["delivery"]
        lines.append(f"  Retry-After:  {'read' if delivery['retry_after_read'] else 'never read'}")
        for loop in delivery["retry_loops"]:
            lines.append(f"  retry loop of {loop['loop']['name']} (send at {loop['send_at']}), one pass per status:")
            by_course: dict[str, list[str]] = {}
            for row in loop["rows"]:
                by_course.setdefault(row["action"], []).append(str(row["status"]))
            for course, statuses in by_course.items():
                lines.append(f"    {course:11} {' '.join(statuses)}")
        for table in delivery["tables"]:
            lines.append(f"  delivery table of {table['helper']['name']} ({table['helper']['at']}):")
            by_action: dict[str, list[str]] = {}
            for row in table["rows"]:
                by_action.setdefault(row["action"], []).append(f"{row['status']}→{row['answer']}")
            for action, statuses in by_action.items():
                lines.append(f"    {action:11} {' '.join(statuses)}")
        if not delivery["tables"] and not delivery["retry_loops"]:
            lines.append(
                "  delivery table: unknown (no retry loop or status helper on the delivery path could be evaluated)"
            )
        life = client["lifecycle"]
        lines.append(f"  flush:        {_list(life['flush'], 'name')}")
        lines.append(f"  close:        {_list(life['close'], 'name')}")
        lines.append(f"  handlers:     {_list(life['handlers'], 'name')}")
        lines.append(f"  context manager: {'yes' if life['context_manager'] else 'no'}")
        lines.append("")
    return "\n".join(lines)
