/*
 * Scalars mod l = 2^252 + 27742317777372353535851937790883648493.
 *
 * Representation: eight 32-bit limbs, little endian (x = sum x[i] 2^(32i)).
 * Products are formed with 32x32 -> 64-bit multiplies only, so this is
 * portable C99 with no 128-bit type and the same code runs on 64-bit hosts
 * and 32-bit meters.
 *
 * Every operation reduces through one routine: Barrett reduction of a
 * 512-bit value (Menezes, van Oorschot, Vanstone, Handbook of Applied
 * Cryptography, algorithm 14.42, base b = 2^32, k = 8), followed by one
 * masked conditional subtraction of l (see sc_reduce_wide for why one is
 * enough for this l, where HAC's generic bound needs two). Inputs of add, sub,
 * mul and muladd may be any 32 bytes: they are widened to 512 bits, combined
 * without reduction, and reduced once.
 *
 * Constant time: all loops have fixed bounds, no branch or index depends on
 * a limb value, and conditional subtraction is a masked select. (On CPUs
 * whose 32x32 -> 64 multiply takes operand-dependent time, such as the
 * early-terminating UMULL of the Cortex-M3 or ARM7TDMI, no portable C
 * multiply is constant time; the field arithmetic shares that exposure.)
 */
#include "scalar.h"
#include "util.h"

/* l in 32-bit limbs. l[7] != 0, so l has exactly k = 8 base-2^32 digits. */
static const uint32_t L[8] = {
    0x5cf5d3edu, 0x5812631au, 0xa2f79cd6u, 0x14def9deu,
    0x00000000u, 0x00000000u, 0x00000000u, 0x10000000u
};

/* mu = floor(2^512 / l), a 260-bit value: the Barrett constant b^(2k) / l.
 * Python: (2**512 // l) split into 32-bit limbs. */
static const uint32_t MU[9] = {
    0x0a2c131bu, 0xed9ce5a3u, 0x086329a7u, 0x2106215du, 0xffffffebu,
    0xffffffffu, 0xffffffffu, 0xffffffffu, 0x0000000fu
};

/* 16*l = 2^256 + 16*(l - 2^252), larger than any 32-byte value. Adding it
 * before a subtraction keeps the difference non-negative. */
static const uint32_t L16[9] = {
    0xcf5d3ed0u, 0x812631a5u, 0x2f79cd65u, 0x4def9deau, 0x00000001u,
    0x00000000u, 0x00000000u, 0x00000000u, 0x00000001u
};

const uint8_t sc_l_bytes[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
    0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
};

static void sc_load(uint32_t x[8], const uint8_t s[32])
{
    int i;
    for (i = 0; i < 8; i++) x[i] = privbill_load32_le(s + 4 * i);
}

static void sc_store(uint8_t s[32], const uint32_t x[8])
{
    int i;
    for (i = 0; i < 8; i++) privbill_store32_le(s + 4 * i, x[i]);
}

/*
 * r[0 .. na+nb-1] = a[0 .. na-1] * b[0 .. nb-1], schoolbook.
 * Each step computes a[i]*b[j] + r[i+j] + carry <= (2^32-1)^2 + 2(2^32-1)
 * = 2^64 - 1, so the 64-bit accumulator never overflows.
 */
static void mul_limbs(uint32_t *r, const uint32_t *a, int na, const uint32_t *b, int nb)
{
    int i, j;
    for (i = 0; i < na + nb; i++) r[i] = 0;
    for (i = 0; i < na; i++) {
        uint64_t carry = 0;
        for (j = 0; j < nb; j++) {
            uint64_t t = (uint64_t)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        r[i + nb] = (uint32_t)carry;
    }
}

/*
 * If r >= l then r -= l, over nine limbs, without branching: the
 * subtraction is always computed and kept only when it did not borrow.
 */
static void csub_l(uint32_t r[9])
{
    uint32_t t[9], mask;
    uint64_t borrow = 0;
    int i;
    for (i = 0; i < 9; i++) {
        uint64_t d = (uint64_t)r[i] - (i < 8 ? L[i] : 0) - borrow;
        t[i] = (uint32_t)d;
        borrow = (d >> 32) & 1; /* 1 if the limb wrapped below zero */
    }
    /* borrow == 1: r < l, keep r (mask 0). borrow == 0: take t. */
    mask = (uint32_t)borrow - 1;
    for (i = 0; i < 9; i++) r[i] = (r[i] & ~mask) | (t[i] & mask);
    privbill_wipe(t, sizeof t);
}

/*
 * out = x mod l for any 512-bit x (HAC 14.42 with b = 2^32, k = 8):
 *   q1 = floor(x / b^7)            nine limbs x[7..15]
 *   q3 = floor(q1 * mu / b^9)      the quotient estimate
 *   r  = (x - q3*l) mod b^9        computed as r1 - r2 with r1 = x mod b^9,
 *                                  r2 = q3*l mod b^9
 *   one conditional subtraction of l brings r into [0, l).
 *
 * Error bound. Write mu = b^16/l - e with 0 <= e < 1 (for this l,
 * e = 0.2249...). Then
 *   x/l - q1*mu/b^9 = (x/b^7 - q1) * b^7/l + q1 * e / b^9
 *                   < b^7/l + e < 2^-28 + 0.225,
 * because x/b^7 - q1 < 1 and q1 < b^9. So x/l - q3 < 1.23; and q3 <= x/l
 * since q1 <= x/b^7 and mu <= b^16/l. The true remainder x - q3*l thus
 * lies in [0, 1.23 l): below 2l, so a single subtraction
 * suffices (HAC's bound of two holds for any modulus; l's closeness to
 * 2^252 makes e small). 2l < b^9, so the wrap-around subtraction mod b^9
 * gives that remainder exactly.
 */
static void sc_reduce_wide(uint32_t out[8], const uint32_t x[16])
{
    uint32_t q2[18], r2[17], r[9];
    uint64_t borrow = 0;
    int i;

    mul_limbs(q2, x + 7, 9, MU, 9);          /* q2 = q1 * mu */
    mul_limbs(r2, q2 + 9, 9, L, 8);          /* r2 = q3 * l (low 9 limbs used) */
    for (i = 0; i < 9; i++) {                /* r = r1 - r2 mod b^9 */
        uint64_t d = (uint64_t)x[i] - r2[i] - borrow;
        r[i] = (uint32_t)d;
        borrow = (d >> 32) & 1;
    }
    csub_l(r);
    for (i = 0; i < 8; i++) out[i] = r[i];   /* r < l < 2^256: r[8] == 0 */

    privbill_wipe(q2, sizeof q2);
    privbill_wipe(r2, sizeof r2);
    privbill_wipe(r, sizeof r);
}

void privbill_scalar_reduce(uint8_t out[32], const uint8_t in[64])
{
    uint32_t x[16], r[8];
    int i;
    for (i = 0; i < 16; i++) x[i] = privbill_load32_le(in + 4 * i);
    sc_reduce_wide(r, x);
    sc_store(out, r);
    privbill_wipe(x, sizeof x);
    privbill_wipe(r, sizeof r);
}

void sc_reduce32(uint8_t s[32])
{
    uint32_t x[16], r[8];
    int i;
    sc_load(x, s);
    for (i = 8; i < 16; i++) x[i] = 0;
    sc_reduce_wide(r, x);
    sc_store(s, r);
    privbill_wipe(x, sizeof x);
    privbill_wipe(r, sizeof r);
}

int privbill_scalar_is_canonical(const uint8_t s[32])
{
    /* s < l exactly when s - l borrows out of the top limb. Every limb is
     * processed: no early exit on the first differing limb. */
    uint32_t x[8];
    uint64_t borrow = 0;
    int i;
    sc_load(x, s);
    for (i = 0; i < 8; i++) {
        uint64_t d = (uint64_t)x[i] - L[i] - borrow;
        borrow = (d >> 32) & 1;
    }
    privbill_wipe(x, sizeof x);
    return (int)borrow;
}

void privbill_scalar_add(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    /* a + b < 2^257: nine limbs, the rest of the 512-bit input is zero. */
    uint32_t x[16], y[8], r[8];
    uint64_t carry = 0;
    int i;
    sc_load(x, a);
    sc_load(y, b);
    for (i = 0; i < 8; i++) {
        uint64_t t = (uint64_t)x[i] + y[i] + carry;
        x[i] = (uint32_t)t;
        carry = t >> 32;
    }
    x[8] = (uint32_t)carry;
    for (i = 9; i < 16; i++) x[i] = 0;
    sc_reduce_wide(r, x);
    sc_store(out, r);
    privbill_wipe(x, sizeof x);
    privbill_wipe(y, sizeof y);
    privbill_wipe(r, sizeof r);
}

void privbill_scalar_sub(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    /* a + 16l - b: 16l > 2^256 > b, so the value is in (0, 2^258). */
    uint32_t x[16], y[8], r[8];
    uint64_t carry = 0, borrow = 0;
    int i;
    sc_load(x, a);
    sc_load(y, b);
    x[8] = 0;
    for (i = 0; i < 9; i++) {
        uint64_t t = (uint64_t)x[i] + L16[i] + carry;
        x[i] = (uint32_t)t;
        carry = t >> 32;
    }
    /* carry is 0 here: a + 16l < 2^256 + 2^257 < 2^288. */
    for (i = 0; i < 9; i++) {
        uint64_t d = (uint64_t)x[i] - (i < 8 ? y[i] : 0) - borrow;
        x[i] = (uint32_t)d;
        borrow = (d >> 32) & 1;
    }
    for (i = 9; i < 16; i++) x[i] = 0;
    sc_reduce_wide(r, x);
    sc_store(out, r);
    privbill_wipe(x, sizeof x);
    privbill_wipe(y, sizeof y);
    privbill_wipe(r, sizeof r);
}

void privbill_scalar_negate(uint8_t out[32], const uint8_t a[32])
{
    static const uint8_t zero[32] = { 0 };
    privbill_scalar_sub(out, zero, a);
}

void privbill_scalar_mul(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    uint32_t x[8], y[8], p[16], r[8];
    sc_load(x, a);
    sc_load(y, b);
    mul_limbs(p, x, 8, y, 8);
    sc_reduce_wide(r, p);
    sc_store(out, r);
    privbill_wipe(x, sizeof x);
    privbill_wipe(y, sizeof y);
    privbill_wipe(p, sizeof p);
    privbill_wipe(r, sizeof r);
}

void privbill_scalar_muladd(uint8_t out[32], const uint8_t a[32], const uint8_t b[32],
                            const uint8_t c[32])
{
    /* a*b + c <= (2^256 - 1)^2 + 2^256 - 1 < 2^512: no carry out of p[15]. */
    uint32_t x[8], y[8], z[8], p[16], r[8];
    uint64_t carry = 0;
    int i;
    sc_load(x, a);
    sc_load(y, b);
    sc_load(z, c);
    mul_limbs(p, x, 8, y, 8);
    for (i = 0; i < 16; i++) {
        uint64_t t = (uint64_t)p[i] + (i < 8 ? z[i] : 0) + carry;
        p[i] = (uint32_t)t;
        carry = t >> 32;
    }
    sc_reduce_wide(r, p);
    sc_store(out, r);
    privbill_wipe(x, sizeof x);
    privbill_wipe(y, sizeof y);
    privbill_wipe(z, sizeof z);
    privbill_wipe(p, sizeof p);
    privbill_wipe(r, sizeof r);
}

void privbill_scalar_from_i64(uint8_t out[32], int64_t v)
{
    /*
     * Constant time in v (a reading or a weight may be secret):
     * neg = all ones if v < 0; mag = |v| as an unsigned value (INT64_MIN
     * gives 2^63, fine in uint64_t); then select mag or l - mag with a
     * mask. mag <= 2^63 < l, so both candidates are already reduced.
     */
    uint64_t u = (uint64_t)v;
    uint64_t neg64 = (uint64_t)0 - (u >> 63);
    uint64_t mag = (u ^ neg64) - neg64;
    uint32_t neg = (uint32_t)neg64;
    uint32_t m[8], d[8], r[8];
    uint64_t borrow = 0;
    int i;

    m[0] = (uint32_t)mag;
    m[1] = (uint32_t)(mag >> 32);
    for (i = 2; i < 8; i++) m[i] = 0;
    for (i = 0; i < 8; i++) {                /* d = l - mag, never borrows out */
        uint64_t t = (uint64_t)L[i] - m[i] - borrow;
        d[i] = (uint32_t)t;
        borrow = (t >> 32) & 1;
    }
    for (i = 0; i < 8; i++) r[i] = (m[i] & ~neg) | (d[i] & neg);
    sc_store(out, r);
    privbill_wipe(m, sizeof m);
    privbill_wipe(d, sizeof d);
    privbill_wipe(r, sizeof r);
}
