"""Bills: exact integer sums, rounded once per line by one shared rule.

The household computes its bill and the retailer recomputes it from the
verified disclosure; both call the functions of this module, so the rounding
rule below is the only one in privbill.

**The rounding rule.** Each bill line has an exact amount, a rational number
of the tariff's ``unit``:

- energy line (bands mode): ``price_band * Wh_band / 1000``;
- energy line (amount mode): ``weighted_sum / 1000`` with
  ``weighted_sum = sum_i price_i * Wh_i`` (exactly what the amount-only
  disclosure reveals);
- standing charge: ``days * standing_charge_per_day`` (days = local days of
  the billing period, clock-change days count once);
- export credit: ``-(export_price * Wh_export / 1000)`` (negative).

The exact amount is converted to the tariff's ``bill_unit`` (an exact
rational factor, 1 when ``bill_unit == unit``) and then rounded **once** to
an integer, **half away from zero**. The bill total is the plain sum of the
rounded line amounts. Half away from zero is symmetric in sign, so a credit
rounds to exactly the negative of the equal charge (half-even would make an
export credit of 2.5 units and a charge of 2.5 units round to 2 and 3 on
different lines depending on parity, which confuses customers), it is the
commercial rounding people check bills with, and it is two integer
operations in any language. Its bias (at most half a unit per line, only on
exact ties) is negligible at the fine units tariffs use.

Bands mode and amount mode round at different places (once per band, or once
overall), so the two bills of the same readings may differ by less than one
unit per band line. A statement says which mode it uses; verifier and
household then agree exactly.

>>> from datetime import date
>>> from privbill.intervals import BillingPeriod
>>> from privbill.tariffs import classic_three_band
>>> t = classic_three_band(standing_charge_per_day=4500)
>>> p = BillingPeriod(date(2013, 4, 1), date(2013, 5, 1), "Europe/London")
>>> bill = bill_from_band_totals(t, p, {"low": 60_001, "normal": 150_000, "peak": 45_000})
>>> [(line.label, line.amount) for line in bill.lines]
[('low', 30001), ('normal', 150000), ('peak', 90000), ('standing charge', 135000)]
>>> bill.total, bill.unit
(405001, '0.01p')
>>> round_half_away_from_zero(Fraction(5, 2)), round_half_away_from_zero(Fraction(-5, 2))
(3, -3)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import RangeError, TariffError
from .intervals import BillingPeriod
from .tariffs import Tariff, Unit

__all__ = [
    "ROUNDING_RULE",
    "Bill",
    "BillLine",
    "band_totals",
    "bill_from_amount",
    "bill_from_band_totals",
    "round_half_away_from_zero",
    "weighted_sum",
]

ROUNDING_RULE = "half-away-from-zero, once per line"
"""The name of the rounding rule, as written into statements and docs."""


def round_half_away_from_zero(x: Fraction | int) -> int:
    """Round ``x`` to the nearest integer; exact halves go away from zero.

    >>> [round_half_away_from_zero(Fraction(n, 2)) for n in (-3, -1, 1, 3)]
    [-2, -1, 1, 2]
    >>> round_half_away_from_zero(Fraction(-2499, 1000)), round_half_away_from_zero(7)
    (-2, 7)
    """
    x = Fraction(x)
    n, d = abs(x.numerator), x.denominator
    q = (2 * n + d) // (2 * d)  # floor(|x| + 1/2)
    return q if x >= 0 else -q


@dataclass(frozen=True)
class BillLine:
    """One line of a bill, in the bill's unit.

    ``kind`` is ``"energy"``, ``"standing"`` or ``"export"``. ``quantity_wh``
    is the energy the line bills (``None`` in amount mode, where it is not
    disclosed; 0 for the standing charge). ``price`` is the band price per
    kWh or the daily charge, in the tariff's unit (``None`` in amount mode).
    ``amount_exact`` is the unrounded amount, ``amount`` the rounded one.
    """

    label: str
    quantity_wh: int | None
    amount_exact: Fraction
    amount: int
    kind: str = "energy"
    band: str | None = None
    price: int | None = None
    days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; the exact amount as a ``"num/den"`` string."""
        return {
            "label": self.label,
            "kind": self.kind,
            "band": self.band,
            "quantity_wh": self.quantity_wh,
            "price": self.price,
            "days": self.days,
            "amount_exact": str(self.amount_exact),
            "amount": self.amount,
        }


@dataclass(frozen=True)
class Bill:
    """A bill for one billing period: lines and their total, in ``unit``.

    ``mode`` is ``"bands"`` or ``"amount"``. ``total`` is the sum of the
    rounded line amounts.
    """

    tariff_name: str
    unit: str
    period: BillingPeriod
    mode: str
    lines: tuple[BillLine, ...]

    @property
    def total(self) -> int:
        """Sum of the rounded line amounts (no further rounding)."""
        return sum(line.amount for line in self.lines)

    def line(self, label: str) -> BillLine:
        """The line labelled ``label``."""
        for line in self.lines:
            if line.label == label:
                return line
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "tariff": self.tariff_name,
            "unit": self.unit,
            "period": {
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "tz": self.period.tz,
                "period": self.period.period,
            },
            "mode": self.mode,
            "rounding": ROUNDING_RULE,
            "lines": [line.to_dict() for line in self.lines],
            "total": self.total,
        }

    def format(self) -> str:
        """A plain-text rendering, amounts also in the currency's major unit.

        >>> from datetime import date
        >>> from privbill.intervals import BillingPeriod
        >>> from privbill.tariffs import FlatTariff
        >>> t = FlatTariff(1423, unit="0.01p")
        >>> p = BillingPeriod(date(2013, 4, 1), date(2013, 4, 2), "UTC")
        >>> print(bill_from_band_totals(t, p, {"flat": 10_000}).format())
        flat                    10000 Wh       14230 0.01p    (1.423 GBP)
        total                                  14230 0.01p    (1.423 GBP)
        """
        unit = Unit.parse(self.unit)
        rows = []
        for line in self.lines:
            qty = "" if line.quantity_wh is None or line.kind == "standing" else line.quantity_wh
            qty_text = f"{qty} Wh" if qty != "" else ""
            rows.append(
                f"{line.label:<20} {qty_text:>11} {line.amount:>11} {self.unit:<8} "
                f"({unit.format(line.amount)})"
            )
        rows.append(
            f"{'total':<20} {'':>11} {self.total:>11} {self.unit:<8} ({unit.format(self.total)})"
        )
        return "\n".join(rows)


def _line(
    tariff: Tariff,
    label: str,
    kind: str,
    exact_in_unit: Fraction,
    *,
    quantity_wh: int | None,
    band: str | None = None,
    price: int | None = None,
    days: int | None = None,
) -> BillLine:
    exact = exact_in_unit * tariff.unit_info.ratio_to(tariff.bill_unit_info)
    return BillLine(
        label=label,
        kind=kind,
        quantity_wh=quantity_wh,
        amount_exact=exact,
        amount=round_half_away_from_zero(exact),
        band=band,
        price=price,
        days=days,
    )


def _wh(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RangeError(f"{field}: energy must be an int number of Wh, got {value!r}")
    if value < 0:
        raise RangeError(f"{field}: energy must not be negative, got {value}")
    return value


def _check(tariff: Tariff, period: BillingPeriod) -> None:
    if not isinstance(tariff, Tariff):
        raise TariffError(f"not a Tariff: {tariff!r}")
    if tariff.period != period.period:
        raise TariffError(
            f"tariff interval period {tariff.period} s differs from the billing "
            f"period's {period.period} s"
        )


def _fixed_lines(
    tariff: Tariff, period: BillingPeriod, export_total_wh: int | None
) -> list[BillLine]:
    lines: list[BillLine] = []
    if tariff.standing_charge_per_day:
        days = period.num_days
        lines.append(
            _line(
                tariff,
                "standing charge",
                "standing",
                Fraction(days * tariff.standing_charge_per_day),
                quantity_wh=0,
                price=tariff.standing_charge_per_day,
                days=days,
            )
        )
    if export_total_wh is not None:
        wh = _wh(export_total_wh, "export_total_wh")
        if tariff.export_price is None:
            raise TariffError(f"tariff {tariff.name!r} has no export price; cannot bill export")
        lines.append(
            _line(
                tariff,
                "export",
                "export",
                -Fraction(tariff.export_price * wh, 1000),
                quantity_wh=wh,
                price=tariff.export_price,
            )
        )
    return lines


def bill_from_band_totals(
    tariff: Tariff,
    period: BillingPeriod,
    band_totals: Mapping[str, int],
    export_total_wh: int | None = None,
) -> Bill:
    """The bill from per-band import totals in Wh (bands mode).

    One energy line per band present in ``band_totals``, in the tariff's band
    order; then the standing charge (if non-zero) and the export credit (if
    ``export_total_wh`` is given). Bands without a fixed price (dynamic
    tariffs) raise :class:`TariffError`: bill those with :func:`bill_from_amount`.

    >>> from datetime import date
    >>> from privbill.intervals import BillingPeriod
    >>> from privbill.tariffs import FlatTariff
    >>> t = FlatTariff(1, unit="0.01p", export_price=1)
    >>> p = BillingPeriod(date(2013, 4, 1), date(2013, 4, 2), "UTC")
    >>> [line.amount for line in bill_from_band_totals(t, p, {"flat": 500}, 1500).lines]
    [1, -2]
    """
    _check(tariff, period)
    unknown = [b for b in band_totals if b not in tariff.band_names]
    if unknown:
        raise TariffError(f"unknown band {unknown[0]!r}; the bands are {tariff.band_names}")
    lines: list[BillLine] = []
    for band in tariff.band_names:
        if band not in band_totals:
            continue
        wh = _wh(band_totals[band], f"band_totals[{band!r}]")
        price = tariff.band_price(band)
        if price is None:
            raise TariffError(
                f"band {band!r} of {tariff.name or tariff.kind!r} has no fixed price: "
                "bill it in amount mode"
            )
        lines.append(
            _line(
                tariff,
                band,
                "energy",
                Fraction(price * wh, 1000),
                quantity_wh=wh,
                band=band,
                price=price,
            )
        )
    lines += _fixed_lines(tariff, period, export_total_wh)
    return Bill(tariff.name, tariff.bill_unit, period, "bands", tuple(lines))


def bill_from_amount(
    tariff: Tariff,
    period: BillingPeriod,
    weighted_sum: int,
    export_total_wh: int | None = None,
) -> Bill:
    """The bill from ``weighted_sum = sum_i price_i * Wh_i`` (amount mode).

    ``weighted_sum`` is in ``unit * Wh / kWh`` and may be negative (dynamic
    prices below zero). One energy line ``weighted_sum / 1000``, rounded
    once; then the standing charge and the export credit as in bands mode.

    >>> from datetime import date
    >>> from privbill.intervals import BillingPeriod
    >>> from privbill.tariffs import DynamicTariff
    >>> t = DynamicTariff.from_series(0, [-1], unit="0.01p")
    >>> p = BillingPeriod(date(1970, 1, 1), date(1970, 1, 2), "UTC")
    >>> bill_from_amount(t, p, -2500).total
    -3
    """
    _check(tariff, period)
    if isinstance(weighted_sum, bool) or not isinstance(weighted_sum, int):
        raise RangeError(f"weighted_sum must be an int, got {weighted_sum!r}")
    lines = [
        _line(tariff, "energy", "energy", Fraction(weighted_sum, 1000), quantity_wh=None),
        *_fixed_lines(tariff, period, export_total_wh),
    ]
    return Bill(tariff.name, tariff.bill_unit, period, "amount", tuple(lines))


def band_totals(
    tariff: Tariff, values: Mapping[int, int], intervals: Iterable[int]
) -> dict[str, int]:
    """Per-band sums of ``values`` (interval index -> Wh) over ``intervals``.

    Intervals absent from ``values`` (missing readings) contribute nothing;
    every band of the tariff appears, with 0 if it has no reading.

    >>> from privbill.tariffs import classic_three_band
    >>> from privbill.intervals import local_day_intervals
    >>> from datetime import date
    >>> day = local_day_intervals(date(2013, 3, 31), "Europe/London")
    >>> band_totals(classic_three_band(), {i: 100 for i in day}, day)
    {'low': 1000, 'normal': 3000, 'peak': 600}
    """
    indices = intervals if isinstance(intervals, range) else list(intervals)
    totals = dict.fromkeys(tariff.band_names, 0)
    names = tariff.band_names
    for i, b in zip(indices, tariff.band_indices(indices), strict=True):
        wh = values.get(i)
        if wh is not None:
            totals[names[b]] += wh
    return totals


def weighted_sum(tariff: Tariff, values: Mapping[int, int], intervals: Iterable[int]) -> int:
    """``sum price_i * Wh_i`` over the ``intervals`` present in ``values``.

    Every interval of ``intervals`` must have a price, read or not.

    >>> from privbill.tariffs import DynamicTariff
    >>> weighted_sum(DynamicTariff.from_series(0, [10, -5], unit="p"), {0: 3, 1: 4}, range(2))
    10
    """
    indices = intervals if isinstance(intervals, range) else list(intervals)
    total = 0
    for i, p in zip(indices, tariff.price_weights(indices), strict=True):
        wh = values.get(i)
        if wh is not None:
            total += p * wh
    return total
