/*
 * The Edwards curve -x^2 + y^2 = 1 + d*x^2*y^2 over GF(2^255 - 19), the
 * group underneath ristretto255 and Ed25519. Internal header.
 *
 * Point representations (x = X/Z, y = Y/Z throughout):
 *   ge_p2      (X:Y:Z)              projective; what doubling consumes
 *   ge_p3      (X:Y:Z:T), XY = ZT   extended; the general-purpose form
 *   ge_p1p1    ((X:Z), (Y:T))       completed; x = X/Z, y = Y/T; the output
 *                                   of add/double, converted to p2 or p3
 *   ge_cached  (Y+X, Y-X, Z, 2dT)   a p3 prepared as the addend of ge_add
 *   ge_precomp (y+x, y-x, 2dxy)     an affine (Z = 1) cached point, for
 *                                   fixed-base tables (mixed addition)
 * The formulas are the complete twisted Edwards formulas of Hisil, Wong,
 * Carter and Dawson (2008) for a = -1: valid for every pair of inputs,
 * including equal points and the identity, so no input-dependent branch.
 */
#ifndef PRIVBILL_GROUP_H
#define PRIVBILL_GROUP_H

#include "field.h"

typedef struct { fe X, Y, Z; } ge_p2;
typedef struct { fe X, Y, Z, T; } ge_p3;
typedef struct { fe X, Y, Z, T; } ge_p1p1;
typedef struct { fe YplusX, YminusX, Z, T2d; } ge_cached;
typedef struct { fe yplusx, yminusx, xy2d; } ge_precomp;

void ge_p3_0(ge_p3 *h);                                   /* identity */
void ge_p3_to_p2(ge_p2 *r, const ge_p3 *p);
void ge_p3_to_cached(ge_cached *r, const ge_p3 *p);
void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p);
void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p);
void ge_p2_dbl(ge_p1p1 *r, const ge_p2 *p);
void ge_p3_dbl(ge_p1p1 *r, const ge_p3 *p);
void ge_add(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q);    /* p + q */
void ge_sub(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q);    /* p - q */
void ge_madd(ge_p1p1 *r, const ge_p3 *p, const ge_precomp *q);  /* p + q */
void ge_msub(ge_p1p1 *r, const ge_p3 *p, const ge_precomp *q);  /* p - q */
void ge_p3_add(ge_p3 *r, const ge_p3 *p, const ge_p3 *q);       /* convenience */

/* Ed25519 point encoding (RFC 8032 section 5.1.2/5.1.3). frombytes returns
 * 0, or -1 if y >= p (non-canonical), x does not exist, or x = 0 with the
 * sign bit set (the non-canonical encoding of x = 0). */
void ge_p3_tobytes(uint8_t s[32], const ge_p3 *h);
int ge_p3_frombytes(ge_p3 *h, const uint8_t s[32]);

/* ristretto255 encoding (RFC 9496 section 4.3.1, 4.3.2). */
int ge_ristretto_frombytes(ge_p3 *h, const uint8_t s[32]);  /* 0 or -1 */
/* Decoding helped by a hint (public data only): see group.c. */
int ge_ristretto_frombytes_hinted_vartime(ge_p3 *h, const uint8_t s[32], const uint8_t hint[32]);
int ge_ristretto_decode_hint(uint8_t hint[32], const uint8_t s[32]);
void ge_ristretto_tobytes(uint8_t s[32], const ge_p3 *h);
int ge_ristretto_equal(const ge_p3 *p, const ge_p3 *q);     /* 1/0, CT */
void ge_ristretto_from_uniform(ge_p3 *h, const uint8_t r[64]);

/*
 * Constant-time scalar multiplication, any 32-byte scalar (used as the
 * integer it encodes, so s need not be reduced, s[31] <= 127).
 */
void ge_scalarmult(ge_p3 *h, const uint8_t s[32], const ge_p3 *p);
/* h = s*B for the Ed25519/ristretto255 base point, constant time. */
void ge_scalarmult_base(ge_p3 *h, const uint8_t s[32]);
/* h = s*H for the Pedersen generator H, constant time. */
void ge_scalarmult_h(ge_p3 *h, const uint8_t s[32]);
/* h = value*B + blinding*H, constant time in both (Pedersen commitment). */
void ge_commit(ge_p3 *h, uint64_t value, const uint8_t blinding[32]);
/* h = s*B for public s. */
void ge_scalarmult_base_vartime(ge_p3 *h, const uint8_t s[32]);
/* h = a*B + b*H, variable time (public a, b). */
void ge_double_scalarmult_base_h_vartime(ge_p3 *h, const uint8_t a[32], const uint8_t b[32]);
/* h = a*P + b*B, variable time: Ed25519 verification. */
void ge_double_scalarmult_vartime(ge_p3 *h, const uint8_t a[32], const ge_p3 *p,
                                  const uint8_t b[32]);
/* h = sum s_i * P_i, variable time; scalars are 32 bytes each. */
void ge_msm_vartime(ge_p3 *h, const uint8_t *scalars, const ge_p3 *points, size_t n);
/* Signed radix-16 digits in [-8, 8] of s < 2^255, branch-free. */
void ge_signed_radix16(signed char e[64], const uint8_t s[32]);
/* h = sum w_i * P_i for signed 64-bit weights, variable time. */
void ge_combine_vartime(ge_p3 *h, const int64_t *weights, const ge_p3 *points, size_t n);
/* 1 if h is the identity of the Edwards curve (X == 0 and Y == Z). */
int ge_p3_is_identity(const ge_p3 *h);

#endif
