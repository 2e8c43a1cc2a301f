"""Fuzz the tariff JSON reader (docs/tariffs.md section 5).

``tariff_from_json`` may refuse its input only with FormatError (not JSON) or TariffError
(not a tariff). A tariff that loads must round-trip exactly through its canonical text
(``tariff_from_json(tariff_to_json(t)) == t`` and the text is a fixed point), and its
band and price lookups for a few intervals either answer or raise TariffError.
"""

from __future__ import annotations

from _harness import harness, instrumented, run

with instrumented(__name__ == "__main__"):
    from privbill.errors import PrivbillError
    from privbill.statement import tariff_digest
    from privbill.tariffs import tariff_from_json, tariff_to_json

#: Intervals to look up: around the 2013 clock changes in London, and the epoch.
_PROBES = (0, 758206, 758260, 759500, 762340, 762343, 770000)


@harness("tariff")
def TestOneInput(data: bytes) -> None:
    try:
        tariff = tariff_from_json(data)
    except PrivbillError:
        return
    text = tariff_to_json(tariff)
    again = tariff_from_json(text)
    assert again == tariff, "a tariff does not survive its canonical JSON"
    assert tariff_to_json(again) == text, "the canonical JSON is not a fixed point"
    assert len(tariff_digest(tariff)) == 32
    for i in _PROBES:
        try:
            band = tariff.band_of(i)
            assert band in tariff.band_names
            tariff.price_of(i)
        except PrivbillError:
            pass


if __name__ == "__main__":
    run(TestOneInput)
