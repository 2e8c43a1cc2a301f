/*
 * ristretto255, Pedersen commitments and multiscalar multiplication.
 *
 * Official vectors: RFC 9496 Appendix A, read at run time from
 * shared/data/vectors/ristretto255_rfc9496.json (path in argv[1]).
 * Properties: scalar multiplication against repeated addition, fixed-base
 * against variable-base, MSM and combine against naive sums, commitment
 * homomorphism over every 16-bit reading. Prints a digest of a fixed
 * workload (argv[2] = "digest") so the two field backends can be compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privbill.h"

/* deterministic randomness (xorshift64*), seed printed */
#define CHECK_RNG xorshift64star
#include "check.h"

static void rnd_scalar(uint8_t s[32])
{
    uint8_t wide[64];
    rng_bytes(wide, 64);
    privbill_scalar_reduce(s, wide);
}

/* --- a minimal reader for the vector file ------------------------------ */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);   /* test code: the core itself never allocates */
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = 0;
    fclose(f);
    return buf;
}

/* The JSON array that follows "name": (no nested arrays in this file). */
static int section(const char *doc, const char *name, const char **begin, const char **end)
{
    char key[64];
    const char *p;
    snprintf(key, sizeof key, "\"%s\":", name);
    p = strstr(doc, key);
    if (!p) return -1;
    *begin = strchr(p, '[');
    *end = *begin ? strchr(*begin, ']') : NULL;
    return (*begin && *end) ? 0 : -1;
}

/* Next "key": "hex" in [*p, end) decoded into out[len]; advances *p. */
static int next_hex(const char **p, const char *end, const char *key, uint8_t *out, size_t len)
{
    char pat[64];
    const char *q;
    size_t i;
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    q = strstr(*p, pat);
    if (!q || q >= end) return -1;
    q += strlen(pat);
    for (i = 0; i < len; i++) {
        unsigned int byte;
        if (sscanf(q + 2 * i, "%2x", &byte) != 1) return -1;
        out[i] = (uint8_t)byte;
    }
    if (q[2 * len] != '"') return -1;
    *p = q + 2 * len;
    return 0;
}

static void test_rfc9496(const char *path)
{
    char *doc = read_file(path);
    const char *b, *e, *p;
    uint8_t enc[32], acc[32] = {0}, g[32], out[32], k[32], uni[64], first[32];
    int count = 0, reject = 0;

    CHECK(doc != NULL, "cannot read %s", path);
    if (!doc) return;
    memset(k, 0, 32);
    k[0] = 1;
    privbill_ristretto255_scalarmult_base(g, k);

    /* A.1: multiples 0..15 of the generator, by addition and by scalarmult */
    CHECK(section(doc, "small_multiples", &b, &e) == 0, "small_multiples");
    for (p = b; next_hex(&p, e, "encoding", enc, 32) == 0; count++) {
        CHECK(memcmp(acc, enc, 32) == 0, "repeated addition, multiple %d", count);
        memset(k, 0, 32);
        k[0] = (uint8_t)count;
        privbill_ristretto255_scalarmult_base(out, k);
        CHECK(memcmp(out, enc, 32) == 0, "scalarmult_base, multiple %d", count);
        CHECK(privbill_ristretto255_scalarmult(out, k, g) == 0 && memcmp(out, enc, 32) == 0,
              "scalarmult, multiple %d", count);
        CHECK(privbill_ristretto255_validate(enc) == 0, "valid multiple %d", count);
        CHECK(privbill_ristretto255_add(acc, acc, g) == 0, "add");
    }
    CHECK(count == 16, "16 small multiples, got %d", count);

    /* A.2: every invalid encoding rejected */
    CHECK(section(doc, "invalid_encodings", &b, &e) == 0, "invalid_encodings");
    for (p = b; next_hex(&p, e, "encoding", enc, 32) == 0; reject++) {
        privbill_point pt;
        CHECK(privbill_ristretto255_validate(enc) == -1, "invalid encoding %d accepted", reject);
        CHECK(privbill_point_decode(&pt, enc) == -1, "decode accepted invalid %d", reject);
        CHECK(privbill_ristretto255_add(out, enc, g) == -1, "add accepted invalid %d", reject);
    }
    CHECK(reject == 29, "29 invalid encodings, got %d", reject);

    /* A.3: one-way map */
    count = 0;
    CHECK(section(doc, "one_way_map", &b, &e) == 0, "one_way_map");
    for (p = b; next_hex(&p, e, "uniform_bytes_sha512_of_label", uni, 64) == 0; count++) {
        CHECK(next_hex(&p, e, "element", enc, 32) == 0, "element %d", count);
        privbill_ristretto255_from_uniform(out, uni);
        CHECK(memcmp(out, enc, 32) == 0, "one-way map %d", count);
    }
    CHECK(count == 7, "7 map vectors, got %d", count);

    /* A.3: inputs that map to the same element */
    count = 0;
    CHECK(section(doc, "one_way_map_equivalent_inputs", &b, &e) == 0, "equivalent inputs");
    p = e;
    CHECK(next_hex(&p, p + strlen(p), "element", first, 32) == 0, "equivalent element");
    for (p = strchr(b, '"'); p && p < e; p = strchr(p + 130, '"'), count++) {
        size_t i;
        for (i = 0; i < 64; i++) {
            unsigned int byte = 0;
            if (sscanf(p + 1 + 2 * i, "%2x", &byte) != 1) break;
            uni[i] = (uint8_t)byte;
        }
        privbill_ristretto255_from_uniform(out, uni);
        CHECK(i == 64 && memcmp(out, first, 32) == 0, "equivalent input %d", count);
    }
    CHECK(count == 4, "4 equivalent inputs, got %d", count);
    free(doc);
}

static void naive_mul(uint8_t out[32], const uint8_t s[32], const uint8_t p[32])
{
    /* double-and-add over encodings: slow, obviously right */
    uint8_t acc[32] = {0}, base[32];
    int i;
    memcpy(base, p, 32);
    for (i = 0; i < 256; i++) {
        if ((s[i / 8] >> (i % 8)) & 1) (void)!privbill_ristretto255_add(acc, acc, base);
        (void)!privbill_ristretto255_add(base, base, base);
    }
    memcpy(out, acc, 32);
}

static void test_scalarmult(void)
{
    uint8_t s[32], g[32], h[32], p[32], a[32], b[32], one[32] = {1};
    int i;
    privbill_ristretto255_scalarmult_base(g, one);
    privbill_pedersen_h(h);
    for (i = 0; i < 20; i++) {
        rnd_scalar(s);
        rng_bytes(p, 32);
        privbill_ristretto255_scalarmult_base(a, s);
        naive_mul(b, s, g);
        CHECK(memcmp(a, b, 32) == 0, "scalarmult_base vs naive");
        CHECK(privbill_ristretto255_scalarmult(a, s, g) == 0 && memcmp(a, b, 32) == 0,
              "scalarmult(G) vs naive");
        CHECK(privbill_ristretto255_scalarmult(a, s, h) == 0, "scalarmult(H)");
        naive_mul(b, s, h);
        CHECK(memcmp(a, b, 32) == 0, "scalarmult(H) vs naive");
    }
    /* unreduced scalars are used mod l */
    memset(s, 0xff, 32);
    privbill_ristretto255_scalarmult_base(a, s);
    privbill_scalar_reduce(p, (const uint8_t[64]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    privbill_ristretto255_scalarmult_base(b, p);
    CHECK(memcmp(a, b, 32) == 0, "scalar 2^256-1 used mod l");
}

static void test_pedersen(void)
{
    uint8_t o[32], o2[32], sum_o[32], c[32], c2[32], lhs[32], rhs[32], v[32], vg[32], oh[32];
    uint8_t h[32], id[16], sec[32];
    uint64_t a, bval = 51234;
    privbill_point pt;
    int ok = 1;

    privbill_pedersen_h(h);
    for (a = 0; a < 20; a++) {
        uint64_t val = rng_next() >> (a % 64);
        rnd_scalar(o);
        privbill_pedersen_commit(c, val, o);
        privbill_scalar_from_i64(v, (int64_t)(val >> 1));
        privbill_scalar_add(v, v, v);
        if (val & 1) {
            uint8_t one[32] = {1};
            privbill_scalar_add(v, v, one);
        }
        privbill_ristretto255_scalarmult_base(vg, v);
        CHECK(privbill_ristretto255_scalarmult(oh, o, h) == 0, "oH");
        CHECK(privbill_ristretto255_add(rhs, vg, oh) == 0 && memcmp(c, rhs, 32) == 0,
              "commit == vG + oH");
        CHECK(privbill_point_decode(&pt, c) == 0, "decode commitment");
        CHECK(privbill_pedersen_verify_vartime(&pt, v, o) == 0, "opening verifies");
        v[0] ^= 1;
        CHECK(privbill_pedersen_verify_vartime(&pt, v, o) == -1, "wrong value rejected");
    }

    /* homomorphism over every 16-bit reading against fixed b */
    rnd_scalar(o);
    rnd_scalar(o2);
    privbill_scalar_add(sum_o, o, o2);
    privbill_pedersen_commit(c2, bval, o2);
    /* the full sweep; 4096 readings under slow runners (valgrind, qemu) */
    for (a = 0; a < (getenv("PRIVBILL_TEST_QUICK") ? 4096u : 65536u); a++) {
        privbill_pedersen_commit(c, a, o);
        ok &= privbill_ristretto255_add(lhs, c, c2) == 0;
        privbill_pedersen_commit(rhs, a + bval, sum_o);
        ok &= memcmp(lhs, rhs, 32) == 0;
    }
    CHECK(ok, "C(a,o) + C(b,o') == C(a+b, o+o') for every a < %llu", (unsigned long long)a);

    /* blinding derivation: every input changes the output */
    rng_bytes(sec, 32);
    rng_bytes(id, 16);
    privbill_blinding_derive(o, sec, id, 0, 1000);
    privbill_blinding_derive(o2, sec, id, 1, 1000);
    CHECK(memcmp(o, o2, 32) != 0, "channel separates");
    privbill_blinding_derive(o2, sec, id, 0, 1001);
    CHECK(memcmp(o, o2, 32) != 0, "index separates");
    CHECK(privbill_scalar_is_canonical(o), "derived blinding reduced");
}

static void test_msm(void)
{
    enum { N = 300 };
    static privbill_point pts[N];
    static uint8_t enc[N * 32], scalars[N * 32];
    static int64_t w[N];
    static uint32_t idx[N];
    uint8_t acc[32], term[32], got[32], wsc[32];
    privbill_point out;
    size_t bad = 0, n, i;

    for (i = 0; i < N; i++) {
        uint8_t s[32];
        rnd_scalar(s);
        privbill_ristretto255_scalarmult_base(enc + 32 * i, s);
        rnd_scalar(scalars + 32 * i);
        w[i] = (int64_t)rng_next();
        if (i % 7 == 0) w[i] = (int64_t)(rng_next() % 2000) - 1000;
        idx[i] = (uint32_t)(rng_next() % N);
    }
    w[0] = INT64_MIN;
    w[1] = INT64_MAX;
    w[2] = 0;
    CHECK(privbill_points_decode(pts, &bad, enc, N) == 0, "decode %d points", N);
    memcpy(enc + 32 * 5, "\xff", 1);
    CHECK(privbill_points_decode(pts, &bad, enc, N) == -1 && bad == 5, "first bad index");
    privbill_ristretto255_scalarmult_base(enc + 32 * 5, (const uint8_t[32]){0});
    CHECK(privbill_points_decode(pts, &bad, enc, N) == 0, "decode again");

    /* decoding hints: same points as a full decode; a wrong hint only costs time */
    {
        static privbill_point hinted[N];
        static uint8_t hints[N * 32];
        uint8_t a[32], b[32];
        CHECK(privbill_decode_hints(hints, &bad, enc, N) == 0, "hints");
        hints[32 * 7] ^= 1;                       /* one wrong hint */
        memset(hints + 32 * 9, 0, 32);            /* one zero hint */
        CHECK(privbill_points_decode_hinted_vartime(hinted, &bad, enc, hints, N) == 0,
              "hinted decode");
        for (i = 0; i < N; i++) {
            privbill_point_encode(a, &pts[i]);
            privbill_point_encode(b, &hinted[i]);
            CHECK(memcmp(a, b, 32) == 0 && privbill_point_equal(&pts[i], &hinted[i]),
                  "hinted point %zu", i);
        }
        memcpy(a, enc + 32 * 3, 32);
        enc[32 * 3] ^= 1;                         /* now s is odd (negative): invalid */
        CHECK(privbill_points_decode_hinted_vartime(hinted, &bad, enc, hints, N) == -1 &&
              bad == 3, "hinted decode rejects invalid encoding");
        CHECK(privbill_decode_hints(hints, &bad, enc, N) == -1 && bad == 3, "no hint for invalid");
        memcpy(enc + 32 * 3, a, 32);
    }

    /* sizes around the Straus/Pippenger switch and Pippenger window steps */
    for (n = 0; n <= N; n += (n < 20 ? 1 : 70)) {
        memset(acc, 0, 32);
        for (i = 0; i < n; i++) {
            CHECK(privbill_ristretto255_scalarmult(term, scalars + 32 * i, enc + 32 * i) == 0, "sm");
            (void)!privbill_ristretto255_add(acc, acc, term);
        }
        privbill_points_msm_vartime(&out, pts, scalars, n);
        privbill_point_encode(got, &out);
        CHECK(memcmp(got, acc, 32) == 0, "msm n=%zu", n);

        memset(acc, 0, 32);
        for (i = 0; i < n; i++) {
            privbill_scalar_from_i64(wsc, w[i]);
            CHECK(privbill_ristretto255_scalarmult(term, wsc, enc + 32 * i) == 0, "sm");
            (void)!privbill_ristretto255_add(acc, acc, term);
        }
        privbill_points_combine_vartime(&out, pts, w, n);
        privbill_point_encode(got, &out);
        CHECK(memcmp(got, acc, 32) == 0, "combine n=%zu", n);

        memset(acc, 0, 32);
        for (i = 0; i < n; i++) (void)!privbill_ristretto255_add(acc, acc, enc + 32 * idx[i]);
        CHECK(privbill_points_sum_vartime(&out, pts, N, idx, n) == 0, "sum");
        privbill_point_encode(got, &out);
        CHECK(memcmp(got, acc, 32) == 0, "sum n=%zu", n);
    }
    idx[0] = N;
    CHECK(privbill_points_sum_vartime(&out, pts, N, idx, 1) == -1, "index out of range");
}

/* A fixed workload whose SHA-512 both backends must agree on. */
static void print_digest(void)
{
    privbill_sha512_ctx ctx;
    uint8_t out[32], s[32], uni[64], d[64];
    int i;
    rng_state = 0x5eed;
    privbill_sha512_init(&ctx);
    for (i = 0; i < 200; i++) {
        rnd_scalar(s);
        privbill_pedersen_commit(out, rng_next(), s);
        privbill_sha512_update(&ctx, out, 32);
        rng_bytes(uni, 64);
        privbill_ristretto255_from_uniform(out, uni);
        privbill_sha512_update(&ctx, out, 32);
        (void)!privbill_ristretto255_scalarmult(out, s, out);
        privbill_sha512_update(&ctx, out, 32);
    }
    privbill_sha512_final(&ctx, d);
    printf("digest: ");
    for (i = 0; i < 64; i++) printf("%02x", d[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *vectors = argc > 1 ? argv[1] : "../shared/data/vectors/ristretto255_rfc9496.json";
    if (argc > 2 && strcmp(argv[2], "digest") == 0) {
        print_digest();
        return 0;
    }
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9e3779b97f4a7c15ULL;
    printf("test_ristretto: seed 0x%llx\n", (unsigned long long)rng_state);
    test_rfc9496(vectors);
    test_scalarmult();
    test_pedersen();
    test_msm();
    return check_report("test_ristretto");
}
