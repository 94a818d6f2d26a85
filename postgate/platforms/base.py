"""The connector interface every platform implements, and its error types.

Workers only ever see these types, so the publish, takedown and credential
jobs stay platform-neutral: a platform's own error vocabulary is mapped to
:class:`RetryableError` (try again later, maybe after ``retry_after``),
:class:`PermanentError` (give up, record the reason) or
:class:`CredentialsError` (mark the account's credentials as broken). A 2xx
answer whose body is not what the platform documents is a
:class:`MalformedResponseError`, never a ``KeyError`` or ``TypeError``.

Error messages and ``repr`` never carry a credential (safety invariant 9):
messages are built from the platform's error body, and
:meth:`Connector._redact` scrubs the value of every field the platform's spec marks
secret (:mod:`postgate.platforms.registry`), should a platform echo one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the types only: media.py builds on this module
    from .media import MediaFile, UploadMemo

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock: aware UTC, so no naive datetime ever leaves a connector."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RemotePost:
    """A post as the platform holds it; ``text`` is plain text comparable with ours.

    ``mentions``, ``tags`` and ``links`` are what the platform's structured fields say the
    post mentions (``user@host``, or ``user`` on the same server), tags (without ``#``) and
    links to (full URLs, also those its text shows shortened or wrapped); empty when the
    platform says nothing. :mod:`.matching` reads them to recognise Postgate's own post.
    ``edited_at`` is when the platform says it was last edited (Mastodon), ``key_time`` the
    time inside its record key (Bluesky's TID, which the server makes when the client does
    not choose it), ``visibility`` the platform's word for who may see it, and ``raw`` the
    platform's whole record of it, kept as evidence before a takedown changes anything.
    """

    remote_id: str
    text: str
    created_at: datetime
    url: str | None
    mentions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    edited_at: datetime | None = None
    visibility: str | None = None
    key_time: datetime | None = None
    raw: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AccountInfo:
    """Who the credentials act as, to check they belong to the configured account.

    ``posts_count`` is how many posts the platform says the account has (Mastodon's
    ``statuses_count``), when it says: a takedown compares it with what it can list.
    """

    remote_id: str
    handle: str
    url: str | None
    posts_count: int | None = None


@dataclass(frozen=True)
class Profile:
    """What the account shows of itself: the watch compares it between readings.

    ``avatar`` and ``header`` are the image URLs the platform gives (a new upload, a new
    URL); ``fields`` the profile's (name, value) pairs in order, as typed.
    """

    display_name: str
    note: str
    avatar: str
    header: str
    fields: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name,
            "note": self.note,
            "avatar": self.avatar,
            "header": self.header,
            "fields": [list(pair) for pair in self.fields],
        }


@dataclass(frozen=True)
class StreamEvent:
    """One event of the account's stream that concerns its own posts.

    ``kind`` is ``post`` (a new post: ``post``), ``edit`` (a post edited: ``post``),
    ``delete`` (``remote_id`` gone) or ``heartbeat`` (the platform's keep-alive, which
    tells the reader the stream still lives).
    """

    kind: str
    post: RemotePost | None = None
    remote_id: str | None = None


class ConnectorError(Exception):
    """A platform call failed; ``message`` is safe to store, show and log."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class RetryableError(ConnectorError):
    """Worth trying again later: timeouts, connection errors, 5xx, 408 and 429.

    ``retry_after`` is the platform's own estimate in seconds, when it gave one.
    ``outcome_unknown`` is true when the request may have reached the platform
    and taken effect (read timeout, dropped connection, 5xx): before retrying a
    publish the worker must read the account back (safety invariant 5).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class MalformedResponseError(RetryableError):
    """The platform answered 2xx with a body that is not what it documents.

    An HTML page, an empty or non-JSON body, or JSON missing the id or holding
    the wrong types: often a proxy or a passing fault, so worth another try.
    To a create the platform may still have acted (``outcome_unknown``): the
    publish job treats it like a lost answer and reads the account back first.
    """


class PermanentError(ConnectorError):
    """Retrying the same request cannot help: validation, forbidden, duplicate."""


class CredentialsError(PermanentError):
    """The token or password is missing, invalid, expired beyond refresh, or revoked."""


class SessionStore(Protocol):
    """Where a connector keeps a platform login session between jobs (Bluesky's JWTs), so
    a job reuses the last session instead of logging in again; the keeper encrypts it."""

    def load(self) -> dict[str, str] | None:
        """The session kept for these credentials, if any."""

    def save(self, session: dict[str, str]) -> None:
        """Keep ``session`` for the next job."""

    def clear(self) -> None:
        """Forget the session (it was ended or refused)."""


def page_size(maximum: int, limit: int | None, have: int) -> int:
    """How many posts to ask for next: the page maximum, or what is left of ``limit``."""
    return maximum if limit is None else min(maximum, limit - have)


class Connector(ABC):
    """One social account on one platform, reached over HTTP.

    Instances hold credentials in memory only and are not shared between
    threads; :meth:`close` releases the HTTP connection pool.
    """

    platform: str

    def __init__(self, *, secrets: Iterable[str] = ()) -> None:
        # Only secret fields: redacting a public handle or client id would mangle messages.
        self._secrets = tuple(s for s in secrets if s)

    @abstractmethod
    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        key_time: datetime | None = None,
        media: Sequence[MediaFile] = (),
        uploads: UploadMemo | None = None,
    ) -> RemotePost:
        """Publish ``text`` with ``media`` in order; platforms that support it deduplicate on
        the key. Images are uploaded first (reusing those ``uploads`` remembers), and the post
        is created only once every one is ready (:mod:`postgate.platforms.media`).

        ``key_time`` is a moment fixed for the post's revision: a platform without an
        idempotency key (Bluesky) makes the record key from it and the key, so a repeated
        create cannot make a second record and :meth:`find_by_key` finds the first.
        """

    @abstractmethod
    def delete(self, remote_id: str) -> str:
        """Delete a post: ``"deleted"``, or ``"not_found"`` when it is already gone."""

    def edit(self, remote_id: str, text: str) -> str:
        """Replace a post's text: ``"neutralised"``, or ``"not_found"`` when it is gone.
        Only platforms whose spec has the ``edit`` capability implement it."""
        raise PermanentError(f"{self.platform}: editing posts is not supported")

    @abstractmethod
    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        """The account's posts, newest first, back to ``since`` or up to ``limit``.

        ``limit=None`` pages on until ``since`` (or the account's last post): a read-back
        must see every post since its claim, however many came after it.
        """

    @abstractmethod
    def verify_credentials(self) -> AccountInfo:
        """Check the credentials work and say which account they act as."""

    @abstractmethod
    def revoke_credentials(self) -> bool:
        """Revoke the token on the platform; False when the platform offers no way."""

    @abstractmethod
    def close(self) -> None:
        """Release network resources."""

    def written_since(self, since: datetime, posts: Sequence[RemotePost]) -> set[str] | None:
        """Of ``posts`` (as listed), the remote ids the platform's own history says were
        written (created or changed) at or after ``since``, whatever times the posts claim;
        None where the platform keeps no such history (its listed times then decide)."""
        return None

    def post_exists(self, remote_id: str) -> bool | None:
        """Whether the platform still holds the post, asked of that post alone (one read, no
        delete): False when it answers that the post is gone, None where the connector
        cannot ask. A takedown resumed after a crash uses it to settle a post whose delete
        call may have gone out without spending another delete (Mastodon allows 30 per 30
        minutes)."""
        return None

    def find_by_key(
        self, idempotency_key: str, key_time: datetime | None = None
    ) -> RemotePost | None:
        """The post a publish with this key made, where the platform can say (a
        deterministic record key); None where it cannot or there is none."""
        return None

    def keep_sessions_in(self, store: SessionStore) -> None:
        """Reuse a login session across jobs through ``store``; platforms without login
        sessions (a bearer token, a webhook) have nothing to keep."""
        return None

    def server_limits(self) -> dict[str, int] | None:
        """What this server states about posts: ``max_length``, ``max_media``, ``url_length``
        (the ones it gives), for platforms whose servers set their own (Mastodon's
        ``GET /api/v2/instance``); None where the platform's documented limits hold."""
        return None

    def profile(self) -> Profile | None:
        """The account's profile as the platform shows it; None where the connector cannot
        read one."""
        return None

    def open_stream(self) -> AbstractContextManager[Iterator[StreamEvent]]:
        """Subscribe to the account's own events (platforms whose spec has ``streaming``).

        Entering opens the connection (errors as for any call); iterating yields events until
        the stream ends or drops, which raises :class:`RetryableError`. Nothing is replayed:
        after a drop the caller lists what it may have missed.
        """
        raise PermanentError(f"{self.platform}: no streaming API")

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Deliberately names no attribute: credentials and webhook URLs stay out.
        return f"<{type(self).__name__} platform={self.platform!r}>"

    def _redact(self, text: str) -> str:
        """Remove any credential value a platform echoed back into ``text``."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text
