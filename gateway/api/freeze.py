"""``/api/v1/freeze``: put a freeze in force, lift it, list those in force.

Role first, then the step-up: a caller without the role gets 403 whatever the code.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.access import caller
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Limited, SteppedUp, Text, column_length
from gateway.context import rt, source_address
from postgate import policy
from postgate.services import freezes, unfreeze
from postgate.store.models import Account

bp = ApiBlueprint("freeze", __name__, tag="freeze")
AccountName = Limited(column_length(Account.name))


class FreezeRequest(SteppedUp):
    account: AccountName | None = Field(  # type: ignore[valid-type]
        default=None, description="Absent: every account (a global freeze)."
    )
    reason: Text


class LiftRequest(SteppedUp):
    account: AccountName | None = Field(  # type: ignore[valid-type]
        default=None, description="Absent: the global freeze; per-account freezes stay."
    )


@bp.operation(
    "POST",
    "/freeze",
    body=FreezeRequest,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={201: answers.FreezeSet},
    errors=(404,),
)
def set_freeze(body: FreezeRequest) -> tuple[dict[str, Any], int]:
    """Freeze one account or all of them: no publish call starts once this answers. Lists
    the posts a worker already held, which may still reach the platform."""
    with rt().store.transaction() as db:
        result = freezes.set_freeze(
            rt(), db, caller(db), body.account, body.reason, source=source_address()
        )
        answer = result.to_dict()
    answer["in_flight"] = freezes.confirm_freeze(rt(), result.scope)  # after the commit
    return answer, 201


@bp.operation(
    "POST",
    "/freeze/lift",
    body=LiftRequest,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={200: answers.FreezeLift},
    errors=(404, 409),
)
def lift_freeze(body: LiftRequest) -> dict[str, Any]:
    """Lift the freeze of exactly this scope."""
    with rt().store.transaction() as db:
        done = unfreeze.lift_freeze(rt(), db, caller(db), body.account, source=source_address())
        return {
            "lifted": [freezes.freeze_to_dict(f) for f in done.freezes],
            "back_to_review": [p.id for p in done.released],
            "still_in_force": [freezes.freeze_to_dict(f) for f in freezes.active_freezes(db)],
        }


@bp.operation("GET", "/freezes", answers={200: answers.FreezeList})
def list_freezes() -> dict[str, Any]:
    """The freezes in force. Every signed-in user may see them: authors need to know why
    nothing goes out."""
    with rt().store.session() as db:
        return {"freezes": [freezes.freeze_to_dict(f) for f in freezes.active_freezes(db)]}
