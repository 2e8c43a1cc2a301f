"""The C core's batch payload (privbill_batch_payload, what firmware signs) is
byte-identical to privbill.wire.BatchPayload.encode, and refuses what the
Python constructor refuses."""

from __future__ import annotations

import random

import pytest

from privbill._ffi import ffi, lib
from privbill.wire import MAX_PAYLOAD_SIZE, BatchPayload


def c_payload(p: BatchPayload) -> bytes | None:
    out = ffi.new("uint8_t[]", lib.PRIVBILL_BATCH_PAYLOAD_MAX)
    out_len = ffi.new("size_t *")
    rc = lib.privbill_batch_payload(
        out, out_len, lib.PRIVBILL_BATCH_PAYLOAD_MAX, p.meter_id, p.channel, p.period,
        p.first_index, p.count, p.presence, p.commitments, p.counter, p.prev_hash,
    )
    return None if rc != 0 else bytes(ffi.buffer(out, out_len[0]))


def random_payload(rng: random.Random) -> BatchPayload:
    count = rng.choice([1, 7, 8, 9, 23, 24, 48, 50, 255, 256, 4096])
    entries = [None if rng.random() < 0.1 else rng.randbytes(32) for _ in range(count)]
    counter = rng.choice([1, 2, 23, 24, 255, 256, 65535, 65536, 2**32, 2**64 - 1])
    return BatchPayload.from_intervals(
        meter_id=rng.randbytes(16),
        channel=rng.choice([0, 1, 23, 24, 255]),
        period=rng.choice([900, 1800]),
        first_index=rng.choice([0, 23, 24, 946704, 2**32 - 1, 2**32, 2**64 - 5000]),
        commitments=entries,
        counter=counter,
        prev_hash=bytes(32) if counter == 1 else rng.randbytes(32),
    )


def test_c_payload_is_byte_identical(rng: random.Random) -> None:
    for _ in range(300):
        p = random_payload(rng)
        assert c_payload(p) == p.encode()


def test_c_payload_refuses_what_python_refuses() -> None:
    good = BatchPayload.from_intervals(
        meter_id=bytes(16), channel=0, period=1800, first_index=10,
        commitments=[bytes(32)] * 3, counter=1, prev_hash=bytes(32),
    )
    assert c_payload(good) == good.encode()
    out = ffi.new("uint8_t[]", 64)
    out_len = ffi.new("size_t *")

    def call(period: int = 1800, count: int = 3, presence: bytes = b"\x07",
             counter: int = 1, cap: int = 256) -> int:
        buf = ffi.new("uint8_t[]", cap)
        return int(lib.privbill_batch_payload(
            buf, out_len, cap, bytes(16), 0, period, 10, count, presence, bytes(96), counter,
            bytes(32)))

    assert call() == 0
    assert call(period=600) == -1          # not 1800 or 900
    assert call(count=0) == -1
    assert call(count=lib.PRIVBILL_BATCH_MAX + 1, presence=bytes(513)) == -1
    assert call(presence=b"\x0f") == -1    # a bit past count
    assert call(counter=0) == -1
    assert call(cap=20) == -1              # output too small
    assert out is not None


@pytest.mark.parametrize("count", [1, 8, 48, 4096])
def test_c_payload_fits_the_declared_maximum(count: int) -> None:
    p = BatchPayload.from_intervals(
        meter_id=bytes(16), channel=255, period=1800, first_index=2**64 - 4097,
        commitments=[bytes(32)] * count, counter=2**64 - 1, prev_hash=b"\x01" * 32,
    )
    encoded = c_payload(p)
    assert encoded == p.encode()
    assert len(encoded) <= lib.PRIVBILL_BATCH_PAYLOAD_MAX == MAX_PAYLOAD_SIZE
