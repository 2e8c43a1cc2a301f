"""Fuzz the C core's decoding through the binding: Element, CommitmentSet, hints, Scalar.

Input: a selector byte, then bytes cut into 32-byte encodings and (for odd selectors)
as many 32-byte hints. Checks:

- ``Element.from_bytes`` accepts exactly the canonical encodings (decode then encode
  gives the input back) and refuses the rest with EncodingError;
- ``CommitmentSet.from_bytes(wire)`` and ``from_bytes(wire, hints)`` agree for any
  hints, valid or garbage: both fail naming the same first bad index, or both succeed
  with the same elements (a hint never changes a verdict, docs/protocol.md);
- where the wire decodes, ``decode_hints`` gives hints with which it decodes the same,
  and the C sum of all elements equals the sum computed one element at a time;
- ``Scalar.from_bytes`` accepts exactly the integers below l.
"""

from __future__ import annotations

from _harness import harness, instrumented, run

with instrumented(__name__ == "__main__"):
    from privbill import pedersen
    from privbill.errors import EncodingError
    from privbill.group import Element, L, Scalar
    from privbill.pedersen import CommitmentSet


def _decode(wire: bytes, hints: bytes | None) -> tuple[str, object]:
    try:
        cs = CommitmentSet.from_bytes(wire, hints)
    except EncodingError as exc:
        return "error", str(exc)
    return "ok", [bytes(cs.element(i)) for i in range(len(cs))]


@harness("decode")
def TestOneInput(data: bytes) -> None:
    if not data:
        return
    selector, body = data[0], data[1:]
    if selector & 1:
        n = len(body) // 64
        wire, hints = body[: 32 * n], body[32 * n : 64 * n]
    else:
        n = len(body) // 32
        wire, hints = body[: 32 * n], None
    plain = _decode(wire, None)
    hinted = _decode(wire, hints) if hints is not None else plain
    assert plain == hinted, f"hints changed the verdict: {plain!r} vs {hinted!r}"
    for i in range(n):
        enc = wire[32 * i : 32 * i + 32]
        try:
            e = Element.from_bytes(enc)
        except EncodingError:
            assert plain[0] == "error", "CommitmentSet accepted what Element refuses"
            continue
        assert bytes(e) == enc, "decode then encode changed a canonical encoding"
    if plain[0] == "ok" and n:
        good = pedersen.decode_hints(wire)
        assert _decode(wire, good) == plain
        elements = [Element.from_bytes(e) for e in plain[1]]  # type: ignore[union-attr]
        total = Element.identity()
        for e in elements:
            total = total + e
        assert CommitmentSet.from_bytes(wire).sum() == total
    if len(body) >= 32:
        s = body[:32]
        try:
            Scalar.from_bytes(s)
            assert int.from_bytes(s, "little") < L
        except EncodingError:
            assert int.from_bytes(s, "little") >= L


if __name__ == "__main__":
    run(TestOneInput)
