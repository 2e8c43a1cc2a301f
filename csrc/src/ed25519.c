/*
 * Ed25519 (RFC 8032 section 5.1) with the verification rule of privbill.h:
 *
 *   reject unless S < l, A and R are canonical point encodings, and
 *   [8][S]B == [8]R + [8][k]A, with k = SHA-512(R || A || M) mod l.
 *
 * The cofactored equation is the one RFC 8032 section 5.1.7 states ("it's
 * sufficient, but not required, to instead check [S]B = R + [k]A"). It
 * accepts exactly the signatures whose error term [S]B - R - [k]A is a
 * small-order point, whatever the torsion components of A and R, and that is
 * what a random linear combination can test too: single and batch
 * verification therefore accept the same set (up to the 2^-128 chance of an
 * unlucky batch weight). With the cofactorless equation they would not.
 *
 * Keys and signing are constant time in the seed, the secret scalar a, the
 * prefix and the nonce r; verification sees only public data.
 */
#include <string.h>

#include "group.h"
#include "privbill.h"
#include "scalar.h"
#include "util.h"

/*
 * RFC 8032 section 5.1.5, steps 1-3: h = SHA-512(seed); the secret scalar
 * a is the first half with bits 0, 1, 2 and 255 cleared and bit 254 set;
 * prefix is the second half. a < 2^255, so ge_scalarmult_base may use it
 * unreduced (it takes any s with s[31] <= 127).
 */
static void ed25519_expand(uint8_t a[32], uint8_t prefix[32], const uint8_t seed[32])
{
    uint8_t h[64];
    privbill_sha512(h, seed, 32);
    memcpy(a, h, 32);
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    memcpy(prefix, h + 32, 32);
    privbill_wipe(h, sizeof h);
}

/* out = SHA-512(x || y || msg) mod l, the shape of both hashes in 5.1.6. */
static void hash3_reduce(uint8_t out[32], const uint8_t x[32], const uint8_t *y, size_t y_len,
                         const uint8_t *msg, size_t msg_len)
{
    privbill_sha512_ctx ctx;
    uint8_t h[64];
    privbill_sha512_init(&ctx);
    privbill_sha512_update(&ctx, x, 32);
    privbill_sha512_update(&ctx, y, y_len);
    privbill_sha512_update(&ctx, msg, msg_len);
    privbill_sha512_final(&ctx, h);          /* wipes ctx */
    privbill_scalar_reduce(out, h);
    privbill_wipe(h, sizeof h);
}

/* RFC 8032 section 5.1.5: key generation. */
void privbill_ed25519_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32])
{
    uint8_t s[32], a[32], prefix[32], enc[32];
    ge_p3 A;

    memcpy(s, seed, 32);                     /* seed may alias sk */
    ed25519_expand(a, prefix, s);
    ge_scalarmult_base(&A, a);               /* 4. A = [a]B */
    ge_p3_tobytes(enc, &A);
    memcpy(sk, s, 32);
    memcpy(sk + 32, enc, 32);
    memcpy(pk, enc, 32);

    privbill_wipe(s, sizeof s);
    privbill_wipe(a, sizeof a);
    privbill_wipe(prefix, sizeof prefix);
    privbill_wipe(&A, sizeof A);
}

/*
 * RFC 8032 section 5.1.6: signing.
 *
 * The public key is recomputed from the seed, not read from sk[32..63]. A
 * caller that pairs a seed with the wrong public key (a corrupted or
 * attacker-supplied sk half) would otherwise sign one message under two
 * values of A with the same nonce r, and S - S' = (k - k') a gives away a.
 * On a meter that signs once a day the extra fixed-base multiplication is
 * noise.
 */
void privbill_ed25519_sign(uint8_t sig[64], const uint8_t *msg, size_t msg_len,
                           const uint8_t sk[64])
{
    uint8_t a[32], prefix[32], a_enc[32], r[32], r_enc[32], k[32], s[32];
    ge_p3 P;

    /* 1. a, prefix from the seed; A = [a]B. */
    ed25519_expand(a, prefix, sk);
    ge_scalarmult_base(&P, a);
    ge_p3_tobytes(a_enc, &P);

    /* 2. r = SHA-512(prefix || M) mod l. */
    hash3_reduce(r, prefix, NULL, 0, msg, msg_len);

    /* 3. R = [r]B. */
    ge_scalarmult_base(&P, r);
    ge_p3_tobytes(r_enc, &P);

    /* 4. k = SHA-512(R || A || M) mod l. */
    hash3_reduce(k, r_enc, a_enc, 32, msg, msg_len);

    /* 5. S = (r + k * a) mod l. */
    privbill_scalar_muladd(s, k, a, r);

    /* 6. sig = R || S. Written last: sig may overlap msg. */
    memcpy(sig, r_enc, 32);
    memcpy(sig + 32, s, 32);

    privbill_wipe(a, sizeof a);
    privbill_wipe(prefix, sizeof prefix);
    privbill_wipe(r, sizeof r);
    privbill_wipe(s, sizeof s);
    privbill_wipe(k, sizeof k);
    privbill_wipe(&P, sizeof P);
}

/*
 * RFC 8032 section 5.1.7 steps 1-2 under the privbill.h rule: decode and
 * check one signature, and compute k. A is decoded unless it is NULL (a key
 * the caller has already decoded and checked). Variable time: public inputs
 * only. Returns 0, or -1 if S >= l or A or R is not a canonical encoding
 * (y >= p, no such x, or x = 0 with the sign bit set: ge_p3_frombytes
 * rejects all three).
 */
static int ed25519_prepare(ge_p3 *A, ge_p3 *R, uint8_t k[32], const uint8_t sig[64],
                           const uint8_t *msg, size_t msg_len, const uint8_t pk[32])
{
    if (!privbill_scalar_is_canonical(sig + 32)) return -1;
    if (A != NULL && ge_p3_frombytes(A, pk) != 0) return -1;
    if (ge_p3_frombytes(R, sig) != 0) return -1;
    hash3_reduce(k, sig, pk, 32, msg, msg_len);
    return 0;
}

/* 1 if [8]P is the identity, i.e. P is in the small-order subgroup. */
static int ge_p3_is_small_order_vartime(const ge_p3 *p)
{
    ge_p1p1 t;
    ge_p2 q;
    ge_p3 r;
    ge_p3_to_p2(&q, p);
    ge_p2_dbl(&t, &q);                       /* 2P */
    ge_p1p1_to_p2(&q, &t);
    ge_p2_dbl(&t, &q);                       /* 4P */
    ge_p1p1_to_p2(&q, &t);
    ge_p2_dbl(&t, &q);                       /* 8P */
    ge_p1p1_to_p3(&r, &t);
    return ge_p3_is_identity(&r);
}

int privbill_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t msg_len,
                            const uint8_t pk[32])
{
    ge_p3 A, R, P;
    ge_cached Rc;
    ge_p1p1 t;
    fe neg;
    uint8_t k[32];

    if (ed25519_prepare(&A, &R, k, sig, msg, msg_len, pk) != 0) return -1;

    /* -A = (-X : Y : Z : -T); fe_neg output is loose, carry it. */
    fe_neg(neg, A.X);
    fe_carry(A.X, neg);
    fe_neg(neg, A.T);
    fe_carry(A.T, neg);

    /* P = [k](-A) + [S]B - R, then [8]P == identity. */
    ge_double_scalarmult_vartime(&P, k, &A, sig + 32);
    ge_p3_to_cached(&Rc, &R);
    ge_sub(&t, &P, &Rc);
    ge_p1p1_to_p3(&P, &t);
    return ge_p3_is_small_order_vartime(&P) ? 0 : -1;
}

/* The first j <= i whose 32-byte key pks[j] equals pks[i]. */
static size_t first_with_key(const uint8_t *pks, size_t i)
{
    size_t j = 0;
    while (memcmp(pks + 32 * j, pks + 32 * i, 32) != 0) j++;
    return j;
}

/*
 * Batch verification with random weights z_i < 2^128 (Bernstein et al.,
 * "High-speed high-security signatures", section 5): all n signatures are
 * valid under the cofactored rule iff, except with probability 2^-128,
 *
 *   [8] ( [-(sum z_i S_i) mod l] B + sum [z_i] R_i + sum [z_i k_i mod l] A_i )
 *
 * is the identity. If signature j is invalid, [8] of its error term is a
 * non-zero point of prime order l, and z_j -> z_j * that point is injective
 * on [0, 2^128) since 2^128 < l, so at most one z_j (given the others)
 * cancels it. Reducing the weights mod l is harmless for the same reason:
 * after the multiplication by 8 every point lies in the order-l subgroup.
 *
 * Signatures under the same key (a meter's batches) share one term:
 * sum over them of [z_i k_i] A is [sum z_i k_i] A, so each distinct key is
 * decoded once and is one point of the multiscalar multiplication. Keys are
 * matched by their encodings, which are canonical once decoded.
 */
int privbill_ed25519_verify_batch(const uint8_t *sigs, const uint8_t *const *msgs,
                                  const size_t *msg_lens, const uint8_t *pks, size_t n,
                                  const uint8_t *random)
{
    /* Basepoint B, encoded (RFC 8032 section 5.1: y = 4/5, x even). */
    static const uint8_t base_enc[32] = {
        0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66
    };
    /* points[0] = B, points[1 + i] = R_i, points[1 + n + j] = the j-th distinct key. */
    ge_p3 points[1 + 2 * PRIVBILL_ED25519_BATCH_MAX];
    uint8_t scalars[32 * (1 + 2 * PRIVBILL_ED25519_BATCH_MAX)];
    size_t key_of[PRIVBILL_ED25519_BATCH_MAX];   /* signature i's key: slot key_of[i] */
    uint8_t z[32], k[32], b_coeff[32];
    ge_p3 P;
    size_t i, j, keys = 0;

    if (n == 0) return 0;
    if (n > PRIVBILL_ED25519_BATCH_MAX) return -1;
    if (ge_p3_frombytes(&points[0], base_enc) != 0) return -1; /* cannot happen */

    memset(b_coeff, 0, 32);
    memset(z, 0, 32);
    for (i = 0; i < n; i++) {
        const uint8_t *sig = sigs + 64 * i;
        const uint8_t *pk = pks + 32 * i;
        uint8_t *key_scalar;
        ge_p3 *A = NULL;
        j = first_with_key(pks, i);
        if (j == i) {                         /* a key not seen before: a new point */
            key_of[i] = keys++;
            A = &points[1 + n + key_of[i]];
            memset(scalars + 32 * (1 + n + key_of[i]), 0, 32);
        } else {
            key_of[i] = key_of[j];
        }
        if (ed25519_prepare(A, &points[1 + i], k, sig, msgs[i], msg_lens[i], pk) != 0) {
            return -1;
        }
        memcpy(z, random + 16 * i, 16);      /* z_i < 2^128, z[16..31] = 0 */
        memcpy(scalars + 32 * (1 + i), z, 32);
        key_scalar = scalars + 32 * (1 + n + key_of[i]);
        privbill_scalar_muladd(key_scalar, z, k, key_scalar);    /* += z_i k_i */
        privbill_scalar_muladd(b_coeff, z, sig + 32, b_coeff);   /* += z_i S_i */
    }
    privbill_scalar_negate(scalars, b_coeff);

    ge_msm_vartime(&P, scalars, points, 1 + n + keys);
    return ge_p3_is_small_order_vartime(&P) ? 0 : -1;
}
