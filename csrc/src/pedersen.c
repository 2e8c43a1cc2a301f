/*
 * Pedersen commitments C = r*G + o*H, the blinding derivation, and the
 * decoded-point operations a verifier runs over many commitments.
 */
#include <string.h>

#include "group.h"
#include "privbill.h"
#include "scalar.h"
#include "util.h"

/* privbill_point is the public, opaque storage of a ge_p3. */
typedef char privbill_point_holds_ge_p3[(sizeof(privbill_point) >= sizeof(ge_p3)) ? 1 : -1];

static const ge_p3 *as_p3(const privbill_point *p) { return (const ge_p3 *)(const void *)p; }
static ge_p3 *as_p3_mut(privbill_point *p) { return (ge_p3 *)(void *)p; }

void privbill_pedersen_h(uint8_t out[32])
{
    static const uint8_t one[32] = {1};
    ge_p3 h;
    ge_scalarmult_h(&h, one);
    ge_ristretto_tobytes(out, &h);
}

void privbill_pedersen_commit(uint8_t out[32], uint64_t value, const uint8_t blinding[32])
{
    uint8_t o[32];
    ge_p3 c;
    memcpy(o, blinding, 32);
    sc_reduce32(o);
    ge_commit(&c, value, o);
    ge_ristretto_tobytes(out, &c);
    privbill_wipe(o, sizeof o);
    privbill_wipe(&c, sizeof c);
}

void privbill_pedersen_commit_many(uint8_t *out, const uint64_t *values,
                                   const uint8_t *blindings, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) privbill_pedersen_commit(out + 32 * i, values[i], blindings + 32 * i);
}

void privbill_blinding_derive(uint8_t out[32], const uint8_t secret[32],
                              const uint8_t meter_id[16], uint8_t channel, uint64_t index)
{
    static const char domain[] = PRIVBILL_BLINDING_DOMAIN;
    privbill_sha512_ctx ctx;
    uint8_t tail[9], digest[64];

    tail[0] = channel;
    privbill_store64_be(tail + 1, index);
    privbill_sha512_init(&ctx);
    privbill_sha512_update(&ctx, (const uint8_t *)domain, sizeof domain - 1);
    privbill_sha512_update(&ctx, secret, 32);
    privbill_sha512_update(&ctx, meter_id, 16);
    privbill_sha512_update(&ctx, tail, sizeof tail);
    privbill_sha512_final(&ctx, digest);
    privbill_scalar_reduce(out, digest);
    privbill_wipe(digest, sizeof digest);
}

int privbill_pedersen_verify_vartime(const privbill_point *c, const uint8_t value[32],
                                     const uint8_t blinding[32])
{
    uint8_t v[32], o[32];
    ge_p3 expect;
    memcpy(v, value, 32);
    memcpy(o, blinding, 32);
    sc_reduce32(v);
    sc_reduce32(o);
    ge_double_scalarmult_base_h_vartime(&expect, v, o);
    return ge_ristretto_equal(&expect, as_p3(c)) ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Decoded points                                                      */
/* ------------------------------------------------------------------ */

int privbill_point_decode(privbill_point *out, const uint8_t in[32])
{
    memset(out, 0, sizeof *out);
    return ge_ristretto_frombytes(as_p3_mut(out), in);
}

void privbill_point_encode(uint8_t out[32], const privbill_point *p)
{
    ge_ristretto_tobytes(out, as_p3(p));
}

int privbill_points_decode(privbill_point *out, size_t *first_invalid, const uint8_t *in,
                           size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (privbill_point_decode(&out[i], in + 32 * i) != 0) {
            if (first_invalid) *first_invalid = i;
            return -1;
        }
    }
    return 0;
}

int privbill_points_decode_hinted_vartime(privbill_point *out, size_t *first_invalid,
                                         const uint8_t *in, const uint8_t *hints, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        if (ge_ristretto_frombytes_hinted_vartime(as_p3_mut(&out[i]), in + 32 * i,
                                                  hints + 32 * i) != 0) {
            if (first_invalid) *first_invalid = i;
            return -1;
        }
    }
    return 0;
}

int privbill_decode_hints(uint8_t *hints, size_t *first_invalid, const uint8_t *in, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (ge_ristretto_decode_hint(hints + 32 * i, in + 32 * i) != 0) {
            if (first_invalid) *first_invalid = i;
            return -1;
        }
    }
    return 0;
}

void privbill_point_add(privbill_point *out, const privbill_point *p, const privbill_point *q)
{
    ge_p3 r;
    ge_p3_add(&r, as_p3(p), as_p3(q));
    memset(out, 0, sizeof *out);
    *as_p3_mut(out) = r;
}

int privbill_point_equal(const privbill_point *p, const privbill_point *q)
{
    return ge_ristretto_equal(as_p3(p), as_p3(q));
}

int privbill_points_sum_vartime(privbill_point *out, const privbill_point *points,
                                size_t n_points, const uint32_t *indices, size_t n_indices)
{
    ge_p3 acc;
    ge_cached c;
    ge_p1p1 r;
    size_t j;

    if (indices) {
        for (j = 0; j < n_indices; j++)
            if (indices[j] >= n_points) return -1;
    } else if (n_indices != n_points) {
        return -1;
    }
    ge_p3_0(&acc);
    for (j = 0; j < n_indices; j++) {
        ge_p3_to_cached(&c, as_p3(&points[indices ? indices[j] : j]));
        ge_add(&r, &acc, &c);
        ge_p1p1_to_p3(&acc, &r);
    }
    memset(out, 0, sizeof *out);
    *as_p3_mut(out) = acc;
    return 0;
}

void privbill_points_combine_vartime(privbill_point *out, const privbill_point *points,
                                     const int64_t *weights, size_t n)
{
    ge_p3 acc;
    ge_combine_vartime(&acc, weights, as_p3(points), n);
    memset(out, 0, sizeof *out);
    *as_p3_mut(out) = acc;
}

void privbill_points_msm_vartime(privbill_point *out, const privbill_point *points,
                                 const uint8_t *scalars, size_t n)
{
    ge_p3 acc;
    ge_msm_vartime(&acc, scalars, as_p3(points), n);
    memset(out, 0, sizeof *out);
    *as_p3_mut(out) = acc;
}

/* ------------------------------------------------------------------ */
/* Meter and household batch operations                               */
/* ------------------------------------------------------------------ */

int privbill_meter_commit_batch(uint8_t *out, size_t *n_out, const uint8_t secret[32],
                                const uint8_t meter_id[16], uint8_t channel,
                                uint64_t first_index, uint32_t count, const uint8_t *presence,
                                const uint64_t *values)
{
    uint8_t o[32];
    ge_p3 c;
    uint32_t j;
    size_t k = 0;

    if (count > PRIVBILL_BATCH_MAX || first_index > UINT64_MAX - count) return -1;
    for (j = 0; j < count; j++) {
        /* presence is public: which intervals the meter recorded */
        if (!((presence[j / 8] >> (j % 8)) & 1)) continue;
        privbill_blinding_derive(o, secret, meter_id, channel, first_index + j);
        ge_commit(&c, values[j], o);
        ge_ristretto_tobytes(out + 32 * k, &c);
        k++;
    }
    *n_out = k;
    privbill_wipe(o, sizeof o);
    privbill_wipe(&c, sizeof c);
    return 0;
}

void privbill_blinding_combine(uint8_t out[32], const uint8_t secret[32],
                               const uint8_t meter_id[16], uint8_t channel,
                               const uint64_t *indices, const int64_t *weights, size_t n)
{
    uint8_t o[32], w[32], acc[32] = {0};
    size_t i;
    for (i = 0; i < n; i++) {
        privbill_blinding_derive(o, secret, meter_id, channel, indices[i]);
        if (weights) {
            privbill_scalar_from_i64(w, weights[i]);
            privbill_scalar_muladd(acc, w, o, acc);
        } else {
            privbill_scalar_add(acc, acc, o);
        }
    }
    memcpy(out, acc, 32);
    privbill_wipe(o, sizeof o);
    privbill_wipe(acc, sizeof acc);
}
