"""Output: text, JSON, SARIF and GitHub reports, the baseline file and metrics delivery to an orchestrator."""
