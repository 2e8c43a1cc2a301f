"""Fuzz the meter batch decoders: COSE_Sign1 envelope and bare CBOR payload.

Invariants beyond "only FormatError": whatever decodes re-encodes to exactly its input
(one encoding per message, docs/protocol.md), its presence bitmap and commitments agree,
and its signature verifies under the seed keys only for the unmodified seeds, else
BadSignatureError. Decoded batches are also ingested into a throw-away store of the fuzz
world when they name its meter, so the retailer's checks see them too.
"""

from __future__ import annotations

import contextlib

from _harness import harness, instrumented, run

with instrumented(__name__ == "__main__"):
    from make_corpus import ED25519_SEED, P256_SCALAR, world

    from privbill.errors import BadSignatureError, FormatError, PrivbillError
    from privbill.keys import SigningKey
    from privbill.retailer import Retailer
    from privbill.wire import BatchPayload, SignedBatch

_KEYS = {
    "ed25519": SigningKey.from_bytes(ED25519_SEED).verifying_key,
    "p256": SigningKey.from_bytes(P256_SCALAR, "p256").verifying_key,
}
_STORE: list[Retailer] = []


def _store() -> Retailer:
    """A store with the fuzz world's meter registered and nothing ingested (reused until
    it accepts something, so the rejection log stays small: it is cleared each time)."""
    if not _STORE:
        w = world()
        r = Retailer()
        r.register_meter(w.meter.identity, w.tariff)
        _STORE.append(r)
    return _STORE[0]


@harness("batch")
def TestOneInput(data: bytes) -> None:
    try:
        batch = SignedBatch.decode(data)
    except FormatError:
        batch = None
    if batch is not None:
        assert batch.encoded == data, "accepted a non-canonical COSE_Sign1"
        p = batch.payload
        assert len(p.present_indices()) * 32 == len(p.commitments)
        assert batch.kid == p.meter_id
        with contextlib.suppress(BadSignatureError):
            batch.verify(_KEYS[batch.alg])
        if p.meter_id == world().meter.meter_id:
            store = _store()
            before = store.batch_count()
            try:
                store.ingest(data)
            except PrivbillError:
                assert store.batch_count() == before, "a rejected batch was stored"
            else:  # pragma: no cover - needs the meter's key: only the seeds do this
                _STORE.clear()
            store._db.execute("DELETE FROM rejections")
    try:
        payload = BatchPayload.decode(data)
    except FormatError:
        return
    assert payload.encode() == data, "accepted a non-canonical payload"


if __name__ == "__main__":
    run(TestOneInput)
