"""The ``publisher-check`` command: options, printing and exit codes.

Exit codes: 0 the publisher passes; 1 violations at or above ``--fail-on`` (or files that
could not be checked); 2 usage error or internal error — always a one-line message. In
executive mode the verdict is on what remains after fixing. ``--diff`` follows
``ruff check --diff``: 1 when there is something to change, 0 otherwise.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import click
from click.core import ParameterSource

from ..analysis.cache import FactsCache, default_cache_dir
from ..analysis.files import PathError
from ..api import Options, check, show_model
from ..config import ConfigError
from ..ftypes import Run, Severity
from ..mcp.options import DEFAULT_TOOL, McpTarget, metrics_mcp_target
from ..registry import rules_by_id
from ..reports.baseline import Baseline, BaselineError
from ..reports.diff import unified_diff
from ..reports.github import render_github
from ..reports.orchestrator import HEADER_ENVVAR, EndpointType, HeaderType, headers_from, post_metrics, report_failure
from ..reports.report import render_json, render_statistics, render_text
from ..reports.sarif import render_sarif
from .outputs import emit, save_baseline, save_metrics
from .terminal import TerminalProgress, color_enabled

SEVERITIES = [s.label for s in Severity]

# Each --format: the run and whether to colour -> the report's text.
RENDERERS: dict[str, Callable[[Run, bool], str]] = {
    "text": render_text,
    "json": lambda run, _color: render_json(run),
    "sarif": lambda run, _color: render_sarif(run),
    "github": lambda run, _color: render_github(run),
}


def _split_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip().upper() for value in values for part in value.split(",") if part.strip())


def _list_rules() -> str:
    rows = [f"{'id':7} {'severity':9} {'fix':8} check"]
    for rule_id, rule in sorted(rules_by_id().items()):
        rows.append(f"{rule_id:7} {rule.severity.label:9} {rule.fix_safety if rule.fixable else 'no':8} {rule.check}")
    return "\n".join(rows) + "\n"


# The rules' examples carry the test suite's expectations (``# expect: PUB005``); users need not see them.
_MARKER = re.compile(r"[ \t]*#\s*expect:\s*PUB\d{3}(?:\s*,\s*PUB\d{3})*[ \t]*$", re.MULTILINE)


def _without_markers(source: str) -> str:
    return _MARKER.sub("", source)


def _explain(rule_id: str) -> str:
    rule = rules_by_id().get(rule_id.upper())
    if rule is None:
        raise click.BadParameter(f"unknown rule {rule_id!r} (see --list-rules)", param_hint="--explain")
    fix = f"{rule.fix_safety} fix" if rule.fixable else "no automatic fix"
    parts = [f"{rule.id} — {rule.check} (default severity: {rule.severity.label}, {fix})", ""]
    parts.append(rule.documentation())
    # A fixable rule shows the example its fix is tested on, before and after.
    failing = next((e for e in rule.INVALID if e.fixed), None) or next(iter(rule.INVALID), None)
    shown = [("Failing example", failing.files if failing else {})]
    if failing is not None and failing.fixed:
        shown.append((f"After --fix{' --unsafe-fixes' if rule.fix_safety == 'unsafe' else ''}", failing.fixed))
    shown.append(("Passing example", rule.VALID[0].files if rule.VALID else {}))
    for title, files in shown:
        if not files:
            continue
        parts.extend(["", f"{title}:", ""])
        for name, source in files.items():
            parts.append(f"# {name}")
            parts.extend("    " + line if line else "" for line in _without_markers(source).splitlines())
    return "\n".join(parts) + "\n"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--mode",
    type=click.Choice(["informative", "executive"]),
    default="informative",
    show_default=True,
    help="informative reports; executive also repairs what it can.",
)
@click.option("--fix", is_flag=True, help="Synonym of --mode executive.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Executive mode also applies the fixes labelled unsafe (see --list-rules); they can break code "
    "the rules do not look at, so review them. Without --fix it only changes the fixable counts.",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Print the changes executive mode would make as a unified diff and write no file (implies --fix). "
    "As with ruff check --diff: exit 1 when there is something to change, 0 otherwise; the report "
    "of what would remain goes to stderr.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="text: path:line:col lines and a summary; json: status, violations and metrics (the report schema); sarif: SARIF 2.1.0 for code "
    "scanning; github: one GitHub Actions annotation per violation.",
)
@click.option(
    "--output",
    "output_file",
    type=click.Path(path_type=Path, dir_okay=False, readable=False),
    default=None,
    help="Write the report to this file instead of stdout (a regular file is replaced atomically).",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Lowest severity that fails the run (default: low, or fail-on in config).",
)
@click.option("--select", multiple=True, help="Only these rule ids (comma-separated, repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rule ids (comma-separated, repeatable).")
@click.option("--exclude", multiple=True, help="Extra gitignore-style patterns to skip (repeatable).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="pyproject.toml to read [tool.publisher-check] from, for every file (default: each file's nearest one).",
)
@click.option("--session-id", default=None, help="Session id for the metrics (generated when absent).")
@click.option(
    "--metrics-file",
    type=click.Path(path_type=Path, dir_okay=False, readable=False),
    default=None,
    help="Also write the metrics object to this file.",
)
@click.option(
    "--metrics-url",
    type=EndpointType(),
    default=None,
    help="Also POST the metrics object to this orchestrator endpoint, with the reference publisher. "
    "Bounded to a few seconds; a failure is one line on stderr and never changes the exit code.",
)
@click.option(
    "--metrics-header",
    "metrics_headers",
    type=HeaderType(),
    multiple=True,
    envvar=HEADER_ENVVAR,
    help=f"'Name: value' header for --metrics-url (repeatable; or {HEADER_ENVVAR}, one header a line). Never printed.",
)
@click.option(
    "--metrics-mcp-command",
    default=None,
    metavar="'CMD ARGS'",
    help="Also deliver the metrics object to an MCP tool on the server this command starts (stdio). "
    "Bounded like --metrics-url; needs the mcp extra.",
)
@click.option(
    "--metrics-mcp-url",
    type=EndpointType(),
    default=None,
    help="Also deliver the metrics object to an MCP tool on this streamable HTTP server "
    "(--metrics-header applies). Bounded like --metrics-url; needs the mcp extra.",
)
@click.option(
    "--metrics-mcp-tool",
    default=None,
    metavar="NAME",
    help=f"The MCP tool that receives the metrics object as its arguments (default: {DEFAULT_TOOL}).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Report only violations that this baseline file does not record.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False, readable=False),
    default=None,
    help="Record the violations found in this file (a baseline) and exit 0 without a report.",
)
@click.option(
    "--report-unused-suppressions",
    is_flag=True,
    help="Also report '# publisher-check: ignore' comments that suppressed nothing (warnings: the exit "
    "code does not change).",
)
@click.option("--no-cache", is_flag=True, help="Parse every file afresh instead of reusing cached results.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where parse results are cached (default: $PUBLISHER_CHECK_CACHE_DIR or ~/.cache/publisher-check).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when violations are found.")
@click.option(
    "--show-model",
    is_flag=True,
    help="Print the code model the rules judge (each client's parts, delivery table and lifecycle, with "
    "their lines) instead of a report; --format json for data.",
)
@click.option("--statistics", is_flag=True, help="Print the number of violations per rule instead of each violation.")
@click.option(
    "--color",
    "color_choice",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report: auto = on a terminal, unless NO_COLOR is set, or when FORCE_COLOR is.",
)
@click.version_option(package_name="publisher-check", prog_name="publisher-check", message="%(prog)s %(version)s")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.option("--explain", "explain_rule", metavar="RULE", default=None, help="Explain a rule and exit.")
def main(
    paths: tuple[Path, ...],
    mode: str,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    output_format: str,
    output_file: Path | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    config_file: Path | None,
    session_id: str | None,
    metrics_file: Path | None,
    metrics_url: str | None,
    metrics_headers: tuple[tuple[str, str], ...],
    metrics_mcp_command: str | None,
    metrics_mcp_url: str | None,
    metrics_mcp_tool: str | None,
    baseline_file: Path | None,
    write_baseline: Path | None,
    report_unused_suppressions: bool,
    no_cache: bool,
    cache_dir: Path | None,
    exit_zero: bool,
    show_model: bool,
    statistics: bool,
    color_choice: str,
    list_rules: bool,
    explain_rule: str | None,
) -> None:
    """Check non-blocking event publishers in PATHS (default: .) against the PUB001–PUB017 checklist.

    To plan and build one first: 'publisher-check plan --help' (every setting, with its reason,
    from your answers on volume, reliability, destinations and framework) and 'publisher-check
    scaffold --help' (the reference publisher copied into your project, built to that plan).
    """
    if list_rules or explain_rule is not None:
        click.echo(_list_rules() if list_rules else _explain(explain_rule or ""), nl=False)
        return
    if show_model:
        _show_model(paths, output_format, config_file, exclude, no_cache, cache_dir)
        return
    headers = headers_from(metrics_headers)
    _refuse_mode_conflict(mode, fix, diff)
    _refuse_conflicts(diff, output_format, bool(headers), metrics_url or metrics_mcp_url, baseline_file, write_baseline)
    mcp_target = metrics_mcp_target(metrics_mcp_command, metrics_mcp_url, metrics_mcp_tool)
    options = Options(
        mode="executive" if fix or diff or mode == "executive" else "informative",
        unsafe_fixes=unsafe_fixes,
        preview=diff,
        config_file=config_file,
        select=_split_ids(select),
        ignore=_split_ids(ignore),
        exclude=exclude,
        fail_on=Severity.parse(fail_on) if fail_on else None,
        baseline=_load_baseline(baseline_file),
        report_unused_suppressions=report_unused_suppressions,
        propose_fixes=output_format == "sarif",
        session_id=session_id,
        cache=None if no_cache else FactsCache(cache_dir or default_cache_dir()),
    )
    try:
        with TerminalProgress(sys.stderr) as progress:
            outcome = check(list(paths), replace(options, progress=progress))
    except (ConfigError, PathError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    if write_baseline is not None:
        save_baseline(outcome.result, write_baseline)
        return
    shown_on = sys.stderr if diff else sys.stdout
    color = output_format == "text" and output_file is None and color_enabled(shown_on, choice=color_choice)
    if statistics and output_format == "text":
        emit(render_statistics(outcome), output_file, err=diff, color=False)
    else:
        emit(RENDERERS[output_format](outcome, color), output_file, err=diff, color=color)
    if diff:  # stdout carries the diff alone
        click.echo(unified_diff(outcome.fixes.changes), nl=False)
    _send_metrics(outcome, metrics_file, metrics_url, headers, mcp_target)
    # As ruff check --diff: with --diff the exit code says whether there is something to change.
    if not exit_zero and (bool(outcome.fixes.changes) if diff else outcome.failed):
        sys.exit(1)


def _show_model(
    paths: tuple[Path, ...],
    output_format: str,
    config_file: Path | None,
    exclude: tuple[str, ...],
    no_cache: bool,
    cache_dir: Path | None,
) -> None:
    from ..reports.model import render_json as model_json  # with the analysis it describes: only for this option
    from ..reports.model import render_text as model_text

    if output_format not in ("text", "json"):
        raise click.UsageError(f"--show-model prints text or json, not --format {output_format}")
    options = Options(
        config_file=config_file,
        exclude=exclude,
        cache=None if no_cache else FactsCache(cache_dir or default_cache_dir()),
    )
    try:
        described = show_model(list(paths), options)
    except (ConfigError, PathError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(model_json(described) if output_format == "json" else model_text(described), nl=False)


def _refuse_mode_conflict(mode: str, fix: bool, diff: bool) -> None:
    """``--mode informative`` typed together with ``--fix`` or ``--diff`` (both mean executive)."""
    typed = click.get_current_context().get_parameter_source("mode") is ParameterSource.COMMANDLINE
    if typed and mode == "informative" and (fix or diff):
        flag = "--fix" if fix else "--diff"
        raise click.UsageError(f"--mode informative and {flag} conflict: {flag} runs executive mode")


def _refuse_conflicts(
    diff: bool,
    output_format: str,
    headers: bool,
    metrics_url: str | None,
    baseline_file: Path | None,
    write_baseline: Path | None,
) -> None:
    """Usage errors in combinations of options that click cannot express."""
    if diff and output_format != "text":
        raise click.UsageError(f"--diff prints a diff on stdout; it cannot be combined with --format {output_format}")
    typed = click.get_current_context().get_parameter_source("metrics_headers") is ParameterSource.COMMANDLINE
    if headers and metrics_url is None and typed:
        raise click.UsageError("--metrics-header needs --metrics-url")
    if baseline_file is not None and write_baseline is not None:
        raise click.UsageError(
            "--baseline and --write-baseline cannot be combined: write the baseline, then check against it"
        )


def _load_baseline(path: Path | None) -> Baseline | None:
    try:
        return Baseline.load(path) if path is not None else None
    except BaselineError as exc:
        raise click.UsageError(str(exc)) from None


def _send_metrics(
    outcome: Run,
    metrics_file: Path | None,
    metrics_url: str | None,
    headers: Mapping[str, str],
    mcp_target: McpTarget | None,
) -> None:
    """``--metrics-file``, ``--metrics-url``, ``--metrics-mcp-*``; a failed delivery is one line on stderr,
    never an exit code."""
    if metrics_file is not None:
        save_metrics(outcome.metrics, metrics_file)
    if metrics_url is not None:
        report_failure(metrics_url, post_metrics(metrics_url, outcome.metrics.to_dict(), headers))
    if mcp_target is not None:
        from ..mcp.metrics import deliver  # lazy: the MCP SDK (an optional extra) loads only when asked for

        deliver(mcp_target, outcome.metrics.to_dict(), headers)
