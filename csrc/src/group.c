/*
 * Edwards group arithmetic, point encodings (Ed25519 and ristretto255) and
 * constant-time variable-base scalar multiplication. Representations are
 * described in group.h.
 */
#include "group.h"
#include "util.h"

/* 1 if the 32-byte strings differ, 0 if equal; no early exit. */
static int ct_differ32(const uint8_t a[32], const uint8_t b[32])
{
    unsigned int acc = 0;
    int i;
    for (i = 0; i < 32; i++) acc |= (unsigned int)(a[i] ^ b[i]);
    return (int)(((acc - 1) >> 8) & 1) ^ 1;
}

void ge_p3_0(ge_p3 *h)
{
    fe_0(h->X);
    fe_1(h->Y);
    fe_1(h->Z);
    fe_0(h->T);
}

void ge_p3_to_p2(ge_p2 *r, const ge_p3 *p)
{
    fe_copy(r->X, p->X);
    fe_copy(r->Y, p->Y);
    fe_copy(r->Z, p->Z);
}

void ge_p3_to_cached(ge_cached *r, const ge_p3 *p)
{
    fe t;
    fe_add(t, p->Y, p->X);
    fe_carry(r->YplusX, t);
    fe_sub(r->YminusX, p->Y, p->X);
    fe_copy(r->Z, p->Z);
    fe_mul(r->T2d, p->T, fe_d2);
}

void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p)
{
    fe_mul(r->X, p->X, p->T);
    fe_mul(r->Y, p->Y, p->Z);
    fe_mul(r->Z, p->Z, p->T);
}

void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p)
{
    fe_mul(r->X, p->X, p->T);
    fe_mul(r->Y, p->Y, p->Z);
    fe_mul(r->Z, p->Z, p->T);
    fe_mul(r->T, p->X, p->Y);
}

/* dbl-2008-hwcd: A = X^2, B = Y^2, C = 2Z^2, with a = -1. */
void ge_p2_dbl(ge_p1p1 *r, const ge_p2 *p)
{
    fe t0;
    fe_sq(r->X, p->X);              /* A */
    fe_sq(r->Z, p->Y);              /* B */
    fe_sq2(r->T, p->Z);             /* C */
    fe_add(r->Y, p->X, p->Y);
    fe_sq(t0, r->Y);                /* (X+Y)^2 */
    fe_add(r->Y, r->Z, r->X);       /* B + A */
    fe_sub(r->Z, r->Z, r->X);       /* B - A */
    fe_sub(r->X, t0, r->Y);         /* (X+Y)^2 - A - B = 2XY */
    fe_sub(r->T, r->T, r->Z);       /* C - (B - A) */
}

void ge_p3_dbl(ge_p1p1 *r, const ge_p3 *p)
{
    ge_p2 q;
    ge_p3_to_p2(&q, p);
    ge_p2_dbl(r, &q);
}

/* add-2008-hwcd-3 with k = 2d precomputed in the cached addend. */
void ge_add(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q)
{
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->YplusX);  /* B = (Y1+X1)(Y2+X2) */
    fe_mul(r->Y, r->Y, q->YminusX); /* A = (Y1-X1)(Y2-X2) */
    fe_mul(r->T, q->T2d, p->T);     /* C = 2d T1 T2 */
    fe_mul(r->X, p->Z, q->Z);
    fe_add(t0, r->X, r->X);         /* D = 2 Z1 Z2 */
    fe_sub(r->X, r->Z, r->Y);       /* E = B - A */
    fe_add(r->Y, r->Z, r->Y);       /* H = B + A */
    fe_add(r->Z, t0, r->T);         /* G = D + C */
    fe_sub(r->T, t0, r->T);         /* F = D - C */
}

/* p - q: q negated is (Y-X, Y+X, Z, -2dT), so swap and flip the signs of C. */
void ge_sub(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q)
{
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->YminusX);
    fe_mul(r->Y, r->Y, q->YplusX);
    fe_mul(r->T, q->T2d, p->T);
    fe_mul(r->X, p->Z, q->Z);
    fe_add(t0, r->X, r->X);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_sub(r->Z, t0, r->T);
    fe_add(r->T, t0, r->T);
}

/* Mixed addition: the addend is affine (Z2 = 1), saving one multiplication. */
void ge_madd(ge_p1p1 *r, const ge_p3 *p, const ge_precomp *q)
{
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->yplusx);
    fe_mul(r->Y, r->Y, q->yminusx);
    fe_mul(r->T, q->xy2d, p->T);
    fe_add(t0, p->Z, p->Z);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_add(r->Z, t0, r->T);
    fe_sub(r->T, t0, r->T);
}

void ge_msub(ge_p1p1 *r, const ge_p3 *p, const ge_precomp *q)
{
    fe t0;
    fe_add(r->X, p->Y, p->X);
    fe_sub(r->Y, p->Y, p->X);
    fe_mul(r->Z, r->X, q->yminusx);
    fe_mul(r->Y, r->Y, q->yplusx);
    fe_mul(r->T, q->xy2d, p->T);
    fe_add(t0, p->Z, p->Z);
    fe_sub(r->X, r->Z, r->Y);
    fe_add(r->Y, r->Z, r->Y);
    fe_sub(r->Z, t0, r->T);
    fe_add(r->T, t0, r->T);
}

void ge_p3_add(ge_p3 *r, const ge_p3 *p, const ge_p3 *q)
{
    ge_cached c;
    ge_p1p1 t;
    ge_p3_to_cached(&c, q);
    ge_add(&t, p, &c);
    ge_p1p1_to_p3(r, &t);
}

int ge_p3_is_identity(const ge_p3 *h)
{
    return fe_iszero(h->X) & fe_isequal(h->Y, h->Z);
}

/* ------------------------------------------------------------------ */
/* Ed25519 encoding (RFC 8032 sections 5.1.2 and 5.1.3)                */
/* ------------------------------------------------------------------ */

void ge_p3_tobytes(uint8_t s[32], const ge_p3 *h)
{
    fe recip, x, y;
    fe_invert(recip, h->Z);
    fe_mul(x, h->X, recip);
    fe_mul(y, h->Y, recip);
    fe_tobytes(s, y);
    s[31] ^= (uint8_t)(fe_isnegative(x) << 7);
}

/* Used on public keys and signature points only. */
int ge_p3_frombytes(ge_p3 *h, const uint8_t s[32])
{
    uint8_t check[32];
    fe u, v, x;
    int x_sign = s[31] >> 7, was_square, bad;

    fe_frombytes(h->Y, s);
    fe_tobytes(check, h->Y);
    check[31] |= (uint8_t)(x_sign << 7);
    bad = ct_differ32(check, s);   /* y >= p */

    fe_1(h->Z);
    fe_sq(u, h->Y);
    fe_mul(v, u, fe_d);
    fe_sub(u, u, h->Z);             /* u = y^2 - 1 */
    fe_add(v, v, h->Z);             /* v = d y^2 + 1 */
    was_square = fe_sqrt_ratio_m1(x, u, v);   /* x = +sqrt(u/v) */
    bad |= !was_square;
    /* x = 0 with the sign bit set is the non-canonical encoding of x = 0 */
    bad |= fe_iszero(x) & x_sign;
    fe_cneg(h->X, x, (unsigned int)(fe_isnegative(x) ^ x_sign));
    fe_mul(h->T, h->X, h->Y);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* ristretto255 (RFC 9496 section 4.3)                                 */
/* ------------------------------------------------------------------ */

/*
 * 4.3.1 Decode. Every failure condition is OR-ed into one flag.
 *
 * With hint != NULL the inverse square root of v*u2^2 is taken from the hint
 * and checked (hint^2 * v * u2^2 == 1) instead of computed: two
 * multiplications instead of an exponentiation. Either root works: x is
 * made non-negative and y depends on hint^2 only. A wrong hint fails the
 * check and then this returns -2, so the caller can decode without it.
 */
static int ristretto_decode(ge_p3 *h, const uint8_t s_bytes[32], const uint8_t *hint,
                            uint8_t *hint_out)
{
    uint8_t check[32];
    fe s, ss, u1, u2, u2_sqr, v, one, invsqrt, den_x, den_y, t;
    int bad, was_square;

    /* s must be a canonical, non-negative field element encoding */
    fe_frombytes(s, s_bytes);
    fe_tobytes(check, s);
    bad = ct_differ32(check, s_bytes);
    bad |= fe_isnegative(s);

    fe_1(one);
    fe_sq(ss, s);
    fe_sub(u1, one, ss);                /* u1 = 1 - s^2 */
    fe_add(u2, one, ss);                /* u2 = 1 + s^2 */
    fe_carry(u2, u2);
    fe_sq(u2_sqr, u2);

    fe_sq(v, u1);
    fe_mul(v, v, fe_d);
    fe_neg(v, v);
    fe_sub(v, v, u2_sqr);               /* v = -(D * u1^2) - u2^2 */

    fe_mul(t, v, u2_sqr);
    if (hint) {
        fe hint_check;
        fe_frombytes(invsqrt, hint);
        fe_sq(hint_check, invsqrt);
        fe_mul(hint_check, hint_check, t);
        if (!fe_isequal(hint_check, one)) return -2;
        was_square = 1;
    } else {
        was_square = fe_sqrt_ratio_m1(invsqrt, one, t);
        if (hint_out) fe_tobytes(hint_out, invsqrt);
    }

    fe_mul(den_x, invsqrt, u2);
    fe_mul(den_y, invsqrt, den_x);
    fe_mul(den_y, den_y, v);

    fe_mul(h->X, s, den_x);
    fe_add(h->X, h->X, h->X);
    fe_abs(h->X, h->X);                 /* x = |2 s den_x| */
    fe_mul(h->Y, u1, den_y);            /* y = u1 den_y */
    fe_1(h->Z);
    fe_mul(h->T, h->X, h->Y);

    bad |= !was_square;
    bad |= fe_isnegative(h->T);
    bad |= fe_iszero(h->Y);
    return bad ? -1 : 0;
}

int ge_ristretto_frombytes(ge_p3 *h, const uint8_t s[32])
{
    return ristretto_decode(h, s, NULL, NULL);
}

int ge_ristretto_frombytes_hinted_vartime(ge_p3 *h, const uint8_t s[32], const uint8_t hint[32])
{
    int r = ristretto_decode(h, s, hint, NULL);
    return r == -2 ? ristretto_decode(h, s, NULL, NULL) : r;
}

/* The hint for s: the inverse square root its decoding computes, or -1. */
int ge_ristretto_decode_hint(uint8_t hint[32], const uint8_t s[32])
{
    ge_p3 h;
    return ristretto_decode(&h, s, NULL, hint);
}

/* 4.3.2 Encode. */
void ge_ristretto_tobytes(uint8_t s[32], const ge_p3 *h)
{
    fe u1, u2, t, one, invsqrt, den1, den2, z_inv, ix0, iy0, enchanted;
    fe x, y, den_inv;
    unsigned int rotate;

    fe_add(t, h->Z, h->Y);
    fe_sub(u1, h->Z, h->Y);
    fe_mul(u1, t, u1);                  /* u1 = (z0 + y0)(z0 - y0) */
    fe_mul(u2, h->X, h->Y);             /* u2 = x0 y0 */

    fe_sq(t, u2);
    fe_mul(t, t, u1);
    fe_1(one);
    (void)fe_sqrt_ratio_m1(invsqrt, one, t);   /* always square here */

    fe_mul(den1, invsqrt, u1);
    fe_mul(den2, invsqrt, u2);
    fe_mul(z_inv, den1, den2);
    fe_mul(z_inv, z_inv, h->T);         /* z_inv = den1 den2 t0 */

    fe_mul(ix0, h->X, fe_sqrtm1);
    fe_mul(iy0, h->Y, fe_sqrtm1);
    fe_mul(enchanted, den1, fe_invsqrt_a_minus_d);

    fe_mul(t, h->T, z_inv);
    rotate = (unsigned int)fe_isnegative(t);

    fe_copy(x, h->X);
    fe_copy(y, h->Y);
    fe_cmov(x, iy0, rotate);
    fe_cmov(y, ix0, rotate);
    fe_copy(den_inv, den2);
    fe_cmov(den_inv, enchanted, rotate);

    fe_mul(t, x, z_inv);
    fe_cneg(y, y, (unsigned int)fe_isnegative(t));

    fe_sub(t, h->Z, y);
    fe_mul(t, den_inv, t);
    fe_abs(t, t);                       /* s = |den_inv (z - y)| */
    fe_tobytes(s, t);
}

/* 4.3.3 Equals: x1 y2 == y1 x2 or y1 y2 == x1 x2. */
int ge_ristretto_equal(const ge_p3 *p, const ge_p3 *q)
{
    fe a, b;
    int r;
    fe_mul(a, p->X, q->Y);
    fe_mul(b, p->Y, q->X);
    r = fe_isequal(a, b);
    fe_mul(a, p->Y, q->Y);
    fe_mul(b, p->X, q->X);
    return r | fe_isequal(a, b);
}

/* 4.3.4 MAP: one Elligator 2 map from a field element to the group. */
static void ristretto_map(ge_p3 *h, const fe t)
{
    fe r, u, v, s, s_prime, c, n, w0, w1, w2, w3, one, tmp;
    int was_square;

    fe_1(one);
    fe_sq(r, t);
    fe_mul(r, r, fe_sqrtm1);            /* r = SQRT_M1 t^2 */
    fe_add(u, r, one);
    fe_mul(u, u, fe_one_minus_d_sq);    /* u = (r + 1) ONE_MINUS_D_SQ */
    fe_mul(tmp, r, fe_d);
    fe_neg(tmp, tmp);
    fe_sub(tmp, tmp, one);              /* -1 - r D */
    fe_add(v, r, fe_d);
    fe_mul(v, tmp, v);                  /* v = (-1 - r D)(r + D) */

    was_square = fe_sqrt_ratio_m1(s, u, v);
    fe_mul(s_prime, s, t);
    fe_abs(s_prime, s_prime);
    fe_neg(s_prime, s_prime);           /* s' = -|s t| */
    fe_cmov(s, s_prime, (unsigned int)!was_square);
    fe_neg(c, one);
    fe_cmov(c, r, (unsigned int)!was_square);

    fe_sub(tmp, r, one);
    fe_mul(n, c, tmp);
    fe_mul(n, n, fe_d_minus_one_sq);
    fe_sub(n, n, v);                    /* N = c (r - 1) D_MINUS_ONE_SQ - v */

    fe_mul(w0, s, v);
    fe_add(w0, w0, w0);                 /* w0 = 2 s v */
    fe_mul(w1, n, fe_sqrt_ad_minus_one);
    fe_sq(tmp, s);
    fe_sub(w2, one, tmp);               /* w2 = 1 - s^2 */
    fe_add(w3, one, tmp);               /* w3 = 1 + s^2 */
    fe_carry(w3, w3);

    fe_mul(h->X, w0, w3);
    fe_mul(h->Y, w2, w1);
    fe_mul(h->Z, w1, w3);
    fe_mul(h->T, w0, w2);
}

void ge_ristretto_from_uniform(ge_p3 *h, const uint8_t r[64])
{
    fe t;
    ge_p3 p1, p2;
    fe_frombytes(t, r);                 /* drops the top bit, as 4.3.4 asks */
    ristretto_map(&p1, t);
    fe_frombytes(t, r + 32);
    ristretto_map(&p2, t);
    ge_p3_add(h, &p1, &p2);
}

/* ------------------------------------------------------------------ */
/* Constant-time variable-base scalar multiplication                   */
/* ------------------------------------------------------------------ */

/* Signed radix-16 digits e[0..63] in [-8, 8] with s = sum e[i] 16^i.
 * Needs s < 2^255 (s[31] <= 127). No branch on the digits. */
void ge_signed_radix16(signed char e[64], const uint8_t s[32])
{
    int i;
    signed char carry = 0;
    for (i = 0; i < 32; i++) {
        e[2 * i] = (signed char)(s[i] & 15);
        e[2 * i + 1] = (signed char)((s[i] >> 4) & 15);
    }
    for (i = 0; i < 63; i++) {
        e[i] = (signed char)(e[i] + carry);
        /* e[i] in [0, 16]: e[i] + 8 >= 0, so the shift is well defined */
        carry = (signed char)((e[i] + 8) >> 4);
        e[i] = (signed char)(e[i] - carry * 16);
    }
    e[63] = (signed char)(e[63] + carry);
}

/* 1 if b == c, else 0, without a branch (b, c in [0, 255]). */
static unsigned int ct_equal_u8(unsigned int b, unsigned int c)
{
    uint32_t x = (uint32_t)(b ^ c);
    return (unsigned int)((x - 1) >> 31);
}

/* 1 if b < 0 (b in [-128, 127]), without a branch. */
static unsigned int ct_negative(signed char b)
{
    return (unsigned int)(((uint32_t)(int32_t)b) >> 31);
}

static void ge_cached_0(ge_cached *r)
{
    fe_1(r->YplusX);
    fe_1(r->YminusX);
    fe_1(r->Z);
    fe_0(r->T2d);
}

static void ge_cached_cmov(ge_cached *t, const ge_cached *u, unsigned int b)
{
    fe_cmov(t->YplusX, u->YplusX, b);
    fe_cmov(t->YminusX, u->YminusX, b);
    fe_cmov(t->Z, u->Z, b);
    fe_cmov(t->T2d, u->T2d, b);
}

/* t = b * P from table[j] = (j+1) P, scanning every entry. */
static void ge_cached_select(ge_cached *t, const ge_cached table[8], signed char b)
{
    ge_cached minus;
    unsigned int bneg = ct_negative(b);
    unsigned int babs = (unsigned int)(b - (signed char)((-(int)bneg) & b) * 2);
    unsigned int j;

    ge_cached_0(t);
    for (j = 0; j < 8; j++) ge_cached_cmov(t, &table[j], ct_equal_u8(babs, j + 1));
    fe_copy(minus.YplusX, t->YminusX);
    fe_copy(minus.YminusX, t->YplusX);
    fe_copy(minus.Z, t->Z);
    fe_neg(minus.T2d, t->T2d);
    ge_cached_cmov(t, &minus, bneg);
}

void ge_scalarmult(ge_p3 *h, const uint8_t s[32], const ge_p3 *p)
{
    signed char e[64];
    ge_cached table[8], t;
    ge_p1p1 r;
    ge_p2 q;
    ge_p3 u;
    int i;

    ge_signed_radix16(e, s);

    /* table[j] = (j + 1) P */
    ge_p3_to_cached(&table[0], p);
    for (i = 0; i < 7; i++) {
        ge_add(&r, p, &table[i]);
        ge_p1p1_to_p3(&u, &r);
        ge_p3_to_cached(&table[i + 1], &u);
    }

    ge_p3_0(h);
    for (i = 63; i >= 0; i--) {
        ge_p3_to_p2(&q, h);
        ge_p2_dbl(&r, &q); ge_p1p1_to_p2(&q, &r);
        ge_p2_dbl(&r, &q); ge_p1p1_to_p2(&q, &r);
        ge_p2_dbl(&r, &q); ge_p1p1_to_p2(&q, &r);
        ge_p2_dbl(&r, &q); ge_p1p1_to_p3(&u, &r);
        ge_cached_select(&t, table, e[i]);
        ge_add(&r, &u, &t);
        ge_p1p1_to_p3(h, &r);
    }
    privbill_wipe(e, sizeof e);
    privbill_wipe(table, sizeof table);
    privbill_wipe(&t, sizeof t);
}
