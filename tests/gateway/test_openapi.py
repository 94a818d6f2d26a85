"""``/api/v1/openapi.json`` describes exactly the API the app runs, because it is made from the
declarations that run it (``gateway.api.operations``): every route is declared, the document
is valid OpenAPI 3.1, its paths are the app's routes, the roles it names are the ones the
access tests hold each endpoint to, and an answer that strays from its model never goes out.
"""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, Flask
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from gateway.api import answers
from gateway.api.openapi import declared, standalone
from gateway.api.operations import ApiBlueprint
from tests.gateway.test_endpoint_access import API_OPEN, API_ROLES

pytestmark = pytest.mark.store_neutral


def undeclared(app: Flask) -> list[str]:
    """The ``/api/v1`` routes added without ``ApiBlueprint.operation``."""
    return sorted(rule.endpoint for rule, op in declared(app) if op is None)


def test_every_api_route_is_declared(app):
    assert undeclared(app) == [], "declare them with ApiBlueprint.operation (docs/api.md)"


def test_a_route_added_some_other_way_is_caught(app):
    raw = Blueprint("raw", __name__, url_prefix="/api/v1/raw")
    raw.add_url_rule("/thing", "thing", lambda: "")
    bare = Flask("bare")
    bare.register_blueprint(raw)
    assert undeclared(bare) == ["raw.thing"]


def test_the_description_is_public_and_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")  # no token: it holds no secret
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    OPENAPI_31_VALIDATOR.validate(document)
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": "/api/v1"}]
    assert document == standalone()  # the same without settings or a store


def test_its_paths_are_the_routes_the_app_serves(app):
    document = standalone()
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    served = {
        (method, re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1")))
        for rule, _op in declared(app)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == served and len(served) > 30


def test_it_names_the_roles_the_access_tests_hold_each_endpoint_to():
    document = standalone()
    for ops in document["paths"].values():
        for op in ops.values():
            endpoint = "api." + op["operationId"]
            expected = list(API_ROLES.get(endpoint, ()))
            assert op["x-postgate-roles"] == expected, endpoint
            assert endpoint in API_ROLES or endpoint in API_OPEN, endpoint
            assert ("403" in op["responses"]) >= bool(expected), endpoint


def test_every_refusal_is_the_error_object_and_429_says_when_to_retry():
    document = standalone()
    error = {"$ref": "#/components/schemas/Error"}
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            refusals = {s: r for s, r in op["responses"].items() if s.startswith("4")}
            assert refusals or op["security"] == [], (method, path)
            for status, answer in refusals.items():
                assert answer["content"]["application/json"]["schema"] == error, (path, status)
            if "429" in refusals:
                assert refusals["429"]["headers"]["Retry-After"]["required"] is True
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "message"]


def test_an_answer_that_strays_from_its_model_is_never_sent(app, client, caplog):
    """A field a service adds without its model is a bug caught by every test that reaches
    it, not a secret sent to every client."""
    probe = ApiBlueprint("probe", __name__, tag="probe")

    @probe.operation("GET", "/probe", public=True, answers={200: answers.Session})
    def leaky() -> dict:
        """A view that says more than its model."""
        return {"token": "t", "expires_at": "2026-01-01T00:00:00+00:00", "password": "hunter2"}

    wrapper = Blueprint("probe_api", __name__, url_prefix="/api/v1")
    wrapper.register_blueprint(probe)
    app.register_blueprint(wrapper)
    response = client.get("/api/v1/probe")
    assert response.status_code == 500
    assert "hunter2" not in response.get_data(as_text=True)
    assert "password" in caplog.text  # the log says which field strayed
