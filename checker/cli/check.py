"""The ``publisher-check`` command: options, printing and exit codes.

Exit codes: 0 the publisher passes; 1 violations at or above ``--fail-on`` (or files that
could not be checked); 2 usage error or internal error — always a one-line message. In
executive mode the verdict is on what remains after fixing. ``--diff`` follows
``ruff check --diff``: 1 when there is something to change, 0 otherwise.
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import click
from click.core import ParameterSource

from ..reports.baseline import Baseline, BaselineError
from ..analysis.cache import FactsCache, default_cache_dir, using
from ..config import ConfigError, find_pyproject, load_config, with_overrides
from ..analysis.files import PathError
from ..fixes.loop import execute, inform, proposed_fixes, unified_diff
from ..fsutil import write_atomic
from ..ftypes import Severity
from ..reports.github import render_github
from ..mcp.options import DEFAULT_TOOL, metrics_mcp_target
from ..notes import Notes
from ..reports.orchestrator import HEADER_ENVVAR, EndpointType, HeaderType, headers_from, post_metrics, report_failure
from .outputs import emit, save_baseline
from ..registry import RULES_BY_ID
from ..reports.report import Metrics, failed, render_json, render_text
from ..reports.sarif import render_sarif
from ..analysis.suppressions import unused_in_run
from .terminal import TerminalProgress, color_enabled, showing

SEVERITIES = [s.label for s in Severity]


def _split_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip().upper() for value in values for part in value.split(",") if part.strip())


def _list_rules() -> str:
    rows = [f"{'id':7} {'severity':9} {'fix':8} check"]
    for rule_id, rule in sorted(RULES_BY_ID.items()):
        rows.append(f"{rule_id:7} {rule.severity.label:9} {rule.fix_safety if rule.fixable else 'no':8} {rule.check}")
    return "\n".join(rows) + "\n"


def _explain(rule_id: str) -> str:
    rule = RULES_BY_ID.get(rule_id.upper())
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
            parts.extend("    " + line if line else "" for line in source.splitlines())
    return "\n".join(parts) + "\n"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["informative", "executive"]), default="informative", show_default=True,
              help="informative reports; executive also repairs what it can.")
@click.option("--fix", is_flag=True, help="Synonym of --mode executive.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Executive mode also applies the fixes labelled unsafe (see --list-rules); they can break code "
                   "the rules do not look at, so review them. Without --fix it only changes the fixable counts.")
@click.option("--diff", is_flag=True,
              help="Print the changes executive mode would make as a unified diff and write no file (implies --fix). "
                   "As with ruff check --diff: exit 1 when there is something to change, 0 otherwise; the report "
                   "of what would remain goes to stderr.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True,
              help="text: path:line:col lines and a summary; json: SPEC section 3; sarif: SARIF 2.1.0 for code "
                   "scanning; github: one GitHub Actions annotation per violation.")
@click.option("--output", "output_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
              help="Lowest severity that fails the run (default: low, or fail-on in config).")
@click.option("--select", multiple=True, help="Only these rule ids (comma-separated, repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rule ids (comma-separated, repeatable).")
@click.option("--exclude", multiple=True, help="Extra gitignore-style patterns to skip (repeatable).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="pyproject.toml to read [tool.publisher-check] from (default: nearest one).")
@click.option("--session-id", default=None, help="Session id for the metrics (generated when absent).")
@click.option("--metrics-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the metrics object to this file.")
@click.option("--metrics-url", type=EndpointType(), default=None,
              help="Also POST the metrics object to this orchestrator endpoint, with the reference publisher. "
                   "Bounded to a few seconds; a failure is one line on stderr and never changes the exit code.")
@click.option("--metrics-header", "metrics_headers", type=HeaderType(), multiple=True, envvar=HEADER_ENVVAR,
              help=f"'Name: value' header for --metrics-url (repeatable; or {HEADER_ENVVAR}, one header a line). "
                   "Never printed.")
@click.option("--metrics-mcp-command", default=None, metavar="'CMD ARGS'",
              help="Also deliver the metrics object to an MCP tool on the server this command starts (stdio). "
                   "Bounded like --metrics-url; needs the mcp extra.")
@click.option("--metrics-mcp-url", type=EndpointType(), default=None,
              help="Also deliver the metrics object to an MCP tool on this streamable HTTP server "
                   "(--metrics-header applies). Bounded like --metrics-url; needs the mcp extra.")
@click.option("--metrics-mcp-tool", default=None, metavar="NAME",
              help=f"The MCP tool that receives the metrics object as its arguments (default: {DEFAULT_TOOL}).")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Report only violations that this baseline file does not record.")
@click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Record the violations found in this file (a baseline) and exit 0 without a report.")
@click.option("--report-unused-suppressions", is_flag=True,
              help="Also report '# publisher-check: ignore' comments that suppressed nothing (warnings: the exit "
                   "code does not change).")
@click.option("--no-cache", is_flag=True, help="Parse every file afresh instead of reusing cached results.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where parse results are cached (default: $PUBLISHER_CHECK_CACHE_DIR or ~/.cache/publisher-check).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when violations are found.")
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
    list_rules: bool,
    explain_rule: str | None,
) -> None:
    """Check non-blocking event publishers in PATHS (default: .) against the PUB001–PUB017 checklist.

    To plan and build one first: 'publisher-check plan --help' (every setting, with its reason,
    from your answers on volume, reliability, destinations and framework) and 'publisher-check
    scaffold --help' (the reference publisher copied into your project, built to that plan).
    """
    if list_rules:
        click.echo(_list_rules(), nl=False)
        return
    if explain_rule is not None:
        click.echo(_explain(explain_rule), nl=False)
        return
    if fix or diff:
        mode = "executive"
    if diff and output_format != "text":
        raise click.UsageError(f"--diff prints a diff on stdout; it cannot be combined with --format {output_format}")
    headers = headers_from(metrics_headers)
    typed = click.get_current_context().get_parameter_source("metrics_headers") is ParameterSource.COMMANDLINE
    mcp_target = metrics_mcp_target(metrics_mcp_command, metrics_mcp_url, metrics_mcp_tool)
    if headers and metrics_url is None and metrics_mcp_url is None and typed:
        raise click.UsageError("--metrics-header needs --metrics-url or --metrics-mcp-url")
    if baseline_file is not None and write_baseline is not None:
        raise click.UsageError("--baseline and --write-baseline cannot be combined: write the baseline, then check against it")
    known: Baseline | None = None
    if baseline_file is not None:
        try:
            known = Baseline.load(baseline_file)
        except BaselineError as exc:
            raise click.UsageError(str(exc)) from None
    targets = list(paths) or [Path(".")]
    started = time.perf_counter()
    try:
        pyproject = config_file if config_file is not None else find_pyproject(targets[0])
        config = with_overrides(
            load_config(pyproject),
            select=_split_ids(select) or None,
            ignore=_split_ids(ignore) or None,
            fail_on=Severity.parse(fail_on) if fail_on else None,
            exclude=exclude,
        )
        cache = None if no_cache else FactsCache(cache_dir or default_cache_dir())
        with TerminalProgress(sys.stderr) as progress, showing(progress), using(cache):
            if mode == "executive":
                report = execute(targets, config, unsafe=unsafe_fixes, write=not diff)
            else:
                report = inform(targets, config)
    except (ConfigError, PathError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    result = replace(report.final, errors=report.final.errors + report.write_errors)
    if write_baseline is not None:
        save_baseline(result, write_baseline)
        return
    baselined: int | None = None
    if known is not None:
        result, baselined = known.filter(result)
        report = replace(report, initial=known.filter(report.initial)[0])  # the fix rate of new violations only
    notes = Notes(unused_in_run(result, targets, config) if report_unused_suppressions else None, baselined)
    metrics = Metrics(
        session_id=session_id or str(uuid.uuid4()),
        initial_violations=len(report.initial.violations),
        iterations=report.iterations,
        fixes_applied=report.fixes_applied,
        final_violations=len(result.violations),
        mode=mode,
        duration=time.perf_counter() - started,
        fixes_failed=len(report.failures),
        converged=report.converged,
    )
    color = output_format == "text" and output_file is None and color_enabled(sys.stderr if diff else sys.stdout)
    if output_format == "json":
        rendered = render_json(result, metrics, config.fail_on, report.failures, notes)
    elif output_format == "sarif":
        rendered = render_sarif(result, metrics, config.fail_on, notes, proposed_fixes(result, config))
    elif output_format == "github":
        rendered = render_github(result, metrics, config.fail_on, notes)
    else:  # with --diff, stdout carries the diff alone
        rendered = render_text(
            result, metrics, config.fail_on, report.failures, unsafe_fixes, preview=diff, notes=notes, color=color
        )
    emit(rendered, output_file, err=diff, color=color)
    if diff:
        click.echo(unified_diff(report.changes), nl=False)
    if metrics_file is not None:
        import json

        try:
            write_atomic(metrics_file, (json.dumps(metrics.to_dict(), indent=2) + "\n").encode())
        except OSError as exc:
            click.echo(f"publisher-check: cannot write metrics file {metrics_file}: {exc.strerror or exc}", err=True)
            sys.exit(2)
    if metrics_url is not None:
        report_failure(metrics_url, post_metrics(metrics_url, metrics.to_dict(), headers))
    if mcp_target is not None:
        # Lazy: the mcp SDK (an optional extra) is imported only when --metrics-mcp-* was given.
        from ..mcp.metrics import deliver

        deliver(mcp_target, metrics.to_dict(), headers)
    if exit_zero:
        return
    if bool(report.changes) if diff else failed(result, config.fail_on):
        sys.exit(1)
