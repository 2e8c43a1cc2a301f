/*
 * Tests for SHA-512, scalars mod l and expand_message_xmd.
 *
 *   test_hash_scalar [seed]
 *
 * The randomised sweep prints its seed; pass it back as argv[1] (decimal or
 * 0x-hex) to replay a failure. Exit status 0 when every check passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privbill.h"
#include "scalar.h"
#include "check.h"

/* ------------------------------------------------------------------ */
/* SHA-512                                                             */
/* ------------------------------------------------------------------ */

static void test_sha512(void)
{
    /*
     * NIST FIPS 180-2/180-4 example vectors (CSRC "Examples with
     * Intermediate Values", SHA-512): "abc", the empty string, the 896-bit
     * two-block message, and one million 'a'.
     */
    static const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
        "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    uint8_t out[64], buf[1000];
    privbill_sha512_ctx ctx;
    size_t i, done, chunk;

    privbill_sha512(out, NULL, 0);
    CHECK(eq_hex(out, 64,
                 "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
          "sha512(\"\")");
    privbill_sha512(out, (const uint8_t *)"abc", 3);
    CHECK(eq_hex(out, 64,
                 "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
          "sha512(\"abc\")");
    CHECK(strlen(m896) == 112, "896-bit message length");
    privbill_sha512(out, (const uint8_t *)m896, 112);
    CHECK(eq_hex(out, 64,
                 "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                 "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
          "sha512(896-bit message)");

    /* One million 'a', fed through update in odd-sized chunks (1, 3, 5, ...
     * 999 bytes, then again) so every buffer offset is exercised. */
    memset(buf, 'a', sizeof buf);
    privbill_sha512_init(&ctx);
    for (done = 0, chunk = 1; done < 1000000; done += chunk, chunk = chunk % 999 + 2) {
        if (chunk > 1000000 - done) chunk = 1000000 - done;
        privbill_sha512_update(&ctx, buf, chunk);
    }
    privbill_sha512_final(&ctx, out);
    CHECK(eq_hex(out, 64,
                 "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                 "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
          "sha512(10^6 'a', chunked)");
    /* final wipes the context */
    {
        static const privbill_sha512_ctx zero_ctx;
        CHECK(memcmp(&ctx, &zero_ctx, sizeof ctx) == 0, "sha512_final wipes ctx");
    }

    /*
     * Padding boundaries: m[i] = (7i + 3) mod 256 for the lengths around the
     * 112-byte length-field cut and the 128-byte block. Expected digests
     * from Python's hashlib:
     *   hashlib.sha512(bytes((i*7+3) & 0xff for i in range(n))).hexdigest()
     */
    {
        static const struct { size_t n; const char *hex; } pad[] = {
            { 111, "68cffa6d0d76f309c9ce0d35280939f8e25990c43b7b086ccdf709be35b07d4d"
                   "dba599541ff2b1c19d34ea49aeafb9659adb7ac3c0b078bb30a22d57fc6687ef" },
            { 112, "d0865c524d1dddf7c23b799c413f5adcd7caefd3f66a9b49750ec81066012c25"
                   "a8bcf94ddea6dc525691673097ca40e0101e897fc97218cfdb0704084e2bef4b" },
            { 127, "e0b6a20f1c0c88970a9340152cd5a1c1ecf3d3b8de55102741879438079473540"
                   "133b812706e5dbec322c8c9523b6fc8c6d16ee626e87ad5fe3d2916afedc369" },
            { 128, "99b16f17aa0b969a5b8f08f367719d516e330ccd2660b6f0688ec031dbc783de"
                   "50a1cd185a2568dba75070a2403d17d4741d163578515dfd2ff756ddfe4d47b1" },
            { 129, "a1556e29185778aa5991e34b8884c840d589f0fbb4b8ed590e51e9ac4eb03a00"
                   "8125000db2671f8fe7f485b59a77b518670078ecb41a54b4cd02a7f1d2ca4c6d" },
            { 239, "18ee83f30261c3c645d52aee6a209105b25bba39d33845ef48984cc238e4f216"
                   "61fb7bd7dd4336f71c40fe87d95e5115d6c7be52e0d3e7e7877d24500b5b58df" },
            { 240, "9d60ee60d29ec4fa0b9690c04c1c29413bbe3ed345639182d9d53dcc05926b77"
                   "b04f4fec1562fb85182954c96b7cbb5d5e4410251ff4f352d09a2da90419fb13" },
        };
        for (i = 0; i < 240; i++) buf[i] = (uint8_t)(i * 7 + 3);
        for (i = 0; i < sizeof pad / sizeof pad[0]; i++) {
            privbill_sha512(out, buf, pad[i].n);
            CHECK(eq_hex(out, 64, pad[i].hex), "sha512 padding boundary, %u bytes",
                  (unsigned)pad[i].n);
        }
    }

    /* Streaming agrees with one-shot for every length up to 300 and a
     * split at every position of a 257-byte message. */
    {
        uint8_t msg[300], one[64], two[64];
        size_t n, cut;
        int ok = 1;
        for (i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 131 + 17);
        for (n = 0; n <= sizeof msg; n++) {
            privbill_sha512(one, msg, n);
            privbill_sha512_init(&ctx);
            for (i = 0; i < n; i++) privbill_sha512_update(&ctx, msg + i, 1);
            privbill_sha512_final(&ctx, two);
            if (memcmp(one, two, 64) != 0) ok = 0;
        }
        CHECK(ok, "byte-at-a-time update == one-shot, lengths 0..300");
        ok = 1;
        privbill_sha512(one, msg, 257);
        for (cut = 0; cut <= 257; cut++) {
            privbill_sha512_init(&ctx);
            privbill_sha512_update(&ctx, msg, cut);
            privbill_sha512_update(&ctx, NULL, 0);
            privbill_sha512_update(&ctx, msg + cut, 257 - cut);
            privbill_sha512_final(&ctx, two);
            if (memcmp(one, two, 64) != 0) ok = 0;
        }
        CHECK(ok, "two-part update == one-shot at every split of 257 bytes");
    }
}

/* ------------------------------------------------------------------ */
/* Scalars: an independent, slow reference                             */
/* ------------------------------------------------------------------ */

static const char *L_HEX = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

/* r >= l? for 33-byte little-endian r (plain big-number compare). */
static int ref_geq(const uint8_t r[33], const uint8_t l[33])
{
    int i;
    for (i = 32; i >= 0; i--) {
        if (r[i] != l[i]) return r[i] > l[i];
    }
    return 1;
}

/*
 * out = x mod l for an n-byte little-endian x, bit by bit: r = 2r + bit,
 * then subtract l once if r >= l. Slow, variable time and structurally
 * unrelated to the Barrett code under test, which is the point.
 */
static void ref_mod(uint8_t out[32], const uint8_t *x, size_t n)
{
    uint8_t l[33], r[33];
    size_t bit;
    int i;
    unhex(l, 32, L_HEX);
    l[32] = 0;
    memset(r, 0, sizeof r);
    for (bit = 8 * n; bit-- > 0;) {
        unsigned int carry = (x[bit / 8] >> (bit % 8)) & 1;
        for (i = 0; i < 33; i++) {
            unsigned int v = ((unsigned int)r[i] << 1) | carry;
            r[i] = (uint8_t)v;
            carry = v >> 8;
        }
        if (ref_geq(r, l)) {
            unsigned int borrow = 0;
            for (i = 0; i < 33; i++) {
                int v = (int)r[i] - (int)l[i] - (int)borrow;
                borrow = v < 0;
                r[i] = (uint8_t)(v + (borrow ? 256 : 0));
            }
        }
    }
    memcpy(out, r, 32);
}

/* out[64] = a * b, byte-wise schoolbook. */
static void ref_mul(uint8_t out[64], const uint8_t a[32], const uint8_t b[32])
{
    uint32_t acc[64];
    int i, j;
    uint32_t carry = 0;
    memset(acc, 0, sizeof acc);
    for (i = 0; i < 32; i++)
        for (j = 0; j < 32; j++) acc[i + j] += (uint32_t)a[i] * b[j];
    for (i = 0; i < 64; i++) {
        uint32_t v = acc[i] + carry;
        out[i] = (uint8_t)v;
        carry = v >> 8;
    }
}

/* out[33] = a + b (n-byte operands, n <= 64; out has n + 1 bytes). */
static void ref_add(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n)
{
    unsigned int carry = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned int v = (unsigned int)a[i] + b[i] + carry;
        out[i] = (uint8_t)v;
        carry = v >> 8;
    }
    out[n] = (uint8_t)carry;
}

/* ------------------------------------------------------------------ */
/* Scalars: known answers and edge cases                               */
/* ------------------------------------------------------------------ */

static void test_scalar_kat(void)
{
    /*
     * Known answers, computed with Python big integers:
     *
     *   import hashlib
     *   l = 2**252 + 27742317777372353535851937790883648493
     *   h = lambda v, n=32: v.to_bytes(n, "little").hex()
     *   x = lambda t, n=32: int.from_bytes(
     *           hashlib.sha512(b"privbill kat " + t).digest()[:n], "little")
     *   a, b, c, w = x(b"a"), x(b"b"), x(b"c"), x(b"w", 64)
     *   h(w % l); h((a + b) % l); h((a - b) % l); h((a * b) % l)
     *   h(-a % l); h((a * b + c) % l); h(a % l)
     *   h((2**512 - 1) % l); h((2**256 - 1) % l)
     *   h(-2**63 % l); h(-1 % l); h(2**63 - 1)
     *
     * a, b and c are above l (top bytes 0x6c, 0x5a, 0xe9): the functions
     * must use unreduced inputs mod l.
     */
    uint8_t a[32], b[32], c[32], w[64], out[32], t[32];

    unhex(a, 32, "1c8cb6120f00c1fa94919d0711c2e750f9be7ae23985b50065fe2a6a3177fb6c");
    unhex(b, 32, "a104e84761cb21cefe0ae407e0231af9aa9ffa61ba1af1e34fa8bae59829475a");
    unhex(c, 32, "a5775075e151a5adeca6d32b6cdfc0aebfc147ec64dbbe0fcad4ba80817811e9");
    unhex(w, 64, "69fbaf5ff3f55e10c3cdf85b07c4d929aa360e166f297669db1ef02458e95e8f"
                 "885c5d33957a153f5e02c3fbeed16fbc6b6ee5dce6b1f2705c66a452e477a766");

    privbill_scalar_reduce(out, w);
    CHECK(eq_hex(out, 32, "38c4870aa2a4e28f33934f64c524d5ea90b2a28997d1ee63646860e62b91f60d"),
          "reduce(w)");
    privbill_scalar_add(out, a, b);
    CHECK(eq_hex(out, 32, "a1a118ff332606a88742e66b812f8e4fa35e7544f49fa6e4b4a6e54fcaa04207"),
          "add(a, b)");
    privbill_scalar_sub(out, a, b);
    CHECK(eq_hex(out, 32, "8eb3d86d93d18cd4bfe9c15c52a4ee424e1f80807f6ac41c15567084984db402"),
          "sub(a, b)");
    privbill_scalar_mul(out, a, b);
    CHECK(eq_hex(out, 32, "9f94cc4b6b16f2e888cb56a200370df979740360a5c9debfcd610a26ab0dde09"),
          "mul(a, b)");
    privbill_scalar_negate(out, a);
    CHECK(eq_hex(out, 32, "5f3f0278a9b5bf6d47b8276d051331410741851dc67a4aff9a01d595ce880403"),
          "negate(a)");
    privbill_scalar_muladd(out, a, b, c);
    CHECK(eq_hex(out, 32, "61a1b54ec199836de641a8416172bd6e38364b4c0aa59dcf9736c5a62c86ef02"),
          "muladd(a, b, c)");
    memcpy(t, a, 32);
    sc_reduce32(t);
    CHECK(eq_hex(t, 32, "8e94f3e470ad52ea8ee4cf35d9e6add3f8be7ae23985b50065fe2a6a3177fb0c"),
          "sc_reduce32(a)");

    /* Wide reduction of 2^512 - 1 (the largest input). */
    memset(w, 0xff, 64);
    privbill_scalar_reduce(out, w);
    CHECK(eq_hex(out, 32, "000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903"),
          "reduce(2^512 - 1)");
    memset(t, 0xff, 32);
    sc_reduce32(t);
    CHECK(eq_hex(t, 32, "1c95988d7431ecd670cf7d73f45befc6feffffffffffffffffffffffffffff0f"),
          "sc_reduce32(2^256 - 1)");

    /* from_i64 at the ends of the range. */
    privbill_scalar_from_i64(out, INT64_MIN);
    CHECK(eq_hex(out, 32, "edd3f55c1a6312d8d59cf7a2def9de1400000000000000000000000000000010"),
          "from_i64(INT64_MIN) == l - 2^63");
    privbill_scalar_from_i64(out, -1);
    CHECK(eq_hex(out, 32, "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"),
          "from_i64(-1) == l - 1");
    privbill_scalar_from_i64(out, 0);
    CHECK(eq_hex(out, 32, "0000000000000000000000000000000000000000000000000000000000000000"),
          "from_i64(0)");
    privbill_scalar_from_i64(out, INT64_MAX);
    CHECK(eq_hex(out, 32, "ffffffffffffff7f000000000000000000000000000000000000000000000000"),
          "from_i64(INT64_MAX)");
    privbill_scalar_from_i64(out, 1);
    CHECK(eq_hex(out, 32, "0100000000000000000000000000000000000000000000000000000000000000"),
          "from_i64(1)");
}

static void test_scalar_edges(void)
{
    uint8_t s[32], one[32], out[32], zero[32];
    int i;

    memset(zero, 0, 32);
    memset(one, 0, 32);
    one[0] = 1;

    /* scalar.h's l agrees with the literal here. */
    unhex(s, 32, L_HEX);
    CHECK(memcmp(s, sc_l_bytes, 32) == 0, "sc_l_bytes == l");

    /* is_canonical around l. */
    unhex(s, 32, L_HEX);
    CHECK(privbill_scalar_is_canonical(s) == 0, "is_canonical(l) == 0");
    s[0]--;
    CHECK(privbill_scalar_is_canonical(s) == 1, "is_canonical(l - 1) == 1");
    s[0] += 2;
    CHECK(privbill_scalar_is_canonical(s) == 0, "is_canonical(l + 1) == 0");
    memset(s, 0xff, 32);
    CHECK(privbill_scalar_is_canonical(s) == 0, "is_canonical(2^256 - 1) == 0");
    s[31] = 0x0f;
    CHECK(privbill_scalar_is_canonical(s) == 1, "is_canonical(2^252 - 1) == 1");
    memset(s, 0, 32);
    CHECK(privbill_scalar_is_canonical(s) == 1, "is_canonical(0) == 1");
    s[31] = 0x10;
    CHECK(privbill_scalar_is_canonical(s) == 1, "is_canonical(2^252) == 1");
    /* l with one low limb raised or a middle byte lowered. */
    unhex(s, 32, L_HEX);
    s[16] = 1; /* l + 2^128 */
    CHECK(privbill_scalar_is_canonical(s) == 0, "is_canonical(l + 2^128) == 0");
    unhex(s, 32, L_HEX);
    s[15] = 0x13; /* l - 2^120 */
    CHECK(privbill_scalar_is_canonical(s) == 1, "is_canonical(l - 2^120) == 1");

    /* l reduces to 0; l - 1 + 1 == 0; 0 - 1 == l - 1; -0 == 0. */
    unhex(s, 32, L_HEX);
    sc_reduce32(s);
    CHECK(memcmp(s, zero, 32) == 0, "sc_reduce32(l) == 0");
    unhex(s, 32, L_HEX);
    s[0]--;
    privbill_scalar_add(out, s, one);
    CHECK(memcmp(out, zero, 32) == 0, "(l - 1) + 1 == 0");
    privbill_scalar_sub(out, zero, one);
    CHECK(memcmp(out, s, 32) == 0, "0 - 1 == l - 1");
    privbill_scalar_negate(out, zero);
    CHECK(memcmp(out, zero, 32) == 0, "-0 == 0");
    unhex(s, 32, L_HEX);
    privbill_scalar_negate(out, s);
    CHECK(memcmp(out, zero, 32) == 0, "-l == 0");
    /* (l - 1)^2 == 1 */
    unhex(s, 32, L_HEX);
    s[0]--;
    privbill_scalar_mul(out, s, s);
    CHECK(memcmp(out, one, 32) == 0, "(l - 1)^2 == 1");
    /* (2^256 - 1)^2 + (2^256 - 1): the largest muladd input. */
    memset(s, 0xff, 32);
    privbill_scalar_muladd(out, s, s, s);
    {
        uint8_t p[64], sum[65], want[32];
        ref_mul(p, s, s);
        memset(sum, 0, sizeof sum);
        {
            uint8_t s64[64];
            memset(s64, 0, 64);
            memcpy(s64, s, 32);
            ref_add(sum, p, s64, 64);
        }
        ref_mod(want, sum, 65);
        CHECK(memcmp(out, want, 32) == 0, "muladd(2^256-1, 2^256-1, 2^256-1)");
    }
    /* Outputs are canonical even from the largest inputs. */
    memset(s, 0xff, 32);
    privbill_scalar_add(out, s, s);
    CHECK(privbill_scalar_is_canonical(out), "add(2^256-1, 2^256-1) canonical");
    privbill_scalar_sub(out, zero, s);
    CHECK(privbill_scalar_is_canonical(out), "sub(0, 2^256-1) canonical");
    /* from_i64 agrees with add/negate for small values. */
    for (i = -300; i <= 300; i += 7) {
        uint8_t u[32], v[32];
        privbill_scalar_from_i64(u, (int64_t)i);
        memset(v, 0, 32);
        v[0] = (uint8_t)(i < 0 ? -i : i);
        v[1] = (uint8_t)((i < 0 ? -i : i) >> 8);
        if (i < 0) privbill_scalar_negate(v, v);
        CHECK(memcmp(u, v, 32) == 0, "from_i64(%d)", i);
    }
}

/* ------------------------------------------------------------------ */
/* Scalars: randomised sweep                                           */
/* ------------------------------------------------------------------ */

/* A 32-byte test value: mostly uniform, sometimes a boundary value. */
static void sweep_value(uint8_t s[32])
{
    uint64_t pick = rng_next() % 16;
    rng_bytes(s, 32);
    switch (pick) {
    case 0: memset(s, 0, 32); break;
    case 1: memset(s, 0xff, 32); break;
    case 2: unhex(s, 32, L_HEX); break;                    /* l */
    case 3: unhex(s, 32, L_HEX); s[0] = (uint8_t)(s[0] - 1); break; /* l - 1 */
    case 4: s[31] &= 0x0f; break;                          /* < 2^252 */
    case 5: unhex(s, 32, L_HEX); s[0] = (uint8_t)(s[0] + (rng_next() & 7)); break;
    case 6: memset(s + 8, 0, 24); break;                   /* small */
    default: break;
    }
}

static void test_scalar_sweep(uint64_t seed, int rounds)
{
    uint8_t a[32], b[32], c[32], w[64];
    uint8_t r1[32], r2[32], r3[32], want[32], p[64], sum[65];
    int k, bad = 0;

    rng_state = seed;
    for (k = 0; k < rounds && bad < 10; k++) {
        unsigned long long before = n_fail;
        sweep_value(a);
        sweep_value(b);
        sweep_value(c);
        rng_bytes(w, 64);
        if (k % 8 == 0) memset(w, 0xff, 64 - (size_t)(k % 64));

        /* Against the bit-serial reference. */
        privbill_scalar_reduce(r1, w);
        ref_mod(want, w, 64);
        CHECK(memcmp(r1, want, 32) == 0, "reduce == ref (round %d)", k);
        privbill_scalar_mul(r1, a, b);
        ref_mul(p, a, b);
        ref_mod(want, p, 64);
        CHECK(memcmp(r1, want, 32) == 0, "mul == ref (round %d)", k);
        privbill_scalar_add(r1, a, b);
        ref_add(sum, a, b, 32);
        ref_mod(want, sum, 33);
        CHECK(memcmp(r1, want, 32) == 0, "add == ref (round %d)", k);
        memcpy(r2, a, 32);
        sc_reduce32(r2);
        ref_mod(want, a, 32);
        CHECK(memcmp(r2, want, 32) == 0, "sc_reduce32 == ref (round %d)", k);

        /* Canonical outputs. */
        privbill_scalar_sub(r1, a, b);
        CHECK(privbill_scalar_is_canonical(r1), "sub canonical (round %d)", k);
        CHECK(privbill_scalar_is_canonical(r2), "sc_reduce32 canonical (round %d)", k);
        /* is_canonical against the reference: s < l iff s mod l == s. */
        ref_mod(want, a, 32);
        CHECK(privbill_scalar_is_canonical(a) == (memcmp(want, a, 32) == 0),
              "is_canonical == ref (round %d)", k);

        /* Identities. */
        privbill_scalar_add(r1, a, b);
        privbill_scalar_add(r2, b, a);
        CHECK(memcmp(r1, r2, 32) == 0, "a + b == b + a (round %d)", k);
        privbill_scalar_sub(r1, r1, b);
        memcpy(r2, a, 32);
        sc_reduce32(r2);
        CHECK(memcmp(r1, r2, 32) == 0, "(a + b) - b == a (round %d)", k);
        privbill_scalar_negate(r1, b);
        privbill_scalar_add(r1, a, r1);
        privbill_scalar_sub(r2, a, b);
        CHECK(memcmp(r1, r2, 32) == 0, "a + (-b) == a - b (round %d)", k);
        privbill_scalar_mul(r1, a, b);
        privbill_scalar_mul(r2, b, a);
        CHECK(memcmp(r1, r2, 32) == 0, "ab == ba (round %d)", k);
        privbill_scalar_add(r3, b, c);
        privbill_scalar_mul(r3, a, r3);
        privbill_scalar_mul(r2, a, c);
        privbill_scalar_add(r2, r1, r2);
        CHECK(memcmp(r2, r3, 32) == 0, "a(b + c) == ab + ac (round %d)", k);
        privbill_scalar_mul(r2, r1, c);
        privbill_scalar_mul(r3, b, c);
        privbill_scalar_mul(r3, a, r3);
        CHECK(memcmp(r2, r3, 32) == 0, "(ab)c == a(bc) (round %d)", k);
        privbill_scalar_muladd(r2, a, b, c);
        privbill_scalar_add(r3, r1, c);
        CHECK(memcmp(r2, r3, 32) == 0, "muladd == mul + add (round %d)", k);
        /* Aliasing: outputs may overwrite inputs. */
        memcpy(r2, a, 32);
        privbill_scalar_mul(r2, r2, b);
        CHECK(memcmp(r1, r2, 32) == 0, "mul aliasing (round %d)", k);
        /* Wide reduction of a 32-byte value zero-extended. */
        memset(w + 32, 0, 32);
        memcpy(w, a, 32);
        privbill_scalar_reduce(r1, w);
        memcpy(r2, a, 32);
        sc_reduce32(r2);
        CHECK(memcmp(r1, r2, 32) == 0, "reduce(a || 0) == sc_reduce32(a) (round %d)", k);
        /* from_i64 is a ring homomorphism on small values. */
        {
            int32_t x = (int32_t)(uint32_t)rng_next(), y = (int32_t)(uint32_t)rng_next();
            privbill_scalar_from_i64(r1, (int64_t)x);
            privbill_scalar_from_i64(r2, (int64_t)y);
            privbill_scalar_mul(r3, r1, r2);
            privbill_scalar_from_i64(want, (int64_t)x * (int64_t)y);
            CHECK(memcmp(r3, want, 32) == 0, "i64(x) i64(y) == i64(xy) (round %d)", k);
            privbill_scalar_add(r3, r1, r2);
            privbill_scalar_from_i64(want, (int64_t)x + (int64_t)y);
            CHECK(memcmp(r3, want, 32) == 0, "i64(x) + i64(y) == i64(x+y) (round %d)", k);
        }
        if (n_fail != before) {
            bad++;
            print_hex("a", a, 32);
            print_hex("b", b, 32);
            print_hex("c", c, 32);
            print_hex("w", w, 64);
        }
    }
}

/* ------------------------------------------------------------------ */
/* expand_message_xmd                                                  */
/* ------------------------------------------------------------------ */

static void test_xmd(void)
{
    /*
     * RFC 9380 Appendix K.3, expand_message_xmd(SHA-512),
     * DST = "QUUX-V01-CS02-with-expander-SHA512-256". Copied by value from
     * ../shared/data/vectors/rfc9380_expand_message_xmd_SHA512_38.json.
     * The long messages are "q128_" followed by 128 'q' and "a512_"
     * followed by 512 'a', built below.
     */
    static const char *dst = "QUUX-V01-CS02-with-expander-SHA512-256";
    static const struct { int msg; size_t len; const char *hex; } v[] = {
        { 0, 0x20, "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba" },
        { 1, 0x20, "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc" },
        { 3, 0x20, "7336234ee9983902440f6bc35b348352013becd88938d2afec44311caf8356b3" },
        { 0, 0x80, "41b037d1734a5f8df225dd8c7de38f851efdb45c372887be655212d07251b921"
                   "b052b62eaed99b46f72f2ef4cc96bfaf254ebbbec091e1a3b9e4fb5e5b619d2e"
                   "0c5414800a1d882b62bb5cd1778f098b8eb6cb399d5d9d18f5d5842cf5d13d7e"
                   "b00a7cff859b605da678b318bd0e65ebff70bec88c753b159a805d2c89c55961" },
        { 2, 0x80, "3f721f208e6199fe903545abc26c837ce59ac6fa45733f1baaf0222f8b7acb04"
                   "24814fcb5eecf6c1d38f06e9d0a6ccfbf85ae612ab8735dfdf9ce84c372a77c8"
                   "f9e1c1e952c3a61b7567dd0693016af51d2745822663d0c2367e3f4f0bed827f"
                   "eecc2aaf98c949b5ed0d35c3f1023d64ad1407924288d366ea159f46287e61ac" },
        { 4, 0x80, "05b0bfef265dcee87654372777b7c44177e2ae4c13a27f103340d9cd11c86cb2"
                   "426ffcad5bd964080c2aee97f03be1ca18e30a1f14e27bc11ebbd650f305269c"
                   "c9fb1db08bf90bfc79b42a952b46daf810359e7bc36452684784a64952c343c5"
                   "2e5124cd1f71d474d5197fefc571a92929c9084ffe1112cf5eea5192ebff330b" },
    };
    uint8_t msgs[5][600];
    size_t msg_lens[5];
    uint8_t out[255 * 64 + 1], big[255 * 64];
    size_t i;

    msg_lens[0] = 0;
    memcpy(msgs[1], "abc", 3);
    msg_lens[1] = 3;
    memcpy(msgs[2], "abcdef0123456789", 16);
    msg_lens[2] = 16;
    memcpy(msgs[3], "q128_", 5);
    memset(msgs[3] + 5, 'q', 128);
    msg_lens[3] = 133;
    memcpy(msgs[4], "a512_", 5);
    memset(msgs[4] + 5, 'a', 512);
    msg_lens[4] = 517;

    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        int rc = privbill_expand_message_xmd_sha512(out, v[i].len, msgs[v[i].msg],
                                                    msg_lens[v[i].msg],
                                                    (const uint8_t *)dst, strlen(dst));
        CHECK(rc == 0 && eq_hex(out, v[i].len, v[i].hex),
              "RFC 9380 K.3 vector %u (msg %d, len %u)", (unsigned)i, v[i].msg,
              (unsigned)v[i].len);
    }

    /* Error cases of privbill.h. */
    {
        uint8_t d[256];
        memset(d, 'D', sizeof d);
        CHECK(privbill_expand_message_xmd_sha512(out, 0, NULL, 0, d, 8) == -1,
              "xmd: out_len == 0 rejected");
        CHECK(privbill_expand_message_xmd_sha512(out, 255 * 64 + 1, NULL, 0, d, 8) == -1,
              "xmd: out_len > 255*64 rejected");
        CHECK(privbill_expand_message_xmd_sha512(out, 32, NULL, 0, d, 256) == -1,
              "xmd: dst_len 256 rejected");
        CHECK(privbill_expand_message_xmd_sha512(out, 32, NULL, 0, d, 255) == 0,
              "xmd: dst_len 255 accepted");
        CHECK(privbill_expand_message_xmd_sha512(big, 255 * 64, NULL, 0, d, 8) == 0,
              "xmd: out_len 255*64 accepted");
        /* len_in_bytes is hashed into b_0, so a short output is not a
         * prefix of a long one. */
        CHECK(privbill_expand_message_xmd_sha512(out, 64, NULL, 0, d, 8) == 0 &&
                  memcmp(out, big, 64) != 0,
              "xmd: output depends on len_in_bytes");
        /* Odd lengths: the last block is truncated, not padded. */
        CHECK(privbill_expand_message_xmd_sha512(out, 65, msgs[1], 3, d, 8) == 0 &&
                  privbill_expand_message_xmd_sha512(big, 65, msgs[1], 3, d, 8) == 0 &&
                  memcmp(out, big, 65) == 0,
              "xmd: deterministic at odd length 65");
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = 0x7072697662696c6cULL; /* "privbill" */
    int quick = getenv("PRIVBILL_TEST_QUICK") != NULL; /* valgrind, sanitizers */
    if (argc > 1) seed = (uint64_t)strtoull(argv[1], NULL, 0);
    printf("test_hash_scalar: seed %llu (rerun with: test_hash_scalar %llu)\n",
           (unsigned long long)seed, (unsigned long long)seed);

    test_sha512();
    test_scalar_kat();
    test_scalar_edges();
    test_scalar_sweep(seed, quick ? 300 : 2000);
    test_xmd();

    return check_report("test_hash_scalar");
}
