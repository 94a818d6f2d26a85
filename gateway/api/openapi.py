"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 description of the whole API, made from the
declarations the app runs (:mod:`gateway.api.operations`), never written by hand.

Paths and their parameters come from the app's URL map (a converter's limits become the
parameter's schema), request and answer shapes from the pydantic models (their JSON Schema is
draft 2020-12, which OpenAPI 3.1 uses), and who may call what from the role groups of
:mod:`postgate.policy`, listed in ``x-postgate-roles`` and in each description. The document
is public: it says what the code, which is open source, accepts and answers, and holds no
secret, no user and no account.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from werkzeug.routing import BaseConverter, IntegerConverter, Rule

import postgate
from gateway.api import PREFIX, api_blueprint
from gateway.api.answers import Error
from gateway.api.operations import ApiBlueprint, Operation, operation_of
from gateway.api.types import Answer

REFS = "#/components/schemas/{model}"
EXTENSION = "postgate.openapi"  # the built document, in app.extensions

bp = ApiBlueprint("openapi", __name__, tag="description")

ABOUT = """\
Postgate's JSON API. Log in with `POST /session` (user name, password and a TOTP code), then
send `Authorization: Bearer <token>` with every request.

Sensitive actions (`x-postgate-step-up: true`) take an `otp` field: a fresh TOTP code, needed
unless the session proved one within the step-up window (5 minutes by default).
`x-postgate-roles` lists the roles of which the caller needs one (none listed: anyone signed
in; each then acts only on what is theirs).

Every refusal is `{"error", "message", "field"}`: 400 when the body is not a JSON object,
401 when not signed in or the TOTP code is missing, wrong or replayed, 403 when not allowed,
404, 409 for the wrong state, 422 for a bad value (`field` names it), 429 with `Retry-After`.
"""

ERRORS = {
    400: "Malformed (`malformed`): the body is not a JSON object, or it, the query string or "
    "the path holds a NUL character (or, in the body, a lone surrogate, `NaN`, or nesting "
    "more than 32 levels deep).",
    401: "Not signed in, or the token has ended (`not_authenticated`).",
    403: "The caller may not do this: a role is missing, or the thing is not theirs.",
    404: "Nothing of that name or id (or nothing the caller may see).",
    409: "The thing is not in a state that allows this (`conflict`).",
    413: "The body is larger than 1 MiB (an image upload: than `max_bytes` of `[media]`).",
    422: "A value is invalid (`invalid`); `field` names it.",
    429: "Too many attempts (`rate_limited`); try again after `Retry-After` seconds.",
}
STEP_UP_401 = (
    "Not signed in, or the fresh TOTP proof is missing (`otp_required`), wrong or already "
    "used (`otp_invalid`)."
)


class Description(Answer):
    """This document."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


@bp.operation("GET", "/openapi.json", public=True, answers={200: Description})
def description() -> dict[str, Any]:
    """The OpenAPI 3.1 description of this API (this document)."""
    built = current_app.extensions.get(EXTENSION)
    if built is None:
        built = current_app.extensions[EXTENSION] = document(current_app)
    return built


class _Untitled(GenerateJsonSchema):
    """Models keep their titles; fields do without (their names say it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def declared(app: Flask) -> Iterator[tuple[Rule, Operation | None]]:
    """Every route under ``/api/v1`` with its declaration (None: added some other way)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods or ()))):
        if rule.rule.startswith(PREFIX + "/"):
            yield rule, operation_of(app.view_functions[rule.endpoint])


def standalone() -> dict[str, Any]:
    """The description without settings or a store, for tools and tests: the same
    declarations, registered on a bare Flask app."""
    app = Flask(__name__)
    app.register_blueprint(api_blueprint())
    return document(app)


def document(app: Flask) -> dict[str, Any]:
    """The description of every declared route of ``app``."""
    found = [(rule, op) for rule, op in declared(app) if op is not None]
    refs, schemas = _schemas([op for _rule, op in found])
    paths: dict[str, dict[str, Any]] = {}
    for rule, op in found:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(PREFIX) :])
        paths.setdefault(path, {})[op.method.lower()] = _operation(rule, op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Postgate API", "version": postgate.__version__, "description": ABOUT},
        "servers": [{"url": PREFIX}],
        "security": [{"bearerToken": []}],
        "tags": [{"name": tag} for tag in sorted({op.tag for _rule, op in found})],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A session token from `POST /session`, or an API token.",
                }
            },
        },
    }


def _schemas(ops: list[Operation]) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for op in ops:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        for model in _answer_models(op):
            wanted[(model, "serialization")] = None
    refs, top = models_json_schema(list(wanted), ref_template=REFS, schema_generator=_Untitled)
    return refs, top.get("$defs", {})


def _answer_models(op: Operation) -> Iterator[type[Answer]]:
    for content in op.answers.values():
        if isinstance(content, type):
            yield content
        elif content is not None:
            yield from (m for m in content.values() if m is not None)


def _operation(rule: Rule, op: Operation, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    summary, _, details = (inspect.getdoc(op.view) or rule.endpoint).partition("\n\n")
    body: dict[str, Any] = {
        "operationId": rule.endpoint.removeprefix("api."),
        "tags": [op.tag],
        "summary": " ".join(summary.split()),
        "description": "\n\n".join(p for p in (details.strip(), _who(op)) if p),
        "x-postgate-roles": list(op.roles or ()),
        "x-postgate-step-up": op.step_up,
        "x-postgate-fresh-code": op.fresh,
        "parameters": [*_path_parameters(rule), *_query_parameters(op)],
        "responses": _responses(op, refs),
    }
    if op.public:
        body["security"] = []
    if op.body is not None:
        required = bool(op.body.model_json_schema().get("required"))
        body["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if op.upload is not None:
        body["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": dict(op.upload)}},
        }
    return body


def _who(op: Operation) -> str:
    if op.public:
        who = "Anyone, signed in or not."
    elif op.roles:
        who = "Needs the role " + " or ".join(f"`{r}`" for r in op.roles) + "."
    else:
        who = "Anyone signed in."
    if op.fresh:
        who += " `otp` is required in this very request: a code proved earlier in the session"
        who += " does not count"
        who += " (a recovery code may stand in for it)." if op.recovery else "."
    elif op.step_up:
        who += " A sensitive action: `otp` is required unless the session proved a TOTP code"
        who += " within the step-up window."
    return who


def _path_parameters(rule: Rule) -> Iterator[dict[str, Any]]:
    for name, converter in rule._converters.items():
        yield {"name": name, "in": "path", "required": True, "schema": _converter(converter)}


def _converter(converter: BaseConverter) -> dict[str, Any]:
    """A path part's schema, from the limits its converter matches (the rest are a 404)."""
    if isinstance(converter, IntegerConverter):
        schema: dict[str, Any] = {"type": "integer"}
        low, high = getattr(converter, "bounds", (converter.min, converter.max))
        low = low if low is not None or converter.signed else 0
        for key, value in (("minimum", low), ("maximum", high)):
            if value is not None:
                schema[key] = value
        return schema
    return {"type": "string", "pattern": f"^{converter.regex}$"}


def _query_parameters(op: Operation) -> Iterator[dict[str, Any]]:
    if op.query is None:
        return
    schema = op.query.model_json_schema(ref_template=REFS, schema_generator=_Untitled)
    required = set(schema.get("required", ()))
    for name, field_schema in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in required}
        described = dict(field_schema)
        if "description" in described:
            parameter["description"] = described.pop("description")
        yield {**parameter, "schema": described}


def _responses(op: Operation, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, content in op.answers.items():
        out[str(status)] = _success(status, content, refs)
    error = {"application/json": {"schema": refs[(Error, "serialization")]}}
    for status in op.error_statuses():
        text = STEP_UP_401 if status == 401 and op.step_up else ERRORS[status]
        out[str(status)] = {"description": text, "content": error}
        if status == 429:
            out[str(status)]["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
    return out


def _success(status: int, content: Any, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    if content is None:
        return {"description": "Done; nothing to show."}
    media = content if isinstance(content, dict) else {"application/json": content}
    answer: dict[str, Any] = {"description": "", "content": {}}
    for kind, model in media.items():
        if model is None:
            answer["content"][kind] = {"schema": {"type": "string"}}
            continue
        answer["content"][kind] = {"schema": refs[(model, "serialization")]}
        answer["description"] = answer["description"] or _first_line(model.__doc__)
    answer["description"] = answer["description"] or f"{status}"
    return answer


def _first_line(text: str | None) -> str:
    return inspect.cleandoc(text).split("\n\n")[0].replace("\n", " ") if text else ""
