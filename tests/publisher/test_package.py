"""The reference is a self-contained, typed package that people can import or copy."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import activity_publisher

PACKAGE = Path(activity_publisher.__file__).parent


def test_the_documented_import_line_works() -> None:
    from activity_publisher import (  # noqa: F401
        ActivityClient,
        ActivityClientBuilder,
        ActivityEnvelope,
        AuditLogActivity,
        DeliveryReport,
        DeliveryStats,
        ErrorContext,
        ErrorSeverity,
    )

    assert set(activity_publisher.__all__) >= {"ActivityClient", "ActivityClientBuilder", "ErrorSeverity"}


def test_it_imports_nothing_from_the_checker() -> None:
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "publisher_check" for name in names), module.name


def test_it_is_typed_and_ships_its_schemas() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert {p.name for p in (PACKAGE / "schemas").glob("*.json")} == {
        "activity_envelope.json",
        "audit_log_activity.json",
    }


def test_a_copy_under_another_name_works(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "my_events", ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        "import my_events, sys\n"
        "from my_events import ActivityClient, AuditLogActivity\n"
        "client = ActivityClient('http://127.0.0.1:9/x')\n"
        "client.publish_audit_log(AuditLogActivity('u', 'login', 'app', 'success', 't'))\n"
        "client.close(0)\n"
        "assert client.stats.published == client.stats.dropped == 1, client.stats\n"
        "assert 'activity_publisher' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
