"""A small AT Protocol PDS for tests: one account's post records, its commit history and
its blobs, answering the XRPC calls the Bluesky connector makes, shaped like the lexicons
and the reference PDS (bluesky-social/atproto ``lexicons/com/atproto/...``; docs:
https://docs.bsky.app/docs/api/com-atproto-repo-list-records,
https://docs.bsky.app/docs/api/com-atproto-sync-get-repo,
https://docs.bsky.app/docs/api/com-atproto-sync-get-latest-commit,
https://docs.bsky.app/docs/api/com-atproto-sync-get-blob,
https://atproto.com/specs/repository for the CAR export and https://atproto.com/specs/tid).

It behaves as a real PDS does where the takedown's guarantees depend on it: ``listRecords``
pages at most 100 records in record-key order with a cursor; the client chooses
``createdAt`` and may choose the record key; every write is a commit whose revision (a TID)
comes from the server's clock, and ``getRepo?since=<rev>`` answers the blocks written after
that revision; an app password keeps logging in after ``deleteSession``. Blocks are real
DAG-CBOR with real CIDs (sha2-256), so what the connector parses is what a PDS sends.
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from postgate.platforms.car import cid_string, tid_at

DID = "did:plc:acme7x2k4q3z5w6y8v9u"
HANDLE = "acme.bsky.social"
PASSWORD = "abcd-efgh-SECRET-mnop"
COLLECTION = "app.bsky.feed.post"
DAG_CBOR, RAW = 0x71, 0x55


# --- DAG-CBOR and CIDs, just enough for records and commits ---------------------------------


def cbor(value: Any) -> bytes:
    """Deterministic DAG-CBOR: map keys sorted by length then bytes; ``Link`` as tag 42."""
    if isinstance(value, Link):
        return b"\xd8\x2a" + _head(2, len(value.cid) + 1) + b"\x00" + value.cid
    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return _head(3, len(data)) + data
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor(v) for v in value)
    assert isinstance(value, dict)
    keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
    return _head(5, len(keys)) + b"".join(cbor(k) + cbor(value[k]) for k in keys)


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def cid_of(data: bytes, codec: int = DAG_CBOR) -> bytes:
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


@dataclass(frozen=True)
class Link:
    cid: bytes


def car(root: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    """A CAR v1 file: the header naming ``root``, then each (cid, data) block."""
    header = cbor({"version": 1, "roots": [Link(root)]})
    out = varint(len(header)) + header
    for cid, data in blocks:
        out += varint(len(cid) + len(data)) + cid + data
    return out


# --- the repository ---------------------------------------------------------------------


@dataclass
class Block:
    cid: bytes
    data: bytes
    rev: str


@dataclass
class Record:
    rkey: str
    value: dict[str, Any]
    cid: bytes

    @property
    def uri(self) -> str:
        return f"at://{DID}/{COLLECTION}/{self.rkey}"

    def listed(self) -> dict[str, Any]:
        return {"uri": self.uri, "cid": cid_string(self.cid), "value": self.value}


@dataclass
class Repo:
    """One account's repository; ``clock`` is the server's (tests move it)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    records: dict[str, Record] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    blobs: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    head: tuple[bytes, str] | None = None
    sessions: set[str] = field(default_factory=set)
    password_revoked: bool = False
    history_broken: bool = False  # getRepo fails, as on a server that does not serve diffs
    _seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[str] = field(default_factory=list)

    def _tid(self) -> str:
        self._seq += 1  # one microsecond apart: revisions only grow, as a server's do
        return tid_at(self.now + timedelta(microseconds=self._seq))

    def write(
        self, text: str, *, created_at: datetime | None = None, rkey: str | None = None, **extra
    ) -> Record:
        """What ``createRecord`` does: the client's ``createdAt`` and, when it gives one,
        its record key; the revision is the server's."""
        with self.lock:
            value = {
                "$type": COLLECTION,
                "text": text,
                "createdAt": (created_at or self.now).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                **extra,
            }
            record = Record(rkey or self._tid(), value, b"")
            data = cbor(value)
            record.cid = cid_of(data)
            self.records[record.rkey] = record
            self._commit([(record.cid, data)])
            return record

    def delete(self, rkey: str) -> None:
        with self.lock:
            self.records.pop(rkey, None)
            self._commit([])

    def blob(self, data: bytes, mime: str) -> dict[str, Any]:
        cid = cid_string(cid_of(data, RAW))
        self.blobs[cid] = (mime, data)
        return {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}

    def _commit(self, written: list[tuple[bytes, bytes]]) -> None:
        rev = self._tid()
        commit = cbor(
            {
                "did": DID,
                "version": 3,
                "rev": rev,
                "data": Link(cid_of(b"mst" + rev.encode())),
                "prev": None,
                "sig": b"\x00" * 64,
            }
        )
        cid = cid_of(commit)
        self.blocks += [Block(c, d, rev) for c, d in written] + [Block(cid, commit, rev)]
        self.head = (cid, rev)

    def diff(self, since: str | None) -> bytes:
        assert self.head is not None
        blocks = [(b.cid, b.data) for b in self.blocks if since is None or b.rev > since]
        return car(self.head[0], blocks)


# --- the server ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    repo: Repo

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        nsid = url.path.removeprefix("/xrpc/")
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        repo = self.repo
        repo.requests.append(nsid)
        auth = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if nsid == "com.atproto.server.createSession":
            return self._session(json.loads(body or b"{}"))
        if nsid.startswith("com.atproto.sync."):
            return self._sync(nsid, params)  # public, no auth (the lexicons)
        if auth not in repo.sessions:
            return self._json(
                401, {"error": "InvalidToken", "message": "Token could not be verified"}
            )
        if nsid == "com.atproto.server.getSession":
            return self._json(200, {"did": DID, "handle": HANDLE, "active": True})
        if nsid == "com.atproto.server.deleteSession":
            repo.sessions.discard(auth)
            return self._empty()
        if nsid == "com.atproto.repo.listRecords":
            return self._list(params)
        if nsid == "com.atproto.repo.getRecord":
            record = repo.records.get(params.get("rkey", ""))
            if record is None:
                return self._json(
                    400, {"error": "RecordNotFound", "message": "Could not locate record"}
                )
            return self._json(200, record.listed())
        if nsid == "com.atproto.repo.deleteRecord":
            repo.delete(json.loads(body)["rkey"])
            return self._json(
                200, {"commit": {"cid": cid_string(repo.head[0]), "rev": repo.head[1]}}
            )
        return self._json(501, {"error": "MethodNotImplemented", "message": nsid})

    def _session(self, body: dict[str, Any]) -> None:
        repo = self.repo
        if body.get("password") != PASSWORD or repo.password_revoked:
            return self._json(
                401,
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
            )
        token = f"eyJ.access-{len(repo.sessions) + len(repo.requests)}.sig"
        repo.sessions.update({token, token.replace("access", "refresh")})
        self._json(
            200,
            {
                "did": DID,
                "handle": HANDLE,
                "accessJwt": token,
                "refreshJwt": token.replace("access", "refresh"),
                "active": True,
            },
        )

    def _list(self, params: dict[str, str]) -> None:
        limit = min(100, int(params.get("limit", 50)))
        keys = sorted(self.repo.records, reverse=True)
        if "cursor" in params:
            keys = [k for k in keys if k < params["cursor"]]
        page = keys[:limit]
        answer: dict[str, Any] = {"records": [self.repo.records[k].listed() for k in page]}
        if len(page) == limit:
            answer["cursor"] = page[-1]
        self._json(200, answer)

    def _sync(self, nsid: str, params: dict[str, str]) -> None:
        repo = self.repo
        if params.get("did") != DID:
            return self._json(400, {"error": "RepoNotFound", "message": "Could not find repo"})
        if nsid == "com.atproto.sync.getLatestCommit":
            assert repo.head is not None
            return self._json(200, {"cid": cid_string(repo.head[0]), "rev": repo.head[1]})
        if nsid == "com.atproto.sync.getRepo" and repo.history_broken:
            return self._json(
                500, {"error": "InternalServerError", "message": "Internal Server Error"}
            )
        if nsid == "com.atproto.sync.getRepo":
            return self._bytes(repo.diff(params.get("since")), "application/vnd.ipld.car")
        if nsid == "com.atproto.sync.getBlob":
            found = repo.blobs.get(params.get("cid", ""))
            if found is None:
                return self._json(400, {"error": "BlobNotFound", "message": "Blob not found"})
            return self._bytes(found[1], found[0])
        return self._json(501, {"error": "MethodNotImplemented", "message": nsid})

    def _json(self, status: int, body: Any) -> None:
        self._bytes(json.dumps(body).encode(), "application/json", status)

    def _empty(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _bytes(self, data: bytes, mime: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def running_pds(repo: Repo) -> Iterator[str]:
    """Serve ``repo`` on a free loopback port; yields its base URL."""
    handler = type("RepoHandler", (Handler,), {"repo": repo})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
