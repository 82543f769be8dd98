"""Command line entry point (placeholder until the checker lands)."""


def main() -> None:
    raise SystemExit("publisher-check: not implemented yet")
