"""The meter: commits to every reading, signs one batch per day.

A :class:`Meter` holds what a meter holds in firmware: its signing key
(Ed25519 by default, ECDSA P-256 for GBCS/DLMS meters), the commitment secret
``k`` from which every blinding is derived, and per channel the counter and
hash of its last batch. It keeps no readings and no blindings: the household,
given ``k`` at pairing, regenerates every opening itself.

>>> from privbill.keys import HouseholdKey
>>> meter = Meter.manufacture(meter_id=bytes(range(16)))
>>> home = HouseholdKey.generate()
>>> sealed = meter.pair(home.public_bytes)         # k, sealed to the household
>>> day = [200, 180, None, 150]                    # Wh per half hour; None: not recorded
>>> batch = meter.commit(first_index=946704, readings=day)
>>> batch.payload.count, batch.payload.present_indices()[-1], batch.payload.counter
(4, 946707, 1)
>>> meter.commit(first_index=946708, readings=[90]).payload.prev_hash == batch.hash()
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from privbill import pedersen
from privbill.errors import RangeError
from privbill.keys import Alg, CommitmentSecret, SigningKey, VerifyingKey
from privbill.wire import (
    CHANNEL_IMPORT,
    METER_ID_SIZE,
    ZERO_HASH,
    BatchPayload,
    SignedBatch,
    sign_batch,
)

__all__ = ["Meter", "MeterIdentity"]


@dataclass(frozen=True)
class MeterIdentity:
    """What a meter publishes at installation: its id and signing public key."""

    meter_id: bytes
    verifying_key: VerifyingKey


@dataclass
class _ChannelState:
    counter: int = 0
    prev_hash: bytes = ZERO_HASH


@dataclass
class Meter:
    """A meter's secrets and batch state. See the module docstring."""

    meter_id: bytes
    signing_key: SigningKey = field(repr=False)
    secret: CommitmentSecret = field(repr=False)
    period: int = 1800
    _channels: dict[int, _ChannelState] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.meter_id, bytes) or len(self.meter_id) != METER_ID_SIZE:
            raise RangeError(f"meter_id must be {METER_ID_SIZE} bytes")

    @classmethod
    def manufacture(
        cls, meter_id: bytes | None = None, alg: Alg = "ed25519", period: int = 1800
    ) -> Meter:
        """A new meter with fresh keys: a random id unless one is given."""
        return cls(
            meter_id=os.urandom(METER_ID_SIZE) if meter_id is None else meter_id,
            signing_key=SigningKey.generate(alg),
            secret=CommitmentSecret.generate(),
            period=period,
        )

    @property
    def identity(self) -> MeterIdentity:
        """The public half: what the retailer registers."""
        return MeterIdentity(self.meter_id, self.signing_key.verifying_key)

    def chain_state(self) -> dict[int, tuple[int, bytes]]:
        """Per channel, the last batch's counter and hash: what a meter must keep
        across restarts (in non-volatile memory) to continue its hash chain."""
        return {ch: (st.counter, st.prev_hash) for ch, st in sorted(self._channels.items())}

    def restore_chain(self, channel: int, counter: int, prev_hash: bytes) -> None:
        """Continue a channel's chain after ``counter`` whose batch hashed to ``prev_hash``.

        >>> m = Meter.manufacture(meter_id=bytes(16))
        >>> b = m.commit(0, [1])
        >>> again = Meter(m.meter_id, m.signing_key, m.secret)
        >>> again.restore_chain(0, *m.chain_state()[0])
        >>> again.commit(1, [2]).payload.prev_hash == b.hash()
        True
        """
        if isinstance(counter, bool) or not isinstance(counter, int) or counter < 0:
            raise RangeError(f"counter must be a non-negative int, got {counter!r}")
        if not isinstance(prev_hash, bytes) or len(prev_hash) != len(ZERO_HASH):
            raise RangeError(f"prev_hash must be {len(ZERO_HASH)} bytes")
        if (counter == 0) != (prev_hash == ZERO_HASH):
            raise RangeError("prev_hash is all zeros exactly before the first batch")
        self._channels[channel] = _ChannelState(counter, prev_hash)

    def pair(self, household_public_key: bytes) -> bytes:
        """The commitment secret sealed to the household's X25519 key (SealedBox)."""
        return self.secret.seal_to(household_public_key)

    def commit(
        self, first_index: int, readings: Sequence[int | None], channel: int = CHANNEL_IMPORT
    ) -> SignedBatch:
        """Commit to consecutive intervals from ``first_index`` and sign the batch.

        ``readings`` has one entry per interval: Wh as an int, or None where the
        meter failed to record (carried in the presence bitmap, never filled in).
        Advances the channel's counter and hash chain.
        """
        state = self._channels.setdefault(channel, _ChannelState())
        commitments = pedersen.commit_batch(
            self.secret.to_bytes(), self.meter_id, channel, first_index, readings
        )
        payload = BatchPayload.from_intervals(
            meter_id=self.meter_id,
            channel=channel,
            period=self.period,
            first_index=first_index,
            commitments=commitments,
            counter=state.counter + 1,
            prev_hash=state.prev_hash,
        )
        batch = sign_batch(payload, self.signing_key)
        state.counter, state.prev_hash = payload.counter, batch.hash()
        return batch
