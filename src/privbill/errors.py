"""The one exception hierarchy of privbill.

Every failure the library detects is raised as a subclass of
:class:`PrivbillError`; where a builtin fits, the class also subclasses it,
so ``except ValueError`` keeps working for callers who expect it.
Verification never returns ``False``: it returns ``None`` or raises.

>>> issubclass(EncodingError, ValueError) and issubclass(EncodingError, PrivbillError)
True
"""

from __future__ import annotations


class PrivbillError(Exception):
    """Root of every error privbill raises."""


# --- encodings and values -------------------------------------------------


class EncodingError(PrivbillError, ValueError):
    """Bytes that are not a valid encoding: wrong size, non-canonical, invalid."""


class RangeError(PrivbillError, ValueError):
    """A value outside its documented range (negative reading, overflow)."""


class FormatError(EncodingError):
    """A malformed message: CBOR, COSE, CSV, telegram, tariff or key file."""


# --- verification ---------------------------------------------------------


class VerificationError(PrivbillError):
    """A check failed: the data does not prove what it claims."""


class BadSignatureError(VerificationError):
    """A signature does not verify under the claimed key."""


class OpeningError(VerificationError):
    """A disclosed value and blinding do not open the commitments."""


# --- meter batches and the retailer's store ------------------------------


class BatchError(VerificationError):
    """A meter batch is inconsistent with the meter's history."""


class UnknownMeterError(BatchError, KeyError):
    """A batch or statement names a meter that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its argument; we do not
        return Exception.__str__(self)


class ReplayError(BatchError):
    """A batch repeats or goes back on the meter's monotonic counter."""


class ChainError(BatchError):
    """A batch does not link to the hash of the meter's previous batch."""


class EquivocationError(BatchError):
    """Two validly signed batches commit differently to the same interval."""


class CoverageError(VerificationError):
    """A statement omits intervals the store holds, or claims ones it lacks."""


class TariffError(PrivbillError, ValueError):
    """A tariff is malformed, or does not match the statement."""


# --- aggregation ----------------------------------------------------------


class AggregationError(PrivbillError):
    """An aggregation round cannot complete safely."""


# --- consent --------------------------------------------------------------


class ConsentError(PrivbillError, PermissionError):
    """A disclosure is not allowed by the household's policy and grants."""


class ConsentRequired(ConsentError):
    """No grant covers the requested query."""


class ConsentExpired(ConsentError):
    """The grant that would cover the query has expired."""


class ConsentRevoked(ConsentError):
    """The grant that would cover the query was revoked."""


class QueryTooFine(ConsentError):
    """The query is finer than the granted granularity allows."""


class AuditLogError(VerificationError):
    """The audit log's hash chain does not verify: it was altered."""
