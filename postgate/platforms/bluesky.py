"""Bluesky, through the AT Protocol's XRPC endpoints on the account's PDS.

Login is ``com.atproto.server.createSession`` with the handle (or DID) and an
*app password*; the short-lived access JWT is renewed with
``refreshSession`` when the PDS answers ``ExpiredToken``, and a request that
failed that way is sent once more (it was refused at authentication, so the
retry cannot double-post). Posts are ``app.bsky.feed.post`` records; the
remote id is the record's ``at://`` URI. Images are sent first with
``com.atproto.repo.uploadBlob`` (the raw bytes, their type in ``Content-Type``;
the answer is ``{"blob": {...}}``), then named in the post's
``app.bsky.embed.images`` embed with their ``alt`` text and ``aspectRatio``
(https://docs.bsky.app/docs/advanced-guides/posts#images-embeds, the lexicons
app/bsky/embed/images.json and com/atproto/repo/uploadBlob.json). A blob no record
names is removed by the PDS after a while, so blobs are not reused across
attempts: uploading again has no visible effect. An image is at most 1,000,000
bytes (the lexicon's ``maxSize``).

AT Protocol has no idempotency key: ``publish`` ignores it, and the worker's
read-back before a retry (invariant 5) is what prevents a double post.

Answers are checked against the lexicons' output schemas (``createRecord``
must give the record's ``uri``, ``createSession`` the tokens and DID, and so
on); anything else is a :class:`MalformedResponseError`, which to
``createRecord`` carries ``outcome_unknown``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from .answers import Answer, PageCursors
from .base import (
    AccountInfo,
    Clock,
    Connector,
    ConnectorError,
    PermanentError,
    RemotePost,
    RetryableError,
    SessionStore,
    page_size,
    utc_now,
)
from .car import TID_ALPHABET, CarError, block_cids, tid_at, tid_time
from .facets import facet_entities, mention_handles, rich_text_facets
from .http import ErrorStyle, HttpClient, body_or_none, error_field
from .media import MediaFile, UploadMemo, before_the_post
from .timeutil import isoformat_z, parse_time

DEFAULT_BASE_URL = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
PAGE_SIZE = 100  # listRecords maximum
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images#image: maxSize
_CREDENTIAL_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"}
SESSION_FIELDS = ("did", "handle", "accessJwt", "refreshJwt")
MAX_REPO_DIFF_BYTES = 50_000_000  # a window's diff larger than this is not read


def _describe(body: Any) -> str | None:
    parts = [error_field(body, "error"), error_field(body, "message")]
    return ": ".join(p for p in parts if p) or None


def _is_credentials_error(status: int, body: Any) -> bool:
    return status == 401 or error_field(body, "error") in _CREDENTIAL_ERRORS


STYLE = ErrorStyle(
    describe=_describe,
    reset_header="ratelimit-reset",
    reset_is_epoch=True,
    is_credentials_error=_is_credentials_error,
)


class BlueskyConnector(Connector):
    """A Bluesky account reached with its handle and an app password."""

    platform = "bluesky"

    def __init__(
        self,
        *,
        base_url: str | None,
        credentials: dict[str, str],
        secrets: Iterable[str],
        timeout: float,
        transport: httpx.BaseTransport | None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(secrets=secrets)
        self._identifier = credentials["identifier"]
        self._password = credentials["app_password"]
        self._clock = clock
        self._session: dict[str, str] | None = None
        self._store: SessionStore | None = None
        self._reused = False  # the session came from the store: it may have been ended since
        self._http = HttpClient(
            platform=self.platform,
            base_url=base_url or DEFAULT_BASE_URL,
            style=STYLE,
            timeout=timeout,
            transport=transport,
            clock=clock,
            redact=self._redact,
        )

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        key_time: datetime | None = None,
        media: Sequence[MediaFile] = (),
        uploads: UploadMemo | None = None,
    ) -> RemotePost:
        """Upload the images, then create the post record naming them; with ``key_time``
        under a record key made from it and the key (:func:`record_key`), so a create sent
        twice cannot make two records."""
        images = [self._image(n, file) for n, file in enumerate(media, start=1)]
        created_at = self._clock().astimezone(UTC)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": isoformat_z(created_at),
        }
        session = self._ensure_session()
        if facets := rich_text_facets(text, self._resolve_handles(mention_handles(text))):
            record["facets"] = facets
        if images:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
        body = {"repo": session["did"], "collection": POST_COLLECTION, "record": record}
        if key_time is not None:
            body["rkey"] = record_key(idempotency_key, key_time)
        answer = self._call("POST", "com.atproto.repo.createRecord", json=body, created=True)
        uri = _record_uri(answer, answer.object().get("uri"))
        return RemotePost(uri, text, created_at, self._post_url(uri))

    def _image(self, position: int, file: MediaFile) -> dict[str, Any]:
        """Upload one image; its entry of the ``app.bsky.embed.images`` embed."""
        if len(file.data) > MAX_IMAGE_BYTES:
            raise PermanentError(
                f"{self.platform}: image {position} is {len(file.data)} bytes; "
                f"Bluesky takes at most {MAX_IMAGE_BYTES}"
            )
        try:
            answer = self._call(
                "POST",
                "com.atproto.repo.uploadBlob",
                content=file.data,
                headers={"Content-Type": file.mime},
            )
        except ConnectorError as exc:
            raise before_the_post(exc) from None
        blob = answer.expect_object(answer.object().get("blob"), "a blob object")
        return {
            "alt": file.alt,
            "image": blob,
            "aspectRatio": {"width": file.width, "height": file.height},
        }

    def find_by_key(
        self, idempotency_key: str, key_time: datetime | None = None
    ) -> RemotePost | None:
        """The record a publish with this key and time made (``getRecord`` on its record
        key), or None when there is none: exact, whatever the listing's order."""
        if key_time is None:
            return None
        ref = {
            "repo": self._ensure_session()["did"],
            "collection": POST_COLLECTION,
            "rkey": record_key(idempotency_key, key_time),
        }
        response = self._send("GET", "com.atproto.repo.getRecord", params=ref)
        if response.status_code == 404 or _error(response) == "RecordNotFound":
            return None
        answer = self._http.answer(self._http.check(response), "getRecord")
        return self._record_post(answer, answer.object())

    def delete(self, remote_id: str) -> str:
        """Delete a post record; a record already gone is ``"not_found"``.

        The PDS treats deleting a missing record as a success, so ``getRecord``
        asks first: a takedown report must not claim a deletion that never was.
        """
        repo, collection, rkey = _parse_uri(remote_id)
        ref = {"repo": repo, "collection": collection, "rkey": rkey}
        response = self._send("GET", "com.atproto.repo.getRecord", params=ref)
        if response.status_code == 404 or _error(response) == "RecordNotFound":
            return "not_found"
        found = self._http.answer(self._http.check(response), "getRecord")
        _record_uri(found, found.object().get("uri"))
        deleted = self._call("POST", "com.atproto.repo.deleteRecord", json=ref)
        deleted.object(empty_ok=True)  # {"commit": ...}, or nothing from older servers
        return "deleted"

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        """Newest first: listRecords orders by record key (a TID) unless ``reverse``.

        Dates come from each record's ``createdAt``, which the posting client
        chooses; a record whose date cannot be read falls back to its TID time.
        A client can backdate both, so a takedown that must see every post of
        a compromised account should list with ``since=None``.
        """
        did = self._ensure_session()["did"]
        posts: list[RemotePost] = []
        cursor: str | None = None
        cursors = PageCursors()
        while limit is None or len(posts) < limit:
            params: dict[str, Any] = {
                "repo": did,
                "collection": POST_COLLECTION,
                "limit": page_size(PAGE_SIZE, limit, len(posts)),
            }
            if cursor:
                params["cursor"] = cursor
            answer = self._call("GET", "com.atproto.repo.listRecords", params=params)
            data = answer.object()
            records = data.get("records")
            if not isinstance(records, list):
                raise answer.malformed("without a records array")
            page = [self._record_post(answer, r) for r in records]
            posts.extend(p for p in page if since is None or p.created_at >= since)
            cursor = cursors.next(answer, answer.text(data.get("cursor"), "a cursor"))
            if not page or not cursor or (since and page[-1].created_at < since):
                break
        return posts if limit is None else posts[:limit]

    def verify_credentials(self) -> AccountInfo:
        answer = self._call("GET", "com.atproto.server.getSession")
        data = answer.object()
        did = answer.identifier(data.get("did"), "a did")
        handle = answer.text(data.get("handle"), "a handle")
        return AccountInfo(did, handle, f"https://bsky.app/profile/{handle}")

    def revoke_credentials(self) -> bool:
        """End the session (``deleteSession`` with the refresh JWT), and say False: the
        app password, which is the credential, still logs in.

        The API revokes a session's tokens only: the app password itself can be revoked
        solely by the account owner, in Bluesky's Settings > Privacy and security > App
        passwords (https://docs.bsky.app/docs/api/com-atproto-server-delete-session; the
        ``com.atproto.server.revokeAppPassword`` call needs a full login, which an app
        password is not allowed). The takedown reports it as a step to take by hand.
        """
        session = self._ensure_session()
        headers = {"Authorization": f"Bearer {session['refreshJwt']}"}
        response = self._http.request(
            "POST", "/xrpc/com.atproto.server.deleteSession", headers=headers
        )
        self._http.answer(response, "deleteSession").object(empty_ok=True)  # no output
        self._forget_session()
        return False

    def written_since(self, since: datetime, posts: Sequence[RemotePost]) -> set[str] | None:
        """Of ``posts``, those the repository's commit history says were written after
        ``since``: ``getLatestCommit`` for the head, then ``getRepo`` with ``since`` set to
        the TID of that moment, which the PDS answers with the blocks of every commit after
        it (its revisions come from the server's clock, not the client's); a post whose
        record block is among them was created or rewritten in the window, whatever its
        ``createdAt`` or record key claim (https://atproto.com/specs/sync,
        https://docs.bsky.app/docs/api/com-atproto-sync-get-repo). A diff that does not hold
        the head's commit cannot be trusted: :class:`PermanentError`."""
        did = self._ensure_session()["did"]
        head = self._call("GET", "com.atproto.sync.getLatestCommit", params={"did": did})
        data = head.object()
        commit = head.identifier(data.get("cid"), "a commit cid")
        rev = head.identifier(data.get("rev"), "a rev")
        window = tid_at(since)
        if rev <= window:
            return set()  # nothing was committed since the window opened
        response = self._http.check(
            self._send("GET", "com.atproto.sync.getRepo", params={"did": did, "since": window})
        )
        if len(response.content) > MAX_REPO_DIFF_BYTES:
            raise PermanentError(f"{self.platform}: the repository's diff is too large to read")
        try:
            written = block_cids(response.content)
        except CarError as exc:
            raise PermanentError(f"{self.platform}: getRepo: not a CAR file ({exc})") from None
        if commit not in written:
            raise PermanentError(
                f"{self.platform}: getRepo's diff since {window} lacks the latest commit"
                f" ({rev}): the server's history cannot be trusted"
            )
        return {post.remote_id for post in posts if _record_cid(post) in written}

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, nsid: str, *, created: bool = False, **kwargs: Any) -> Answer:
        """A 2xx answer to read (else the error); ``created``: the call may have made a post."""
        response = self._http.check(self._send(method, nsid, **kwargs))
        return self._http.answer(response, nsid.rsplit(".", 1)[-1], outcome_unknown=created)

    def keep_sessions_in(self, store: SessionStore) -> None:
        """Reuse the session between jobs: ``createSession`` is limited to about 30 per
        5 minutes and 300 a day per account, far fewer than a busy account's jobs."""
        self._store = store

    def _send(self, method: str, nsid: str, **kwargs: Any) -> httpx.Response:
        """Send with the access JWT; on ``ExpiredToken`` refresh and send once more. A kept
        session the PDS no longer knows is dropped and replaced by a new login, once."""
        response = self._send_once(method, nsid, **kwargs)
        if _error(response) == "ExpiredToken":
            self._refresh()
            response = self._send_once(method, nsid, **kwargs)
        elif self._reused and _is_credentials_error(response.status_code, body_or_none(response)):
            self._forget_session()
            response = self._send_once(method, nsid, **kwargs)
        return response

    def _forget_session(self) -> None:
        self._session, self._reused = None, False
        if self._store is not None:
            self._store.clear()

    def _send_once(self, method: str, nsid: str, **kwargs: Any) -> httpx.Response:
        headers = {
            **kwargs.pop("headers", {}),
            "Authorization": f"Bearer {self._ensure_session()['accessJwt']}",
        }
        return self._http.send(method, f"/xrpc/{nsid}", headers=headers, **kwargs)

    def _ensure_session(self) -> dict[str, str]:
        if self._session is None and self._store is not None:
            kept = self._store.load()
            if (
                kept
                and all(isinstance(kept.get(k), str) for k in SESSION_FIELDS)
                and all(kept[k] for k in ("did", "accessJwt", "refreshJwt"))
            ):
                self._session, self._reused = {k: kept[k] for k in SESSION_FIELDS}, True
        if self._session is None:
            body = {"identifier": self._identifier, "password": self._password}
            response = self._http.request(
                "POST", "/xrpc/com.atproto.server.createSession", json=body
            )
            self._session = _session_from(self._http.answer(response, "createSession"))
            self._keep()
        return self._session

    def _keep(self) -> None:
        if self._store is not None and self._session is not None:
            self._store.save(dict(self._session))

    def _refresh(self) -> None:
        """New tokens from the refresh JWT; log in again if that has expired too."""
        refresh_jwt = self._ensure_session()["refreshJwt"]
        headers = {"Authorization": f"Bearer {refresh_jwt}"}
        response = self._http.send(
            "POST", "/xrpc/com.atproto.server.refreshSession", headers=headers
        )
        self._forget_session()
        if response.is_success:
            self._session = _session_from(self._http.answer(response, "refreshSession"))
            self._keep()
        elif _error(response) not in _CREDENTIAL_ERRORS:
            raise self._http.error_for(response)
        self._ensure_session()

    def _resolve_handles(self, handles: list[str]) -> dict[str, str]:
        """Handle to DID for each handle that resolves (``resolveHandle``); one the server
        says it cannot resolve (400) stays plain text. Any other failure is raised as one
        whose outcome is known: nothing has been posted yet, so the publish can be retried."""
        dids: dict[str, str] = {}
        for handle in handles:
            try:
                response = self._send(
                    "GET", "com.atproto.identity.resolveHandle", params={"handle": handle}
                )
                if response.status_code == 400:
                    continue
                answer = self._http.answer(self._http.check(response), "resolveHandle")
                dids[handle] = answer.identifier(answer.object().get("did"), "a did")
            except RetryableError as exc:
                raise RetryableError(
                    exc.message, status=exc.status, retry_after=exc.retry_after
                ) from None
        return dids

    def _record_post(self, answer: Answer, item: Any) -> RemotePost:
        """A listed record; without a usable ``uri`` or ``value`` the whole page is refused."""
        record = answer.expect_object(item, "a record object")
        uri = _record_uri(answer, record.get("uri"))
        value = answer.expect_object(record.get("value"), "a record value")
        text = answer.text(value.get("text"), "a record text")
        created_at = _created_at(value, uri)
        found = facet_entities(value)
        return RemotePost(
            uri,
            text,
            created_at,
            self._post_url(uri),
            mentions=found.get("mentions", ()),
            tags=found.get("tags", ()),
            links=found.get("links", ()),
            key_time=tid_time(uri.rsplit("/", 1)[-1]),
            raw=record,
        )

    def _post_url(self, uri: str) -> str | None:
        handle = self._session.get("handle") if self._session else None
        return (
            f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}" if handle else None
        )


def _error(response: httpx.Response) -> Any:
    """The XRPC error name of a response (``ExpiredToken``, ``RecordNotFound``...)."""
    return error_field(body_or_none(response), "error")


def _session_from(answer: Answer) -> dict[str, str]:
    """The tokens, DID and handle of a createSession or refreshSession answer."""
    data = answer.object()
    session = {key: answer.identifier(data.get(key), key) for key in ("accessJwt", "refreshJwt")}
    session["did"] = answer.identifier(data.get("did"), "a did")
    session["handle"] = answer.text(data.get("handle"), "a handle")
    return session


def _record_uri(answer: Answer, value: Any) -> str:
    """A record's ``at://`` URI from an answer, checked to have its three parts."""
    uri = answer.identifier(answer.text(value, "a record uri"), "a record uri")
    try:
        _parse_uri(uri)
    except PermanentError:
        raise answer.malformed("with a record uri that is not an at:// URI") from None
    return uri


def _parse_uri(uri: str) -> tuple[str, str, str]:
    """``at://repo/collection/rkey`` as its three parts."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or not all(parts):
        raise PermanentError("bluesky: remote id is not an at:// record URI")
    return parts[0], parts[1], parts[2]


def _created_at(value: dict[str, Any], uri: str) -> datetime:
    try:
        return parse_time(value["createdAt"])
    except (KeyError, TypeError, ValueError):
        return _tid_time(uri.rsplit("/", 1)[-1])


def _record_cid(post: RemotePost) -> str | None:
    cid = (post.raw or {}).get("cid")
    return cid if isinstance(cid, str) else None


def record_key(idempotency_key: str, key_time: datetime) -> str:
    """A TID record key fixed by the key and its time: the time's whole second, the post's
    key spread over the microseconds and the 10-bit clock id, so two posts due at the same
    second get different keys and a key always gets the same one (AT Protocol TIDs:
    https://atproto.com/specs/tid; posts take ``tid`` record keys)."""
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    micros = int(key_time.timestamp()) * 1_000_000 + digest % 1_000_000
    number = (micros << 10) | ((digest >> 20) & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def _tid_time(rkey: str) -> datetime:
    """The time inside a TID record key; the epoch when ``rkey`` is not a TID."""
    return tid_time(rkey) or datetime.fromtimestamp(0, UTC)
