/*
 * Tests for Ed25519 (RFC 8032) under the privbill.h verification rule:
 * canonical S, canonical A and R encodings, cofactored equation, and batch
 * verification that accepts exactly what single verification accepts.
 *
 *   test_ed25519 [seed]
 *
 * The randomised batch sweep prints its seed; pass it back as argv[1]
 * (decimal or 0x-hex) to replay a failure. Exit status 0 when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "privbill.h"
#include "scalar.h"
#include "check.h"

/* ------------------------------------------------------------------ */
/* RFC 8032 section 7.1 test vectors                                   */
/* ------------------------------------------------------------------ */

/*
 * RFC 8032 section 7.1, "Test Vectors for Ed25519": TEST 1 (empty message),
 * TEST 2 (1 byte), TEST 3 (2 bytes), TEST 1024 (1023 bytes) and TEST
 * SHA(abc) (the message is SHA-512("abc")). SECRET KEY is the 32-byte seed.
 * Values by value from the RFC; each was also cross-checked against
 * OpenSSL through pyca/cryptography (Ed25519PrivateKey.from_private_bytes,
 * public_bytes, sign), which reproduces every public key and signature.
 */
static const char *const RFC_1024_MSG =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

static const struct {
    const char *name, *seed, *pk, *msg, *sig;
} RFC[5] = {
    { "TEST 1",
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      "",
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    { "TEST 2",
      "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      "72",
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
    { "TEST 3",
      "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
      "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
      "af82",
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
      "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
    { "TEST 1024",
      "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
      "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
      NULL, /* RFC_1024_MSG */
      "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
      "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03" },
    { "TEST SHA(abc)",
      "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
      "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
      "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
      "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

/* Decoded RFC vectors, shared by later tests. */
static uint8_t rfc_seed[5][32], rfc_pk[5][32], rfc_sig[5][64], rfc_msg[5][1023];
static size_t rfc_len[5];

static void load_rfc(void)
{
    int i;
    for (i = 0; i < 5; i++) {
        const char *m = RFC[i].msg ? RFC[i].msg : RFC_1024_MSG;
        rfc_len[i] = strlen(m) / 2;
        unhex(rfc_seed[i], 32, RFC[i].seed);
        unhex(rfc_pk[i], 32, RFC[i].pk);
        unhex(rfc_sig[i], 64, RFC[i].sig);
        unhex(rfc_msg[i], rfc_len[i], m);
    }
}

static void test_rfc8032(void)
{
    uint8_t pk[32], sk[64], sig[64], pks[5 * 32], sigs[5 * 64], rnd[5 * 16];
    const uint8_t *msgs[5];
    int i;

    CHECK(rfc_len[3] == 1023, "TEST 1024 message is 1023 bytes");
    for (i = 0; i < 5; i++) {
        privbill_ed25519_keypair(pk, sk, rfc_seed[i]);
        CHECK(memcmp(pk, rfc_pk[i], 32) == 0, "%s: public key", RFC[i].name);
        CHECK(memcmp(sk, rfc_seed[i], 32) == 0 && memcmp(sk + 32, pk, 32) == 0,
              "%s: sk == seed || pk", RFC[i].name);
        privbill_ed25519_sign(sig, rfc_msg[i], rfc_len[i], sk);
        CHECK(memcmp(sig, rfc_sig[i], 64) == 0, "%s: signature", RFC[i].name);
        CHECK(privbill_ed25519_verify(rfc_sig[i], rfc_msg[i], rfc_len[i], rfc_pk[i]) == 0,
              "%s: verifies", RFC[i].name);
        memcpy(pks + 32 * i, rfc_pk[i], 32);
        memcpy(sigs + 64 * i, rfc_sig[i], 64);
        msgs[i] = rfc_msg[i];
    }
    rng_bytes(rnd, sizeof rnd);
    CHECK(privbill_ed25519_verify_batch(sigs, msgs, rfc_len, pks, 5, rnd) == 0,
          "RFC 8032 vectors verify as one batch");

    /* keypair with the seed inside sk (seed and sk alias). */
    memcpy(sk, rfc_seed[1], 32);
    privbill_ed25519_keypair(pk, sk, sk);
    CHECK(memcmp(pk, rfc_pk[1], 32) == 0 && memcmp(sk, rfc_seed[1], 32) == 0 &&
              memcmp(sk + 32, rfc_pk[1], 32) == 0,
          "keypair(pk, sk, sk): seed aliasing sk");

    /* sign recomputes A from the seed: a wrong public half of sk changes
     * nothing (and cannot leak the key through a second k). */
    privbill_ed25519_keypair(pk, sk, rfc_seed[2]);
    memset(sk + 32, 0x5a, 32);
    privbill_ed25519_sign(sig, rfc_msg[2], rfc_len[2], sk);
    CHECK(memcmp(sig, rfc_sig[2], 64) == 0, "sign ignores a corrupted public half of sk");

    /* sig may overlap msg: sign a 64-byte message in place. */
    {
        uint8_t buf[64], want[64];
        memcpy(buf, rfc_msg[4], 64);
        privbill_ed25519_sign(buf, buf, 64, sk); /* sk holds seed 2 */
        privbill_ed25519_keypair(pk, sk, rfc_seed[2]);
        privbill_ed25519_sign(want, rfc_msg[4], 64, sk);
        CHECK(memcmp(buf, want, 64) == 0, "sign with sig == msg (in place)");
    }
}

/* ------------------------------------------------------------------ */
/* Rejections                                                          */
/* ------------------------------------------------------------------ */

/* out = a + b as 256-bit little-endian integers (no reduction). */
static void add256(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    unsigned int carry = 0;
    int i;
    for (i = 0; i < 32; i++) {
        unsigned int v = (unsigned int)a[i] + b[i] + carry;
        out[i] = (uint8_t)v;
        carry = v >> 8;
    }
}

static void test_tamper(void)
{
    uint8_t sig[64], msg[1023], pk[32];
    size_t i;
    int bit, all;

    /* Every single-bit flip of the signature of TEST 3 is rejected. */
    all = 1;
    for (i = 0; i < 64; i++) {
        for (bit = 0; bit < 8; bit++) {
            memcpy(sig, rfc_sig[2], 64);
            sig[i] ^= (uint8_t)(1u << bit);
            if (privbill_ed25519_verify(sig, rfc_msg[2], rfc_len[2], rfc_pk[2]) != -1) {
                all = 0;
                fprintf(stderr, "  accepted with sig bit %u.%d flipped\n", (unsigned)i, bit);
            }
        }
    }
    CHECK(all, "every 1-bit flip of a signature rejected (512 cases)");

    /* Every single-bit flip of the public key is rejected. */
    all = 1;
    for (i = 0; i < 32; i++) {
        for (bit = 0; bit < 8; bit++) {
            memcpy(pk, rfc_pk[2], 32);
            pk[i] ^= (uint8_t)(1u << bit);
            if (privbill_ed25519_verify(rfc_sig[2], rfc_msg[2], rfc_len[2], pk) != -1) all = 0;
        }
    }
    CHECK(all, "every 1-bit flip of a public key rejected (256 cases)");

    /* Message changes: one bit of the 1023-byte message, truncation,
     * extension, and another vector's message. */
    memcpy(msg, rfc_msg[3], 1023);
    msg[511] ^= 0x10;
    CHECK(privbill_ed25519_verify(rfc_sig[3], msg, 1023, rfc_pk[3]) == -1,
          "1-bit message change rejected");
    CHECK(privbill_ed25519_verify(rfc_sig[3], rfc_msg[3], 1022, rfc_pk[3]) == -1,
          "truncated message rejected");
    CHECK(privbill_ed25519_verify(rfc_sig[1], rfc_msg[1], 0, rfc_pk[1]) == -1,
          "empty message for a 1-byte signature rejected");
    CHECK(privbill_ed25519_verify(rfc_sig[0], rfc_msg[1], 1, rfc_pk[0]) == -1,
          "extended message rejected");
    CHECK(privbill_ed25519_verify(rfc_sig[0], rfc_msg[0], 0, rfc_pk[1]) == -1,
          "another key rejected");
}

static void test_noncanonical(void)
{
    static const uint8_t zero[32] = { 0 };
    uint8_t sig[64], l[32], pk[32], bad[32];
    int i, all_a, all_r, sign;

    /* S + l: the same point equation holds, but S is not canonical. */
    for (i = 0; i < 5; i++) {
        memcpy(sig, rfc_sig[i], 64);
        add256(sig + 32, rfc_sig[i] + 32, sc_l_bytes);
        CHECK(privbill_ed25519_verify(sig, rfc_msg[i], rfc_len[i], rfc_pk[i]) == -1,
              "%s: S + l rejected", RFC[i].name);
    }
    /* S = l, S = 2^256 - 1, S with the top bit set. */
    memcpy(l, sc_l_bytes, 32);
    memcpy(sig, rfc_sig[0], 32);
    memcpy(sig + 32, l, 32);
    CHECK(privbill_ed25519_verify(sig, rfc_msg[0], 0, rfc_pk[0]) == -1, "S = l rejected");
    memset(sig + 32, 0xff, 32);
    CHECK(privbill_ed25519_verify(sig, rfc_msg[0], 0, rfc_pk[0]) == -1,
          "S = 2^256 - 1 rejected");
    memcpy(sig, rfc_sig[0], 64);
    sig[63] |= 0x80;
    CHECK(privbill_ed25519_verify(sig, rfc_msg[0], 0, rfc_pk[0]) == -1,
          "S with bit 255 set rejected");

    /*
     * The identity is a valid key, and with R = identity and S = 0 the
     * cofactored equation holds for any message: (identity pk, identity R,
     * S = 0) is accepted. Replacing the key or R by a NON-canonical
     * encoding of a small-order point would leave the equation true, so
     * any acceptance there would be the decoder's fault. The non-canonical
     * encodings: y = p + i for i = 0 .. 18 (y >= p, either sign bit), and
     * x = 0 with the sign bit set (y = 1 or y = p - 1).
     */
    memset(sig, 0, 64);
    sig[0] = 1;                                     /* R = identity, S = 0 */
    memset(pk, 0, 32);
    pk[0] = 1;                                      /* A = identity */
    CHECK(privbill_ed25519_verify(sig, (const uint8_t *)"m", 1, pk) == 0,
          "identity A, identity R, S = 0: accepted (cofactored rule)");
    all_a = all_r = 1;
    for (i = 0; i < 19; i++) {
        for (sign = 0; sign < 2; sign++) {
            /* p + i = 2^255 - 19 + i */
            memset(bad, 0xff, 32);
            bad[0] = (uint8_t)(0xed + i);
            bad[31] = sign ? 0xff : 0x7f;
            if (privbill_ed25519_verify(sig, (const uint8_t *)"m", 1, bad) != -1) all_a = 0;
            {
                uint8_t s2[64];
                memcpy(s2, bad, 32);
                memset(s2 + 32, 0, 32);
                if (privbill_ed25519_verify(s2, (const uint8_t *)"m", 1, pk) != -1) all_r = 0;
            }
        }
    }
    CHECK(all_a, "A with y = p .. p + 18 (both signs) rejected");
    CHECK(all_r, "R with y = p .. p + 18 (both signs) rejected");
    /* "-0": x = 0 with the sign bit, for y = 1 (identity) and y = -1. */
    memcpy(bad, zero, 32);
    bad[0] = 1;
    bad[31] = 0x80;
    CHECK(privbill_ed25519_verify(sig, (const uint8_t *)"m", 1, bad) == -1,
          "A = identity with sign bit set rejected");
    {
        uint8_t s2[64];
        memcpy(s2, bad, 32);
        memset(s2 + 32, 0, 32);
        CHECK(privbill_ed25519_verify(s2, (const uint8_t *)"m", 1, pk) == -1,
              "R = identity with sign bit set rejected");
    }
    memset(bad, 0xff, 32);
    bad[0] = 0xec;                                  /* y = p - 1 = -1 */
    CHECK(privbill_ed25519_verify(sig, (const uint8_t *)"m", 1, bad) == -1,
          "A = (0, -1) with sign bit set rejected");
    bad[31] = 0x7f;
    CHECK(privbill_ed25519_verify(sig, (const uint8_t *)"m", 1, bad) == 0,
          "A = (0, -1) canonical, R = identity, S = 0: accepted (order 2)");
    /* Not on the curve: y = 2 has no x ((y^2 - 1)/(d y^2 + 1) is not a square). */
    memset(bad, 0, 32);
    bad[0] = 2;
    CHECK(privbill_ed25519_verify(rfc_sig[0], rfc_msg[0], 0, bad) == -1,
          "A off the curve (y = 2) rejected");
    memcpy(sig, bad, 32);
    memcpy(sig + 32, rfc_sig[0] + 32, 32);
    CHECK(privbill_ed25519_verify(sig, rfc_msg[0], 0, rfc_pk[0]) == -1,
          "R off the curve (y = 2) rejected");
}

/* ------------------------------------------------------------------ */
/* Small-order and mixed-order points                                  */
/* ------------------------------------------------------------------ */

/* The order-8 points, canonical encodings (k*T8 for k = 1, 3, 5, 7 where
 * T8 is the first), computed with Python big integers (RFC 8032 section
 * 6 arithmetic); order 8 is checked below with the group code too. */
static const char *const TORSION8[4] = {
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
};
/* All eight small-order points: identity, order 2, two of order 4, and
 * the four of order 8. */
static const char *const SMALL_ORDER[8] = {
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
};

static int mul_by_2k_is_identity(const ge_p3 *p, int k)
{
    ge_p3 q = *p;
    ge_p1p1 t;
    int i;
    for (i = 0; i < k; i++) {
        ge_p3_dbl(&t, &q);
        ge_p1p1_to_p3(&q, &t);
    }
    return ge_p3_is_identity(&q);
}

/* The Ed25519 secret scalar of a seed (RFC 8032 5.1.5 steps 1-2). */
static void secret_scalar(uint8_t a[32], const uint8_t seed[32])
{
    uint8_t h[64];
    privbill_sha512(h, seed, 32);
    memcpy(a, h, 32);
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
}

/* k = SHA-512(R || A || M) mod l */
static void challenge(uint8_t k[32], const uint8_t r[32], const uint8_t a[32],
                      const uint8_t *m, size_t m_len)
{
    privbill_sha512_ctx ctx;
    uint8_t h[64];
    privbill_sha512_init(&ctx);
    privbill_sha512_update(&ctx, r, 32);
    privbill_sha512_update(&ctx, a, 32);
    privbill_sha512_update(&ctx, m, m_len);
    privbill_sha512_final(&ctx, h);
    privbill_scalar_reduce(k, h);
}

/*
 * A signature by the key of `seed` whose R and/or A carry a torsion
 * component: R = [r]B + tr, A = [a]B + ta (encoded as given to the
 * verifier), S = r + k a with k over those encodings. Then
 * [S]B - R - [k]A = -tr - [k]ta: small order, so the cofactored equation
 * holds and the cofactorless one does not (unless the torsion cancels).
 */
static void mixed_sig(uint8_t sig[64], uint8_t pk[32], const uint8_t seed[32],
                      const char *tr_hex, const char *ta_hex, const uint8_t *m, size_t m_len)
{
    uint8_t a[32], r[32], k[32], h[64], enc[32];
    ge_p3 P, T;

    secret_scalar(a, seed);
    privbill_sha512(h, m, m_len);
    privbill_scalar_reduce(r, h);               /* any nonce will do here */

    ge_scalarmult_base(&P, a);
    if (ta_hex) {
        unhex(enc, 32, ta_hex);
        if (ge_p3_frombytes(&T, enc) != 0) exit(3);
        ge_p3_add(&P, &P, &T);
    }
    ge_p3_tobytes(pk, &P);

    ge_scalarmult_base(&P, r);
    if (tr_hex) {
        unhex(enc, 32, tr_hex);
        if (ge_p3_frombytes(&T, enc) != 0) exit(3);
        ge_p3_add(&P, &P, &T);
    }
    ge_p3_tobytes(sig, &P);

    challenge(k, sig, pk, m, m_len);
    privbill_scalar_muladd(sig + 32, k, a, r);
}

static void test_small_and_mixed_order(void)
{
    uint8_t enc[32], sig[64], pk[32], rnd[16 * 4], sigs[64 * 4], pks[32 * 4];
    const uint8_t *msgs[4];
    size_t lens[4];
    ge_p3 P;
    int i, j;
    static const uint8_t msg[] = "meter 0042, 2024-03-31, 46 half-hours";

    /* The table really lists small-order points of the stated orders. */
    for (i = 0; i < 8; i++) {
        unhex(enc, 32, SMALL_ORDER[i]);
        CHECK(ge_p3_frombytes(&P, enc) == 0, "small-order point %d decodes", i);
        CHECK(mul_by_2k_is_identity(&P, 3), "small-order point %d: [8]P == 0", i);
        if (i >= 4) CHECK(!mul_by_2k_is_identity(&P, 2), "point %d has order 8", i);
    }

    /* Small-order A and R with S = 0: the error term is small order, so the
     * cofactored rule accepts, for any message; batch agrees. */
    for (i = 0; i < 8; i++) {
        for (j = 0; j < 8; j++) {
            int single, batch;
            unhex(pk, 32, SMALL_ORDER[i]);
            unhex(sig, 32, SMALL_ORDER[j]);
            memset(sig + 32, 0, 32);
            single = privbill_ed25519_verify(sig, msg, sizeof msg - 1, pk);
            rng_bytes(rnd, 16);
            msgs[0] = msg;
            lens[0] = sizeof msg - 1;
            batch = privbill_ed25519_verify_batch(sig, msgs, lens, pk, 1, rnd);
            CHECK(single == 0 && batch == 0, "small-order A %d, R %d, S = 0: single %d batch %d",
                  i, j, single, batch);
        }
    }
    /* Small-order A, S != 0: [S]B has order l, nothing cancels it. */
    unhex(pk, 32, SMALL_ORDER[4]);
    unhex(sig, 32, SMALL_ORDER[0]);
    memset(sig + 32, 0, 32);
    sig[32] = 1;
    CHECK(privbill_ed25519_verify(sig, msg, sizeof msg - 1, pk) == -1,
          "small-order A, S = 1 rejected");

    /* Mixed-order R, mixed-order A, both: valid under the cofactored rule,
     * alone and in a batch. */
    for (i = 0; i < 4; i++) {
        const char *tr = (i & 1) ? TORSION8[i] : NULL;
        const char *ta = (i & 2) ? TORSION8[3 - i] : NULL;
        mixed_sig(sigs + 64 * i, pks + 32 * i, rfc_seed[i], tr, ta, msg, sizeof msg - 1);
        msgs[i] = msg;
        lens[i] = sizeof msg - 1;
        CHECK(privbill_ed25519_verify(sigs + 64 * i, msg, sizeof msg - 1, pks + 32 * i) == 0,
              "mixed-order signature %d (torsion in %s%s) accepted", i, tr ? "R" : "",
              ta ? "A" : (tr ? "" : "neither"));
    }
    /* i == 0 had no torsion at all: it is an ordinary RFC 8032 signature
     * with a hash-derived nonce, and the key is the RFC key. */
    CHECK(memcmp(pks, rfc_pk[0], 32) == 0, "mixed_sig without torsion gives the RFC key");
    for (j = 0; j < 20; j++) {
        rng_bytes(rnd, sizeof rnd);
        CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, 4, rnd) == 0,
              "batch of mixed-order signatures accepted (weights %d)", j);
    }
    /* A mixed-order signature over the wrong message is rejected by both. */
    lens[3] = sizeof msg - 2;
    CHECK(privbill_ed25519_verify(sigs + 64 * 3, msg, lens[3], pks + 32 * 3) == -1,
          "mixed-order signature, wrong message: single rejects");
    CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, 4, rnd) == -1,
          "mixed-order signature, wrong message: batch rejects");
}

/* ------------------------------------------------------------------ */
/* Batch agrees with single verification                               */
/* ------------------------------------------------------------------ */

#define POOL 16

static uint8_t pool_sig[POOL][64], pool_pk[POOL][32];
static const uint8_t *pool_msg[POOL];
static size_t pool_len[POOL];
static int pool_valid[POOL];
static const char *pool_what[POOL];

static const uint8_t other_msg[] = "import 1234 Wh, export 0 Wh";

static void build_pool(void)
{
    int i, n = 0;
    /* 0-4: the RFC vectors (valid). */
    for (i = 0; i < 5; i++, n++) {
        memcpy(pool_sig[n], rfc_sig[i], 64);
        memcpy(pool_pk[n], rfc_pk[i], 32);
        pool_msg[n] = rfc_msg[i];
        pool_len[n] = rfc_len[i];
        pool_what[n] = RFC[i].name;
    }
    /* 5-7: mixed order (valid under the cofactored rule). */
    mixed_sig(pool_sig[n], pool_pk[n], rfc_seed[1], TORSION8[0], NULL, other_msg,
              sizeof other_msg - 1);
    pool_what[n++] = "torsion in R";
    mixed_sig(pool_sig[n], pool_pk[n], rfc_seed[2], NULL, TORSION8[1], other_msg,
              sizeof other_msg - 1);
    pool_what[n++] = "torsion in A";
    mixed_sig(pool_sig[n], pool_pk[n], rfc_seed[3], TORSION8[2], TORSION8[3], other_msg,
              sizeof other_msg - 1);
    pool_what[n++] = "torsion in R and A";
    for (i = 5; i < 8; i++) {
        pool_msg[i] = other_msg;
        pool_len[i] = sizeof other_msg - 1;
    }
    /* 8: small-order A and R, S = 0 (valid under the cofactored rule). */
    unhex(pool_pk[n], 32, SMALL_ORDER[5]);
    unhex(pool_sig[n], 32, SMALL_ORDER[7]);
    memset(pool_sig[n] + 32, 0, 32);
    pool_msg[n] = other_msg;
    pool_len[n] = sizeof other_msg - 1;
    pool_what[n++] = "small-order A and R";
    /* 9: R tampered. */
    memcpy(pool_sig[n], rfc_sig[1], 64);
    memcpy(pool_pk[n], rfc_pk[1], 32);
    pool_sig[n][5] ^= 0x01;
    pool_msg[n] = rfc_msg[1];
    pool_len[n] = rfc_len[1];
    pool_what[n++] = "R tampered";
    /* 10: S tampered, still canonical. */
    memcpy(pool_sig[n], rfc_sig[2], 64);
    memcpy(pool_pk[n], rfc_pk[2], 32);
    pool_sig[n][40] ^= 0x04;
    pool_msg[n] = rfc_msg[2];
    pool_len[n] = rfc_len[2];
    pool_what[n++] = "S tampered";
    /* 11: S + l. */
    memcpy(pool_sig[n], rfc_sig[4], 64);
    memcpy(pool_pk[n], rfc_pk[4], 32);
    add256(pool_sig[n] + 32, rfc_sig[4] + 32, sc_l_bytes);
    pool_msg[n] = rfc_msg[4];
    pool_len[n] = rfc_len[4];
    pool_what[n++] = "S + l";
    /* 12: wrong key. */
    memcpy(pool_sig[n], rfc_sig[0], 64);
    memcpy(pool_pk[n], rfc_pk[3], 32);
    pool_msg[n] = rfc_msg[0];
    pool_len[n] = rfc_len[0];
    pool_what[n++] = "wrong key";
    /* 13: non-canonical A (y = p + 1: the identity). */
    memset(pool_sig[n], 0, 64);
    pool_sig[n][0] = 1;
    memset(pool_pk[n], 0xff, 32);
    pool_pk[n][0] = 0xee;
    pool_pk[n][31] = 0x7f;
    pool_msg[n] = other_msg;
    pool_len[n] = sizeof other_msg - 1;
    pool_what[n++] = "non-canonical A";
    /* 14: a mixed-order signature with S tampered (invalid). */
    memcpy(pool_sig[n], pool_sig[5], 64);
    memcpy(pool_pk[n], pool_pk[5], 32);
    pool_sig[n][63] ^= 0x01;
    pool_msg[n] = other_msg;
    pool_len[n] = sizeof other_msg - 1;
    pool_what[n++] = "mixed-order, S tampered";
    /* 15: small-order A and R with S = 1 (invalid). */
    memcpy(pool_sig[n], pool_sig[8], 64);
    memcpy(pool_pk[n], pool_pk[8], 32);
    pool_sig[n][32] = 1;
    pool_msg[n] = other_msg;
    pool_len[n] = sizeof other_msg - 1;
    pool_what[n++] = "small-order A and R, S = 1";

    for (i = 0; i < POOL; i++) {
        pool_valid[i] =
            privbill_ed25519_verify(pool_sig[i], pool_msg[i], pool_len[i], pool_pk[i]) == 0;
        CHECK(pool_valid[i] == (i <= 8), "pool %d (%s): single verify %s", i, pool_what[i],
              pool_valid[i] ? "accepts" : "rejects");
    }
}

static void test_batch(int rounds)
{
    uint8_t sigs[64 * PRIVBILL_ED25519_BATCH_MAX], pks[32 * PRIVBILL_ED25519_BATCH_MAX];
    uint8_t rnd[16 * PRIVBILL_ED25519_BATCH_MAX];
    const uint8_t *msgs[PRIVBILL_ED25519_BATCH_MAX];
    size_t lens[PRIVBILL_ED25519_BATCH_MAX];
    int t, i, bad = 0;

    build_pool();

    /* Each pool entry alone: batch == single. */
    for (i = 0; i < POOL; i++) {
        int b;
        rng_bytes(rnd, 16);
        b = privbill_ed25519_verify_batch(pool_sig[i], &pool_msg[i], &pool_len[i], pool_pk[i],
                                          1, rnd);
        CHECK((b == 0) == pool_valid[i], "pool %d (%s): batch of one agrees", i, pool_what[i]);
    }

    /* Random batches of 1 .. 64 drawn from the pool, valid entries more
     * likely so that all-valid batches are common. Sizes above 8 take the
     * Pippenger path of ge_msm_vartime (2n + 1 > 16 points). */
    for (t = 0; t < rounds && bad < 10; t++) {
        size_t n = 1 + (size_t)(rng_next() % PRIVBILL_ED25519_BATCH_MAX);
        int want = 0, got, all_valid_bias = (rng_next() % 2) == 0;
        if (t % 4 == 0) n = 1 + (size_t)(rng_next() % 6);
        for (i = 0; i < (int)n; i++) {
            int pick = all_valid_bias && (rng_next() % 32) != 0 ? (int)(rng_next() % 9)
                                                                  : (int)(rng_next() % POOL);
            memcpy(sigs + 64 * i, pool_sig[pick], 64);
            memcpy(pks + 32 * i, pool_pk[pick], 32);
            msgs[i] = pool_msg[pick];
            lens[i] = pool_len[pick];
            if (!pool_valid[pick]) want = -1;
        }
        rng_bytes(rnd, 16 * n);
        got = privbill_ed25519_verify_batch(sigs, msgs, lens, pks, n, rnd);
        CHECK(got == want, "random batch %d (n = %u): batch %d, singles %d", t, (unsigned)n,
              got, want);
        if (got != want) bad++;
    }

    /* A full batch of valid signatures, then one invalid entry at each end. */
    for (i = 0; i < PRIVBILL_ED25519_BATCH_MAX; i++) {
        int pick = i % 9;
        memcpy(sigs + 64 * i, pool_sig[pick], 64);
        memcpy(pks + 32 * i, pool_pk[pick], 32);
        msgs[i] = pool_msg[pick];
        lens[i] = pool_len[pick];
    }
    rng_bytes(rnd, sizeof rnd);
    CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, PRIVBILL_ED25519_BATCH_MAX,
                                        rnd) == 0,
          "full batch of %d valid signatures accepted", PRIVBILL_ED25519_BATCH_MAX);
    for (i = 9; i < POOL; i++) {
        int at = (i % 2) ? 0 : PRIVBILL_ED25519_BATCH_MAX - 1;
        uint8_t keep_sig[64], keep_pk[32];
        const uint8_t *keep_msg = msgs[at];
        size_t keep_len = lens[at];
        memcpy(keep_sig, sigs + 64 * at, 64);
        memcpy(keep_pk, pks + 32 * at, 32);
        memcpy(sigs + 64 * at, pool_sig[i], 64);
        memcpy(pks + 32 * at, pool_pk[i], 32);
        msgs[at] = pool_msg[i];
        lens[at] = pool_len[i];
        CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, PRIVBILL_ED25519_BATCH_MAX,
                                            rnd) == -1,
              "full batch with one invalid (%s at %d) rejected", pool_what[i], at);
        memcpy(sigs + 64 * at, keep_sig, 64);
        memcpy(pks + 32 * at, keep_pk, 32);
        msgs[at] = keep_msg;
        lens[at] = keep_len;
    }

    /* Sizes: n = 0 is vacuously valid; n > BATCH_MAX is refused. */
    CHECK(privbill_ed25519_verify_batch(NULL, NULL, NULL, NULL, 0, NULL) == 0,
          "empty batch: 0");
    CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, PRIVBILL_ED25519_BATCH_MAX + 1,
                                        rnd) == -1,
          "batch larger than PRIVBILL_ED25519_BATCH_MAX refused");
}

/*
 * Many signatures under one or two keys (a meter's daily batches): the batch
 * merges each key's terms into one point, and must still refuse any one bad
 * signature, a signature under the other key, or keys swapped between two
 * signatures.
 */
static void test_batch_shared_keys(void)
{
    enum { N = PRIVBILL_ED25519_BATCH_MAX };
    uint8_t sigs[64 * N], pks[32 * N], rnd[16 * N], sk[2][64], pk[2][32];
    uint8_t text[N][16];
    const uint8_t *msgs[N];
    size_t lens[N];
    int i, keys, at;

    privbill_ed25519_keypair(pk[0], sk[0], rfc_seed[0]);
    privbill_ed25519_keypair(pk[1], sk[1], rfc_seed[1]);
    for (keys = 1; keys <= 2; keys++) {
        for (i = 0; i < N; i++) {
            int who = keys == 2 ? i % 2 : 0;
            memset(text[i], 0, sizeof text[i]);
            snprintf((char *)text[i], sizeof text[i], "day %d", i);
            msgs[i] = text[i];
            lens[i] = sizeof text[i];
            privbill_ed25519_sign(sigs + 64 * i, msgs[i], lens[i], sk[who]);
            memcpy(pks + 32 * i, pk[who], 32);
        }
        rng_bytes(rnd, sizeof rnd);
        CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, N, rnd) == 0,
              "%d signatures under %d key(s) accepted", N, keys);
        for (at = 0; at < N; at += N / 2 - 1) {
            sigs[64 * at + 40] ^= 0x04;      /* S changed, still canonical */
            CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, N, rnd) == -1,
                  "%d key(s): S tampered at %d rejected", keys, at);
            sigs[64 * at + 40] ^= 0x04;
            msgs[at] = msgs[(at + 2) % N];    /* another message of the same signer */
            CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, N, rnd) == -1,
                  "%d key(s): message swapped at %d rejected", keys, at);
            msgs[at] = text[at];
            memcpy(pks + 32 * at, rfc_pk[2], 32); /* a third key, in the middle too */
            CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, N, rnd) == -1,
                  "%d key(s): wrong key at %d rejected", keys, at);
            memcpy(pks + 32 * at, pk[keys == 2 ? at % 2 : 0], 32);
        }
        if (keys == 2) {
            memcpy(pks, pk[1], 32);          /* keys swapped between signatures 0 and 1 */
            memcpy(pks + 32, pk[0], 32);
            CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, N, rnd) == -1,
                  "two keys swapped between two signatures rejected");
        }
    }

    /* A key with a torsion component (pool 6), many times: accepted, as singly. */
    for (i = 0; i < 9; i++) {
        memcpy(sigs + 64 * i, pool_sig[6], 64);
        memcpy(pks + 32 * i, pool_pk[6], 32);
        msgs[i] = pool_msg[6];
        lens[i] = pool_len[6];
    }
    CHECK(privbill_ed25519_verify_batch(sigs, msgs, lens, pks, 9, rnd) == 0,
          "a mixed-order key 9 times: accepted");
}

int main(int argc, char **argv)
{
    uint64_t seed = 0x6564323535313921ULL;
    int quick = getenv("PRIVBILL_TEST_QUICK") != NULL;
    if (argc > 1) seed = (uint64_t)strtoull(argv[1], NULL, 0);
    printf("test_ed25519: seed %llu (rerun with: test_ed25519 %llu)\n",
           (unsigned long long)seed, (unsigned long long)seed);
    rng_state = seed;

    load_rfc();
    test_rfc8032();
    test_tamper();
    test_noncanonical();
    test_small_and_mixed_order();
    test_batch(quick ? 40 : 400);
    test_batch_shared_keys();

    return check_report("test_ed25519");
}
