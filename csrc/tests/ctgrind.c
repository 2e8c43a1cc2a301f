/*
 * ctgrind.c: constant-time check of every entry point that handles secrets.
 *
 * Covered: SHA-512, every scalar function, scalarmult (variable and fixed
 * base), Pedersen commit and batch commit, blinding derivation and
 * combination, the meter's batch commit, Ed25519 keypair and sign.
 *
 * Run under valgrind memcheck (`make -C csrc ctgrind`). Before each call the
 * secret inputs are marked undefined (VALGRIND_MAKE_MEM_UNDEFINED): memcheck
 * then propagates "undefined" through every value computed from them and
 * reports a conditional jump, a memory address or a system call that
 * depends on one. Arithmetic on undefined values is silent, so a clean run
 * means no branch and no table index depends on a secret. Outputs are
 * declassified (VALGRIND_MAKE_MEM_DEFINED) before this program looks at
 * them: they are meant to be published (a commitment, a public key, a
 * signature) or are secret results the caller keeps, which are checked the
 * same way by whatever consumes them next.
 *
 * This is the technique of Adam Langley's ctgrind, as used by
 * bitcoin-core/secp256k1 and Monocypher; valgrind now provides it directly.
 *
 * `ctgrind selftest` branches on a secret on purpose: under valgrind it
 * must fail, which proves the harness is not vacuous (the Makefile checks).
 *
 * Without valgrind the marks are no-ops and the program only runs the calls.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "privbill.h"

#define SECRET(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))

#define ROUNDS 2
#define BATCH 4

static unsigned checked;
static unsigned failures;

/* Deterministic filler (splitmix64): the values do not matter to memcheck,
 * only their definedness does; two rounds vary them anyway. */
static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t next64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill(uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) p[i] = (uint8_t)next64();
}

/* A public ristretto255 element to multiply: a public multiple of G. */
static void public_element(uint8_t p[32])
{
    uint8_t s[32];
    fill(s, sizeof s);
    privbill_ristretto255_scalarmult_base(p, s);
}

static void expect(int ok, const char *what)
{
    checked++;
    if (!ok) {
        failures++;
        printf("FAIL: %s\n", what);
    }
}

static void check_sha512(void)
{
    uint8_t in[200], out[64];
    privbill_sha512_ctx ctx;

    fill(in, sizeof in);
    SECRET(in, sizeof in);
    privbill_sha512(out, in, sizeof in);
    PUBLIC(out, sizeof out);

    privbill_sha512_init(&ctx);
    privbill_sha512_update(&ctx, in, 77);           /* partial block */
    privbill_sha512_update(&ctx, in + 77, sizeof in - 77);
    privbill_sha512_final(&ctx, out);
    PUBLIC(out, sizeof out);
    PUBLIC(in, sizeof in);
    expect(1, "sha512");
}

static void check_scalars(void)
{
    uint8_t wide[64], a[32], b[32], c[32], out[32];
    int64_t v;
    int canonical;

    fill(wide, sizeof wide);
    fill(a, sizeof a);
    fill(b, sizeof b);
    fill(c, sizeof c);
    fill((uint8_t *)&v, sizeof v);
    SECRET(wide, sizeof wide);
    SECRET(a, sizeof a);
    SECRET(b, sizeof b);
    SECRET(c, sizeof c);
    SECRET(&v, sizeof v);

    privbill_scalar_reduce(out, wide);
    PUBLIC(out, sizeof out);
    canonical = privbill_scalar_is_canonical(a);
    PUBLIC(&canonical, sizeof canonical);
    privbill_scalar_add(out, a, b);
    PUBLIC(out, sizeof out);
    privbill_scalar_sub(out, a, b);
    PUBLIC(out, sizeof out);
    privbill_scalar_mul(out, a, b);
    PUBLIC(out, sizeof out);
    privbill_scalar_negate(out, a);
    PUBLIC(out, sizeof out);
    privbill_scalar_muladd(out, a, b, c);
    PUBLIC(out, sizeof out);
    privbill_scalar_from_i64(out, v);
    PUBLIC(out, sizeof out);

    PUBLIC(wide, sizeof wide);
    PUBLIC(a, sizeof a);
    PUBLIC(b, sizeof b);
    PUBLIC(c, sizeof c);
    PUBLIC(&v, sizeof v);
    expect(canonical == 0 || canonical == 1, "scalar_is_canonical returns 0 or 1");
}

static void check_scalarmult(void)
{
    uint8_t s[32], p[32], out[32];
    int rc;

    fill(s, sizeof s);
    public_element(p);
    SECRET(s, sizeof s);

    rc = privbill_ristretto255_scalarmult(out, s, p);
    PUBLIC(out, sizeof out);
    /* rc depends on p only: it must come out defined without help. */
    expect(rc == 0, "ristretto255_scalarmult accepts a valid element");

    privbill_ristretto255_scalarmult_base(out, s);
    PUBLIC(out, sizeof out);
    PUBLIC(s, sizeof s);
    expect(1, "ristretto255_scalarmult_base");
}

static void check_pedersen(void)
{
    uint8_t blinding[32], out[32];
    uint8_t blindings[BATCH * 32], outs[BATCH * 32];
    uint64_t value, values[BATCH];

    fill((uint8_t *)&value, sizeof value);
    fill(blinding, sizeof blinding);
    SECRET(&value, sizeof value);
    SECRET(blinding, sizeof blinding);
    privbill_pedersen_commit(out, value, blinding);
    PUBLIC(out, sizeof out);
    PUBLIC(&value, sizeof value);
    PUBLIC(blinding, sizeof blinding);

    fill((uint8_t *)values, sizeof values);
    fill(blindings, sizeof blindings);
    SECRET(values, sizeof values);
    SECRET(blindings, sizeof blindings);
    privbill_pedersen_commit_many(outs, values, blindings, BATCH);
    PUBLIC(outs, sizeof outs);
    PUBLIC(values, sizeof values);
    PUBLIC(blindings, sizeof blindings);
    expect(1, "pedersen_commit, pedersen_commit_many");
}

static void check_blinding_derive(void)
{
    uint8_t secret[32], meter_id[16], out[32];
    uint64_t index;

    fill(secret, sizeof secret);
    fill(meter_id, sizeof meter_id);
    fill((uint8_t *)&index, sizeof index);
    SECRET(secret, sizeof secret);
    privbill_blinding_derive(out, secret, meter_id, 1, index);
    PUBLIC(out, sizeof out);
    PUBLIC(secret, sizeof secret);
    expect(1, "blinding_derive");
}

/* The meter's whole batch and the household's opening: secret k and the
 * readings are secret; the presence bitmap, indices and weights are public. */
static void check_meter_batch(void)
{
    uint8_t secret[32], meter_id[16], presence[1] = {0x0b}, out[BATCH * 32], opening[32];
    uint64_t values[BATCH], indices[3] = {1000, 1001, 1003};
    int64_t weights[3] = {3, -2, 7};
    size_t n_out = 0;
    int rc;

    fill(secret, sizeof secret);
    fill(meter_id, sizeof meter_id);
    fill((uint8_t *)values, sizeof values);
    SECRET(secret, sizeof secret);
    SECRET(values, sizeof values);
    rc = privbill_meter_commit_batch(out, &n_out, secret, meter_id, 2, 1000, BATCH, presence,
                                     values);
    PUBLIC(out, sizeof out);
    PUBLIC(values, sizeof values);
    /* rc and n_out depend on public arguments only: defined without help. */
    expect(rc == 0 && n_out == 3, "meter_commit_batch");

    privbill_blinding_combine(opening, secret, meter_id, 2, indices, weights, 3);
    PUBLIC(opening, sizeof opening);
    privbill_blinding_combine(opening, secret, meter_id, 2, indices, NULL, 3);
    PUBLIC(opening, sizeof opening);
    PUBLIC(secret, sizeof secret);
    expect(1, "blinding_combine");
}

static void check_ed25519(void)
{
    uint8_t seed[32], pk[32], sk[64], sig[64], msg[100];

    fill(seed, sizeof seed);
    fill(msg, sizeof msg);
    SECRET(seed, sizeof seed);
    privbill_ed25519_keypair(pk, sk, seed);
    PUBLIC(pk, sizeof pk);

    /* sk = seed || pk: all 64 bytes secret for signing. */
    SECRET(sk, sizeof sk);
    privbill_ed25519_sign(sig, msg, sizeof msg, sk);
    PUBLIC(sig, sizeof sig);
    PUBLIC(sk, sizeof sk);
    PUBLIC(seed, sizeof seed);

    /* The signature verifies (public data only from here on). */
    expect(privbill_ed25519_verify(sig, msg, sizeof msg, pk) == 0, "ed25519 sign/verify");
}

/* Must be reported by memcheck: a branch on a secret byte. */
static int selftest(void)
{
    volatile uint8_t sink = 0;
    uint8_t secret[32];

    fill(secret, sizeof secret);
    SECRET(secret, sizeof secret);
    if (secret[0] & 1) sink = 1;
    PUBLIC(secret, sizeof secret);
    printf("ctgrind selftest: branched on a secret (memcheck must report it)\n");
    return (int)sink * 0;
}

/* Settlement masking: X25519, HMAC/HKDF-SHA-512, pair keys, masks, reports. */
static void check_masking(void)
{
    uint8_t sk[32], peer_sk[32], peer_pk[32], u[32], out[32], key[64], keys[128], prk[64];
    uint8_t okm[96], mr[32], mo[32], q[32], digest[32], id[16], peer_id[16], blinding[32];
    uint8_t self_secret[32], yv[32], yo[32], msg[40];
    const uint8_t subtract[2] = {0, 1};
    const uint8_t counted[2] = {1, 0};
    uint64_t value = 0;
    int rc;

    fill(sk, sizeof sk);
    fill(peer_sk, sizeof peer_sk);
    fill(digest, sizeof digest);
    fill(id, sizeof id);
    fill(peer_id, sizeof peer_id);
    fill(blinding, sizeof blinding);
    fill(self_secret, sizeof self_secret);
    fill(keys, sizeof keys);
    fill(msg, sizeof msg);
    fill((uint8_t *)&value, sizeof value);
    privbill_x25519_public_key(peer_pk, peer_sk);
    privbill_x25519_public_key(u, peer_sk);

    SECRET(sk, sizeof sk);
    SECRET(msg, sizeof msg);
    SECRET(keys, sizeof keys);
    SECRET(&value, sizeof value);
    SECRET(blinding, sizeof blinding);
    SECRET(self_secret, sizeof self_secret);

    privbill_x25519_public_key(out, sk);
    PUBLIC(out, sizeof out);
    rc = privbill_x25519(out, sk, u);
    PUBLIC(&rc, sizeof rc);   /* the DH output being zero: only for small-order u */
    PUBLIC(out, sizeof out);
    privbill_hmac_sha512(prk, sk, sizeof sk, msg, sizeof msg);
    PUBLIC(prk, sizeof prk);
    privbill_hkdf_sha512_extract(prk, msg, sizeof msg, sk, sizeof sk);
    SECRET(prk, sizeof prk);
    rc = privbill_hkdf_sha512_expand(okm, sizeof okm, prk, sizeof prk, msg, sizeof msg);
    PUBLIC(&rc, sizeof rc);
    PUBLIC(okm, sizeof okm);
    rc = privbill_mask_pair_key(key, sk, peer_pk, digest, id, peer_id);
    PUBLIC(&rc, sizeof rc);
    SECRET(key, sizeof key);
    privbill_mask_pair(mr, mo, key, 17);
    PUBLIC(mr, sizeof mr);
    PUBLIC(mo, sizeof mo);
    privbill_mask_self_point(q, self_secret, digest, 17);
    SECRET(q, sizeof q);
    privbill_mask_self_from_point(mr, mo, q, 17);
    PUBLIC(mr, sizeof mr);
    PUBLIC(mo, sizeof mo);
    rc = privbill_mask_report(yv, yo, value, blinding, self_secret, digest, 17, keys,
                              subtract, 2);
    PUBLIC(&rc, sizeof rc);
    PUBLIC(yv, sizeof yv);
    PUBLIC(yo, sizeof yo);
    expect(rc == 0, "mask_report");
    rc = privbill_mask_unmask(yv, yo, self_secret, digest, 17, keys, subtract, counted, 2);
    PUBLIC(&rc, sizeof rc);
    PUBLIC(yv, sizeof yv);
    PUBLIC(yo, sizeof yo);
    expect(rc == 0, "mask_unmask");

    PUBLIC(sk, sizeof sk);
    PUBLIC(msg, sizeof msg);
    PUBLIC(keys, sizeof keys);
    PUBLIC(&value, sizeof value);
    PUBLIC(blinding, sizeof blinding);
    PUBLIC(self_secret, sizeof self_secret);
    PUBLIC(key, sizeof key);
    PUBLIC(q, sizeof q);
    PUBLIC(prk, sizeof prk);
}

int main(int argc, char **argv)
{
    int round;

    if (argc > 1 && strcmp(argv[1], "selftest") == 0) return selftest();
    if (!RUNNING_ON_VALGRIND)
        printf("ctgrind: not under valgrind, secrets are not tracked (run make ctgrind)\n");

    for (round = 0; round < ROUNDS; round++) {
        check_sha512();
        check_scalars();
        check_scalarmult();
        check_pedersen();
        check_blinding_derive();
        check_meter_batch();
        check_ed25519();
        check_masking();
    }
    printf("ctgrind: %u passed, %u failed\n", checked - failures, failures);
    return failures == 0 ? 0 : 1;
}
