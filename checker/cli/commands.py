"""``publisher-check plan`` and ``publisher-check scaffold``: the skill's planning and build steps.

Both take the Phase 1 answers as the same options. Errors are one line on stderr and exit 2
(``entry.py`` prints click's own usage errors the same way).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from ..skill.plan import (
    DESTINATIONS,
    FRAMEWORKS,
    RELIABILITIES,
    Answers,
    Plan,
    PlanError,
    load_example,
    make_plan,
    reliability_answer,
    render_text,
)

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def plan_options(command: F) -> F:
    """The Phase 1 answers, shared by ``plan`` and ``scaffold``."""
    options = [
        click.option(
            "--volume",
            type=float,
            required=True,
            metavar="EVENTS_PER_S",
            help="Expected events per second (low < 10, medium 10-1000, high > 1000).",
        ),
        click.option(
            "--reliability", type=click.Choice(RELIABILITIES), default=None, help="Delivery guarantee the SLA asks for."
        ),
        click.option("--sla", type=click.Choice(RELIABILITIES), default=None, help="Synonym of --reliability."),
        click.option(
            "--destinations",
            type=click.Choice(DESTINATIONS),
            default="single",
            show_default=True,
            help="One collector, several (each event to one), or fan-out (each event to all).",
        ),
        click.option(
            "--framework",
            type=click.Choice(FRAMEWORKS),
            default="standalone",
            show_default=True,
            help="Where the publisher runs; fastapi/flask also get an integration.",
        ),
        click.option(
            "--examples",
            "example_files",
            multiple=True,
            metavar="FILE",
            type=click.Path(path_type=Path, dir_okay=False),
            help="A JSON file holding one example event (repeatable); a schema is inferred from them.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def build_plan(
    volume: float,
    reliability: str | None,
    sla: str | None,
    destinations: str,
    framework: str,
    example_files: tuple[Path, ...],
) -> Plan:
    answers = Answers(
        volume=volume,
        reliability=reliability_answer(reliability, sla),
        destinations=destinations,
        framework=framework,
        examples=tuple(load_example(path) for path in example_files),
    )
    return make_plan(answers)


def _fail(command: str, error: Exception) -> NoReturn:
    click.echo(f"publisher-check {command}: error: {error}", err=True)
    sys.exit(2)


@click.command("plan", context_settings=CONTEXT)
@plan_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json is for agents: the same plan as one object.",
)
def plan_command(
    volume: float,
    reliability: str | None,
    sla: str | None,
    destinations: str,
    framework: str,
    example_files: tuple[Path, ...],
    output_format: str,
) -> None:
    """Print the publisher plan for your answers (volume, reliability, destinations, framework): every parameter with the reason for its value.

    Contradictory answers exit 2: --sla and --reliability that differ; guaranteed or
    exactly-once at a volume whose 60 s outage buffer exceeds one in-memory queue (16,666
    events/s). So do invalid ones: a volume <= 0, an example file that is not one JSON object.
    """
    try:
        plan = build_plan(volume, reliability, sla, destinations, framework, example_files)
    except PlanError as exc:
        _fail("plan", exc)
    if output_format == "json":
        click.echo(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(plan), nl=False)


@click.command("scaffold", context_settings=CONTEXT)
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.option("--package", required=True, metavar="NAME", help="Import name of the publisher package to create.")
@plan_options
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def scaffold_command(
    dest: Path,
    package: str,
    volume: float,
    reliability: str | None,
    sla: str | None,
    destinations: str,
    framework: str,
    example_files: tuple[Path, ...],
    force: bool,
) -> None:
    """Copy the reference publisher into DEST/NAME, built to the plan for these answers.

    Writes DEST/NAME (the publisher, with the plan's values as defaults and schemas/event.json
    behind publish_event()), DEST/NAME/integrations/ for fastapi or flask, tests in
    DEST/tests and DEST/pyproject.toml with the dependencies of both (pip install -e '.[test]';
    an existing pyproject.toml is kept: add requests and jsonschema to it yourself). Existing
    files are never overwritten without --force.
    """
    from ..skill.scaffold import ScaffoldError, scaffold  # libcst's codemods: imported for this command only

    try:
        plan = build_plan(volume, reliability, sla, destinations, framework, example_files)
        written = scaffold(dest, package, plan, force=force)
    except (PlanError, ScaffoldError) as exc:
        _fail("scaffold", exc)
    click.echo(
        f"Wrote {len(written)} files for package {package} ({plan.volume_class} volume, {plan.answers.reliability}):"
    )
    for path in sorted(written):
        click.echo(f"  {path}")
    click.echo("Next:")
    click.echo(f"  publisher-check {dest}")
    here = "" if dest.resolve() == Path.cwd().resolve() else f"cd {dest} && "
    if dest / "pyproject.toml" in written:
        click.echo(f"  {here}pip install -e '.[test]'  # in the project's virtualenv: what it and its tests need")
    click.echo(f"  {here}python -m pytest tests -q")
