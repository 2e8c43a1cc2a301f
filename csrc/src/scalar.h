/*
 * Scalars mod l = 2^252 + 27742317777372353535851937790883648493, the
 * order of ristretto255 and of the Ed25519 base point. Internal header.
 *
 * The public privbill_scalar_* functions (privbill.h) work on 32-byte
 * little-endian encodings; this header adds what the group and signature
 * code needs on top of them. Everything here is constant time.
 */
#ifndef PRIVBILL_SCALAR_H
#define PRIVBILL_SCALAR_H

#include <stdint.h>

#include "privbill.h"

/* l as 32 little-endian bytes. */
extern const uint8_t sc_l_bytes[32];

/* s = s mod l in place, for any 32-byte s (any value < 2^256). */
void sc_reduce32(uint8_t s[32]);

#endif
