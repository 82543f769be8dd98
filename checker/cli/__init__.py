"""The command line: option parsing, the check/plan/scaffold commands, printing and exit codes."""
