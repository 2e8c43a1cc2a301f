/*
 * GF(2^255 - 19), radix 2^51: f = f0 + f1*2^51 + ... + f4*2^204, five
 * unsigned 64-bit limbs, products accumulated in unsigned __int128.
 *
 * Limb bounds (why nothing overflows):
 *  - reduced: every limb < 2^51 + 2^15 (output of fe_mul, fe_sq, fe_sub,
 *    fe_neg, fe_frombytes, and of fe_carry on limbs < 2^61).
 *  - fe_add of two reduced values: limbs < 2^53. Two nested adds: < 2^54.
 *  - fe_mul/fe_sq accept limbs < 2^54: each product < 2^108, folded terms
 *    are multiplied by 19 < 2^5, five of them sum to < 2^116 < 2^128.
 *  - fe_sub adds 16p (limb 0 is 2^55 - 304, the others 2^55 - 16) before
 *    subtracting, so any subtrahend with limbs below 2^55 - 304 is fine (in
 *    practice they stay under 2^54), then carries: the output is reduced.
 * Included only through field.h.
 */
#ifndef PRIVBILL_FIELD_51_H
#define PRIVBILL_FIELD_51_H

typedef uint64_t fe[5];
/* __extension__: 128-bit integers are a GCC/Clang extension to C99. */
__extension__ typedef unsigned __int128 privbill_u128;

#define FE51_MASK ((uint64_t)0x7ffffffffffffULL) /* 2^51 - 1 */

static const fe fe_d = { 0x34dca135978a3ULL, 0x1a8283b156ebdULL, 0x5e7a26001c029ULL, 0x739c663a03cbbULL, 0x52036cee2b6ffULL };
static const fe fe_d2 = { 0x69b9426b2f159ULL, 0x35050762add7aULL, 0x3cf44c0038052ULL, 0x6738cc7407977ULL, 0x2406d9dc56dffULL };
static const fe fe_sqrtm1 = { 0x61b274a0ea0b0ULL, 0x0d5a5fc8f189dULL, 0x7ef5e9cbd0c60ULL, 0x78595a6804c9eULL, 0x2b8324804fc1dULL };
static const fe fe_invsqrt_a_minus_d = { 0x0fdaa805d40eaULL, 0x2eb482e57d339ULL, 0x007610274bc58ULL, 0x6510b613dc8ffULL, 0x786c8905cfaffULL };
static const fe fe_sqrt_ad_minus_one = { 0x7f6a0497b2e1bULL, 0x1836f0a97afd2ULL, 0x7d747f6be7638ULL, 0x456079e7e6498ULL, 0x376931bf2b834ULL };
static const fe fe_one_minus_d_sq = { 0x409c1945fc176ULL, 0x719abc6a1fc4fULL, 0x1c37f90b20684ULL, 0x06bccca55eedfULL, 0x029072a8b2b3eULL };
static const fe fe_d_minus_one_sq = { 0x55aaa44ed4d20ULL, 0x59603c3332635ULL, 0x26d3baf4a7928ULL, 0x120a66e6997a9ULL, 0x5968b37af66c2ULL };

static inline void fe_0(fe h) { h[0] = h[1] = h[2] = h[3] = h[4] = 0; }

static inline void fe_1(fe h) { h[0] = 1; h[1] = h[2] = h[3] = h[4] = 0; }

static inline void fe_copy(fe h, const fe f)
{
    h[0] = f[0]; h[1] = f[1]; h[2] = f[2]; h[3] = f[3]; h[4] = f[4];
}

/* Weak reduction: each carry is taken from the input limb before any limb
 * changes, so this works for any limbs < 2^64; the top carry re-enters
 * limb 0 times 19 since 2^255 = 19 (mod p). */
static inline void fe_carry(fe h, const fe f)
{
    uint64_t c0 = f[0] >> 51, c1 = f[1] >> 51, c2 = f[2] >> 51;
    uint64_t c3 = f[3] >> 51, c4 = f[4] >> 51;
    h[0] = (f[0] & FE51_MASK) + c4 * 19;
    h[1] = (f[1] & FE51_MASK) + c0;
    h[2] = (f[2] & FE51_MASK) + c1;
    h[3] = (f[3] & FE51_MASK) + c2;
    h[4] = (f[4] & FE51_MASK) + c3;
}

static inline void fe_add(fe h, const fe f, const fe g)
{
    h[0] = f[0] + g[0]; h[1] = f[1] + g[1]; h[2] = f[2] + g[2];
    h[3] = f[3] + g[3]; h[4] = f[4] + g[4];
}

static inline void fe_sub(fe h, const fe f, const fe g)
{
    /* 16p in radix 2^51: limb 0 is 16*(2^51 - 19), the rest 16*(2^51 - 1). */
    fe t;
    t[0] = (f[0] + 0x7ffffffffffed0ULL) - g[0];
    t[1] = (f[1] + 0x7ffffffffffff0ULL) - g[1];
    t[2] = (f[2] + 0x7ffffffffffff0ULL) - g[2];
    t[3] = (f[3] + 0x7ffffffffffff0ULL) - g[3];
    t[4] = (f[4] + 0x7ffffffffffff0ULL) - g[4];
    fe_carry(h, t);
}

static inline void fe_neg(fe h, const fe f)
{
    fe z;
    fe_0(z);
    fe_sub(h, z, f);
}

/* Carry a 128-bit accumulator vector into five reduced limbs. */
static inline void fe51_carry_wide(fe h, privbill_u128 r0, privbill_u128 r1,
                                   privbill_u128 r2, privbill_u128 r3,
                                   privbill_u128 r4)
{
    uint64_t c;
    r1 += (uint64_t)(r0 >> 51); r0 &= FE51_MASK;
    r2 += (uint64_t)(r1 >> 51); r1 &= FE51_MASK;
    r3 += (uint64_t)(r2 >> 51); r2 &= FE51_MASK;
    r4 += (uint64_t)(r3 >> 51); r3 &= FE51_MASK;
    c = (uint64_t)(r4 >> 51);   r4 &= FE51_MASK;
    /* inputs < 2^54 give r4 < 2^111, so c < 2^60 and c*19 < 2^65 */
    r0 += (privbill_u128)c * 19;
    c = (uint64_t)(r0 >> 51);   r0 &= FE51_MASK;
    h[0] = (uint64_t)r0;
    h[1] = (uint64_t)r1 + c;    /* < 2^51 + 2^15 */
    h[2] = (uint64_t)r2;
    h[3] = (uint64_t)r3;
    h[4] = (uint64_t)r4;
}

static inline void fe_mul(fe h, const fe f, const fe g)
{
    const uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    const uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    /* limbs above 2^255 wrap around times 19 */
    const uint64_t g1_19 = g1 * 19, g2_19 = g2 * 19, g3_19 = g3 * 19, g4_19 = g4 * 19;
    privbill_u128 r0, r1, r2, r3, r4;

    r0 = (privbill_u128)f0 * g0 + (privbill_u128)f1 * g4_19 + (privbill_u128)f2 * g3_19
       + (privbill_u128)f3 * g2_19 + (privbill_u128)f4 * g1_19;
    r1 = (privbill_u128)f0 * g1 + (privbill_u128)f1 * g0 + (privbill_u128)f2 * g4_19
       + (privbill_u128)f3 * g3_19 + (privbill_u128)f4 * g2_19;
    r2 = (privbill_u128)f0 * g2 + (privbill_u128)f1 * g1 + (privbill_u128)f2 * g0
       + (privbill_u128)f3 * g4_19 + (privbill_u128)f4 * g3_19;
    r3 = (privbill_u128)f0 * g3 + (privbill_u128)f1 * g2 + (privbill_u128)f2 * g1
       + (privbill_u128)f3 * g0 + (privbill_u128)f4 * g4_19;
    r4 = (privbill_u128)f0 * g4 + (privbill_u128)f1 * g3 + (privbill_u128)f2 * g2
       + (privbill_u128)f3 * g1 + (privbill_u128)f4 * g0;
    fe51_carry_wide(h, r0, r1, r2, r3, r4);
}

static inline void fe_sq(fe h, const fe f)
{
    const uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    const uint64_t f0_2 = f0 * 2, f1_2 = f1 * 2;
    const uint64_t f3_19 = f3 * 19, f4_19 = f4 * 19;
    privbill_u128 r0, r1, r2, r3, r4;

    r0 = (privbill_u128)f0 * f0 + (privbill_u128)(f1_2) * f4_19 + (privbill_u128)(f2 * 2) * f3_19;
    r1 = (privbill_u128)f0_2 * f1 + (privbill_u128)(f2 * 2) * f4_19 + (privbill_u128)f3 * f3_19;
    r2 = (privbill_u128)f0_2 * f2 + (privbill_u128)f1 * f1 + (privbill_u128)(f3 * 2) * f4_19;
    r3 = (privbill_u128)f0_2 * f3 + (privbill_u128)f1_2 * f2 + (privbill_u128)f4 * f4_19;
    r4 = (privbill_u128)f0_2 * f4 + (privbill_u128)f1_2 * f3 + (privbill_u128)f2 * f2;
    fe51_carry_wide(h, r0, r1, r2, r3, r4);
}

static inline void fe_sq2(fe h, const fe f)
{
    fe t;
    fe_sq(t, f);
    fe_add(t, t, t);
    fe_carry(h, t);
}

static inline void fe_frombytes(fe h, const uint8_t s[32])
{
    uint64_t w[4];
    int i, j;
    for (i = 0; i < 4; i++) {
        w[i] = 0;
        for (j = 7; j >= 0; j--) w[i] = (w[i] << 8) | s[8 * i + j];
    }
    h[0] = w[0] & FE51_MASK;
    h[1] = ((w[0] >> 51) | (w[1] << 13)) & FE51_MASK;
    h[2] = ((w[1] >> 38) | (w[2] << 26)) & FE51_MASK;
    h[3] = ((w[2] >> 25) | (w[3] << 39)) & FE51_MASK;
    h[4] = (w[3] >> 12) & FE51_MASK; /* drops bit 255 */
}

static inline void fe_tobytes(uint8_t s[32], const fe f)
{
    fe h;
    uint64_t q, w[4];
    int i, j;

    fe_carry(h, f);
    fe_carry(h, h); /* limbs < 2^51 + 19*2: value < 2p */
    /* q = 1 iff h >= p, found by propagating the carry of h + 19 */
    q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    /* h - q*p = h + 19q - q*2^255 */
    h[0] += 19 * q;
    h[1] += h[0] >> 51; h[0] &= FE51_MASK;
    h[2] += h[1] >> 51; h[1] &= FE51_MASK;
    h[3] += h[2] >> 51; h[2] &= FE51_MASK;
    h[4] += h[3] >> 51; h[3] &= FE51_MASK;
    h[4] &= FE51_MASK;

    w[0] = h[0] | (h[1] << 51);
    w[1] = (h[1] >> 13) | (h[2] << 38);
    w[2] = (h[2] >> 26) | (h[3] << 25);
    w[3] = (h[3] >> 39) | (h[4] << 12);
    for (i = 0; i < 4; i++)
        for (j = 0; j < 8; j++) s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

static inline void fe_cmov(fe f, const fe g, unsigned int b)
{
    /* all ones or zero; read once through volatile so the compiler cannot
     * turn the select back into a branch on b */
    volatile uint64_t opaque = (uint64_t)0 - (uint64_t)b;
    const uint64_t mask = opaque;
    int i;
    for (i = 0; i < 5; i++) f[i] ^= mask & (f[i] ^ g[i]);
}

static inline void fe_cswap(fe f, fe g, unsigned int b)
{
    volatile uint64_t opaque = (uint64_t)0 - (uint64_t)b;
    const uint64_t mask = opaque;
    uint64_t x;
    int i;
    for (i = 0; i < 5; i++) {
        x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

#endif
