"""Shared pytest configuration.

Hypothesis: no per-example deadline (CI shares 2 cores between two pytest workers, so wall-clock
deadlines would make property tests flaky), and under CI (``CI=true``) a derandomized run, so a
failure on CI can be reproduced exactly on a developer's machine with ``CI=true make test``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("dlnotes", deadline=None)
settings.register_profile("dlnotes-ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("dlnotes-ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dlnotes")
