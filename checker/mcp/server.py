"""``publisher-check mcp``: the checker's tools over the Model Context Protocol.

Built on the SDK's low-level ``Server`` rather than ``MCPServer``: every tool publishes a
JSON Schema written here for its input, and ``check`` and ``fix`` publish the report's own
shipped schema (SPEC section 3) as their output schema, so a client validates what it gets
against the same contract the CLI's ``--format json`` is tested on. Arguments are validated
here with jsonschema (the low-level server does not), and a bad argument, a refused path or
a failed check is a tool error (``isError`` with one line of text), never a protocol error.

Tools run on a worker thread: a check is CPU-bound and must not stall the event loop, which
meanwhile sends the check's progress as MCP progress notifications (files done, over every
VERIFY pass of the run) when the client asked for them with a progress token.

Importing this module imports the ``mcp`` SDK: only ``command.py`` does, when
``publisher-check mcp`` runs.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import jsonschema
from mcp import types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.session import ServerSession
from mcp.server.stdio import stdio_server

from ..analysis.cache import FactsCache, default_cache_dir
from ..analysis.files import PathError
from ..api import Options, check, show_model
from ..config import ConfigError, find_pyproject, load_config
from ..ftypes import FixReport, Severity
from ..registry import rules_by_id
from ..reports.diff import unified_diff
from ..reports.report import display_path, report_schema, to_json
from ..reports.sarif import tool_version
from ..rule import Rule
from ..skill.plan import DESTINATIONS, FRAMEWORKS, RELIABILITIES, Answers, Example, PlanError, load_example, make_plan
from ..skill.scaffold import ScaffoldError, render, write
from .paths import RootError, Roots

PROGRESS_REFRESH = 0.2  # seconds between two progress notifications of one call
SEVERITIES = [s.label for s in Severity]
RULE_ID = {"type": "string", "pattern": "^[Pp][Uu][Bb][0-9]{3}$|^ALL$"}


class ToolFailure(Exception):
    """What the client reads as the tool's error: one line, no traceback."""


# -- the one place that runs the checker --------------------------------------------------------


def _run_check(
    roots: Roots,
    paths: Sequence[str],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: str | None = None,
    exclude: Sequence[str] = (),
    executive: bool = False,
    unsafe_fixes: bool = False,
    write_files: bool = True,
    session_id: str | None = None,
    progress: _Progress | None = None,
) -> tuple[dict[str, Any], FixReport]:
    """Run one check through ``api.check()`` and return its SPEC section 3 report (and the fix report).

    A ``pyproject.toml`` above the roots is never read: the configuration comes from inside them.
    """
    targets = [roots.resolve(path) for path in paths or ["."]]
    try:
        pyproject = find_pyproject(targets[0])
        options = Options(
            mode="executive" if executive else "informative",
            unsafe_fixes=unsafe_fixes,
            preview=not write_files,
            config=load_config(pyproject if pyproject is not None and roots.contains(pyproject) else None),
            select=tuple(s.upper() for s in select),
            ignore=tuple(s.upper() for s in ignore),
            exclude=tuple(exclude),
            fail_on=Severity.parse(fail_on) if fail_on else None,
            session_id=session_id,
            cache=FactsCache(default_cache_dir()),
            progress=progress or _Progress(None),
        )
        run = check(targets, options)
    except (ConfigError, PathError, ValueError) as exc:
        raise ToolFailure(str(exc)) from None
    return to_json(run), run.fixes


class _Progress:
    """The engine's ``terminal.Progress``, sent to the client as MCP progress notifications.

    Executive mode runs several VERIFY passes, each starting again from zero; the value sent
    is the files done over all passes so far, so it only grows, as the protocol requires.
    ``notify`` runs on the worker thread (None sends nothing; the session itself drops the
    notifications when the client sent no progress token).
    """

    def __init__(self, notify: Callable[[float, float, str], None] | None) -> None:
        self._notify = notify
        self._passes = 0
        self._earlier_done = 0
        self._earlier_total = 0
        self._done = 0
        self._total = 0
        self._sent = 0
        self._last = 0.0

    def start(self, total: int) -> None:
        self._earlier_done += self._done
        self._earlier_total += self._total
        self._passes += 1
        self._done = 0
        self._total = total

    def advance(self, count: int = 1) -> None:
        self._done = min(self._total, self._done + count)
        value = self._earlier_done + self._done
        now = time.monotonic()
        if self._notify is None or value <= self._sent:
            return
        if self._done < self._total and now - self._last < PROGRESS_REFRESH:
            return
        self._sent, self._last = value, now
        self._notify(value, self._earlier_total + self._total, f"pass {self._passes}: {self._done}/{self._total} files")


# -- schemas ------------------------------------------------------------------------------------


def _strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def _check_options() -> dict[str, Any]:
    return {
        "paths": {
            **_strings("Files or folders to check, relative to the server's first root (default: the root)."),
            "default": ["."],
        },
        "select": {
            "type": "array",
            "items": RULE_ID,
            "description": "Only these rule ids (default: all, or the config's).",
        },
        "ignore": {"type": "array", "items": RULE_ID, "description": "Skip these rule ids."},
        "fail_on": {
            "enum": SEVERITIES,
            "description": "Lowest severity that makes status 'failed' (default: low, or the config's).",
        },
        "exclude": _strings("Extra gitignore-style patterns to skip."),
        "session_id": {
            "type": "string",
            "minLength": 1,
            "description": "Session id for the metrics (generated when absent).",
        },
    }


def _object(properties: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": dict(properties), "required": list(required), "additionalProperties": False}


def _report_output(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The shipped report schema (no ``$id``: a client resolves its refs within the document)."""
    schema = copy.deepcopy(report_schema())
    schema.pop("$id", None)
    if extra:
        schema["properties"].update(extra)
        schema["required"] = [*schema["required"], *extra]
    return schema


_ANSWERS: dict[str, Any] = {
    "volume": {"type": "number", "exclusiveMinimum": 0, "description": "Expected events per second."},
    "reliability": {"enum": list(RELIABILITIES), "description": "Delivery guarantee the SLA asks for."},
    "destinations": {
        "enum": list(DESTINATIONS),
        "default": "single",
        "description": "One collector, several, or fan-out.",
    },
    "framework": {"enum": list(FRAMEWORKS), "default": "standalone", "description": "Where the publisher runs."},
    "examples": {
        "type": "array",
        "items": {"type": "object"},
        "description": "Example events (JSON objects); a schema is inferred from them.",
    },
    "example_files": _strings("JSON files under the roots, each holding one example event."),
}
_DECISIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "value", "reason"],
        "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
    },
}
_PLAN_OUTPUT: dict[str, Any] = {
    "type": "object",
    "required": ["answers", "volumeClass", "parameters", "design", "collector", "testing", "schema"],
    "properties": {
        "answers": {"type": "object"},
        "volumeClass": {"enum": ["low", "medium", "high"]},
        "parameters": _DECISIONS,
        "design": _DECISIONS,
        "collector": {"type": "array", "items": {"type": "string"}},
        "testing": {"type": "array", "items": {"type": "string"}},
        "schema": {"type": "object"},
    },
}
_RULE_SUMMARY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "check", "severity", "fixable", "fixSafety"],
    "properties": {
        "id": {"type": "string"},
        "check": {"type": "string"},
        "severity": {"enum": SEVERITIES},
        "fixable": {"type": "boolean"},
        "fixSafety": {"enum": ["safe", "unsafe", None], "description": "null when the rule has no fix"},
    },
}
_FILES = {"type": "object", "additionalProperties": {"type": "string"}, "description": "file name -> source"}


# -- tools --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    annotations: types.ToolAnnotations
    run: Callable[[Roots, dict[str, Any], _Progress], dict[str, Any]]

    def definition(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            description=self.description,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            annotations=self.annotations,
        )


def _show_model(roots: Roots, args: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    """The code model (``--show-model``): each client's parts, delivery table and lifecycle."""
    targets = [roots.resolve(path) for path in args.get("paths", ["."]) or ["."]]
    pyproject = find_pyproject(targets[0])
    try:
        options = Options(
            config=load_config(pyproject if pyproject is not None and roots.contains(pyproject) else None),
            exclude=tuple(args.get("exclude", ())),
            cache=FactsCache(default_cache_dir()),
            progress=progress,
        )
        return show_model(targets, options)
    except (ConfigError, PathError, ValueError) as exc:
        raise ToolFailure(str(exc)) from None


def _check(roots: Roots, args: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    report, _ = _run_check(
        roots,
        args.get("paths", ["."]),
        select=args.get("select", ()),
        ignore=args.get("ignore", ()),
        fail_on=args.get("fail_on"),
        exclude=args.get("exclude", ()),
        session_id=args.get("session_id"),
        progress=progress,
    )
    return report


def _fix(roots: Roots, args: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    dry_run = bool(args.get("dry_run", False))
    report, fixed = _run_check(
        roots,
        args.get("paths", ["."]),
        select=args.get("select", ()),
        ignore=args.get("ignore", ()),
        fail_on=args.get("fail_on"),
        exclude=args.get("exclude", ()),
        session_id=args.get("session_id"),
        executive=True,
        unsafe_fixes=bool(args.get("unsafe_fixes", False)),
        write_files=not dry_run,
        progress=progress,
    )
    return {
        **report,
        "dryRun": dry_run,
        "changedFiles": [display_path(change.path) for change in fixed.changes],
        "diff": unified_diff(fixed.changes),
    }


def _rule(rule_id: str) -> type[Rule]:
    rule = rules_by_id().get(rule_id.upper())
    if rule is None:
        raise ToolFailure(f"unknown rule {rule_id!r}; list_rules names them")
    return rule


def _summary(rule: type[Rule]) -> dict[str, Any]:
    return {
        "id": rule.id,
        "check": rule.check,
        "severity": rule.severity.label,
        "fixable": rule.fixable,
        "fixSafety": rule.fix_safety if rule.fixable else None,
    }


def _explain(roots: Roots, args: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    rule = _rule(args["rule"])
    # As --explain: the example the fix is tested on, before and after, then a passing one.
    failing = next((e for e in rule.INVALID if e.fixed), None) or next(iter(rule.INVALID), None)
    return {
        **_summary(rule),
        "documentation": rule.documentation(),
        "failingExample": dict(failing.files) if failing else {},
        "fixedExample": dict(failing.fixed) if failing else {},
        "passingExample": dict(rule.VALID[0].files) if rule.VALID else {},
    }


def _list_rules(roots: Roots, args: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    return {"rules": [_summary(rule) for _, rule in sorted(rules_by_id().items())]}


def _answers(roots: Roots, args: dict[str, Any]) -> Answers:
    examples = [Example(f"examples[{i}]", event) for i, event in enumerate(args.get("examples", ()))]
    try:
        examples += [load_example(roots.resolve(path)) for path in args.get("example_files", ())]
    except PlanError as exc:
        raise ToolFailure(str(exc)) from None
    return Answers(
        volume=args["volume"],
        reliability=args["reliability"],
        destinations=args.get("destinations", "single"),
        framework=args.get("framework", "standalone"),
        examples=tuple(examples),
    )


def _plan(roots: Roots, args: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    try:
        return make_plan(_answers(roots, args)).to_dict()
    except PlanError as exc:
        raise ToolFailure(str(exc)) from None


def _scaffold(roots: Roots, args: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    dest = roots.resolve(args["dest"], must_exist=False)
    try:
        plan = make_plan(_answers(roots, args))
        files = render(args["package"], plan)
        for relative in files:  # a link below DEST must not carry a file out of the roots either
            roots.resolve(str(dest.joinpath(*relative.parts)), must_exist=False)
        written = write(dest, files, force=bool(args.get("force", False)))
    except (PlanError, ScaffoldError) as exc:
        raise ToolFailure(str(exc)) from None
    shown = display_path(dest)
    return {
        "package": args["package"],
        "volumeClass": plan.volume_class,
        "reliability": plan.answers.reliability,
        "files": sorted(display_path(path) for path in written),
        "next": [f"check with paths [{shown!r}]", f"cd {shown} && python -m pytest tests -q"],
    }


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "check",
        "Check the publisher(s) under the given paths against the PUB001-PUB017 checklist (informative mode: "
        "nothing is written). Returns the JSON report: status, violations (file, line, column, rule, "
        "check, violation, severity, fixable) and metrics.",
        _object(_check_options()),
        _report_output(),
        types.ToolAnnotations(
            title="Check publishers", read_only_hint=True, idempotent_hint=True, open_world_hint=False
        ),
        _check,
    ),
    ToolSpec(
        "fix",
        "Executive mode: apply the checker's fixes, re-verify, repeat until nothing changes (bounded), and report "
        "what remains. With dry_run the files are left as they are and the diff shows what would change.",
        _object(
            {
                **_check_options(),
                "dry_run": {
                    "type": "boolean",
                    "default": False,
                    "description": "Compute the fixes and return the diff; write nothing.",
                },
                "unsafe_fixes": {
                    "type": "boolean",
                    "default": False,
                    "description": "Also apply the fixes labelled unsafe (review them).",
                },
            }
        ),
        _report_output(
            {
                "dryRun": {"type": "boolean"},
                "changedFiles": {"type": "array", "items": {"type": "string"}},
                "diff": {"type": "string", "description": "unified diff of the changes (made, or that would be made)"},
            }
        ),
        types.ToolAnnotations(
            title="Fix publishers",
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=True,
            open_world_hint=False,
        ),
        _fix,
    ),
    ToolSpec(
        "explain",
        "A rule's documentation (what it checks, why, what its fix does) with a failing example, the same after the "
        "fix, and a passing example.",
        _object(
            {"rule": {"type": "string", "pattern": "^[Pp][Uu][Bb][0-9]{3}$", "description": "Rule id, e.g. PUB005."}},
            ["rule"],
        ),
        {
            **_RULE_SUMMARY,
            "required": [
                *_RULE_SUMMARY["required"],
                "documentation",
                "failingExample",
                "fixedExample",
                "passingExample",
            ],
            "properties": {
                **_RULE_SUMMARY["properties"],
                "documentation": {"type": "string"},
                "failingExample": _FILES,
                "fixedExample": _FILES,
                "passingExample": _FILES,
            },
        },
        types.ToolAnnotations(title="Explain a rule", read_only_hint=True, idempotent_hint=True, open_world_hint=False),
        _explain,
    ),
    ToolSpec(
        "show_model",
        "The code model the rules judge, per client found: entry points, buffer, workers, sends, retries, the "
        "retry loop's course and each status helper's answer for every representative status, flush/close/"
        "handlers, each with file:line. What could not be decided is absent or 'unknown', never guessed.",
        _object({"paths": _check_options()["paths"], "exclude": _check_options()["exclude"]}),
        {
            "type": "object",
            "required": ["clients"],
            "properties": {"clients": {"type": "array", "items": {"type": "object"}}},
        },
        types.ToolAnnotations(
            title="Show the code model", read_only_hint=True, idempotent_hint=True, open_world_hint=False
        ),
        _show_model,
    ),
    ToolSpec(
        "list_rules",
        "Every rule: id, check, default severity, whether it has a fix and whether that fix is safe.",
        _object({}),
        {"type": "object", "required": ["rules"], "properties": {"rules": {"type": "array", "items": _RULE_SUMMARY}}},
        types.ToolAnnotations(title="List rules", read_only_hint=True, idempotent_hint=True, open_world_hint=False),
        _list_rules,
    ),
    ToolSpec(
        "plan",
        "Plan a publisher: from the answers on volume, reliability, destinations and framework (and example "
        "events), every publisher setting with the reason for its value, the collector's duties, tests and an "
        "event schema.",
        _object(_ANSWERS, ["volume", "reliability"]),
        _PLAN_OUTPUT,
        types.ToolAnnotations(
            title="Plan a publisher", read_only_hint=True, idempotent_hint=True, open_world_hint=False
        ),
        _plan,
    ),
    ToolSpec(
        "scaffold",
        "Scaffold a publisher: copy the reference publisher into DEST/PACKAGE built to the plan for these answers, "
        "with tests in DEST/tests. Existing files are never overwritten without force.",
        _object(
            {
                "dest": {"type": "string", "description": "Folder under the roots (created if missing)."},
                "package": {"type": "string", "description": "Import name of the publisher package to create."},
                **_ANSWERS,
                "force": {"type": "boolean", "default": False, "description": "Overwrite files that already exist."},
            },
            ["dest", "package", "volume", "reliability"],
        ),
        {
            "type": "object",
            "required": ["package", "volumeClass", "reliability", "files", "next"],
            "properties": {
                "package": {"type": "string"},
                "volumeClass": {"enum": ["low", "medium", "high"]},
                "reliability": {"enum": list(RELIABILITIES)},
                "files": {"type": "array", "items": {"type": "string"}},
                "next": {"type": "array", "items": {"type": "string"}},
            },
        },
        types.ToolAnnotations(
            title="Scaffold a publisher", read_only_hint=False, destructive_hint=False, open_world_hint=False
        ),
        _scaffold,
    ),
)
TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}


# -- the server ---------------------------------------------------------------------------------


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def _validation_message(tool: ToolSpec, arguments: dict[str, Any]) -> str | None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(tool.input_schema).iter_errors(arguments))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path)
    return f"invalid arguments for {tool.name}{f' at {where}' if where else ''}: {error.message}"


def _notifier(session: ServerSession) -> Callable[[float, float, str], None]:
    def notify(value: float, total: float, message: str) -> None:
        # The client may have gone away: the check then ends on its own, with nobody to tell.
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            anyio.from_thread.run(session.report_progress, value, total, message)

    return notify


def build_server(roots: Roots) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool.definition() for tool in TOOLS])

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = TOOLS_BY_NAME.get(params.name)
        if tool is None:
            return _error(f"unknown tool {params.name!r}; the tools are {', '.join(TOOLS_BY_NAME)}")
        arguments = dict(params.arguments or {})
        invalid = _validation_message(tool, arguments)
        if invalid is not None:
            return _error(invalid)
        progress = _Progress(_notifier(ctx.session))
        try:
            result = await anyio.to_thread.run_sync(partial(tool.run, roots, arguments, progress))
        except (ToolFailure, RootError) as exc:
            return _error(f"{tool.name}: {exc}")
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(result, indent=2))], structured_content=result
        )

    return Server(
        "publisher-check",
        version=tool_version(),
        instructions=(
            "Checks non-blocking event publishers in Python against the PUB001-PUB017 checklist. "
            "plan and scaffold build one; check reports violations; fix repairs what it can (dry_run to preview); "
            "explain tells what a rule wants. Paths are relative to the server's root: " + roots.describe()
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(roots: Roots) -> None:
    server = build_server(roots)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def serve_http(roots: Roots, port: int) -> None:
    """Streamable HTTP at http://127.0.0.1:PORT/mcp, loopback only (DNS-rebinding protection on)."""
    import uvicorn  # only over HTTP: a stdio server does without loading it

    app = build_server(roots).streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    await uvicorn.Server(config).serve()


def main(roots: Sequence[Path], port: int | None) -> None:
    """Serve until the client closes stdin (stdio) or the process is stopped (HTTP).

    The server works in its first root, so the files a report names are relative to the same
    folder as the paths a client gives (reports show paths relative to the working directory).
    """
    confined = Roots.of(roots)
    os.chdir(confined.folders[0])
    if port is None:
        anyio.run(serve_stdio, confined)
    else:
        anyio.run(serve_http, confined, port)
