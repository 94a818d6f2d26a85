"""Every endpoint of ``/api/v1`` is declared once, with :meth:`ApiBlueprint.operation`, and the
declaration is what runs: its role group is the check (``gateway.access``), its body and
query models parse the request (``gateway.api.parsing``), its ``step_up`` asks for the fresh
TOTP proof, and its answer models build what goes out. ``/api/v1/openapi.json``
(``gateway.api.openapi``) is made from the same declarations, so the description cannot
drift from the code; ``tests/gateway/test_openapi.py`` fails for a route declared otherwise.

A view receives its path parameters, then ``body`` and ``query`` when it declares them, and
returns what the answer model reads (a service's dict, or the model itself), optionally with
its status: ``return body, 201``. A status the declaration lacks is a bug, not an answer.

A view declared with ``transaction=True`` also receives ``db``, a session whose work commits
when the view returns (rolls back when it raises), and in which the caller was authenticated:
one transaction a request instead of two (``gateway.api.bearer``). Its answer is built after
the commit, so whatever lock the view took is not held while the JSON is made.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.access import (
    check_roles,
    current_token,
    current_user,
    login_required,
    roles_required,
)
from gateway.api.bearer import TokenUse, note_use, sign_in
from gateway.api.parsing import json_body, parse
from gateway.api.types import Answer, Body, Query, SteppedUp
from gateway.context import rt, source_address
from gateway.inputs import TAKES_UPLOAD
from gateway.outages import is_outage
from postgate.errors import NotFound
from postgate.policy import RoleGroup
from postgate.services import sessions

Content = type[Answer] | Mapping[str, type[Answer] | None] | None
"""What one status answers: a JSON model, nothing (``None``, e.g. 204), or a model (or
``None`` for plain text) per media type."""

ATTRIBUTE = "api_operation"  # where a view keeps its declaration


@dataclass(frozen=True)
class Operation:
    """One endpoint as declared: what it reads, who may call it, what it answers."""

    method: str
    rule: str
    tag: str
    view: Callable[..., Any]
    answers: Mapping[int, Content]
    body: type[Body] | None = None
    query: type[Query] | None = None
    roles: RoleGroup | None = None
    public: bool = False
    step_up: bool = False
    fresh: bool = False
    recovery: bool = False
    transaction: bool = False
    errors: frozenset[int] = field(default_factory=frozenset)
    upload: Mapping[str, Any] | None = None  # the JSON Schema of a multipart/form-data body

    @property
    def success(self) -> int:
        """The status a view's plain answer gets: the first one declared."""
        return next(iter(self.answers))

    def error_statuses(self) -> list[int]:
        """Every error this endpoint can answer: those that follow from the declaration
        (authentication, role, parsing, step-up) and those its services raise."""
        found = set(self.errors) | {400}  # the door refuses a NUL anywhere (gateway.inputs)
        if not self.public:
            found.add(401)
        if self.roles:
            found.add(403)
        if self.body is not None or self.upload is not None:
            found |= {413, 422}
        if self.query is not None:
            found.add(422)
        if "<" in self.rule:
            found.add(404)
        if self.step_up:
            found |= {401, 429}
        return sorted(found)

    def run(self, args: dict[str, Any]) -> ResponseReturnValue:
        """Parse, step up, call the view, and build its answer from the declared model."""
        if self.transaction:
            return self._run_in_transaction(args)
        return self.answer(self.call(args))

    def _run_in_transaction(self, args: dict[str, Any]) -> ResponseReturnValue:
        """Authenticate, check the role and call the view in one transaction; answer once
        it has committed. The checks come in the same order as for the other operations
        (401, 403, then 404 and 422)."""
        use: TokenUse | None = None
        try:
            with rt().store.transaction() as db:
                token = sign_in(db)
                use = TokenUse.of(token)
                try:
                    if self.roles:
                        check_roles(self.roles)
                    result = self.call({**args, "db": db})
                    db.flush()
                finally:
                    # Read by what follows the transaction (a 403's audit entry, the token's
                    # use): out of the session before its end, which would expire them.
                    for kept in (token, current_user()):
                        if kept in db:
                            db.expunge(kept)
        except Exception as exc:
            if is_outage(exc):
                use = None  # the store is away: the answer is a 503, not a second wait for it
            raise
        finally:
            if use is not None:  # a refusal (401 aside) is a use of the token too
                note_use(use)
        return self.answer(result)

    def call(self, args: dict[str, Any]) -> Any:
        """Parse, step up and call the view; what it returns."""
        _check_bounds(args)
        if self.query is not None:
            args["query"] = parse(self.query, request.args.to_dict())
        if self.body is not None:
            args["body"] = parse(self.body, json_body())
        if self.step_up:
            assert isinstance(args["body"], SteppedUp)
            sessions.step_up(
                rt(),
                current_user(),
                current_token(),
                args["body"].code,
                source=source_address(),
                fresh=self.fresh,
                allow_recovery=self.recovery,
            )
        return self.view(**args)

    def answer(self, result: Any) -> ResponseReturnValue:
        status = self.success
        if isinstance(result, tuple):
            result, status = result
        if status not in self.answers:
            raise LookupError(f"{self.rule}: status {status} is not declared")
        if isinstance(result, Response):  # a declared media type other than JSON
            return result
        content = self.answers[status]
        if content is None:
            return Response(status=status)
        model = content if isinstance(content, type) else content["application/json"]
        assert model is not None
        checked = model.model_validate(result)
        return jsonify(checked.model_dump(mode="json", exclude_unset=True)), status


def _check_bounds(args: dict[str, Any]) -> None:
    """404 for a path id no row can have (see ``gateway.api.RowId``)."""
    assert request.url_rule is not None
    for name, converter in request.url_rule._converters.items():
        low, high = getattr(converter, "bounds", (args[name], args[name]))
        if not low <= args[name] <= high:
            raise NotFound(
                "nothing has the {name} {value}", field=name, name=name, value=args[name]
            )


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """The declaration of a view function, or None for a route added some other way."""
    return getattr(view, ATTRIBUTE, None)


class ApiBlueprint(Blueprint):
    """One concern of the API (posts, users, ...): a blueprint whose routes are declared with
    :meth:`operation`; ``tag`` groups them in the description."""

    def __init__(self, name: str, import_name: str, *, tag: str) -> None:
        super().__init__(name, import_name)
        self.tag = tag

    def operation(
        self,
        method: str,
        rule: str,
        *,
        answers: Mapping[int, Content],
        body: type[Body] | None = None,
        query: type[Query] | None = None,
        roles: RoleGroup | None = None,
        public: bool = False,
        step_up: bool = False,
        fresh: bool = False,
        recovery: bool = False,
        errors: tuple[int, ...] = (),
        upload: Mapping[str, Any] | None = None,
        transaction: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare and register ``method rule``.

        ``answers`` maps each success status to its content; ``roles`` is the group of
        :mod:`postgate.policy` that may call (None: anyone signed in; ``public``: anyone at
        all); ``step_up`` makes it a sensitive action (its body must be a
        :class:`~gateway.api.types.SteppedUp`), and ``fresh`` one whose code must come in
        the request itself, the step-up window not counting (``recovery``: a recovery code
        may stand in for it); ``errors`` lists what its services refuse
        with besides what the rest implies (see :meth:`Operation.error_statuses`); ``upload``
        is the schema of a ``multipart/form-data`` body the view reads itself (a file);
        ``transaction`` gives the view the request's one transaction as ``db`` (see above;
        not for a step-up action, whose proof is written in a transaction of its own).
        """
        step_up = step_up or fresh
        assert not step_up or (body is not None and issubclass(body, SteppedUp)), rule
        assert not (transaction and (step_up or public)), rule

        def declare(view: Callable[..., Any]) -> Callable[..., Any]:
            declared = Operation(
                method=method.upper(),
                rule=rule,
                tag=self.tag,
                view=view,
                answers=answers,
                body=body,
                query=query,
                roles=roles,
                public=public,
                step_up=step_up,
                fresh=fresh,
                recovery=recovery,
                transaction=transaction,
                errors=frozenset(errors),
                upload=upload,
            )

            def endpoint(**args: Any) -> ResponseReturnValue:
                return declared.run(args)

            endpoint.__name__ = view.__name__
            endpoint.__doc__ = inspect.getdoc(view)
            if transaction:  # authenticated and its role checked in the view's transaction
                pass
            elif roles:
                endpoint = roles_required(roles)(endpoint)
            elif not public:
                endpoint = login_required(endpoint)
            setattr(endpoint, ATTRIBUTE, declared)
            if upload is not None:
                setattr(endpoint, TAKES_UPLOAD, True)
            self.add_url_rule(rule, view.__name__, endpoint, methods=[declared.method])
            return view

        return declare
