"""The portal's fixtures (a browser on the real application, a Harbin couple) for every page test of this folder;
they are made in test_portal.py."""

from __future__ import annotations

from tests.web.test_portal import harbin, portal  # noqa: F401
