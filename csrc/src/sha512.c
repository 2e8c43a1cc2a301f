/*
 * SHA-512, FIPS 180-4 (August 2015), written from the standard.
 *
 * Section numbers in the comments refer to FIPS 180-4. SHA-512 has no
 * data-dependent branch or table index, so it is constant time in the
 * message as written; the only branches are on lengths, which are public.
 */
#include <string.h>

#include "privbill.h"
#include "util.h"

/*
 * Section 4.2.3: the first 64 bits of the fractional parts of the cube
 * roots of the first eighty primes. Generated from that definition:
 * K[i] = floor(cbrt(p_i * 2^192)) mod 2^64 with an exact integer cube root
 * in Python; they match the table printed in the standard.
 */
static const uint64_t K512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL,
    0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL,
    0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
    0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL,
    0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL,
    0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL,
    0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL,
    0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
    0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL,
    0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL,
    0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL,
    0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL,
    0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
    0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL,
    0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL,
    0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL,
    0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL,
    0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
    0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL,
    0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL,
    0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL
};

/*
 * Section 5.3.5: the initial hash value, the first 64 bits of the
 * fractional parts of the square roots of the first eight primes,
 * floor(sqrt(p_i * 2^128)) mod 2^64.
 */
static const uint64_t H512[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
    0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
    0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL
};

static inline uint64_t rotr64(uint64_t x, unsigned int n)
{
    return (x >> n) | (x << (64 - n));
}

/* Section 4.1.3, the six logical functions of SHA-384/512. */
#define CH(x, y, z)  (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (rotr64((x), 28) ^ rotr64((x), 34) ^ rotr64((x), 39))
#define BSIG1(x) (rotr64((x), 14) ^ rotr64((x), 18) ^ rotr64((x), 41))
#define SSIG0(x) (rotr64((x), 1) ^ rotr64((x), 8) ^ ((x) >> 7))
#define SSIG1(x) (rotr64((x), 19) ^ rotr64((x), 61) ^ ((x) >> 6))

/* Section 6.4.2: process n consecutive 1024-bit blocks. */
static void sha512_blocks(uint64_t state[8], const uint8_t *blocks, size_t n)
{
    uint64_t w[80];
    uint64_t a, b, c, d, e, f, g, h, t1, t2;
    int t;

    for (; n > 0; n--, blocks += 128) {
        /* Step 1: the message schedule. */
        for (t = 0; t < 16; t++) w[t] = privbill_load64_be(blocks + 8 * t);
        for (t = 16; t < 80; t++) {
            w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];
        }

        /* Step 2: the eight working variables. */
        a = state[0]; b = state[1]; c = state[2]; d = state[3];
        e = state[4]; f = state[5]; g = state[6]; h = state[7];

        /* Step 3: eighty rounds. */
        for (t = 0; t < 80; t++) {
            t1 = h + BSIG1(e) + CH(e, f, g) + K512[t] + w[t];
            t2 = BSIG0(a) + MAJ(a, b, c);
            h = g; g = f; f = e;
            e = d + t1;
            d = c; c = b; b = a;
            a = t1 + t2;
        }

        /* Step 4: the intermediate hash value. */
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }

    /* The schedule is a function of the message, which may be secret
     * (blinding derivation, signing keys): wiped once the last block is done
     * (each block overwrites all of it). The working variables live in
     * registers or are overwritten by the next call; they are not wiped. */
    privbill_wipe(w, sizeof w);
}

void privbill_sha512_init(privbill_sha512_ctx *ctx)
{
    int i;
    for (i = 0; i < 8; i++) ctx->state[i] = H512[i];
    ctx->count = 0;
    memset(ctx->buf, 0, sizeof ctx->buf);
}

void privbill_sha512_update(privbill_sha512_ctx *ctx, const uint8_t *in, size_t in_len)
{
    /* Bytes already waiting in buf: count mod 128. */
    size_t used = (size_t)(ctx->count & 127);

    if (in_len == 0) return; /* in may be NULL then */
    ctx->count += (uint64_t)in_len;

    /* Top up a partly filled buffer first. */
    if (used != 0) {
        size_t take = 128 - used;
        if (take > in_len) take = in_len;
        memcpy(ctx->buf + used, in, take);
        used += take;
        in += take;
        in_len -= take;
        if (used < 128) return;
        sha512_blocks(ctx->state, ctx->buf, 1);
    }
    /* Whole blocks straight from the input. */
    if (in_len >= 128) {
        sha512_blocks(ctx->state, in, in_len / 128);
        in += in_len & ~(size_t)127;
        in_len &= 127;
    }
    /* Keep the tail. */
    if (in_len != 0) memcpy(ctx->buf, in, in_len);
}

void privbill_sha512_final(privbill_sha512_ctx *ctx, uint8_t out[64])
{
    size_t used = (size_t)(ctx->count & 127);
    int i;

    /*
     * Section 5.1.2 padding: a 1 bit, zeros, then the message length in
     * bits as a 128-bit big-endian integer. count is in bytes, so the bit
     * length is count * 8: its high 64 bits are count >> 61.
     */
    ctx->buf[used++] = 0x80;
    if (used > 112) {
        memset(ctx->buf + used, 0, 128 - used);
        sha512_blocks(ctx->state, ctx->buf, 1);
        used = 0;
    }
    memset(ctx->buf + used, 0, 112 - used);
    privbill_store64_be(ctx->buf + 112, ctx->count >> 61);
    privbill_store64_be(ctx->buf + 120, ctx->count << 3);
    sha512_blocks(ctx->state, ctx->buf, 1);

    /* Section 6.4.2: the digest is H0 .. H7, big endian. */
    for (i = 0; i < 8; i++) privbill_store64_be(out + 8 * i, ctx->state[i]);
    privbill_wipe(ctx, sizeof *ctx);
}

void privbill_sha512(uint8_t out[64], const uint8_t *in, size_t in_len)
{
    privbill_sha512_ctx ctx;
    privbill_sha512_init(&ctx);
    privbill_sha512_update(&ctx, in, in_len);
    privbill_sha512_final(&ctx, out); /* wipes ctx */
}
