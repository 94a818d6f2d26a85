"""``/api/v1/posts``: submit, read, edit, approve, reject, cancel."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.access import caller, roles_required
from gateway.api.body import field, json_body, step_up
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import posts, review
from postgate.timeparse import parse_aware

bp = Blueprint("posts", __name__)


def _schedule(data: dict) -> dict:
    if "scheduled_at" not in data or data["scheduled_at"] is None:
        return {"scheduled_at": None} if "scheduled_at" in data else {}
    return {"scheduled_at": parse_aware(data["scheduled_at"], "scheduled_at")}


@bp.post("/posts")
def submit() -> ResponseReturnValue:
    data = json_body()
    when = _schedule(data).get("scheduled_at")
    with rt().store.transaction() as db:
        post = posts.submit(
            rt(),
            db,
            caller(db),
            field(data, "account"),
            field(data, "text"),
            when,
            source=source_address(),
        )
        body = posts.post_to_dict(post)
    return jsonify(body), 201


@bp.get("/posts")
def list_posts() -> ResponseReturnValue:
    with rt().store.session() as db:
        found = posts.list_posts(db, caller(db), request.args.get("status") or None)
        return jsonify({"posts": [posts.post_to_dict(p) for p in found]})


@bp.get("/posts/<int:post_id>")
def get_post(post_id: int) -> ResponseReturnValue:
    with rt().store.session() as db:
        return jsonify(posts.post_to_dict(posts.visible_post(db, caller(db), post_id)))


@bp.patch("/posts/<int:post_id>")
def edit_post(post_id: int) -> ResponseReturnValue:
    data = json_body()
    changes = _schedule(data)
    if "text" in data:
        changes["text"] = data["text"]
    if not changes:
        raise ValidationFailed("nothing to change: give text or scheduled_at", field="text")
    with rt().store.transaction() as db:
        post, old_revision = posts.edit(
            rt(), db, caller(db), post_id, changes, source=source_address()
        )
        body = posts.post_to_dict(post)
    dispatch_after_commit(post, old_revision)
    return jsonify(body)


@bp.post("/posts/<int:post_id>/approve")
@roles_required(policy.REVIEW_POSTS)
def approve(post_id: int) -> ResponseReturnValue:
    data = json_body()
    acknowledge = data.get("acknowledge") or []
    if not isinstance(acknowledge, list) or not all(isinstance(a, str) for a in acknowledge):
        raise ValidationFailed("acknowledge must be a list of rule ids", field="acknowledge")
    step_up(data)
    with rt().store.transaction() as db:
        post = review.approve(rt(), db, caller(db), post_id, acknowledge, source=source_address())
        body = posts.post_to_dict(post)
    dispatch_after_commit(post)
    return jsonify(body)


@bp.post("/posts/<int:post_id>/reject")
def reject(post_id: int) -> ResponseReturnValue:
    data = json_body()
    with rt().store.transaction() as db:
        post = review.reject(
            rt(), db, caller(db), post_id, data.get("reason"), source=source_address()
        )
        body = posts.post_to_dict(post)
    dispatch_after_commit(post)
    return jsonify(body)


@bp.post("/posts/<int:post_id>/cancel")
def cancel(post_id: int) -> ResponseReturnValue:
    with rt().store.transaction() as db:
        post = posts.cancel(rt(), db, caller(db), post_id, source=source_address())
        body = posts.post_to_dict(post)
    dispatch_after_commit(post)
    return jsonify(body)
