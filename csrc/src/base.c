/*
 * Fixed-base scalar multiplication for the two Pedersen generators: G (the
 * ristretto255 / Ed25519 base point) and H. Tables come from tables.h,
 * written by csrc/tools/gen_tables.c.
 *
 * Full tables (the default): T[i][j] = (j+1) * 256^i * P, affine, for
 * i < 32. With signed radix-16 digits e[k], s*P = sum_i e[2i] T[i] +
 * 16 * sum_i e[2i+1] T[i]: 64 mixed additions and 4 doublings.
 * PRIVBILL_SMALL_TABLES keeps only row 0 (1P..8P, under 1 KB per base) and
 * runs Horner's rule over the digits: 252 doublings, 64 additions.
 */
#include "group.h"
#include "tables.h"
#include "util.h"

static unsigned int ct_equal_small(unsigned int b, unsigned int c)
{
    uint32_t x = (uint32_t)(b ^ c);
    return (unsigned int)((x - 1) >> 31);
}

static void precomp_0(ge_precomp *t)
{
    fe_1(t->yplusx);
    fe_1(t->yminusx);
    fe_0(t->xy2d);
}

static void precomp_cmov(ge_precomp *t, const ge_precomp *u, unsigned int b)
{
    fe_cmov(t->yplusx, u->yplusx, b);
    fe_cmov(t->yminusx, u->yminusx, b);
    fe_cmov(t->xy2d, u->xy2d, b);
}

/* t = b * row[0], b in [-8, 8]: every entry is read, the choice is masked. */
static void precomp_select(ge_precomp *t, const ge_precomp row[8], signed char b)
{
    ge_precomp minus;
    unsigned int bneg = (unsigned int)(((uint32_t)(int32_t)b) >> 31);
    unsigned int babs = (unsigned int)(b - (signed char)((-(int)bneg) & b) * 2);
    unsigned int j;

    precomp_0(t);
    for (j = 0; j < 8; j++) precomp_cmov(t, &row[j], ct_equal_small(babs, j + 1));
    fe_copy(minus.yplusx, t->yminusx);
    fe_copy(minus.yminusx, t->yplusx);
    fe_neg(minus.xy2d, t->xy2d);
    precomp_cmov(t, &minus, bneg);
}

static void dbl4(ge_p3 *h)
{
    ge_p1p1 r;
    ge_p2 q;
    ge_p3_to_p2(&q, h);
    ge_p2_dbl(&r, &q); ge_p1p1_to_p2(&q, &r);
    ge_p2_dbl(&r, &q); ge_p1p1_to_p2(&q, &r);
    ge_p2_dbl(&r, &q); ge_p1p1_to_p2(&q, &r);
    ge_p2_dbl(&r, &q); ge_p1p1_to_p3(h, &r);
}

/*
 * h = sum e[k] 16^k P for k < ndigits, constant time in the digits
 * (ndigits is public). table is the generator's table from tables.h.
 */
static void fixed_base(ge_p3 *h, const ge_precomp table[][8], const signed char *e,
                       int ndigits)
{
    ge_precomp t;
    ge_p1p1 r;
    int i;

    ge_p3_0(h);
#ifdef PRIVBILL_SMALL_TABLES
    for (i = ndigits - 1; i >= 0; i--) {
        dbl4(h);
        precomp_select(&t, table[0], e[i]);
        ge_madd(&r, h, &t);
        ge_p1p1_to_p3(h, &r);
    }
#else
    for (i = 1; i < ndigits; i += 2) {
        precomp_select(&t, table[i / 2], e[i]);
        ge_madd(&r, h, &t);
        ge_p1p1_to_p3(h, &r);
    }
    dbl4(h);
    for (i = 0; i < ndigits; i += 2) {
        precomp_select(&t, table[i / 2], e[i]);
        ge_madd(&r, h, &t);
        ge_p1p1_to_p3(h, &r);
    }
#endif
    privbill_wipe(&t, sizeof t);
}

void ge_scalarmult_base(ge_p3 *h, const uint8_t s[32])
{
    signed char e[64];
    ge_signed_radix16(e, s);
    fixed_base(h, privbill_table_G, e, 64);
    privbill_wipe(e, sizeof e);
}

void ge_scalarmult_h(ge_p3 *h, const uint8_t s[32])
{
    signed char e[64];
    ge_signed_radix16(e, s);
    fixed_base(h, privbill_table_H, e, 64);
    privbill_wipe(e, sizeof e);
}

/*
 * value*G + blinding*H. A 64-bit value has 16 radix-16 digits plus one
 * carry digit, so its half costs 17 additions instead of 64; the digit
 * count depends only on the type, never on the value.
 */
void ge_commit(ge_p3 *h, uint64_t value, const uint8_t blinding[32])
{
    uint8_t v[32] = {0};
    signed char e[64];
    ge_p3 a, b;

    privbill_store64_le(v, value);
    ge_signed_radix16(e, v);
    fixed_base(&a, privbill_table_G, e, 17);
    ge_signed_radix16(e, blinding);
    fixed_base(&b, privbill_table_H, e, 64);
    ge_p3_add(h, &a, &b);
    privbill_wipe(v, sizeof v);
    privbill_wipe(e, sizeof e);
    privbill_wipe(&a, sizeof a);
    privbill_wipe(&b, sizeof b);
}

/* Public scalars: the same tables, indexed directly. */
static void fixed_base_vartime(ge_p3 *h, const ge_precomp table[][8], const uint8_t s[32])
{
    signed char e[64];
    ge_precomp t;
    ge_p1p1 r;
    int i;

    ge_signed_radix16(e, s);
#ifdef PRIVBILL_SMALL_TABLES
    fixed_base(h, table, e, 64);
    (void)t; (void)r; (void)i;
#else
    ge_p3_0(h);
    for (i = 1; i < 64; i += 2) {
        if (e[i] > 0) {
            ge_madd(&r, h, &table[i / 2][e[i] - 1]);
            ge_p1p1_to_p3(h, &r);
        } else if (e[i] < 0) {
            ge_msub(&r, h, &table[i / 2][-e[i] - 1]);
            ge_p1p1_to_p3(h, &r);
        }
    }
    dbl4(h);
    for (i = 0; i < 64; i += 2) {
        if (e[i] > 0) {
            ge_madd(&r, h, &table[i / 2][e[i] - 1]);
            ge_p1p1_to_p3(h, &r);
        } else if (e[i] < 0) {
            ge_msub(&r, h, &table[i / 2][-e[i] - 1]);
            ge_p1p1_to_p3(h, &r);
        }
    }
    (void)t;
#endif
}

void ge_double_scalarmult_base_h_vartime(ge_p3 *h, const uint8_t a[32], const uint8_t b[32])
{
    ge_p3 x, y;
    fixed_base_vartime(&x, privbill_table_G, a);
    fixed_base_vartime(&y, privbill_table_H, b);
    ge_p3_add(h, &x, &y);
}

void ge_scalarmult_base_vartime(ge_p3 *h, const uint8_t s[32])
{
    fixed_base_vartime(h, privbill_table_G, s);
}
