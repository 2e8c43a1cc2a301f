"""Fuzz statement decoding and the retailer's whole verification path.

Every input is decoded (``Statement.decode``: only FormatError) and also handed to
``Retailer.verify`` of the fuzz world (make_corpus.world: one meter, two days and the
export channel stored), which may refuse it only with a PrivbillError. A statement that
decodes must re-encode to its input; one that verifies must be the honest statement of
its period (the world's household knows every reading, so the harness recomputes it):
a verified statement with other values than the honest ones would be a forged bill.
"""

from __future__ import annotations

from _harness import harness, instrumented, run

with instrumented(__name__ == "__main__"):
    from make_corpus import world

    from privbill.errors import FormatError, PrivbillError
    from privbill.intervals import BillingPeriod
    from privbill.statement import Statement


@harness("statement")
def TestOneInput(data: bytes) -> None:
    try:
        st = Statement.decode(data)
    except FormatError:
        st = None
    if st is not None:
        assert st.encode() == data, "accepted a non-canonical statement"
    w = world()
    try:
        verified = w.retailer.verify(data)
    except PrivbillError:
        return
    assert st is not None, "verify accepted bytes that Statement.decode refuses"
    period = BillingPeriod(st.start, st.end, w.tariff.tz, w.tariff.period)
    honest = w.home.statement(period, w.tariff, st.mode, st.channel)
    assert [v for v, _ in st.values] == [v for v, _ in honest.values], (
        f"a statement with values {st.values} verified; the honest ones are {honest.values}"
    )
    assert verified.intervals == len(period.intervals())


if __name__ == "__main__":
    run(TestOneInput)
