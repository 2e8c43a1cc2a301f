"""Fuzz the settlement message decoders (docs/settlement.md) and the Paillier JSON forms.

The first input byte picks the parser (:data:`SELECTORS`, modulo their number); the rest
is the message. Parsers may refuse only with a PrivbillError (``RosterError``,
``MalformedReportError``, ``FormatError``, ...). What decodes must re-encode to its
input (rosters and reports are deterministic CBOR), and decoded masked and encrypted
reports are submitted to a fresh round of a fixed group, whose refusals must be
``ReportError``s (or ``RosterMismatchError``) as well.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import cbor2
from _harness import STRICT, harness, instrumented, run

with instrumented(__name__ == "__main__"):
    from privbill import paillier
    from privbill.errors import PrivbillError
    from privbill.group import Scalar
    from privbill.keys import SigningKey
    from privbill.pedersen import derive_blinding
    from privbill.settlement import (
        Aggregator,
        CommitmentBook,
        EncryptedReport,
        MaskedReport,
        MeterClient,
        PaillierRound,
        PaillierSettlement,
        Roster,
        Round,
        SignedRoster,
    )

SELECTORS = (
    "roster",
    "signed_roster",
    "masked_report",
    "encrypted_report",
    "paillier_public_key",
    "paillier_private_key",
    "paillier_ciphertext",
)
INDEX = 758208


def _map_key_depth(obj: object) -> int:
    """How deep maps nest inside map keys: the settlement decoder's canonical
    re-encoding sorts keys in time exponential in this depth (known bug)."""
    if isinstance(obj, cbor2.CBORTag):
        return _map_key_depth(obj.value)
    if isinstance(obj, (list, tuple, frozenset, set)):
        return max((_map_key_depth(x) for x in obj), default=0)
    if hasattr(obj, "items"):
        return max((max(1 + _map_key_depth(k), _map_key_depth(v)) for k, v in obj.items()),
                   default=1)  # fmt: skip
    return 0


def _known_slow(msg: bytes) -> bool:
    try:
        return _map_key_depth(cbor2.loads(msg)) >= 8
    except Exception:  # not CBOR, or too deep to walk: the decoder refuses it quickly
        return False


#: A fixed odd 512-bit modulus (holder 1): the decoders only need size and parity.
PAILLIER_N = (1 << 511) + 187


def _fixed(label: str) -> bytes:
    return hashlib.sha256(b"privbill/fuzz/settlement/" + label.encode()).digest()


class Group:
    """Five meters with fixed keys, a roster signed by a fixed operator key."""

    def __init__(self) -> None:
        self.operator = SigningKey.from_bytes(_fixed("operator"))
        self.meters = [
            MeterClient(bytes([i]) * 16, _fixed(f"x25519-{i}"),
                        SigningKey.from_bytes(_fixed(f"ed25519-{i}")), min_threshold=2)
            for i in range(1, 6)
        ]  # fmt: skip
        self.roster = Roster.create(b"fuzz-feeder", [m.member for m in self.meters], threshold=3)
        self.signed = self.roster.sign(self.operator)
        self.agg = Aggregator(self.signed, self.operator, CommitmentBook())
        # holder keys: fixed canonical X25519 encodings (top bit clear)
        sealing, *seeds = (
            _fixed(f"holder-{j}")[:31] + bytes([_fixed(f"holder-{j}")[31] & 0x7F])
            for j in (1, 2, 3)
        )
        self.paillier = PaillierSettlement(
            paillier.PaillierPublicKey(PAILLIER_N), sealing, tuple(seeds), paillier.PackingParams(5)
        )

    def blinding(self, m: MeterClient) -> Scalar:
        return derive_blinding(_fixed("k"), m.meter_id, 0, INDEX)

    def masked_report(self) -> MaskedReport:
        """A well-formed report with fixed (not really masked) values."""
        m = self.meters[0]
        return MaskedReport(m.meter_id, self.roster.digest, INDEX, bytes(self.blinding(m)),
                            bytes(Scalar.from_int(1234)))  # fmt: skip


def _why(msg: bytes, kind: str) -> str:
    """The message of a failed re-encoding check, naming the known causes."""
    try:
        version = cbor2.loads(msg)[0]
    except Exception:
        version = 1
    if type(version) is not int:
        return (
            f"accepted a second encoding of a {kind}: version of type"
            f" {type(version).__name__} (a simple value, bool or float equal to 1)"
        )
    return f"accepted a second encoding of a {kind}"


@lru_cache(maxsize=1)
def group() -> Group:
    return Group()


@harness("settlement")
def TestOneInput(data: bytes) -> None:
    if not data:
        return
    kind, msg = SELECTORS[data[0] % len(SELECTORS)], data[1:]
    if not STRICT and _known_slow(msg):
        return  # known DoS: test_fuzz_regressions.py::test_settlement_cbor_nested_map_keys
    g = group()
    try:
        if kind == "roster":
            assert Roster.decode(msg).encode() == msg, _why(msg, kind)
        elif kind == "signed_roster":
            sr = SignedRoster.decode(msg)
            assert sr.encode() == msg, _why(msg, kind)
            sr.verify(g.operator.verifying_key)
        elif kind == "masked_report":
            rep = MaskedReport.decode(msg)
            assert rep.encode() == msg, _why(msg, kind)
            Round(g.agg, INDEX).submit(msg)
        elif kind == "encrypted_report":
            enc = EncryptedReport.decode(msg)
            assert enc.encode() == msg, _why(msg, kind)
            PaillierRound(g.agg, g.paillier, INDEX).submit(enc)
        elif kind == "paillier_public_key":
            paillier.public_key_from_json(msg.decode("utf-8", "replace"))
        elif kind == "paillier_private_key":
            paillier.private_key_from_json(msg.decode("utf-8", "replace"))
        else:
            paillier.ciphertext_from_json(
                msg.decode("utf-8", "replace"), paillier.PaillierPublicKey(PAILLIER_N)
            )
    except PrivbillError:
        pass


if __name__ == "__main__":
    run(TestOneInput)
