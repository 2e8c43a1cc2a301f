"""Every crash the fuzz harnesses found, as a test (fuzz/, tests/test_fuzz.py).

One test per bug, each the smallest input that shows it. The test states the behaviour
the documentation promises (the parser refuses bad input with a PrivbillError, quickly).
A bug that is not fixed yet is a strict xfail whose reason says what is wrong and how
to fix it, and has an entry in ``fuzz/_harness.KNOWN_BUGS`` (the harness tolerates it so
that fuzzing keeps finding new bugs); when the fix lands the test passes, pytest reports
the strict xfail as failed, and the marker and the entry go: the marker becomes
``@fixed(...)``, which keeps the description of the bug beside its regression test.

Inputs that make a parser take seconds or more are checked in a subprocess with a time
limit, so that a regression costs this file at most that limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import cbor2
import pytest

from privbill import _cbor, paillier
from privbill.errors import EncodingError, FormatError, PrivbillError, RangeError, TariffError
from privbill.intervals import zone
from privbill.readings import parse_p1_telegram, read_sgsc_csv, readings_from_p1
from privbill.settlement import EncryptedReport, MalformedReportError, MaskedReport
from privbill.tariffs import tariff_from_json
from privbill.wire import BatchPayload

REPO = Path(__file__).resolve().parent.parent
CSV_HEAD = "customer_id,reading_datetime,general_supply_kwh\n"


F = TypeVar("F", bound=Callable[..., Any])


def fixed(reason: str) -> Callable[[F], F]:
    """A bug this test found, since fixed: the test stays as its regression test, and
    ``reason`` says what was wrong and how it was fixed (docs/threat-model.md lists them)."""

    def mark(fn: F) -> F:
        fn.fixed_bug = reason  # type: ignore[attr-defined]
        return fn

    return mark


def flat_tariff(**changes: object) -> bytes:
    doc: dict[str, object] = {
        "format": "privbill-tariff", "version": 1, "kind": "flat", "unit": "0.01p",
        "tz": "Europe/London", "price": 1423,
    }  # fmt: skip
    doc.update(changes)
    return json.dumps(doc).encode()


def csv_file(tmp_path: Path, rows: str) -> Path:
    p = tmp_path / "readings.csv"
    p.write_text(CSV_HEAD + rows, encoding="utf-8")
    return p


def finishes_within(seconds: float, code: str) -> bool:
    """Run ``code`` in a fresh interpreter; False if it is still running after ``seconds``."""
    env_path = str(REPO / "src")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_path!r})\n"
             + textwrap.dedent(code)],
            capture_output=True, text=True, timeout=seconds, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return False
    assert proc.returncode == 0, proc.stderr
    return True


# --- tariff JSON (fuzz_tariff) -------------------------------------------------------------


@fixed(
    "intervals._zone_by_name catches ZoneInfoNotFoundError and ValueError, but "
    "ZoneInfo('Europe') raises IsADirectoryError (an OSError): a tariff with tz 'Europe' "
    "escapes as OSError. Fix: catch OSError too (and any error ZoneInfo raises) -> RangeError."
)
@pytest.mark.parametrize("name", ["Europe", "America", "Etc"])
def test_tariff_zone_naming_a_directory(name: str) -> None:
    with pytest.raises(RangeError):
        zone(name)
    with pytest.raises(TariffError):
        tariff_from_json(flat_tariff(tz=name))


@fixed(
    "tariff_from_json tests `kind not in _KIND_FIELDS` on whatever JSON gave, "
    "so a list or object as kind raises TypeError (unhashable). Fix: require a string first."
)
@pytest.mark.parametrize("kind", [[], {}])
def test_tariff_kind_of_unhashable_type(kind: object) -> None:
    with pytest.raises(TariffError, match="kind"):
        tariff_from_json(flat_tariff(kind=kind))


@fixed(
    "tariff_from_json catches only JSONDecodeError and UnicodeDecodeError; "
    "json.loads raises RecursionError on deep nesting. Fix: catch RecursionError too "
    "(or refuse input longer than any tariff before parsing)."
)
def test_tariff_deeply_nested_json() -> None:
    with pytest.raises(FormatError):
        tariff_from_json(b"[" * 100_000)


@fixed(
    "json.loads raises ValueError for an integer of more than 4300 digits "
    "(CPython's int/str limit), which tariff_from_json does not catch. Fix: catch ValueError "
    "(JSONDecodeError is one) -> FormatError."
)
def test_tariff_integer_of_more_than_4300_digits() -> None:
    with pytest.raises((FormatError, TariffError)):
        tariff_from_json(b'{"format": "privbill-tariff", "price": ' + b"1" * 5000 + b"}")


# --- settlement messages (fuzz_settlement) -------------------------------------------------

_N = str((1 << 511) + 187)


@fixed(
    "paillier._int checks str.isdigit(), which is true for non-ASCII digits "
    "('\u00b2', '\u0661'), and strips every leading '-' ('--5'); int() then raises ValueError. "
    "Fix: re.fullmatch(r'-?[0-9]+' (or r'[0-9]+'), v) before int()."
)
@pytest.mark.parametrize(
    "text",
    [
        '{"type": "paillier-public-key", "n": "\u00b2"}',
        '{"type": "paillier-ciphertext", "c": "\u0661"}',
        '{"type": "paillier-private-key", "n": "' + _N + '", "p": "--5", "q": "7"}',
    ],
    ids=["superscript-two", "arabic-indic-one", "double-minus"],
)
def test_paillier_json_non_ascii_digits(text: str) -> None:
    pk = paillier.PaillierPublicKey(int(_N))
    with pytest.raises(FormatError):
        if "public-key" in text:
            paillier.public_key_from_json(text)
        elif "ciphertext" in text:
            paillier.ciphertext_from_json(text, pk)
        else:
            paillier.private_key_from_json(text)


def _encrypted_report(ciphertext: str | bytes) -> bytes:
    """A report with ``ciphertext`` in the place of the sealed ciphertext (a byte
    string since the ciphertexts are sealed to holder 1; decimal text before)."""
    fields = [1, bytes(16), bytes(32), bytes(32), 758208, ciphertext, bytes(64)]
    return cbor2.dumps(fields, canonical=True)


@fixed(
    "EncryptedReport.decode checks the ciphertext with str.isdigit(), true for "
    "'²', so int() raises ValueError. Fix: re.fullmatch(r'[1-9][0-9]*', c)."
)
def test_encrypted_report_non_ascii_digits() -> None:
    with pytest.raises(MalformedReportError):
        EncryptedReport.decode(_encrypted_report("\u00b2"))


@fixed(
    "EncryptedReport.decode accepts a ciphertext with leading zeros ('0012'), "
    "so one report has many encodings (and all verify: the signature covers str(int)). "
    "Fix: refuse a decimal string that is not str(int(c)), as r'[1-9][0-9]*' does."
)
def test_encrypted_report_leading_zeros_second_encoding() -> None:
    # The ciphertext is now a sealed byte string, one encoding by construction;
    # no decimal text is accepted in its place, canonical or not.
    EncryptedReport.decode(_encrypted_report(bytes(12 + 768 + 16)))
    for text in ("12", "0012"):
        with pytest.raises(MalformedReportError):
            EncryptedReport.decode(_encrypted_report(text))


@fixed(
    "denial of service: settlement._uncbor decoded with cbor2 and re-encoded canonically; "
    "maps nested as map keys were re-encoded twice per level while sorting, so a 50-byte "
    "report took time exponential in the depth (20 levels: 10 s; 58 levels, as the fuzzer "
    "sent: forever). Fixed: rosters and reports are read by privbill._cbor (bounded depth, "
    "integer map keys only), as wire and statement are."
)
def test_settlement_cbor_nested_map_keys() -> None:
    depth = 24
    data = b"\x86\x01" + b"\xa1" * depth + b"\x00" * (depth + 1) + b"\x00" * 4
    assert finishes_within(
        3.0,
        f"""
        from privbill.settlement import MaskedReport, MalformedReportError
        try:
            MaskedReport.decode(bytes.fromhex({data.hex()!r}))
        except MalformedReportError:
            pass
        """,
    )


@fixed(
    "settlement messages compared their version with `obj[0] != 1`, and cbor2 decoded "
    "the simple value 1 (e1), true (f5) and the float 1.0 (f9 3c00) to values equal to 1: "
    "a masked report, encrypted report or roster with one of those instead of 01 decoded, "
    "a second encoding of one message. Fixed: the strict reader privbill._cbor refuses "
    "simple values and floats."
)
@pytest.mark.parametrize("version", [b"\xe1", b"\xf5", b"\xf9\x3c\x00"],
                         ids=["simple-1", "true", "float-1.0"])  # fmt: skip
def test_settlement_simple_value_as_version(version: bytes) -> None:
    rep = cbor2.loads(
        bytes.fromhex(
            "8601501111111111111111111111111111111158200000000000000000000000000000000000"
            "0000000000000000000000000000001a000b91c05820" + "00" * 32 + "5820" + "00" * 32
        )
    )
    good = cbor2.dumps(rep, canonical=True)
    MaskedReport.decode(good)
    with pytest.raises(MalformedReportError):
        MaskedReport.decode(b"\x86" + version + good[2:])


def test_settlement_cbor_nested_map_keys_shallow_is_refused() -> None:
    """The same shape, shallow: refused (the fix must keep refusing it)."""
    with pytest.raises(MalformedReportError):
        MaskedReport.decode(b"\x86\x01" + b"\xa1" * 3 + b"\x00" * 4 + b"\x00" * 4)


def test_strict_reader_text_strings_only_on_request() -> None:
    """Settlement messages read text strings (decimal ciphertexts) through the strict
    reader; other messages still refuse them, and a text string must be UTF-8."""
    assert _cbor.decode(b"\x82\x01\x62\x31\x32", text=True) == [1, "12"]
    with pytest.raises(_cbor.Malformed, match="text strings are not allowed"):
        _cbor.decode(b"\x82\x01\x62\x31\x32")
    with pytest.raises(_cbor.Malformed, match="not UTF-8"):
        _cbor.decode(b"\x62\xc3\x28", text=True)
    with pytest.raises(_cbor.Malformed, match="runs past the end"):
        _cbor.decode(b"\x63\x31\x32", text=True)
    with pytest.raises(MalformedReportError):  # a masked report has no text field
        MaskedReport.decode(b"\x86\x01\x61\x31" + b"\x00" * 4)


# --- readings (fuzz_readings) ------------------------------------------------------------------


@fixed(
    "read_sgsc_csv lets csv.Error escape ('field larger than field limit "
    "(131072)', and any other csv.Error). Fix: catch csv.Error -> FormatError with path:line."
)
def test_csv_field_larger_than_the_csv_module_limit(tmp_path: Path) -> None:
    with pytest.raises(FormatError):
        read_sgsc_csv(csv_file(tmp_path, '1,"' + "a" * 200_000 + '",0.1\n'))


@fixed(
    "kwh_to_wh multiplies a Decimal by 1000 under the default context; "
    "'1e999999' raises decimal.Overflow (an ArithmeticError), which escapes read_sgsc_csv. "
    "Fix: accept only plain decimals (the unused _KWH_RE: ^[0-9]+(\\.[0-9]+)?$) of bounded "
    "length."
)
def test_csv_kwh_exponent_overflow(tmp_path: Path) -> None:
    with pytest.raises(FormatError):
        read_sgsc_csv(csv_file(tmp_path, "1,2013-04-01 00:00:00,1e999999\n"))


@fixed(
    "kwh_to_wh('1e99990') builds a 100,000-digit int (2 s; "
    "'1e999990' takes minutes), from a 7-character CSV cell. Fix: plain decimals only, "
    "and refuse a reading of 2^64 Wh or more before building it."
)
def test_csv_kwh_huge_exponent_is_cheap() -> None:
    assert finishes_within(
        1.5,
        """
        from privbill.readings import kwh_to_wh
        try:
            kwh_to_wh("1e99990")
        except ValueError:
            pass
        """,
    )


@fixed(
    "kwh_to_wh('1e-999999999999') is 0 Wh: the product by 1000 underflows to "
    "zero in the default decimal context, so a value finer than 1 Wh is accepted as 0 "
    "instead of refused (docs/readings.md). Fix: plain decimals only, or an exact context."
)
def test_csv_kwh_tiny_value_not_rounded_to_zero(tmp_path: Path) -> None:
    with pytest.raises(FormatError):
        read_sgsc_csv(csv_file(tmp_path, "1,2013-04-01 00:00:00,1e-999999999999\n"))


@fixed(
    "_local_to_unix converts to UTC without catching OverflowError: "
    "'0001-01-01 00:00:00' on a clock east of UTC (the default Etc/GMT-10) is before year 1 "
    "in UTC. Fix: catch OverflowError -> FormatError naming the line."
)
def test_csv_timestamp_before_year_1_in_utc(tmp_path: Path) -> None:
    with pytest.raises(FormatError):
        read_sgsc_csv(csv_file(tmp_path, "1,0001-01-01 00:00:00,1\n"))


def test_csv_reading_of_2_64_wh_is_refused(tmp_path: Path) -> None:
    """The CSV half of the bug below, fixed: kwh_to_wh refuses 2^64 Wh and more."""
    with pytest.raises(FormatError, match="more than a reading can be"):
        read_sgsc_csv(csv_file(tmp_path, "1,2013-04-01 00:00:00,18446744073709551.616\n"))
    out = read_sgsc_csv(csv_file(tmp_path, "1,2013-04-01 00:00:00,18446744073709551.615\n"))
    assert list(out["1"].channel(0).values()) == [2**64 - 1]


@fixed(
    "readings_from_p1 (and the Readings constructor) accepted readings of 2^64 Wh "
    "or more (a register that grows by 2^70 Wh between two telegrams), which no meter can "
    "commit to (docs/protocol.md: r < 2^64). Fixed: Readings refuses values >= 2^64 with "
    "RangeError, so every reader does."
)
def test_readings_outside_the_protocol_range() -> None:
    telegrams = [
        parse_p1_telegram(b"/X\r\n\r\n0-0:1.0.0(1304010%d0000S)\r\n1-0:1.8.1(%d*Wh)\r\n!" % (h, v))
        for h, v in ((0, 0), (1, 2**70))
    ]
    with pytest.raises(PrivbillError):
        readings_from_p1(telegrams, period=3600)


# --- statements (found while writing fuzz_statement) -------------------------------------------


@fixed(
    "Statement.present_positions tests `bits >> j & 1` for "
    "every j on the whole presence integer, which is quadratic: a 44 KB statement (20 years "
    "of half-hours) costs the verifier 1.8 s, 64 KiB about 4 s, before any commitment is "
    "read. Fix: walk the presence bytes (O(n)); and check coverage of the period against "
    "the store (cheap) before decoding the bitmap."
)
def test_statement_presence_decoding_is_linear() -> None:
    assert finishes_within(
        2.0,
        """
        from datetime import date, timedelta
        from privbill.statement import Statement
        start = date(2000, 1, 1)
        end = start + timedelta(days=365 * 28)
        count = 490_896
        st = Statement(meter_id=bytes(16), channel=0, start=start, end=end,
                       tariff_digest=bytes(32), mode="total",
                       presence=b"\\xff" * (count // 8), values=((0, bytes(32)),))
        assert len(st.present_positions(count)) == count
        """,
    )


# --- the C payload writer (csrc/tests/fuzz_decode.c with -DPRIVBILL_FUZZ_STRICT) ---------------


def _c_payload(first_index: int, count: int, counter: int, prev_hash: bytes) -> bytes | None:
    from privbill._ffi import ffi, lib

    out = ffi.new("uint8_t[]", lib.PRIVBILL_BATCH_PAYLOAD_MAX)
    out_len = ffi.new("size_t *")
    presence = bytes([(1 << count) - 1]) if count < 8 else b"\xff" * (count // 8)
    rc = lib.privbill_batch_payload(
        out, out_len, lib.PRIVBILL_BATCH_PAYLOAD_MAX, bytes(16), 0, 1800, first_index, count,
        presence, bytes(32 * count), counter, prev_hash,
    )  # fmt: skip
    return None if rc != 0 else bytes(ffi.buffer(out, out_len[0]))


@fixed(
    "privbill_batch_payload writes payloads that every decoder refuses: counter 1 "
    "with a non-zero prev_hash, counter > 1 with a zero prev_hash, and first_index + count "
    "- 1 above 2^64 - 1 (docs/protocol.md, payload table; tests/test_batch_payload_c.py says "
    "it refuses what Python refuses). A meter would sign a batch the retailer rejects and "
    "lose its place in the chain. Fix: return -1 in those cases and list them in privbill.h."
)
@pytest.mark.parametrize(
    ("first_index", "count", "counter", "prev_hash"),
    [
        (946704, 3, 1, b"\x01" * 32),
        (946704, 3, 2, bytes(32)),
        (2**64 - 2, 3, 2, b"\x01" * 32),
    ],
    ids=["counter-1-with-hash", "counter-2-zero-hash", "index-overflow"],
)
def test_c_payload_writer_enforces_every_rule(
    first_index: int, count: int, counter: int, prev_hash: bytes
) -> None:
    with pytest.raises((RangeError, EncodingError)):  # the Python constructor refuses them
        BatchPayload(meter_id=bytes(16), channel=0, period=1800, first_index=first_index,
                     count=count, presence=bytes([(1 << count) - 1]),
                     commitments=bytes(32 * count), counter=counter,
                     prev_hash=prev_hash)  # fmt: skip
    assert _c_payload(first_index, count, counter, prev_hash) is None


def test_c_payload_writer_example_still_accepted() -> None:
    """The fix must keep accepting valid payloads (this one decodes)."""
    data = _c_payload(946704, 3, 2, b"\x01" * 32)
    assert data is not None
    assert BatchPayload.decode(data).counter == 2


# --- readings that must keep working ---------------------------------------------------------


def test_csv_plain_decimals_still_read(tmp_path: Path) -> None:
    rows = "1,2013-04-01 00:00:00,0.223\n1,2013-04-01 00:30:00,12\n"
    out = read_sgsc_csv(csv_file(tmp_path, rows))
    assert sorted(out["1"].channel(0).values()) == [223, 12000]


def test_statement_of_a_long_period_still_decodes() -> None:
    start = date(2013, 1, 1)
    st_bytes = cbor2.dumps(
        [1, bytes(16), 0, start.toordinal(), (start + timedelta(days=7)).toordinal(),
         bytes(32), 2, b"\xff" * 42, [[0, bytes(32)]]],
        canonical=True,
    )  # fmt: skip
    from privbill.statement import Statement

    assert len(Statement.decode(st_bytes).present_positions(336)) == 336
