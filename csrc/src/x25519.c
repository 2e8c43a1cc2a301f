/*
 * X25519 (RFC 7748 section 5) on the core's field: the Diffie-Hellman
 * function a meter uses for the pairwise keys of settlement masking
 * (docs/settlement.md).
 *
 * The Montgomery ladder of RFC 7748 section 5, step for step, over the
 * fe_* functions of field.h, so it runs on both field backends. Constant
 * time in the scalar: every bit goes through fe_cswap (a masked swap, no
 * branch and no table index), the ladder always runs 255 steps, and the
 * final inversion is a fixed exponentiation.
 */
#include <string.h>

#include "field.h"
#include "privbill.h"
#include "util.h"

/*
 * The ladder: x_2/z_2 = [k]u, x_3/z_3 = [k+1]u in projective x-only form.
 * Limb bounds: every fe_add/fe_sub output below feeds straight into
 * fe_mul/fe_sq (which accept loose inputs) and is never added to again;
 * every ladder variable is a fe_mul/fe_sq output (reduced) at the top of a
 * step, so the adds in the next step start from reduced limbs.
 */
static void x25519_ladder(uint8_t out[32], const uint8_t k[32], const uint8_t u[32])
{
    /* a24 = (A - 2) / 4 = 121665 for Curve25519's A = 486662. */
    static const uint8_t a24_bytes[32] = { 0x41, 0xdb, 0x01 };
    fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb, a24;
    unsigned int swap = 0, bit;
    int t;

    fe_frombytes(a24, a24_bytes);
    fe_frombytes(x1, u);               /* ignores the top bit, as 5 requires */
    fe_1(x2);
    fe_0(z2);
    fe_copy(x3, x1);
    fe_1(z3);

    for (t = 254; t >= 0; t--) {
        bit = (unsigned int)((k[t >> 3] >> (t & 7)) & 1);
        swap ^= bit;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = bit;

        fe_add(a, x2, z2);             /* A  = x_2 + z_2 */
        fe_sq(aa, a);                  /* AA = A^2 */
        fe_sub(b, x2, z2);             /* B  = x_2 - z_2 */
        fe_sq(bb, b);                  /* BB = B^2 */
        fe_sub(e, aa, bb);             /* E  = AA - BB */
        fe_add(c, x3, z3);             /* C  = x_3 + z_3 */
        fe_sub(d, x3, z3);             /* D  = x_3 - z_3 */
        fe_mul(da, d, a);              /* DA = D * A */
        fe_mul(cb, c, b);              /* CB = C * B */
        fe_add(x3, da, cb);
        fe_sq(x3, x3);                 /* x_3 = (DA + CB)^2 */
        fe_sub(z3, da, cb);
        fe_sq(z3, z3);
        fe_mul(z3, x1, z3);            /* z_3 = x_1 * (DA - CB)^2 */
        fe_mul(x2, aa, bb);            /* x_2 = AA * BB */
        fe_mul(z2, a24, e);
        fe_add(z2, aa, z2);
        fe_mul(z2, e, z2);             /* z_2 = E * (AA + a24 * E) */
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);

    fe_invert(z2, z2);                 /* z_2^(p-2); 0 stays 0 */
    fe_mul(x2, x2, z2);
    fe_tobytes(out, x2);

    privbill_wipe(x2, sizeof x2); privbill_wipe(z2, sizeof z2);
    privbill_wipe(x3, sizeof x3); privbill_wipe(z3, sizeof z3);
    privbill_wipe(a, sizeof a); privbill_wipe(aa, sizeof aa);
    privbill_wipe(b, sizeof b); privbill_wipe(bb, sizeof bb);
    privbill_wipe(e, sizeof e); privbill_wipe(c, sizeof c);
    privbill_wipe(d, sizeof d); privbill_wipe(da, sizeof da);
    privbill_wipe(cb, sizeof cb);
}

int privbill_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
    uint8_t k[32];
    static const uint8_t zero[32] = { 0 };
    int is_zero;

    /* decodeScalar25519: clear the 3 low bits, clear bit 255, set bit 254. */
    memcpy(k, scalar, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    x25519_ladder(out, k, u);
    privbill_wipe(k, sizeof k);

    /* An all-zero output means u had small order (RFC 7748 section 6.1):
     * reject it. Whether it happened depends only on u, which is public. */
    is_zero = privbill_ct_equal(out, zero, 32);
    return -is_zero;
}

void privbill_x25519_public_key(uint8_t pk[32], const uint8_t sk[32])
{
    static const uint8_t nine[32] = { 9 };
    /* The base point has order l, and a clamped scalar is never a multiple
     * of l: the result is never zero, so the return code carries nothing. */
    int rc = privbill_x25519(pk, sk, nine);
    (void)rc;
}
