/* GF(2^255 - 19): the functions written once over either backend. */
#include "field.h"

int fe_isnegative(const fe f)
{
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

int fe_iszero(const fe f)
{
    uint8_t s[32];
    unsigned int acc = 0;
    int i;
    fe_tobytes(s, f);
    for (i = 0; i < 32; i++) acc |= s[i];
    /* acc in [0, 255]: (acc - 1) >> 8 is 1 exactly when acc == 0 */
    return (int)(((acc - 1) >> 8) & 1);
}

int fe_isequal(const fe f, const fe g)
{
    fe t;
    fe_sub(t, f, g);
    return fe_iszero(t);
}

void fe_cneg(fe h, const fe f, unsigned int b)
{
    fe n;
    fe_neg(n, f);
    fe_copy(h, f);
    fe_cmov(h, n, b);
}

void fe_abs(fe h, const fe f)
{
    fe_cneg(h, f, (unsigned int)fe_isnegative(f));
}

/* z^(2^250 - 1), the common prefix of invert and pow22523; also returns
 * z^11 in z11 for invert. Addition chain as in the ref10 family. */
static void fe_pow2_250_1(fe out, fe z11, const fe z)
{
    fe t0, t1, t2;
    int i;

    fe_sq(t0, z);                                   /* 2 */
    fe_sq(t1, t0); fe_sq(t1, t1);                   /* 8 */
    fe_mul(t1, z, t1);                              /* 9 */
    fe_mul(z11, t0, t1);                            /* 11 */
    fe_sq(t0, z11);                                 /* 22 */
    fe_mul(t0, t1, t0);                             /* 2^5 - 1 */
    fe_sq(t1, t0); for (i = 1; i < 5; i++) fe_sq(t1, t1);
    fe_mul(t0, t1, t0);                             /* 2^10 - 1 */
    fe_sq(t1, t0); for (i = 1; i < 10; i++) fe_sq(t1, t1);
    fe_mul(t1, t1, t0);                             /* 2^20 - 1 */
    fe_sq(t2, t1); for (i = 1; i < 20; i++) fe_sq(t2, t2);
    fe_mul(t1, t2, t1);                             /* 2^40 - 1 */
    fe_sq(t1, t1); for (i = 1; i < 10; i++) fe_sq(t1, t1);
    fe_mul(t0, t1, t0);                             /* 2^50 - 1 */
    fe_sq(t1, t0); for (i = 1; i < 50; i++) fe_sq(t1, t1);
    fe_mul(t1, t1, t0);                             /* 2^100 - 1 */
    fe_sq(t2, t1); for (i = 1; i < 100; i++) fe_sq(t2, t2);
    fe_mul(t1, t2, t1);                             /* 2^200 - 1 */
    fe_sq(t1, t1); for (i = 1; i < 50; i++) fe_sq(t1, t1);
    fe_mul(out, t1, t0);                            /* 2^250 - 1 */
}

void fe_invert(fe out, const fe z)
{
    fe t, z11;
    int i;
    fe_pow2_250_1(t, z11, z);
    for (i = 0; i < 5; i++) fe_sq(t, t);            /* 2^255 - 2^5 */
    fe_mul(out, t, z11);                            /* 2^255 - 21 = p - 2 */
}

void fe_pow22523(fe out, const fe z)
{
    fe t, z11;
    fe_pow2_250_1(t, z11, z);
    fe_sq(t, t); fe_sq(t, t);                       /* 2^252 - 4 */
    fe_mul(out, t, z);                              /* 2^252 - 3 = (p-5)/8 */
}

/* RFC 9496 section 4.2, SQRT_RATIO_M1, step by step. */
int fe_sqrt_ratio_m1(fe out, const fe u, const fe v)
{
    fe r, v3, v7, t, check, u_neg, u_neg_i, r_prime;
    int correct_sign, flipped_sign, flipped_sign_i, was_square;

    fe_sq(v3, v);
    fe_mul(v3, v3, v);                  /* v^3 */
    fe_sq(v7, v3);
    fe_mul(v7, v7, v);                  /* v^7 */
    fe_mul(t, u, v7);
    fe_pow22523(t, t);                  /* (u*v^7)^((p-5)/8) */
    fe_mul(t, t, v3);
    fe_mul(r, t, u);                    /* r = (u*v^3) * (u*v^7)^((p-5)/8) */

    fe_sq(check, r);
    fe_mul(check, check, v);            /* check = v * r^2 */

    fe_neg(u_neg, u);
    fe_mul(u_neg_i, u_neg, fe_sqrtm1);
    correct_sign = fe_isequal(check, u);
    flipped_sign = fe_isequal(check, u_neg);
    flipped_sign_i = fe_isequal(check, u_neg_i);

    fe_mul(r_prime, r, fe_sqrtm1);
    fe_cmov(r, r_prime, (unsigned int)(flipped_sign | flipped_sign_i));
    fe_abs(r, r);                       /* choose the non-negative root */

    was_square = correct_sign | flipped_sign;
    fe_copy(out, r);                    /* last: out may alias u or v */
    return was_square;
}
