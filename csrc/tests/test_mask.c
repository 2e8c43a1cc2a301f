/*
 * Tests for X25519, HMAC/HKDF-SHA-512 and the settlement masks.
 *
 *   test_mask [seed]
 *
 * Vectors:
 *  - X25519: RFC 7748 section 5.2 (two single calls; the iterated test to
 *    1 and 1,000 iterations; 1,000,000 with PRIVBILL_TEST_LONG=1) and the
 *    section 6.1 Diffie-Hellman example; small-order inputs must fail.
 *  - HMAC-SHA-512: RFC 4231 test cases 1, 2 and 6 (official).
 *  - HKDF-SHA-512: RFC 5869 appendix A has SHA-256 outputs only, so the
 *    inputs of its test cases 1-3 are run with SHA-512 and the outputs were
 *    computed by Python's hmac/hashlib (independent of this core) with:
 *
 *      import hashlib, hmac
 *      def extract(salt, ikm):
 *          return hmac.new(salt or bytes(64), ikm, hashlib.sha512).digest()
 *      def expand(prk, info, n):
 *          t, okm, i = b"", b"", 1
 *          while len(okm) < n:
 *              t = hmac.new(prk, t + info + bytes([i]), hashlib.sha512).digest()
 *              okm += t; i += 1
 *          return okm[:n]
 *      # case 1: ikm 0x0b*22, salt 00..0c, info f0..f9, L 42
 *      # case 2: ikm 00..4f, salt 60..af, info b0..ff, L 82
 *      # case 3: ikm 0x0b*22, salt and info empty, L 42
 *
 *  - Masks: a randomised group of meters (seed printed, replay with argv[1])
 *    whose masked reports must sum to the sum of the readings and blindings
 *    once the self masks are removed, and whose commitments must then open.
 *
 * Prints "test_mask: N passed, 0 failed"; exit status 0 when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privbill.h"
#include "check.h"

/* The low byte of each draw (rng_bytes takes the top one): kept so that a
 * seed replays the same meters. */
static void fill(uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) p[i] = (uint8_t)rng_next();
}

/* ------------------------------------------------------------------ */

static void test_x25519_rfc7748(void)
{
    static const struct {
        const char *scalar, *u, *out;
    } v[] = {
        /* RFC 7748 section 5.2 */
        { "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
          "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
          "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
        { "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
          "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
          "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
    };
    uint8_t k[32], u[32], out[32];
    size_t i;
    unsigned long it, iters;

    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        unhex(k, 32, v[i].scalar);
        unhex(u, 32, v[i].u);
        CHECK(privbill_x25519(out, k, u) == 0, "x25519 vector %zu failed", i);
        CHECK(eq_hex(out, 32, v[i].out), "x25519 vector %zu output", i);
    }
    /* The second vector's u has its top bit set: it must be ignored. */
    unhex(u, 32, v[1].u);
    u[31] &= 0x7f;
    unhex(k, 32, v[1].scalar);
    CHECK(privbill_x25519(out, k, u) == 0 && eq_hex(out, 32, v[1].out),
          "x25519: top bit of u not ignored");

    /* Section 5.2 iterated: k = u = 9; k, u = X25519(k, u), k. */
    memset(k, 0, 32);
    k[0] = 9;
    memcpy(u, k, 32);
    iters = getenv("PRIVBILL_TEST_LONG") ? 1000000UL : 1000UL;
    for (it = 1; it <= iters; it++) {
        int rc = privbill_x25519(out, k, u);
        CHECK(rc == 0, "x25519 iteration %lu failed", it);
        memcpy(u, k, 32);
        memcpy(k, out, 32);
        if (it == 1)
            CHECK(eq_hex(k, 32, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"),
                  "x25519 after 1 iteration");
        if (it == 1000)
            CHECK(eq_hex(k, 32, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"),
                  "x25519 after 1000 iterations");
        if (it == 1000000)
            CHECK(eq_hex(k, 32, "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424"),
                  "x25519 after 1000000 iterations");
    }
}

static void test_x25519_dh(void)
{
    /* RFC 7748 section 6.1 */
    uint8_t a[32], b[32], pa[32], pb[32], ka[32], kb[32];
    unhex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    privbill_x25519_public_key(pa, a);
    privbill_x25519_public_key(pb, b);
    CHECK(eq_hex(pa, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
          "x25519 Alice public key");
    CHECK(eq_hex(pb, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
          "x25519 Bob public key");
    CHECK(privbill_x25519(ka, a, pb) == 0 && privbill_x25519(kb, b, pa) == 0,
          "x25519 DH failed");
    CHECK(eq_hex(ka, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742") &&
              memcmp(ka, kb, 32) == 0,
          "x25519 shared secret");
}

static void test_x25519_small_order(void)
{
    /* u = 0, u = 1, and u = p - 1 (order 2), u = p (= 0), u = p + 1
     * (= 1, non-canonical): each must give the all-zero output and -1. */
    static const char *bad[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        /* order 8 (libsodium's blacklist) */
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    };
    uint8_t k[32], u[32], out[32];
    size_t i;
    fill(k, 32);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unhex(u, 32, bad[i]);
        CHECK(privbill_x25519(out, k, u) == -1, "x25519 small-order input %zu accepted", i);
    }
}

static void test_hmac(void)
{
    uint8_t key[131], out[64];
    static const char hi[] = "Hi There";
    static const char jefe[] = "what do ya want for nothing?";
    static const char big[] = "Test Using Larger Than Block-Size Key - Hash Key First";

    /* RFC 4231 test case 1 */
    memset(key, 0x0b, 20);
    privbill_hmac_sha512(out, key, 20, (const uint8_t *)hi, sizeof hi - 1);
    CHECK(eq_hex(out, 64, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                          "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
          "HMAC-SHA-512 RFC 4231 case 1");
    /* case 2 */
    privbill_hmac_sha512(out, (const uint8_t *)"Jefe", 4, (const uint8_t *)jefe,
                         sizeof jefe - 1);
    CHECK(eq_hex(out, 64, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                          "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
          "HMAC-SHA-512 RFC 4231 case 2");
    /* case 6: a 131-byte key is hashed first */
    memset(key, 0xaa, 131);
    privbill_hmac_sha512(out, key, 131, (const uint8_t *)big, sizeof big - 1);
    CHECK(eq_hex(out, 64, "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
                          "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
          "HMAC-SHA-512 RFC 4231 case 6");
}

static void test_hkdf(void)
{
    static const struct {
        size_t ikm_len, salt_len, info_len, l;
        uint8_t ikm0, salt0, info0, same_ikm;
        const char *prk, *okm;
    } v[] = {
        { 22, 13, 10, 42, 0x0b, 0x00, 0xf0, 1,
          "665799823737ded04a88e47e54a5890bb2c3d247c7a4254a8e61350723590a26"
          "c36238127d8661b88cf80ef802d57e2f7cebcf1e00e083848be19929c61b4237",
          "832390086cda71fb47625bb5ceb168e4c8e26a1a16ed34d9fc7fe92c1481579338da362cb8d9f925d7cb" },
        { 80, 80, 80, 82, 0x00, 0x60, 0xb0, 0,
          "35672542907d4e142c00e84499e74e1de08be86535f924e022804ad775dde27e"
          "c86cd1e5b7d178c74489bdbeb30712beb82d4f97416c5a94ea81ebdf3e629e4a",
          "ce6c97192805b346e6161e821ed165673b84f400a2b514b2fe23d84cd189ddf1b695b48cbd1c8388441137b3"
          "ce28f16aa64ba33ba466b24df6cfcb021ecff235f6a2056ce3af1de44d572097a8505d9e7a93" },
        { 22, 0, 0, 42, 0x0b, 0, 0, 1,
          "fd200c4987ac491313bd4a2a13287121247239e11c9ef82802044b66ef357e5b"
          "194498d0682611382348572a7b1611de54764094286320578a863f36562b0df6",
          "f5fa02b18298a72a8c23898a8703472c6eb179dc204c03425c970e3b164bf90fff22d04836d0e2343bac" },
    };
    uint8_t ikm[80], salt[80], info[80], prk[64], okm[82], big[255 * 64 + 1];
    size_t i, j;

    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        for (j = 0; j < v[i].ikm_len; j++)
            ikm[j] = v[i].same_ikm ? v[i].ikm0 : (uint8_t)(v[i].ikm0 + j);
        for (j = 0; j < v[i].salt_len; j++) salt[j] = (uint8_t)(v[i].salt0 + j);
        for (j = 0; j < v[i].info_len; j++) info[j] = (uint8_t)(v[i].info0 + j);
        privbill_hkdf_sha512_extract(prk, v[i].salt_len ? salt : NULL, v[i].salt_len, ikm,
                                     v[i].ikm_len);
        CHECK(eq_hex(prk, 64, v[i].prk), "HKDF-SHA-512 case %zu PRK", i + 1);
        CHECK(privbill_hkdf_sha512_expand(okm, v[i].l, prk, 64, v[i].info_len ? info : NULL,
                                          v[i].info_len) == 0,
              "HKDF-SHA-512 case %zu expand failed", i + 1);
        CHECK(eq_hex(okm, v[i].l, v[i].okm), "HKDF-SHA-512 case %zu OKM", i + 1);
    }
    /* Section 2.3: L <= 255*HashLen. */
    CHECK(privbill_hkdf_sha512_expand(big, 255 * 64, prk, 64, NULL, 0) == 0,
          "HKDF: L = 255*64 refused");
    CHECK(privbill_hkdf_sha512_expand(big, 255 * 64 + 1, prk, 64, NULL, 0) == -1,
          "HKDF: L = 255*64 + 1 accepted");
    /* An output is a prefix of any longer output. */
    CHECK(privbill_hkdf_sha512_expand(okm, 10, prk, 64, NULL, 0) == 0 &&
              memcmp(okm, big, 10) == 0,
          "HKDF: short output is not a prefix");
}

/* ------------------------------------------------------------------ */

#define NM 7 /* meters in the test group: complete graph */

static void test_mask_cancellation(void)
{
    uint8_t sk[NM][32], pk[NM][32], id[NM][16], self[NM][32], digest[32];
    uint8_t keys[NM][NM - 1][64], sub[NM][NM - 1], blind[NM][32];
    uint8_t yv[NM][32], yb[NM][32], sum_v[32], sum_b[32], s_r[32], s_o[32], q[32];
    uint8_t want_v[32], want_b[32], c[32], acc[32], k2[64], m1[32], m2[32];
    uint64_t value[NM], total = 0, index;
    size_t i, j, n;
    int ok = 1;

    fill(digest, 32);
    index = rng_next() >> 20;
    for (i = 0; i < NM; i++) {
        fill(sk[i], 32);
        privbill_x25519_public_key(pk[i], sk[i]);
        fill(id[i], 16);
        fill(self[i], 32);
        self[i][31] &= 0x0f; /* any 32 bytes would do; keep some below l */
        fill(blind[i], 32);
        value[i] = rng_next() >> 44; /* a plausible Wh reading */
        total += value[i];
    }
    /* Pair keys: both ends agree; the smaller id adds. */
    for (i = 0; i < NM; i++) {
        for (j = 0, n = 0; j < NM; j++) {
            if (j == i) continue;
            ok &= privbill_mask_pair_key(keys[i][n], sk[i], pk[j], digest, id[i], id[j]) == 0;
            ok &= privbill_mask_pair_key(k2, sk[j], pk[i], digest, id[j], id[i]) == 0;
            ok &= memcmp(k2, keys[i][n], 64) == 0;
            sub[i][n] = (uint8_t)(memcmp(id[i], id[j], 16) > 0);
            n++;
        }
    }
    CHECK(ok, "pair keys differ between the two ends");
    CHECK(privbill_mask_pair_key(k2, sk[0], pk[1], digest, id[0], id[0]) == -1,
          "pair key with itself accepted");

    /* Reports, summed mod l. */
    memset(sum_v, 0, 32);
    memset(sum_b, 0, 32);
    memset(want_b, 0, 32);
    for (i = 0; i < NM; i++) {
        CHECK(privbill_mask_report(yv[i], yb[i], value[i], blind[i], self[i], digest, index,
                                   keys[i][0], sub[i], NM - 1) == 0,
              "mask_report failed");
        privbill_scalar_add(sum_v, sum_v, yv[i]);
        privbill_scalar_add(sum_b, sum_b, yb[i]);
        privbill_scalar_add(want_b, want_b, blind[i]);
        /* remove the self mask, as the aggregator does after recovery */
        privbill_mask_self_point(q, self[i], digest, index);
        privbill_mask_self_from_point(s_r, s_o, q, index);
        privbill_scalar_sub(sum_v, sum_v, s_r);
        privbill_scalar_sub(sum_b, sum_b, s_o);
    }
    memset(want_v, 0, 32);
    privbill_scalar_from_i64(want_v, (int64_t)total);
    CHECK(memcmp(sum_v, want_v, 32) == 0, "pairwise masks do not cancel in the value");
    CHECK(memcmp(sum_b, want_b, 32) == 0, "pairwise masks do not cancel in the blinding");

    /* The unmasking answers with everyone counted: their sum is the sum of
     * the self masks (the unmasking pairs cancel), so y - z sums to the
     * readings and blindings; privbill_mask_sum agrees with scalar_add. */
    {
        uint8_t z[NM][64], all[NM][64], cnt[NM - 1], zs_v[32], zs_b[32], ys_v[32], ys_b[32];
        size_t bad = 0;
        memset(cnt, 1, sizeof cnt);
        for (i = 0; i < NM; i++) {
            CHECK(privbill_mask_unmask(z[i], z[i] + 32, self[i], digest, index, keys[i][0],
                                       sub[i], cnt, NM - 1) == 0,
                  "mask_unmask failed");
            memcpy(all[i], yv[i], 32);
            memcpy(all[i] + 32, yb[i], 32);
        }
        CHECK(privbill_mask_sum(zs_v, zs_b, z[0], NM, &bad) == 0, "mask_sum of z failed");
        CHECK(privbill_mask_sum(ys_v, ys_b, all[0], NM, &bad) == 0, "mask_sum of y failed");
        privbill_scalar_sub(ys_v, ys_v, zs_v);
        privbill_scalar_sub(ys_b, ys_b, zs_b);
        CHECK(memcmp(ys_v, want_v, 32) == 0, "y - z does not sum to the readings");
        CHECK(memcmp(ys_b, want_b, 32) == 0, "y - z does not sum to the blindings");
        /* The unmasking pairs are not the reporting pairs. */
        privbill_mask_pair(m1, m2, keys[0][0], index);
        privbill_mask_pair_unmask(s_r, s_o, keys[0][0], index);
        CHECK(memcmp(m1, s_r, 32) != 0 && memcmp(m2, s_o, 32) != 0, "unmask pair = pair");
        /* A non-canonical scalar is found, and where. */
        memset(all[2] + 32, 0xff, 32);
        CHECK(privbill_mask_sum(ys_v, ys_b, all[0], NM, &bad) == -1 && bad == 2,
              "mask_sum accepted a non-canonical scalar");
        /* l - 1 is canonical, l is not: the fast top-byte test is exact. */
        {
            static const uint8_t l_le[32] = {
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
            uint8_t edge[2][64], one[32];
            memcpy(edge[0], l_le, 32);
            edge[0][0] -= 1; /* l - 1 */
            memset(edge[0] + 32, 0, 32);
            memcpy(edge[1], edge[0], 64); /* twice: (l - 1) * 2 = l - 2 mod l */
            CHECK(privbill_mask_sum(ys_v, ys_b, edge[0], 2, &bad) == 0, "l - 1 refused");
            memset(one, 0, 32);
            one[0] = 2;
            privbill_scalar_sub(zs_v, zs_v, zs_v);
            privbill_scalar_sub(zs_v, zs_v, one); /* -2 mod l */
            CHECK(memcmp(ys_v, zs_v, 32) == 0, "(l - 1) + (l - 1) != l - 2");
            memcpy(edge[1] + 32, l_le, 32);
            CHECK(privbill_mask_sum(ys_v, ys_b, edge[0], 2, &bad) == -1 && bad == 1,
                  "l accepted as a scalar");
        }
        cnt[0] = 2;
        CHECK(privbill_mask_unmask(z[0], z[0] + 32, self[0], digest, index, keys[0][0], sub[0],
                                   cnt, NM - 1) == -1,
              "mask_unmask accepted a bad counted flag");
    }

    /* The unmasked sums open the sum of the commitments. */
    privbill_pedersen_commit(acc, value[0], blind[0]);
    for (i = 1; i < NM; i++) {
        privbill_pedersen_commit(c, value[i], blind[i]);
        CHECK(privbill_ristretto255_add(acc, acc, c) == 0, "add failed");
    }
    privbill_pedersen_commit(c, total, sum_b);
    CHECK(memcmp(c, acc, 32) == 0, "sum of commitments != commit(R, O)");

    /* A report with no pairs is value + self mask. */
    CHECK(privbill_mask_report(yv[0], yb[0], 5, blind[0], self[0], digest, index, NULL, NULL,
                               0) == 0,
          "mask_report with no pairs failed");
    privbill_mask_self_point(q, self[0], digest, index);
    privbill_mask_self_from_point(s_r, s_o, q, index);
    privbill_scalar_from_i64(want_v, 5);
    privbill_scalar_add(want_v, want_v, s_r);
    CHECK(memcmp(yv[0], want_v, 32) == 0, "mask_report without pairs");

    /* Masks of other intervals differ; a bad flag is refused. */
    privbill_mask_pair(m1, m2, keys[0][0], index);
    privbill_mask_pair(s_r, s_o, keys[0][0], index + 1);
    CHECK(memcmp(m1, s_r, 32) != 0 && memcmp(m1, m2, 32) != 0, "masks repeat");
    sub[0][0] = 2;
    CHECK(privbill_mask_report(yv[0], yb[0], 5, blind[0], self[0], digest, index, keys[0][0],
                               sub[0], NM - 1) == -1,
          "bad subtract flag accepted");
}

/*
 * Shamir in the exponent: shares of the self-mask scalar give points that
 * interpolate to the meter's own self-mask point (here 2-of-3 with x = 1,2,3:
 * f(x) = s + a*x, Lagrange at 0 from x = 1, 3: (3/2) f(1) - (1/2) f(3)).
 */
static void test_self_mask_shares(void)
{
    uint8_t s[32], a[32], x[32], f1[32], f3[32], digest[32], q[32], q1[32], q3[32];
    uint8_t l1[32], l3[32], two_inv[32], t1[32], t3[32], want_r[32], want_o[32];
    uint8_t got_r[32], got_o[32], two[32], three[32];
    uint64_t index = 123456;
    int rc;

    fill(s, 32);
    fill(a, 32);
    fill(digest, 32);
    privbill_scalar_from_i64(x, 1);
    privbill_scalar_muladd(f1, a, x, s);
    privbill_scalar_from_i64(x, 3);
    privbill_scalar_muladd(f3, a, x, s);
    /* 1/2 mod l = (l + 1) / 2 */
    unhex(two_inv, 32, "f7e97a2e8d31092c6bce7b51ef7c6f0a00000000000000000000000000000008");
    privbill_scalar_from_i64(two, 2);
    privbill_scalar_mul(t1, two, two_inv);
    privbill_scalar_from_i64(x, 1);
    CHECK(memcmp(t1, x, 32) == 0, "1/2 mod l constant");
    privbill_scalar_from_i64(three, 3);
    privbill_scalar_mul(l1, three, two_inv);  /* 3/2 */
    privbill_scalar_negate(l3, two_inv);       /* -1/2 */

    privbill_mask_self_point(q, s, digest, index);
    privbill_mask_self_point(q1, f1, digest, index);
    privbill_mask_self_point(q3, f3, digest, index);
    rc = privbill_ristretto255_scalarmult(t1, l1, q1);
    rc |= privbill_ristretto255_scalarmult(t3, l3, q3);
    rc |= privbill_ristretto255_add(t1, t1, t3);
    CHECK(rc == 0 && memcmp(t1, q, 32) == 0, "self-mask point does not interpolate");
    privbill_mask_self_from_point(want_r, want_o, q, index);
    privbill_mask_self_from_point(got_r, got_o, t1, index);
    CHECK(memcmp(want_r, got_r, 32) == 0 && memcmp(want_o, got_o, 32) == 0,
          "self mask from interpolated point");
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5e771e3e7ULL;
    printf("test_mask: seed %llu\n", (unsigned long long)seed);
    rng_state = seed;

    test_x25519_rfc7748();
    test_x25519_dh();
    test_x25519_small_order();
    test_hmac();
    test_hkdf();
    test_mask_cancellation();
    test_self_mask_shares();

    return check_report("test_mask");
}
