"""The security lead's console: ``sam`` is signed in with the security role; ``strict_web``
is a browser on an app whose step-up window is 0, so every sensitive form needs a code.
"""

from __future__ import annotations

import pytest

from gateway import create_app
from tests.helpers import WebActions


@pytest.fixture
def strict_web(rt) -> WebActions:
    """Step-up window 0: every sensitive form needs a code."""
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    return WebActions(app.test_client())


@pytest.fixture
def sam(actors, web):
    person = actors.create("sam", "security")
    web.login(person)
    return person
