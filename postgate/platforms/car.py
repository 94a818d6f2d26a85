"""Just enough of the AT Protocol's repository formats to ask what a repository holds.

A repository export (``com.atproto.sync.getRepo``) is a CAR v1 file: a varint-prefixed
DAG-CBOR header, then blocks, each a varint length, the block's CID and its bytes
(https://atproto.com/specs/repository#car-file-serialization, https://ipld.io/specs/transport/car/carv1/).
Postgate never decodes the blocks: it only needs their CIDs, to see which records a diff
holds, and a record's CID is what ``listRecords`` gives beside it (``cid``, a base32 CIDv1
string, https://atproto.com/specs/data-model#link-and-cid-formats).

Record keys of posts are TIDs (https://atproto.com/specs/tid): 13 base32-sortable
characters holding microseconds since the epoch (53 bits) and a 10-bit clock id. A
repository's revision (``rev``) is a TID too, from the server's clock, and the server keeps
each block with the revision that wrote it: ``getRepo`` with ``since=<rev>`` answers the
blocks written after that revision (the reference PDS selects ``repoRev > since``,
bluesky-social/atproto packages/pds/src/actor-store/repo/sql-repo-reader.ts).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_LENGTH = 13
MAX_BLOCKS = 1_000_000  # a diff with more is refused rather than read without end


class CarError(ValueError):
    """The bytes are not a CAR v1 file this reader understands."""


def tid_time(tid: str) -> datetime | None:
    """The time inside a TID, or None when ``tid`` is not one."""
    if len(tid) != TID_LENGTH:
        return None
    number = 0
    for char in tid:
        index = TID_ALPHABET.find(char)
        if index < 0:
            return None
        number = number * 32 + index
    if number >> 63:
        return None  # the top bit is always 0
    return datetime.fromtimestamp((number >> 10) / 1_000_000, UTC)


def tid_at(when: datetime, clock_id: int = 0) -> str:
    """The TID for ``when`` (microseconds) and ``clock_id``: every TID the server makes
    after ``when`` sorts after it."""
    micros = int(when.timestamp() * 1_000_000)
    number = (micros << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(TID_LENGTH):
        chars.append(TID_ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def block_cids(data: bytes) -> frozenset[str]:
    """The CIDs (base32 ``b...`` strings) of every block of a CAR v1 file."""
    reader = _Reader(data)
    header_length = reader.varint()
    reader.take(header_length)  # DAG-CBOR {"roots", "version"}: not needed
    cids: set[str] = set()
    while not reader.done():
        if len(cids) >= MAX_BLOCKS:
            raise CarError(f"more than {MAX_BLOCKS} blocks")
        length = reader.varint()
        end = reader.pos + length
        if length <= 0 or end > len(data):
            raise CarError("a block runs past the end of the file")
        cids.add(cid_string(reader.cid()))
        reader.pos = end
    return frozenset(cids)


def cid_string(cid: bytes) -> str:
    """A binary CIDv1 as atproto writes it: multibase ``b``, lower-case base32, no padding."""
    return "b" + base64.b32encode(cid).decode("ascii").lower().rstrip("=")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def done(self) -> bool:
        return self.pos >= len(self.data)

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise CarError("truncated")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def varint(self) -> int:
        value = shift = 0
        while True:
            if self.pos >= len(self.data) or shift > 63:
                raise CarError("a bad varint")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def cid(self) -> bytes:
        """A CIDv1's bytes: version, codec, then the multihash (code, length, digest)."""
        start = self.pos
        if self.varint() != 1:
            raise CarError("not a CIDv1")
        self.varint()  # codec: dag-cbor (0x71) or raw (0x55)
        self.varint()  # hash function: sha2-256 (0x12)
        self.take(self.varint())
        return self.data[start : self.pos]
