"""An independent, pure-Python reference for the tests. Tests only: slow, not constant time.

Written from the RFCs, without reading or importing ``privbill``, so that the C core and
the binding can be checked against something that shares none of their code:

- :mod:`.ristretto255`: GF(2^255-19), edwards25519 affine arithmetic and ristretto255
  (RFC 9496 section 4: decode, encode, equality, one-way map);
- :mod:`.ed25519`: Ed25519 (RFC 8032 section 5.1) with privbill's verification rule;
- :mod:`.xmd`: expand_message_xmd with SHA-512 (RFC 9380 section 5.3.1);
- :mod:`.pedersen`: privbill's generator H, commitments and blinding derivation
  (DESIGN.md, "The cryptography").

The reference itself is checked against the official vectors in
``tests/test_vectors_official.py`` (``pytest tests/test_vectors_official.py -k reference``),
so that agreeing with it means something.
"""
