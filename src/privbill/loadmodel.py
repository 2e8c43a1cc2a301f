"""A synthetic household load model, and a synthetic dynamic price, for demos and tests.

privbill's demo needs a month of half-hourly readings for many homes without
shipping any data file. This module draws them from a small, documented model,
deterministic from a seed: the same ``(seed, household, local day)`` always gives
the same readings, whatever range they are requested in and on every platform
(only :class:`random.Random` with string seeds and :mod:`math` are used).

Readings are integer Wh per UTC interval index (:mod:`privbill.intervals`), for
the local days of a time zone, so a clock-change day has 46 or 50 half-hours,
never 48 by assumption.

The load model
--------------
Household ``n`` draws its parameters once (from ``"{seed}/{n}"``); every local
day ``d`` then draws its own variation (from ``"{seed}/{n}/{d}"``). The mean
power at local wall-clock hour ``h`` (the midpoint of the interval) is::

    P(h) = s(month) * f_day * ( B
                                + M * g(h; m + dm, wm)          morning peak
                                + E * g(h; e + de, we)          evening peak
                                + [weekend] L * g(h; 13, 2) )   weekend midday
           + spikes(h)

with ``g(h; c, w) = exp(-((h - c) / w)^2 / 2)`` a bump centred on ``c``, and

============  =========================================  ========================================
symbol        meaning                                    drawn from
============  =========================================  ========================================
``B``         base load (fridge, standby), W             uniform 80 .. 240
``M, m, wm``  morning peak: W, hour, width (h)           300 .. 800, 6.25 .. 8.0, 0.5 .. 0.9
``E, e, we``  evening peak: W, hour, width (h)           450 .. 1200, 17.5 .. 19.75, 1.0 .. 1.8
``L``         weekend midday activity, W                 150 .. 500
``dm, de``    per-day timing jitter, h                   normal(0, 0.3); at weekends the
                                                         morning peak is also 1 .. 2 h later
``f_day``     per-day level                              lognormal(0, 0.15)
``s``         seasonal scaling by month                  ``1 + 0.25 cos(2 pi (month - w) / 12)``
                                                         with ``w`` January (July south of
                                                         the equator)
spikes        cooking and appliances (kettle, oven,      Poisson(``lam``) a day, ``lam`` 0.8 ..
              washing machine): 1.2 .. 3 kW for 10 ..    2.2, x 1.5 at weekends; start 35%
              90 minutes, started near a meal time       near 07:30, 15% near 12:30, 50% near
                                                         18:30 (sd 1 h)
============  =========================================  ========================================

The energy of an interval is ``P(h) * period / 3600`` (spikes integrated exactly over
their overlap with the interval), times per-interval noise ``lognormal(0, 0.12)``,
rounded to whole Wh. Households use 6 to 14 kWh a day (October).

Solar: a share ``solar_share`` of households (0.2 by default) has a PV array of
``K`` = 2 .. 4 kWp. Its output follows the sun's day at the model's latitude
(declination ``23.44 sin(2 pi (284 + doy) / 365)`` degrees; sunrise and sunset from
``cos h0 = -tan(lat) tan(decl)``; solar time is the wall clock minus any daylight
saving offset): ``pv = 800 K c sin(e) sin(pi x)^1.5`` W, with ``x`` the fraction of
the day between sunrise and sunset, ``e`` the sun's noon elevation and ``c`` a daily
cloudiness drawn uniformly in 0.15 .. 1. Per interval the meter sees the net flow:
import ``max(load - pv, 0)`` on channel 0 and export ``max(pv - load, 0)`` on channel 1
(households without solar have no channel 1).

Missing readings: each interval independently, with probability ``missing_rate``
(0.002, a meter failing to record), has no reading on any channel. Gaps are left
out of the result, never filled.

The dynamic price model
-----------------------
:func:`dynamic_tariff` draws an Agile-style price per interval (integer 0.01p/kWh,
local time of the tariff's zone)::

    price(h) = level_d + 1700 g(h; 17.5, 1.3) - 450 g(h; 3.5, 2.0) + normal(0, 120)

with ``level_d`` uniform 900 .. 1500 per day, clipped to -800 .. 3500. About one day
in five is windy: outside 16:00 to 20:00 its prices fall by ``level_d`` plus
100 .. 700, below zero (at least one day of every requested range is windy).

>>> from datetime import date
>>> model = LoadModel(seed=1)
>>> day = model.readings(0, date(2013, 10, 27), date(2013, 10, 28))
>>> len(day.span())                                 # the clocks went back: 50 half-hours
50
>>> model.readings(0, date(2013, 10, 26), date(2013, 10, 29)).restrict(day.span()) == day
True
>>> 3000 < day.total() < 20000                     # Wh in one day
True
>>> model.params(0) == LoadModel(seed=1).params(0)
True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import RangeError
from .intervals import (
    DEFAULT_PERIOD,
    EPOCH,
    check_period,
    local_day_intervals,
    local_start_of,
    zone,
)
from .readings import EXPORT, IMPORT, Readings
from .tariffs import DynamicTariff

__all__ = ["DayReadings", "HouseholdParams", "LoadModel", "dynamic_tariff"]


def _bump(h: float, centre: float, width: float) -> float:
    """``exp(-((h - centre) / width)^2 / 2)``, also across midnight (h and h +- 24)."""
    d = min(abs(h - centre), abs(h - centre + 24), abs(h - centre - 24))
    return math.exp(-0.5 * (d / width) ** 2)


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: small ``lam`` only."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(frozen=True)
class HouseholdParams:
    """The parameters household ``n`` draws once; see the module docstring."""

    base_w: float
    morning_w: float
    morning_hour: float
    morning_width: float
    evening_w: float
    evening_hour: float
    evening_width: float
    weekend_midday_w: float
    weekend_delay: float
    spikes_per_day: float
    solar_kwp: float  # 0: no solar

    @property
    def has_solar(self) -> bool:
        """Whether the household exports on channel 1."""
        return self.solar_kwp > 0


@dataclass(frozen=True)
class DayReadings:
    """One local day of one household: per interval, import and export Wh (None: missing)."""

    day: date
    intervals: range
    imports: tuple[int | None, ...]
    exports: tuple[int | None, ...] | None


@dataclass(frozen=True)
class LoadModel:
    """The synthetic load model of the module docstring.

    ``seed`` selects the population; ``tz`` the local clock (days, peaks, solar);
    ``latitude`` (degrees, negative south) the sun and the seasons.
    """

    seed: int = 0
    tz: str = "Europe/London"
    period: int = DEFAULT_PERIOD
    latitude: float = 51.5
    missing_rate: float = 0.002
    solar_share: float = 0.2
    seasonal_amplitude: float = 0.25

    def __post_init__(self) -> None:
        check_period(self.period)
        zone(self.tz)
        if not 0 <= self.missing_rate < 1:
            raise RangeError(f"missing_rate must be in [0, 1), got {self.missing_rate}")
        if not 0 <= self.solar_share <= 1:
            raise RangeError(f"solar_share must be in [0, 1], got {self.solar_share}")
        if not -66 < self.latitude < 66:
            raise RangeError("latitude must be within the polar circles (-66 .. 66)")

    def params(self, household: int) -> HouseholdParams:
        """The parameters of household number ``household`` (0, 1, ...)."""
        rng = random.Random(f"privbill-loadmodel/{self.seed}/{household}")
        u = rng.uniform
        base = u(80, 240)
        morning = (u(300, 800), u(6.25, 8.0), u(0.5, 0.9))
        evening = (u(450, 1200), u(17.5, 19.75), u(1.0, 1.8))
        midday, delay, spikes = u(150, 500), u(1.0, 2.0), u(0.8, 2.2)
        solar = u(2.0, 4.0) if rng.random() < self.solar_share else 0.0
        return HouseholdParams(base, *morning, *evening, midday, delay, spikes, solar)

    def day(self, household: int, day: date, params: HouseholdParams | None = None) -> DayReadings:
        """The readings of one local ``day`` of ``household``."""
        p = self.params(household) if params is None else params
        rng = random.Random(f"privbill-loadmodel/{self.seed}/{household}/{day.isoformat()}")
        weekend = day.weekday() >= 5
        f_day = rng.lognormvariate(0, 0.15)
        season = 1 + self.seasonal_amplitude * math.cos(
            2 * math.pi * (day.month - (1 if self.latitude >= 0 else 7)) / 12
        )
        m_at = p.morning_hour + rng.gauss(0, 0.3) + (p.weekend_delay if weekend else 0.0)
        e_at = p.evening_hour + rng.gauss(0, 0.3)
        spikes: list[tuple[float, float, float]] = []  # (start h, end h, W)
        for _ in range(_poisson(rng, p.spikes_per_day * (1.5 if weekend else 1.0))):
            which = rng.random()
            centre = 7.5 if which < 0.35 else 12.5 if which < 0.5 else 18.5
            start = min(max(rng.gauss(centre, 1.0), 0.0), 23.5)
            spikes.append((start, start + rng.uniform(10, 90) / 60, rng.uniform(1200, 3000)))
        cloud = rng.uniform(0.15, 1.0)
        sun = _sun(self.latitude, day) if p.has_solar else None

        intervals = local_day_intervals(day, self.tz, self.period)
        hours = self.period / 3600
        imports: list[int | None] = []
        exports: list[int | None] = []
        z = zone(self.tz)
        for index in intervals:
            local = (EPOCH + timedelta(seconds=index * self.period)).astimezone(z)
            h0 = local.hour + local.minute / 60 + local.second / 3600
            h = h0 + hours / 2
            watts = p.base_w + p.morning_w * _bump(h, m_at, p.morning_width)
            watts += p.evening_w * _bump(h, e_at, p.evening_width)
            if weekend:
                watts += p.weekend_midday_w * _bump(h, 13.0, 2.0)
            wh = season * f_day * watts * hours
            for s, e, w in spikes:
                overlap = min(e, h0 + hours) - max(s, h0)
                if overlap > 0:
                    wh += w * overlap
            wh *= rng.lognormvariate(0, 0.12)
            pv = 0.0
            if sun is not None:
                dst = local.dst()
                solar_h = h - (dst.total_seconds() / 3600 if dst else 0.0)
                pv = 1000 * p.solar_kwp * cloud * _pv_shape(solar_h, *sun) * hours
            missing = rng.random() < self.missing_rate
            if missing:
                imports.append(None)
                exports.append(None)
            else:
                imports.append(round(max(wh - pv, 0.0)))
                exports.append(round(max(pv - wh, 0.0)))
        return DayReadings(day, intervals, tuple(imports), tuple(exports) if p.has_solar else None)

    def readings(self, household: int, start: date, end: date) -> Readings:
        """Readings of ``household`` for the local days ``start`` .. ``end`` (exclusive).

        Channel 0 (import) always; channel 1 (export) for households with solar.
        """
        if not start < end:
            raise RangeError(f"end {end} must be after start {start}")
        p = self.params(household)
        imports: dict[int, int] = {}
        exports: dict[int, int] = {}
        d = start
        while d < end:
            one = self.day(household, d, p)
            for k, index in enumerate(one.intervals):
                v = one.imports[k]
                if v is not None:
                    imports[index] = v
                if one.exports is not None:
                    x = one.exports[k]
                    if x is not None:
                        exports[index] = x
            d += timedelta(days=1)
        channels = {IMPORT: imports, EXPORT: exports} if p.has_solar else {IMPORT: imports}
        return Readings(channels, period=self.period, meter_id=f"synthetic-{self.seed}-{household}")


def _sun(latitude: float, day: date) -> tuple[float, float, float]:
    """(sunrise, sunset, noon elevation factor) in solar hours for ``day``."""
    doy = day.timetuple().tm_yday
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + doy) / 365)
    lat = math.radians(latitude)
    cos_h0 = max(-1.0, min(1.0, -math.tan(lat) * math.tan(decl)))
    half = math.degrees(math.acos(cos_h0)) / 15
    elevation = math.cos(lat - decl)  # sin(noon elevation)
    return 12 - half, 12 + half, max(elevation, 0.0)


def _pv_shape(h: float, sunrise: float, sunset: float, elevation: float) -> float:
    if not sunrise < h < sunset:
        return 0.0
    arc = math.sin(math.pi * (h - sunrise) / (sunset - sunrise))
    return 0.8 * elevation * math.pow(max(arc, 0.0), 1.5)


def dynamic_tariff(
    start: date,
    end: date,
    *,
    seed: int = 0,
    tz: str = "Europe/London",
    period: int = DEFAULT_PERIOD,
    name: str = "synthetic dynamic (Agile-style)",
    standing_charge_per_day: int = 0,
    export_price: int | None = None,
    bill_unit: str | None = None,
) -> DynamicTariff:
    """A :class:`~privbill.tariffs.DynamicTariff` for the local days ``start`` .. ``end``.

    Prices in ``"0.01p"`` per kWh from the price model of the module docstring;
    some are negative.

    >>> from datetime import date
    >>> t = dynamic_tariff(date(2013, 10, 1), date(2013, 10, 3), seed=3)
    >>> len(t.prices), min(t.prices.values()) < 0 < max(t.prices.values())
    (96, True)
    """
    if not start < end:
        raise RangeError(f"end {end} must be after start {start}")
    days = [start + timedelta(days=k) for k in range((end - start).days)]
    draws = [random.Random(f"privbill-prices/{seed}/{d.isoformat()}") for d in days]
    windy_draw = [rng.random() for rng in draws]
    windy = {d for d, w in zip(days, windy_draw, strict=True) if w < 0.2}
    if not windy:  # every range shows a negative price
        windy = {days[windy_draw.index(min(windy_draw))]}
    prices: dict[int, int] = {}
    for d, rng in zip(days, draws, strict=True):
        level = rng.uniform(900, 1500)
        drop = level + rng.uniform(100, 700) if d in windy else 0.0
        for index in local_day_intervals(d, tz, period):
            local = local_start_of(index, tz, period)
            h = local.hour + local.minute / 60 + period / 7200
            price = level + 1700 * _bump(h, 17.5, 1.3) - 450 * _bump(h, 3.5, 2.0)
            price += rng.gauss(0, 120)
            if not 16 <= h < 20:
                price -= drop
            prices[index] = int(min(max(round(price), -800), 3500))
    return DynamicTariff(
        prices,
        unit="0.01p",
        name=name,
        tz=tz,
        period=period,
        standing_charge_per_day=standing_charge_per_day,
        export_price=export_price,
        bill_unit=bill_unit,
    )
