"""publisher-check plan: derivation rules, rejected answers, text and JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from publisher_check.cli.entry import main
from publisher_check.skill.plan import SPOOL_PATH, Answers, Example, PlanError, make_plan, volume_class

ORDER = {"type": "order.placed", "order_id": "o-1", "amount": 42.5, "currency": "EUR"}
REFUND = {"type": "order.refunded", "order_id": "o-2", "amount": 10, "reason": None}


def run(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The console script in-process: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exited:
        main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("volume", "expected"), [(0.5, "low"), (9.9, "low"), (10, "medium"), (1000, "medium"), (1000.1, "high")]
)
def test_volume_classes_follow_the_skill(volume: float, expected: str) -> None:
    assert volume_class(volume) == expected


def test_low_volume_best_effort_sends_each_event_alone_with_short_retries() -> None:
    plan = make_plan(Answers(volume=5, reliability="best-effort"))
    assert plan.volume_class == "low"
    assert plan.defaults == {
        "max_queue_size": 1000,
        "workers": 1,
        "batch_size": 1,
        "max_attempts": 3,
        "initial_delay": 0.5,
        "backoff_factor": 2.0,
        "max_delay": 5.0,
        "jitter": 0.1,
        "request_timeout": 5.0,
        "shutdown_timeout": 2.0,
        "error_callback_timeout": 5.0,
        "include_event_data": False,
    }


def test_medium_volume_guaranteed_batches_and_buffers_a_minute() -> None:
    plan = make_plan(Answers(volume=200, reliability="guaranteed"))
    defaults = plan.defaults
    assert (defaults["max_queue_size"], defaults["batch_size"], defaults["workers"]) == (12_000, 10, 2)
    assert (defaults["max_attempts"], defaults["max_delay"], defaults["shutdown_timeout"]) == (10, 60.0, 10.0)
    assert any("batch" in need for need in plan.collector)
    assert any("at-least-once" in need for need in plan.collector)


def test_high_volume_caps_batches_and_workers() -> None:
    defaults = make_plan(Answers(volume=16_000, reliability="guaranteed")).defaults
    assert (defaults["batch_size"], defaults["workers"], defaults["max_queue_size"]) == (100, 8, 960_000)


def test_exactly_once_needs_a_deduplicating_collector() -> None:
    plan = make_plan(Answers(volume=50, reliability="exactly-once"))
    assert any("Idempotency-Key" in need for need in plan.collector)
    assert plan.defaults["max_attempts"] == 10


def test_every_value_has_a_reason_and_every_client_setting_is_planned() -> None:
    plan = make_plan(Answers(volume=300, reliability="guaranteed", destinations="fan-out", framework="flask"))
    for decision in (*plan.parameters, *plan.design):
        assert decision.reason.strip(), decision.name
    assert {d.name for d in plan.design} == {"clients", "validation", "alerting", "framework"}
    assert "per destination" in next(d.value for d in plan.design if d.name == "clients")


def test_examples_give_an_inferred_schema_that_accepts_them() -> None:
    examples = (Example("order.json", ORDER), Example("refund.json", REFUND))
    plan = make_plan(Answers(volume=20, reliability="guaranteed", examples=examples))
    schema = plan.schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["amount", "order_id", "type"]  # in every example
    for example in examples:
        jsonschema.validate(example.event, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"type": "order.placed", "order_id": "o-3"}, schema)
    queue = next(d for d in plan.parameters if d.name == "max_queue_size")
    assert "MB of JSON" in queue.reason


def test_without_examples_the_schema_asks_only_for_an_object() -> None:
    schema = make_plan(Answers(volume=1, reliability="best-effort")).schema
    assert schema["type"] == "object" and "required" not in schema


@pytest.mark.parametrize(
    ("answers", "option"),
    [
        (Answers(volume=-5, reliability="guaranteed"), "--volume"),
        (Answers(volume=0, reliability="guaranteed"), "--volume"),
        (Answers(volume=float("inf"), reliability="best-effort"), "--volume"),
        (Answers(volume=20_000, reliability="guaranteed"), "--volume"),
        (Answers(volume=17_000, reliability="exactly-once"), "--volume"),
        (Answers(volume=1, reliability="sometimes"), "--reliability"),
        (Answers(volume=1, reliability="guaranteed", destinations="all"), "--destinations"),
        (Answers(volume=1, reliability="guaranteed", framework="django"), "--framework"),
    ],
)
def test_impossible_answers_are_rejected_naming_the_option(answers: Answers, option: str) -> None:
    with pytest.raises(PlanError) as raised:
        make_plan(answers)
    assert raised.value.option == option and str(raised.value).startswith(f"{option}: ")


def test_best_effort_at_any_volume_is_accepted_with_a_capped_queue() -> None:
    plan = make_plan(Answers(volume=50_000, reliability="best-effort"))
    queue = next(d for d in plan.parameters if d.name == "max_queue_size")
    assert queue.value == 500_000 and "capped" not in queue.reason
    huge = make_plan(Answers(volume=500_000, reliability="best-effort"))
    assert huge.defaults["max_queue_size"] == 1_000_000
    assert "capped" in huge.parameters[0].reason


def test_plan_command_prints_every_parameter_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = write_json(tmp_path / "order.json", ORDER)
    code, out, err = run(
        "plan", "--volume", "200", "--sla", "guaranteed", "--framework", "fastapi", "--examples", example, capsys=capsys
    )
    assert code == 0 and err == ""
    plan = make_plan(Answers(200, "guaranteed", framework="fastapi", examples=(Example(str(example), ORDER),)))
    for decision in plan.parameters:
        assert f"  {decision.name} = {decision.value!r}\n      {decision.reason}\n" in out
    assert "medium-volume" in out and '"required": [' in out


def test_plan_command_json_is_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    examples = [write_json(tmp_path / "order.json", ORDER), write_json(tmp_path / "refund.json", REFUND)]
    code, out, _ = run(
        "plan",
        "--volume",
        "20",
        "--reliability",
        "exactly-once",
        "--destinations",
        "multiple",
        "--examples",
        examples[0],
        "--examples",
        examples[1],
        "--format",
        "json",
        capsys=capsys,
    )
    assert code == 0
    document = json.loads(out)
    assert document["answers"] == {
        "volume": 20.0,
        "reliability": "exactly-once",
        "destinations": "multiple",
        "framework": "standalone",
        "examples": [str(path) for path in examples],
    }
    assert document["volumeClass"] == "medium"
    assert all(set(item) == {"name", "value", "reason"} for item in document["parameters"] + document["design"])
    assert document["schema"]["required"] == ["amount", "order_id", "type"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--volume", "-5", "--reliability", "guaranteed"], "--volume: must be a number of events per second > 0"),
        (["--volume", "nan", "--reliability", "guaranteed"], "--volume: must be a number"),
        (
            ["--volume", "5", "--reliability", "exactly-once", "--sla", "best-effort"],
            "--sla: best-effort contradicts --reliability exactly-once",
        ),
        (
            ["--volume", "20000", "--reliability", "guaranteed"],
            "--volume: 20,000 events/s with --reliability guaranteed",
        ),
        (["--volume", "5"], "--reliability: required (or --sla)"),
        (["--reliability", "guaranteed"], "Missing option '--volume'"),
        (["--volume", "5", "--reliability", "always"], "Invalid value for '--reliability'"),
        (
            ["--volume", "5", "--reliability", "guaranteed", "--examples", "{dir}/list.json"],
            "--examples: {dir}/list.json must hold one JSON object",
        ),
        (
            ["--volume", "5", "--reliability", "guaranteed", "--examples", "{dir}/text.json"],
            "--examples: {dir}/text.json is not JSON: Expecting value at line 1, column 1",
        ),
        (
            ["--volume", "5", "--reliability", "guaranteed", "--examples", "{dir}/nan.json"],
            "--examples: {dir}/nan.json is not JSON: NaN is not JSON",
        ),
        (
            ["--volume", "5", "--reliability", "guaranteed", "--examples", "{dir}/missing.json"],
            "--examples: cannot read {dir}/missing.json",
        ),
    ],
)
def test_bad_answers_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write_json(tmp_path / "list.json", [ORDER])
    (tmp_path / "text.json").write_text("order placed\n", encoding="utf-8")
    (tmp_path / "nan.json").write_text('{"amount": NaN}', encoding="utf-8")
    code, out, err = run("plan", *(arg.format(dir=tmp_path) for arg in args), capsys=capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"publisher-check plan: error: {message.format(dir=tmp_path)}")
    assert err.count("\n") == 1


def test_errors_from_the_console_script_carry_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "publisher_check.cli.entry", "plan", "--volume", "-1", "--sla", "guaranteed"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "publisher-check plan: error: --volume: must be a number of events per second > 0, got -1.0\n"


def test_other_arguments_still_reach_the_checker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, "--format", "json", capsys=capsys)
    assert code == 0 and json.loads(out)["publisherFound"] is False


def test_the_documented_guaranteed_volume_limit_is_exact() -> None:
    assert make_plan(Answers(volume=16_666, reliability="guaranteed")).defaults["max_queue_size"] == 1_000_000
    with pytest.raises(PlanError, match=r"at most 16,666 events/s each"):
        make_plan(Answers(volume=16_667, reliability="guaranteed"))


@pytest.mark.parametrize(("reliability", "spool"), [("best-effort", None), ("guaranteed", SPOOL_PATH), ("exactly-once", SPOOL_PATH)])
def test_durable_reliabilities_switch_the_spool_on(reliability: str, spool: str | None) -> None:
    defaults = make_plan(Answers(volume=50, reliability=reliability)).defaults
    assert defaults.get("spool_path") == spool
