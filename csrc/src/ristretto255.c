/* ristretto255 on encodings (RFC 9496): the public entry points. */
#include <string.h>

#include "group.h"
#include "privbill.h"
#include "scalar.h"
#include "util.h"

int privbill_ristretto255_validate(const uint8_t p[32])
{
    ge_p3 h;
    return ge_ristretto_frombytes(&h, p);
}

int privbill_ristretto255_add(uint8_t out[32], const uint8_t p[32], const uint8_t q[32])
{
    ge_p3 a, b;
    if (ge_ristretto_frombytes(&a, p) != 0 || ge_ristretto_frombytes(&b, q) != 0) return -1;
    ge_p3_add(&a, &a, &b);
    ge_ristretto_tobytes(out, &a);
    return 0;
}

int privbill_ristretto255_sub(uint8_t out[32], const uint8_t p[32], const uint8_t q[32])
{
    ge_p3 a, b;
    ge_cached c;
    ge_p1p1 r;
    if (ge_ristretto_frombytes(&a, p) != 0 || ge_ristretto_frombytes(&b, q) != 0) return -1;
    ge_p3_to_cached(&c, &b);
    ge_sub(&r, &a, &c);
    ge_p1p1_to_p3(&a, &r);
    ge_ristretto_tobytes(out, &a);
    return 0;
}

int privbill_ristretto255_scalarmult(uint8_t out[32], const uint8_t s[32], const uint8_t p[32])
{
    uint8_t k[32];
    ge_p3 a, h;
    if (ge_ristretto_frombytes(&a, p) != 0) return -1;
    memcpy(k, s, 32);
    sc_reduce32(k);
    ge_scalarmult(&h, k, &a);
    ge_ristretto_tobytes(out, &h);
    privbill_wipe(k, sizeof k);
    privbill_wipe(&h, sizeof h);
    return 0;
}

void privbill_ristretto255_scalarmult_base(uint8_t out[32], const uint8_t s[32])
{
    uint8_t k[32];
    ge_p3 h;
    memcpy(k, s, 32);
    sc_reduce32(k);
    ge_scalarmult_base(&h, k);
    ge_ristretto_tobytes(out, &h);
    privbill_wipe(k, sizeof k);
    privbill_wipe(&h, sizeof h);
}

void privbill_ristretto255_from_uniform(uint8_t out[32], const uint8_t r[64])
{
    ge_p3 h;
    ge_ristretto_from_uniform(&h, r);
    ge_ristretto_tobytes(out, &h);
}

int privbill_ristretto255_hash_to_group(uint8_t out[32], const uint8_t *msg, size_t msg_len,
                                        const uint8_t *dst, size_t dst_len)
{
    uint8_t uniform[64];
    if (privbill_expand_message_xmd_sha512(uniform, sizeof uniform, msg, msg_len, dst,
                                           dst_len) != 0)
        return -1;
    privbill_ristretto255_from_uniform(out, uniform);
    return 0;
}
