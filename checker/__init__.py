"""publisher-check: a compliance checker for non-blocking event publishers."""
