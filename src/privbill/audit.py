"""The household's audit log: append-only, hash-chained, on SQLite.

Every consent decision (allowed or refused), every grant, revocation, opt-out and opt-in
is appended as one entry. An entry's canonical bytes are the deterministic CBOR array

    [seq, at, kind, record, prev_hash]

``seq`` counts from 1 with no gap, ``at`` is the time from the injected clock (Unix
seconds), ``kind`` names the entry (:data:`KINDS` lists each kind's ``record`` fields, an
array with fixed positions), and ``prev_hash`` is the SHA-256 of the previous entry's
canonical bytes (32 zero bytes for the first). With a signing key (the household agent's
Ed25519 key) each entry also carries a signature over
``["privbill-audit-entry", 1, SHA-256(entry)]``, so that nobody without the key can
append or rewrite entries that verify.

:meth:`AuditLog.verify` walks the chain and raises
:class:`~privbill.errors.AuditLogError` naming the first bad entry (its ``entry``
attribute holds the number): an edited entry (its hash, or the next entry's link, or its
signature no longer matches), a deleted one (a gap in the numbering, or a broken link),
reordered ones (an entry stored under another number), an inserted one (a broken link or
numbering, or no valid signature), and, against a recorded head (:meth:`AuditLog.head`),
entries removed from the end. What a hash chain cannot see alone is a rewrite of the
whole tail by someone who recomputes every hash; the signature and the recorded head
(kept apart from the database) close that gap (docs/consent.md, "Audit log").

>>> from privbill.consent import FixedClock
>>> log = AuditLog(clock=FixedClock(1_370_000_000))
>>> e = log.append("opt-out", ["retailer", "*", "daily"])
>>> e.seq, e.kind, e.fields["granularity"]
(1, 'opt-out', 'daily')
>>> log.verify()
1
>>> _ = log._db.execute("UPDATE entries SET body = ? WHERE seq = 1",
...                     (e.encode().replace(b"daily", b"month"),))
>>> log.verify()
Traceback (most recent call last):
    ...
privbill.errors.AuditLogError: audit entry 1: altered (its contents do not match its hash)
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

import cbor2

from privbill._sqlite import transaction
from privbill.consent import Clock, system_clock
from privbill.errors import AuditLogError, BadSignatureError, FormatError
from privbill.keys import SigningKey, VerifyingKey

__all__ = ["KINDS", "ZERO_HASH", "AuditEntry", "AuditLog"]

#: The ``prev_hash`` of the first entry.
ZERO_HASH: Final = bytes(32)
#: Each kind of entry and the names of its record's fields, in position order.
KINDS: Final[dict[str, tuple[str, ...]]] = {
    # outcome "allowed" | "refused"; request: Request.to_record(); grant_id (b"" if
    # none); rule: the policy rule's label ("" if none); error: the exception class
    # ("" if allowed); reason: in words.
    "decision": ("outcome", "request", "grant_id", "rule", "error", "reason"),
    "grant": ("grant",),  # the encoded, signed grant
    "revocation": ("revocation",),  # the encoded, signed revocation
    "opt-out": ("party", "purpose", "granularity"),  # "*" = any
    "opt-in": ("party", "purpose", "granularity"),  # withdraws an opt-out
}

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, body BLOB NOT NULL, hash BLOB NOT NULL, signature BLOB NOT NULL);
"""
_SIGNED_TAG: Final = "privbill-audit-entry"
_MAX_ENTRY: Final = 1 << 24


def _dumps(item: object) -> bytes:
    return cbor2.dumps(item, canonical=True)


def _signed_message(entry_hash: bytes) -> bytes:
    return _dumps([_SIGNED_TAG, 1, entry_hash])


def _fail(seq: int, message: str) -> AuditLogError:
    error = AuditLogError(f"audit entry {seq}: {message}")
    error.entry = seq  # type: ignore[attr-defined]
    return error


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the log; ``hash`` is SHA-256 of :meth:`encode`."""

    seq: int
    at: int
    kind: str
    record: tuple[Any, ...]
    prev_hash: bytes
    hash: bytes
    signature: bytes = b""

    def encode(self) -> bytes:
        """The canonical bytes: deterministic CBOR ``[seq, at, kind, record, prev_hash]``."""
        return _encode_body(self.seq, self.at, self.kind, self.record, self.prev_hash)

    @property
    def fields(self) -> dict[str, Any]:
        """The record by field name (:data:`KINDS`)."""
        return dict(zip(KINDS[self.kind], self.record, strict=True))

    @property
    def when(self) -> datetime:
        """``at`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.at, timezone.utc)


def _encode_body(seq: int, at: int, kind: str, record: Sequence[Any], prev: bytes) -> bytes:
    return _dumps([seq, at, kind, list(record), prev])


def _decode_body(seq: int, body: bytes) -> tuple[int, int, str, tuple[Any, ...], bytes]:
    """Strictly: the one canonical encoding of a well-formed entry, or AuditLogError."""
    if not isinstance(body, bytes) or len(body) > _MAX_ENTRY:
        raise _fail(seq, "not a valid entry (wrong type or size)")
    try:
        item = cbor2.loads(body)
    except (
        cbor2.CBORDecodeError,
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        KeyError,
        IndexError,
        UnicodeDecodeError,
    ):
        raise _fail(seq, "not a valid entry (not CBOR)") from None
    if not (isinstance(item, list) and len(item) == 5):
        raise _fail(seq, "not a valid entry (not [seq, at, kind, record, prev_hash])")
    s, at, kind, record, prev = item
    if type(s) is not int or type(at) is not int or not isinstance(kind, str):
        raise _fail(seq, "not a valid entry (seq, at or kind has the wrong type)")
    if not isinstance(record, list) or not isinstance(prev, bytes) or len(prev) != 32:
        raise _fail(seq, "not a valid entry (record or prev_hash has the wrong type)")
    if kind not in KINDS or len(record) != len(KINDS[kind]):
        raise _fail(seq, f"not a valid entry (unknown kind {kind!r} or wrong record size)")
    try:
        again = _encode_body(s, at, kind, record, prev)
    except (cbor2.CBOREncodeError, ValueError, TypeError):
        again = b""
    if again != body:
        raise _fail(seq, "not in canonical encoding")
    return s, at, kind, tuple(record), prev


class AuditLog:
    """The hash-chained log on SQLite (``":memory:"`` by default).

    ``clock`` stamps each entry. With ``signing_key`` every appended entry is signed;
    with ``verifying_key`` (derived from ``signing_key`` when that is given) :meth:`verify`
    requires a valid signature on every entry.
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Clock = system_clock,
        signing_key: SigningKey | None = None,
        verifying_key: VerifyingKey | None = None,
    ) -> None:
        self.path = str(path)
        self.clock = clock
        self._signing_key = signing_key
        if verifying_key is None and signing_key is not None:
            verifying_key = signing_key.verifying_key
        self.verifying_key = verifying_key
        self._db = sqlite3.connect(self.path, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._anchor: tuple[int, bytes] | None = None

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db)

    def append(self, kind: str, record: Sequence[Any]) -> AuditEntry:
        """Append one entry (stamped by the clock, linked to the last one, signed if the
        log has a signing key) in one transaction; returns it once it is stored."""
        if kind not in KINDS:
            raise FormatError(f"audit: unknown entry kind {kind!r}")
        fields = list(record)
        if len(fields) != len(KINDS[kind]):
            raise FormatError(f"audit: a {kind} entry has fields {KINDS[kind]}")
        at = self.clock()
        with self._transaction() as db:
            row = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, ZERO_HASH)
            body = _encode_body(seq, at, kind, fields, prev)
            digest = hashlib.sha256(body).digest()
            signature = b""
            if self._signing_key is not None:
                signature = self._signing_key.sign(_signed_message(digest))
            db.execute("INSERT INTO entries VALUES (?, ?, ?, ?)", (seq, body, digest, signature))
        self._anchor = (seq, digest)
        return AuditEntry(seq, at, kind, tuple(fields), prev, digest, signature)

    def head(self) -> tuple[int, bytes]:
        """``(seq, hash)`` of the last entry (``(0, ZERO_HASH)`` when empty), as stored.

        Keep it apart from the database (the CLI writes it to ``audit.head``) and pass it
        to :meth:`verify` later to detect entries removed from the end.
        """
        row = self._db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), bytes(row[1])) if row else (0, ZERO_HASH)

    def _rows(self) -> Iterator[tuple[int, bytes, bytes, bytes]]:
        cursor = self._db.execute("SELECT seq, body, hash, signature FROM entries ORDER BY seq")
        for seq, body, digest, signature in cursor:
            yield int(seq), bytes(body), bytes(digest), bytes(signature)

    def entries(self, *, anchor: tuple[int, bytes] | None = None) -> list[AuditEntry]:
        """Every entry, oldest first, after verifying the whole chain (see :meth:`verify`)."""
        return self._walk(anchor)

    def verify(self, anchor: tuple[int, bytes] | None = None) -> int:
        """Check the whole log; return the number of entries or raise AuditLogError naming
        the first bad entry.

        ``anchor`` is a head recorded earlier (:meth:`head`): the log must still hold that
        entry with that hash. By default the head of this object's own last append is
        used, so entries removed from the end while it runs are detected too.
        """
        return len(self._walk(anchor))

    def _walk(self, anchor: tuple[int, bytes] | None) -> list[AuditEntry]:
        anchor = anchor if anchor is not None else self._anchor
        out: list[AuditEntry] = []
        prev = ZERO_HASH
        expected = 1
        for seq, body, stored_hash, signature in self._rows():
            if seq != expected:
                raise _fail(expected, f"missing (the log jumps from entry {expected - 1} to {seq})")
            s, at, kind, record, link = _decode_body(seq, body)
            if s != seq:
                raise _fail(seq, f"holds entry {s}: entries were reordered or renumbered")
            digest = hashlib.sha256(body).digest()
            if link != prev:
                raise _fail(
                    seq,
                    f"does not link to entry {seq - 1} (entry {seq - 1} was altered, or an"
                    " entry was deleted or inserted here)"
                    if seq > 1
                    else "does not start the chain (an entry was inserted or deleted before it)",
                )
            if digest != stored_hash:
                raise _fail(seq, "altered (its contents do not match its hash)")
            if self.verifying_key is not None:
                try:
                    self.verifying_key.verify(_signed_message(digest), signature)
                except BadSignatureError:
                    raise _fail(
                        seq, "not signed by the household key (forged or altered)"
                    ) from None
            out.append(AuditEntry(seq, at, kind, record, link, digest, signature))
            prev = digest
            expected += 1
        if anchor is not None:
            count, head_hash = anchor
            if count > len(out):
                raise _fail(
                    len(out) + 1,
                    f"missing: the recorded head is entry {count}, the log ends at"
                    f" {len(out)} (entries were removed from the end)",
                )
            if count and out[count - 1].hash != head_hash:
                raise _fail(count, "differs from the recorded head (the log was rewritten)")
        return out

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
