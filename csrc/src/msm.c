/*
 * Variable-time multiscalar multiplication, for public data only (sums of
 * published commitments, signature verification). Two algorithms:
 *  - Straus with width-5 NAF digits and per-point tables of odd multiples,
 *    sharing one doubling chain: best for a handful of points;
 *  - Pippenger's bucket method with signed (Booth-recoded) window digits:
 *    n additions per window plus 2^c per window for the bucket sums, so
 *    it wins from a few dozen points on.
 * No allocation: Straus works through the points in chunks, Pippenger's
 * buckets live on the stack (at most 2^(c-1) of them).
 */
#include <string.h>

#include "group.h"
#include "scalar.h"

#define STRAUS_MAX 16
#define PIPPENGER_MAX_C 10

/* ------------------------------------------------------------------ */
/* Straus                                                              */
/* ------------------------------------------------------------------ */

/*
 * Width-5 NAF of s < 2^255: naf[i] in {0, +-1, +-3, ..., +-15}, every
 * non-zero digit followed by at least four zeros, s = sum naf[i] 2^i.
 */
static void naf5(signed char naf[256], const uint8_t s[32])
{
    int i, j, k;

    for (i = 0; i < 256; i++) naf[i] = (signed char)((s[i >> 3] >> (i & 7)) & 1);
    for (i = 0; i < 256; i++) {
        if (!naf[i]) continue;
        /* absorb the next four bits into this digit while it stays in [-15, 15] */
        for (j = 1; j <= 4 && i + j < 256; j++) {
            int add;
            if (!naf[i + j]) continue;
            add = naf[i + j] * (1 << j);
            if (naf[i] + add <= 15) {
                naf[i] = (signed char)(naf[i] + add);
                naf[i + j] = 0;
            } else if (naf[i] - add >= -15) {
                /* subtract here, carry one into the next zero bit above */
                naf[i] = (signed char)(naf[i] - add);
                for (k = i + j; k < 256; k++) {
                    if (!naf[k]) {
                        naf[k] = 1;
                        break;
                    }
                    naf[k] = 0;
                }
            } else {
                break;
            }
        }
    }
}

static void p3_add_cached_signed(ge_p3 *h, const ge_cached *t, int negative)
{
    ge_p1p1 r;
    if (negative) ge_sub(&r, h, t);
    else ge_add(&r, h, t);
    ge_p1p1_to_p3(h, &r);
}

/* h += sum s_i P_i for n <= STRAUS_MAX points */
static void straus_vartime(ge_p3 *h, const uint8_t *scalars, const ge_p3 *points, size_t n)
{
    signed char naf[STRAUS_MAX][256];
    ge_cached odd[STRAUS_MAX][8];   /* odd[i][j] = (2j+1) P_i */
    ge_p3 acc, u;
    ge_p1p1 r;
    ge_cached p2;
    size_t i;
    int j, top = -1;

    for (i = 0; i < n; i++) {
        uint8_t s[32];
        memcpy(s, scalars + 32 * i, 32);
        sc_reduce32(s);                         /* NAF needs s < 2^255 */
        naf5(naf[i], s);
        ge_p3_to_cached(&odd[i][0], &points[i]);
        ge_p3_dbl(&r, &points[i]);
        ge_p1p1_to_p3(&u, &r);
        ge_p3_to_cached(&p2, &u);              /* 2 P_i */
        u = points[i];
        for (j = 1; j < 8; j++) {
            ge_add(&r, &u, &p2);
            ge_p1p1_to_p3(&u, &r);
            ge_p3_to_cached(&odd[i][j], &u);
        }
        for (j = 255; j > top; j--)
            if (naf[i][j]) {
                top = j;
                break;
            }
    }

    ge_p3_0(&acc);
    for (j = top; j >= 0; j--) {
        ge_p3_dbl(&r, &acc);
        ge_p1p1_to_p3(&acc, &r);
        for (i = 0; i < n; i++) {
            int d = naf[i][j];
            if (d > 0) p3_add_cached_signed(&acc, &odd[i][d / 2], 0);
            else if (d < 0) p3_add_cached_signed(&acc, &odd[i][-d / 2], 1);
        }
    }
    ge_p3_add(h, h, &acc);
}

/* ------------------------------------------------------------------ */
/* Pippenger                                                           */
/* ------------------------------------------------------------------ */

/* Bit b of the little-endian integer s of len bytes; 0 outside it. */
static unsigned int bit_at(const uint8_t *s, size_t len, size_t b)
{
    if (b / 8 >= len) return 0;
    return (unsigned int)(s[b / 8] >> (b % 8)) & 1;
}

/*
 * Booth-recoded window digit: d_w = v_w + b_{wc-1} - 2^c b_{wc+c-1}, where
 * v_w is the c-bit window. Then s = sum d_w 2^(wc) with |d_w| <= 2^(c-1),
 * and each digit depends only on its own window and one bit below it, so
 * no carry state crosses windows.
 */
static int booth_digit(const uint8_t *s, size_t len, unsigned int w, unsigned int c)
{
    size_t lo = (size_t)w * c;
    int v = 0;
    unsigned int k;
    for (k = 0; k < c; k++) v |= (int)bit_at(s, len, lo + k) << k;
    if (lo > 0) v += (int)bit_at(s, len, lo - 1);
    v -= (int)bit_at(s, len, lo + c - 1) << c;
    return v;
}

typedef struct {
    const uint8_t *bytes;      /* n scalars of len bytes each, or NULL */
    const int64_t *weights;    /* or n signed weights */
    size_t len;
} scalar_source;

static int source_digit(const scalar_source *src, size_t i, unsigned int w, unsigned int c)
{
    uint8_t mag[8];
    uint64_t m;
    int k, d;

    if (src->bytes) return booth_digit(src->bytes + src->len * i, src->len, w, c);
    /* |weight| as 8 little-endian bytes; the sign flips the digit */
    m = src->weights[i] < 0 ? (uint64_t)0 - (uint64_t)src->weights[i] : (uint64_t)src->weights[i];
    for (k = 0; k < 8; k++) mag[k] = (uint8_t)(m >> (8 * k));
    d = booth_digit(mag, 8, w, c);
    return src->weights[i] < 0 ? -d : d;
}

static unsigned int pippenger_window(size_t n)
{
    if (n < 64) return 5;
    if (n < 192) return 6;
    if (n < 640) return 7;
    if (n < 2048) return 8;
    if (n < 8192) return 9;
    return PIPPENGER_MAX_C;
}

static void pippenger_vartime(ge_p3 *h, const scalar_source *src, const ge_p3 *points,
                              size_t n)
{
    ge_p3 buckets[1 << (PIPPENGER_MAX_C - 1)];
    unsigned char used[1 << (PIPPENGER_MAX_C - 1)];
    const unsigned int c = pippenger_window(n);
    const unsigned int nbits = (unsigned int)(8 * src->len);
    const unsigned int windows = nbits / c + 1;    /* room for the last carry */
    const unsigned int nbuckets = 1u << (c - 1);
    ge_p3 acc, running, total;
    ge_cached t;
    ge_p1p1 r;
    unsigned int w, k;
    size_t i;
    int any;

    ge_p3_0(&acc);
    for (w = windows; w-- > 0;) {
        for (k = 0; k < c; k++) {
            ge_p3_dbl(&r, &acc);
            ge_p1p1_to_p3(&acc, &r);
        }
        memset(used, 0, nbuckets);
        for (i = 0; i < n; i++) {
            int d = source_digit(src, i, w, c);
            unsigned int b;
            if (d == 0) continue;
            b = (unsigned int)(d > 0 ? d : -d) - 1;
            if (!used[b]) {
                if (d > 0) buckets[b] = points[i];
                else {
                    buckets[b] = points[i];
                    fe_neg(buckets[b].X, points[i].X);
                    fe_neg(buckets[b].T, points[i].T);
                }
                used[b] = 1;
                continue;
            }
            ge_p3_to_cached(&t, &points[i]);
            if (d > 0) ge_add(&r, &buckets[b], &t);
            else ge_sub(&r, &buckets[b], &t);
            ge_p1p1_to_p3(&buckets[b], &r);
        }
        /* sum_b (b+1) bucket[b] as running sums from the top bucket down */
        any = 0;
        ge_p3_0(&running);
        ge_p3_0(&total);
        for (k = nbuckets; k-- > 0;) {
            if (used[k]) {
                ge_p3_add(&running, &running, &buckets[k]);
                any = 1;
            }
            if (any) ge_p3_add(&total, &total, &running);
        }
        ge_p3_add(&acc, &acc, &total);
    }
    ge_p3_add(h, h, &acc);
}

/* ------------------------------------------------------------------ */

void ge_msm_vartime(ge_p3 *h, const uint8_t *scalars, const ge_p3 *points, size_t n)
{
    ge_p3_0(h);
    if (n <= STRAUS_MAX) {
        straus_vartime(h, scalars, points, n);
    } else {
        scalar_source src;
        src.bytes = scalars;
        src.weights = NULL;
        src.len = 32;
        pippenger_vartime(h, &src, points, n);
    }
}

void ge_combine_vartime(ge_p3 *h, const int64_t *weights, const ge_p3 *points, size_t n)
{
    scalar_source src;
    src.bytes = NULL;
    src.weights = weights;
    src.len = 8;
    ge_p3_0(h);
    pippenger_vartime(h, &src, points, n);
}

void ge_double_scalarmult_vartime(ge_p3 *h, const uint8_t a[32], const ge_p3 *p,
                                  const uint8_t b[32])
{
    ge_p3 bb;
    ge_p3_0(h);
    straus_vartime(h, a, p, 1);
    ge_scalarmult_base_vartime(&bb, b);   /* the base point has tables */
    ge_p3_add(h, h, &bb);
}
