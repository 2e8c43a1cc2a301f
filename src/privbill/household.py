"""The household: holds its readings and the meter's commitment secret, and
discloses only what a bill needs.

The household agent (the customer's device or app) receives the meter's
commitment secret ``k`` at pairing, sealed to its own key. From ``k`` it
regenerates the blinding of any reading, so for a billing period and tariff it
can open exactly the linear combinations billing needs:

- ``bands``: per tariff band, the total Wh and the sum of the blindings;
- ``amount``: only ``sum price_i * Wh_i`` and the price-weighted blindings.

Intervals the meter did not record are carried as missing (the statement's
presence bitmap), never filled in.

>>> from datetime import date
>>> from privbill.intervals import BillingPeriod, local_day_intervals
>>> from privbill.keys import HouseholdKey
>>> from privbill.meter import Meter
>>> from privbill.tariffs import classic_three_band
>>> meter, key = Meter.manufacture(meter_id=bytes(16)), HouseholdKey.generate()
>>> day = local_day_intervals(date(2013, 4, 1), "Europe/London")
>>> home = Household.pair(meter.meter_id, meter.pair(key.public_bytes), key)
>>> for i in day:
...     home.record(i, 100 if i % 5 else None)
>>> s = home.statement(BillingPeriod(date(2013, 4, 1), date(2013, 4, 2), "Europe/London"),
...                    classic_three_band())
>>> s.mode, [v for v, _ in s.values]
('bands', [1000, 2400, 500])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from privbill import pedersen
from privbill.errors import RangeError, TariffError
from privbill.intervals import BillingPeriod
from privbill.keys import CommitmentSecret, HouseholdKey
from privbill.statement import Mode, Statement, tariff_digest
from privbill.tariffs import Tariff
from privbill.wire import CHANNEL_IMPORT, METER_ID_SIZE

__all__ = ["Household"]


@dataclass
class Household:
    """A household agent for one meter. See the module docstring."""

    meter_id: bytes
    secret: CommitmentSecret = field(repr=False)
    readings: dict[int, dict[int, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.meter_id, bytes) or len(self.meter_id) != METER_ID_SIZE:
            raise RangeError(f"meter_id must be {METER_ID_SIZE} bytes")

    @classmethod
    def pair(cls, meter_id: bytes, sealed_secret: bytes, key: HouseholdKey) -> Household:
        """Open the meter's sealed commitment secret with the household key."""
        return cls(meter_id, CommitmentSecret.open_sealed(sealed_secret, key))

    def record(self, index: int, wh: int | None, channel: int = CHANNEL_IMPORT) -> None:
        """Keep one reading (None: the meter did not record this interval)."""
        values = self.readings.setdefault(channel, {})
        if wh is None:
            values.pop(index, None)
            return
        if isinstance(wh, bool) or not isinstance(wh, int) or not 0 <= wh < 1 << 64:
            raise RangeError(f"reading must be an int in [0, 2^64) Wh, got {wh!r}")
        values[index] = wh

    def load(self, values: Mapping[int, int], channel: int = CHANNEL_IMPORT) -> None:
        """Keep many readings (interval index -> Wh)."""
        for index, wh in values.items():
            self.record(index, wh, channel)

    def values(self, channel: int = CHANNEL_IMPORT) -> Mapping[int, int]:
        """The readings of one channel, interval index -> Wh."""
        return self.readings.get(channel, {})

    def statement(
        self,
        period: BillingPeriod,
        tariff: Tariff,
        mode: Mode = "bands",
        channel: int = CHANNEL_IMPORT,
    ) -> Statement:
        """The statement for ``period`` under ``tariff``: values and their openings.

        The period must be in the tariff's time zone and interval length.
        """
        if period.tz != tariff.tz or period.period != tariff.period:
            raise TariffError(
                f"period is in {period.tz}/{period.period}s, tariff in {tariff.tz}/{tariff.period}s"
            )
        intervals = period.intervals()
        readings = self.values(channel)
        present = [i for i in intervals if i in readings]
        presence = bytearray((len(intervals) + 7) // 8)
        for i in present:
            j = i - intervals.start
            presence[j // 8] |= 1 << (j % 8)

        values: list[tuple[int, bytes]] = []
        if mode == "bands":
            # looked up over the whole period range, as the retailer does: cached per tariff
            bands = tariff.band_indices(intervals)
            members: list[list[int]] = [[] for _ in tariff.band_names]
            for i in present:
                members[bands[i - intervals.start]].append(i)
            values += [self._open(m, None, channel) for m in members]
        elif mode == "amount":
            prices = tariff.price_weights(intervals)
            weights = [prices[i - intervals.start] for i in present]
            values.append(self._open(present, weights, channel))
        elif mode == "total":
            values.append(self._open(present, None, channel))
        else:
            raise RangeError(f"unknown mode {mode!r}")
        return Statement(
            meter_id=self.meter_id,
            channel=channel,
            start=period.start,
            end=period.end,
            tariff_digest=tariff_digest(tariff),
            mode=mode,
            presence=bytes(presence),
            values=tuple(values),
        )

    def _open(
        self, indices: list[int], weights: Iterable[int] | None, channel: int
    ) -> tuple[int, bytes]:
        """``(sum w_i r_i, sum w_i o_i)`` over ``indices`` (weights 1 if None)."""
        readings = self.values(channel)
        w = None if weights is None else list(weights)
        if w is None:
            value = sum(readings[i] for i in indices)
        else:
            value = sum(wi * readings[i] for wi, i in zip(w, indices, strict=True))
        opening = pedersen.combine_blindings(
            self.secret.to_bytes(), self.meter_id, channel, indices, w
        )
        return value, bytes(opening)
