/*
 * GF(2^255 - 19): one interface, two backends.
 *
 * PRIVBILL_FIELD_BITS picks the limb layout (64: radix 2^51 with 128-bit
 * products; 32: radix 2^25.5, ten signed 32-bit limbs). Everything above
 * this header is written once against the functions declared here.
 *
 * Conventions shared by both backends:
 *  - An fe is "reduced" when each limb is within the backend's tight bound
 *    (documented in the backend header): the output of fe_mul, fe_sq,
 *    fe_sub, fe_neg, fe_carry, fe_frombytes. fe_add outputs are "loose".
 *    Both backends accept as input to fe_mul/fe_sq/fe_tobytes/fe_sub/fe_neg
 *    the sum of up to four reduced values (two nested adds), which is all
 *    the group code ever forms; fe_carry makes any of them reduced.
 *  - Every function is constant time. Outputs may alias inputs.
 */
#ifndef PRIVBILL_FIELD_H
#define PRIVBILL_FIELD_H

#include <stdint.h>
#include <stddef.h>

#ifndef PRIVBILL_FIELD_BITS
#  if defined(__SIZEOF_INT128__) && UINTPTR_MAX > 0xffffffffu
#    define PRIVBILL_FIELD_BITS 64
#  else
#    define PRIVBILL_FIELD_BITS 32
#  endif
#endif

#if PRIVBILL_FIELD_BITS == 64
#  include "field_51.h"
#elif PRIVBILL_FIELD_BITS == 32
#  include "field_25_5.h"
#else
#  error "PRIVBILL_FIELD_BITS must be 64 or 32"
#endif

/*
 * Each backend header defines `fe` and these static inline functions:
 *   fe_0(h), fe_1(h), fe_copy(h, f)
 *   fe_add(h, f, g), fe_sub(h, f, g), fe_neg(h, f)   loose outputs
 *   fe_carry(h, f)                                   loose -> reduced
 *   fe_mul(h, f, g), fe_sq(h, f), fe_sq2(h, f)       h = f*g, f^2, 2*f^2
 *   fe_frombytes(h, s[32])   little endian, top bit of s[31] ignored
 *   fe_tobytes(s[32], f)     canonical (fully reduced mod p) encoding
 *   fe_cmov(f, g, b)         f = g if b == 1, unchanged if b == 0
 *   fe_cswap(f, g, b)        swap if b == 1
 * and these constants (reduced form):
 *   fe_d        the Edwards d = -121665/121666
 *   fe_d2       2*d
 *   fe_sqrtm1   sqrt(-1), the positive (even) root
 *   fe_invsqrt_a_minus_d, fe_sqrt_ad_minus_one,
 *   fe_one_minus_d_sq, fe_d_minus_one_sq            RFC 9496 section 4.1
 */

/* Generic functions, field.c. All constant time. */
int fe_isnegative(const fe f);          /* lsb of the canonical encoding */
int fe_iszero(const fe f);              /* 1 if f == 0 mod p */
int fe_isequal(const fe f, const fe g); /* 1 if f == g mod p */
void fe_cneg(fe h, const fe f, unsigned int b);  /* h = b ? -f : f */
void fe_abs(fe h, const fe f);          /* h = |f|: the non-negative of +-f */
void fe_invert(fe out, const fe z);     /* z^(p-2); 0 maps to 0 */
void fe_pow22523(fe out, const fe z);   /* z^((p-5)/8) */
/*
 * RFC 9496 SQRT_RATIO_M1(u, v): sets r = +sqrt(u/v) or +sqrt(i*u/v) and
 * returns 1 if u/v was square (or u == 0), 0 otherwise.
 */
int fe_sqrt_ratio_m1(fe r, const fe u, const fe v);

#endif
