"""``/api/v1/posts``, working together: drafts and their submission, one compose for several
accounts with a text per network, comments between author and reviewers, and previews of
how a post will look on each platform."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from gateway import submitted
from gateway.access import caller
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.posts import PostMedia, PostText
from gateway.api.types import Answer, AwareTime, Body, Limited, Time, column_length, one_of
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import comments, drafts, posts
from postgate.services.accounts import find_account
from postgate.services.media import attach
from postgate.services.names import canonical_name
from postgate.services.preview import preview
from postgate.states import CommentKind
from postgate.store.models import Account

bp = ApiBlueprint("collab", __name__, tag="posts")

AccountName = Limited(column_length(Account.name))
MAX_ACCOUNTS = 20


class Compose(Body):
    """One text for several accounts, and optionally a text of its own for some of them."""

    accounts: Annotated[list[AccountName], Field(min_length=1, max_length=MAX_ACCOUNTS)]  # type: ignore[valid-type]
    text: PostText
    variants: dict[AccountName, PostText] | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Per account name, the text that account publishes instead of `text`.",
    )
    scheduled_at: AwareTime | None = None
    media: PostMedia | None = None
    draft: bool = False


class PreviewRequest(Body):
    accounts: Annotated[list[AccountName], Field(min_length=1, max_length=MAX_ACCOUNTS)]  # type: ignore[valid-type]
    text: PostText
    variants: dict[AccountName, PostText] | None = None  # type: ignore[valid-type]
    media: PostMedia | None = None


class NewComment(Body):
    body: Limited(comments.MAX_COMMENT)  # type: ignore[valid-type]


class Comment(Answer):
    """A note on a post: a `comment`, or the `rejection` reason a reviewer gave."""

    id: int
    author: str
    kind: one_of(tuple(CommentKind))  # type: ignore[valid-type]
    body: str
    revision: int = Field(description="The post's revision when it was written.")
    at: Time


class CommentList(Answer):
    comments: list[Comment]


class LinkCard(Answer):
    url: str
    domain: str


class PreviewImage(Answer):
    id: int
    alt: str
    shown: bool = Field(description="false: beyond what the platform takes in one post.")


class PlatformPreview(Answer):
    """How the post will look on one account's platform."""

    account: str
    platform: str
    used: int = Field(description="Characters as the platform counts them.")
    limit: int
    cut: bool = Field(description="true: the platform would not take all of the text.")
    shown_text: str
    cut_text: str = Field(description="What lies beyond the platform's limit.")
    link: LinkCard | None
    mentions: list[str]
    images: list[PreviewImage]


class PreviewList(Answer):
    previews: list[PlatformPreview]


class ComposedPosts(Answer):
    posts: list[answers.Submitted]


def _text_for(name: str, text: str, variants: dict[str, str] | None) -> str:
    """The account's own text when a variant names it (in any case), else the common one."""
    chosen = {canonical_name(k): v for k, v in (variants or {}).items()}.get(canonical_name(name))
    return chosen if chosen and chosen.strip() else text


def _check_variants(accounts: list[str], variants: dict[str, str] | None) -> None:
    named = {canonical_name(a) for a in accounts}
    stray = sorted(k for k in variants or {} if canonical_name(k) not in named)
    if stray:
        raise ValidationFailed(
            "a variant names an account that is not chosen: {value}",
            field="variants",
            value=", ".join(stray),
        )


@bp.operation(
    "POST",
    "/posts/compose",
    body=Compose,
    roles=policy.WRITE_POSTS,
    answers={201: ComposedPosts},
    errors=(403, 404),
)
def compose(body: Compose) -> tuple[dict[str, Any], int]:
    """One post per account, all stored or none: each with its own text when `variants`
    gives one, each checked with its own platform's rules and limits."""
    _check_variants(body.accounts, body.variants)
    media = [m.model_dump() for m in body.media or []]
    with rt().store.transaction() as db:
        user = caller(db)
        made = [
            posts.submit(
                rt(),
                db,
                user,
                name,
                _text_for(name, body.text, body.variants),
                body.scheduled_at,
                media=media,
                source=source_address(),
                draft=body.draft,
            )
            for name in dict.fromkeys(map(canonical_name, body.accounts))
        ]
        shown = [
            {
                **posts.post_to_dict(p),
                "message": submitted.answer_message(p),
                "warnings": submitted.post_warnings(db, p),
            }
            for p in made
        ]
    return {"posts": shown}, 201


@bp.operation(
    "POST",
    "/posts/<id:post_id>/submit",
    roles=policy.WRITE_POSTS,
    answers={200: answers.Submitted},
    errors=(403, 409),
)
def submit_draft(post_id: int) -> dict[str, Any]:
    """Send one's `draft` to review: the rules run again; `pending_review` or `blocked`."""
    with rt().store.transaction() as db:
        post = drafts.submit_draft(rt(), db, caller(db), post_id, source=source_address())
        shown = {
            **posts.post_to_dict(post),
            "message": submitted.answer_message(post),
            "warnings": [],
        }
    dispatch_after_commit(post)
    return shown


@bp.operation("GET", "/posts/<id:post_id>/comments", answers={200: CommentList})
def list_comments(post_id: int) -> dict[str, Any]:
    """The notes on a post, oldest first, rejections included."""
    with rt().store.session() as db:
        post = posts.visible_post(db, caller(db), post_id)
        return {"comments": [comments.comment_to_dict(c) for c in post.comments]}


@bp.operation("POST", "/posts/<id:post_id>/comments", body=NewComment, answers={201: Comment})
def add_comment(post_id: int, body: NewComment) -> tuple[dict[str, Any], int]:
    """Comment on a post one can see. Comments are not content: no approval is voided."""
    with rt().store.transaction() as db:
        note = comments.add_comment(
            rt(), db, caller(db), post_id, body.body, source=source_address()
        )
        return comments.comment_to_dict(note), 201


@bp.operation("GET", "/posts/<id:post_id>/preview", answers={200: PlatformPreview})
def post_preview(post_id: int) -> dict[str, Any]:
    """How a stored post will look on its account's platform."""
    with rt().store.session() as db:
        post = posts.visible_post(db, caller(db), post_id)
        return preview(post.account, post.text, post.media or []).to_dict()


@bp.operation(
    "POST",
    "/previews",
    body=PreviewRequest,
    roles=policy.WRITE_POSTS,
    answers={200: PreviewList},
    errors=(404,),
)
def previews(body: PreviewRequest) -> dict[str, Any]:
    """How a text not yet stored would look on each account's platform; nothing is kept."""
    _check_variants(body.accounts, body.variants)
    with rt().store.session() as db:
        user = caller(db)
        found = []
        for name in dict.fromkeys(map(canonical_name, body.accounts)):
            account = find_account(db, name)
            images = attach(db, user, account, [m.model_dump() for m in body.media or []], 10)
            text = _text_for(name, body.text, body.variants)
            found.append(preview(account, text, images).to_dict())
        return {"previews": found}
