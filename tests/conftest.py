"""Suite-wide settings."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # The checker caches parse results under the user's cache folder; tests never touch it.
    os.environ.setdefault("PUBLISHER_CHECK_CACHE_DIR", tempfile.mkdtemp(prefix="publisher-check-cache-"))
