/*
 * expand_message_xmd with SHA-512, RFC 9380 section 5.3.1, step by step.
 *
 * SHA-512 parameters: b_in_bytes = 64 (output size), s_in_bytes = 128
 * (input block size). The message is streamed into the hash, so msg_prime
 * is never materialised and msg may be of any length.
 */
#include "privbill.h"
#include "util.h"

#define XMD_B_IN_BYTES 64
#define XMD_S_IN_BYTES 128

int privbill_expand_message_xmd_sha512(uint8_t *out, size_t out_len, const uint8_t *msg,
                                       size_t msg_len, const uint8_t *dst, size_t dst_len)
{
    static const uint8_t z_pad[XMD_S_IN_BYTES] = { 0 };
    privbill_sha512_ctx ctx;
    uint8_t b_0[XMD_B_IN_BYTES], b_i[XMD_B_IN_BYTES];
    uint8_t l_i_b_str[2], dst_len_byte, i_byte;
    size_t ell, i, j, off;

    /*
     * 1. ell = ceil(len_in_bytes / b_in_bytes)
     * 2. ABORT if ell > 255 or len_in_bytes > 65535 or len(DST) > 255.
     *    255 * 64 = 16320 < 65535, so the first bound implies the second.
     *    privbill.h also rejects len_in_bytes == 0 (ell == 0 would output
     *    nothing, and no caller has a use for that).
     */
    /* RFC 9380 section 3.1: tags MUST have nonzero length */
    if (out_len == 0 || out_len > 255 * XMD_B_IN_BYTES || dst_len == 0 || dst_len > 255) return -1;
    ell = (out_len + XMD_B_IN_BYTES - 1) / XMD_B_IN_BYTES;

    /* 3. DST_prime = DST || I2OSP(len(DST), 1) */
    dst_len_byte = (uint8_t)dst_len;
    /* 4. Z_pad = I2OSP(0, s_in_bytes)  (the static z_pad above) */
    /* 5. l_i_b_str = I2OSP(len_in_bytes, 2) */
    l_i_b_str[0] = (uint8_t)(out_len >> 8);
    l_i_b_str[1] = (uint8_t)out_len;

    /* 6. msg_prime = Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime
     * 7. b_0 = H(msg_prime) */
    i_byte = 0;
    privbill_sha512_init(&ctx);
    privbill_sha512_update(&ctx, z_pad, sizeof z_pad);
    privbill_sha512_update(&ctx, msg, msg_len);
    privbill_sha512_update(&ctx, l_i_b_str, 2);
    privbill_sha512_update(&ctx, &i_byte, 1);
    privbill_sha512_update(&ctx, dst, dst_len);
    privbill_sha512_update(&ctx, &dst_len_byte, 1);
    privbill_sha512_final(&ctx, b_0);

    /* 8. b_1 = H(b_0 || I2OSP(1, 1) || DST_prime)
     * 9. for i in (2, ..., ell):
     * 10.   b_i = H(strxor(b_0, b_(i - 1)) || I2OSP(i, 1) || DST_prime)
     * 11. uniform_bytes = b_1 || ... || b_ell
     * 12. return substr(uniform_bytes, 0, len_in_bytes)
     * For i == 1 the hashed block is b_0 itself, which is strxor(b_0, 0):
     * starting from b_i = 0 makes step 8 the first pass of the loop. */
    for (j = 0; j < XMD_B_IN_BYTES; j++) b_i[j] = 0;
    off = 0;
    for (i = 1; i <= ell; i++) {
        for (j = 0; j < XMD_B_IN_BYTES; j++) b_i[j] ^= b_0[j];
        i_byte = (uint8_t)i;
        privbill_sha512_init(&ctx);
        privbill_sha512_update(&ctx, b_i, XMD_B_IN_BYTES);
        privbill_sha512_update(&ctx, &i_byte, 1);
        privbill_sha512_update(&ctx, dst, dst_len);
        privbill_sha512_update(&ctx, &dst_len_byte, 1);
        privbill_sha512_final(&ctx, b_i);
        for (j = 0; j < XMD_B_IN_BYTES && off < out_len; j++) out[off++] = b_i[j];
    }

    /* The message may be secret; b_0 and b_i are functions of it. */
    privbill_wipe(b_0, sizeof b_0);
    privbill_wipe(b_i, sizeof b_i);
    return 0;
}
