"""--show-model, --statistics and the order of the text report, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from publisher_check.cli.check import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_show_model_prints_each_part_with_its_line_and_the_retry_loop_per_status() -> None:
    result = CliRunner().invoke(main, ["--show-model", "--no-cache", str(FIXTURES / "style_labels")])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Emitter" in text and "emitter.py:45" in text  # push(), the entry point found by behaviour
    assert "retry loop of Emitter._deliver" in text
    leave = next(line for line in text.splitlines() if line.strip().startswith("leave"))
    retry = next(line for line in text.splitlines() if line.strip().split()[:1] == ["retry"] and "loop" not in line)
    assert "400" in leave.split() and "408" in leave.split() and "409" in retry.split() and "503" in retry.split()
    assert "delivery table of outcome_for" in text and "429→'rate_limited'" in text


def test_show_model_json_is_data_with_locations() -> None:
    result = CliRunner().invoke(main, ["--show-model", "--format", "json", "--no-cache", str(FIXTURES / "style_split")])
    assert result.exit_code == 0, result.output
    model = json.loads(result.output)
    [client] = model["clients"]
    assert client["client"] == "Relay" and client["lifecycle"]["close"][0]["name"] == "Relay.shutdown"
    [loop] = client["delivery"]["retry_loops"]
    actions = {row["status"]: row["action"] for row in loop["rows"]}
    assert actions[409] == "retry" and actions[404] == "leave" and actions[200] == "leave"


def test_show_model_says_what_it_could_not_find() -> None:
    result = CliRunner().invoke(main, ["--show-model", "--no-cache", str(FIXTURES / "no_publisher")])
    assert result.exit_code == 0 and result.output == "No publisher found.\n"


def test_show_model_refuses_a_format_it_cannot_print() -> None:
    result = CliRunner().invoke(main, ["--show-model", "--format", "sarif", str(FIXTURES / "sample")])
    assert result.exit_code == 2 and "--show-model prints text or json" in result.output


def test_statistics_counts_per_rule_most_severe_first() -> None:
    result = CliRunner().invoke(main, ["--statistics", "--no-cache", str(FIXTURES / "sample")])
    assert result.exit_code == 1
    rows = [line.split() for line in result.output.splitlines() if line.strip()[:1].isdigit()]
    assert rows[0][1] == "PUB001" and ["2", "PUB017"] == rows[-1][:2]
    assert sum(int(row[0]) for row in rows) == 9


def test_text_report_lists_critical_findings_before_low_ones() -> None:
    result = CliRunner().invoke(main, ["--no-cache", str(FIXTURES / "sample")])
    severities = [line.split()[2] for line in result.output.splitlines() if " PUB0" in line]
    order = ["[critical]", "[error]", "[warn]", "[low]"]
    assert severities == sorted(severities, key=order.index)
