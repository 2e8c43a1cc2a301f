/*
 * The meter's side of settlement masking (docs/settlement.md): HMAC and
 * HKDF with SHA-512, the pairwise mask keys, the per-interval pairwise and
 * self masks, and the masked report of one interval.
 *
 * Everything here is constant time in keys, secrets, readings and
 * blindings. Lengths, interval indices, meter ids, roster digests and the
 * add/subtract flags of the pairs are public.
 */
#include <string.h>

#include "privbill.h"
#include "util.h"

#define SHA512_BLOCK 128

/* ------------------------------------------------------------------ */
/* HMAC-SHA-512 (RFC 2104 / FIPS 198-1) and HKDF (RFC 5869)             */
/* ------------------------------------------------------------------ */

/*
 * An HMAC in progress: the inner hash absorbing the message, and the key
 * padded with opad waiting for the outer hash.
 */
typedef struct {
    privbill_sha512_ctx inner;
    uint8_t okey[SHA512_BLOCK];
} hmac_ctx;

static void hmac_init(hmac_ctx *h, const uint8_t *key, size_t key_len)
{
    uint8_t k[SHA512_BLOCK];
    size_t i;

    /* K0: keys longer than a block are hashed first; then zero padding. */
    memset(k, 0, sizeof k);
    if (key_len > SHA512_BLOCK) {
        privbill_sha512(k, key, key_len);
    } else if (key_len != 0) {
        memcpy(k, key, key_len);
    }
    for (i = 0; i < SHA512_BLOCK; i++) {
        h->okey[i] = (uint8_t)(k[i] ^ 0x5c);
        k[i] ^= 0x36;
    }
    privbill_sha512_init(&h->inner);
    privbill_sha512_update(&h->inner, k, sizeof k);
    privbill_wipe(k, sizeof k);
}

static void hmac_update(hmac_ctx *h, const uint8_t *in, size_t in_len)
{
    privbill_sha512_update(&h->inner, in, in_len);
}

static void hmac_final(hmac_ctx *h, uint8_t out[64])
{
    uint8_t ihash[64];
    privbill_sha512_ctx outer;

    privbill_sha512_final(&h->inner, ihash);       /* H((K0 ^ ipad) || msg) */
    privbill_sha512_init(&outer);
    privbill_sha512_update(&outer, h->okey, sizeof h->okey);
    privbill_sha512_update(&outer, ihash, sizeof ihash);
    privbill_sha512_final(&outer, out);            /* H((K0 ^ opad) || ihash) */
    privbill_wipe(ihash, sizeof ihash);
    privbill_wipe(h, sizeof *h);
}

void privbill_hmac_sha512(uint8_t out[64], const uint8_t *key, size_t key_len,
                          const uint8_t *msg, size_t msg_len)
{
    hmac_ctx h;
    hmac_init(&h, key, key_len);
    hmac_update(&h, msg, msg_len);
    hmac_final(&h, out); /* wipes h */
}

void privbill_hkdf_sha512_extract(uint8_t prk[64], const uint8_t *salt, size_t salt_len,
                                  const uint8_t *ikm, size_t ikm_len)
{
    /* Section 2.2: an absent salt is HashLen zero bytes, which as an HMAC
     * key is the same as the empty key (both pad to a zero block). */
    privbill_hmac_sha512(prk, salt, salt_len, ikm, ikm_len);
}

/*
 * Section 2.3: T(0) = empty, T(i) = HMAC(PRK, T(i-1) || info || i),
 * OKM = the first out_len bytes of T(1) || T(2) || ...
 */
static void hkdf_expand_parts(uint8_t *out, size_t out_len, const uint8_t *prk, size_t prk_len,
                              const uint8_t *info1, size_t info1_len, const uint8_t *info2,
                              size_t info2_len)
{
    uint8_t t[64];
    uint8_t counter = 1;
    size_t done = 0, take;
    hmac_ctx h;

    while (done < out_len) {
        hmac_init(&h, prk, prk_len);
        if (counter > 1) hmac_update(&h, t, sizeof t);
        hmac_update(&h, info1, info1_len);
        hmac_update(&h, info2, info2_len);
        hmac_update(&h, &counter, 1);
        hmac_final(&h, t);
        take = out_len - done < 64 ? out_len - done : 64;
        memcpy(out + done, t, take);
        done += take;
        counter++;
    }
    privbill_wipe(t, sizeof t);
}

int privbill_hkdf_sha512_expand(uint8_t *out, size_t out_len, const uint8_t *prk,
                                size_t prk_len, const uint8_t *info, size_t info_len)
{
    if (out_len > 255 * 64) return -1;
    hkdf_expand_parts(out, out_len, prk, prk_len, info, info_len, NULL, 0);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Masks                                                               */
/* ------------------------------------------------------------------ */

static const uint8_t pair_domain[] = PRIVBILL_MASK_PAIR_DOMAIN;
static const uint8_t self_domain[] = PRIVBILL_MASK_SELF_DOMAIN;
static const uint8_t mask_domain[] = PRIVBILL_MASK_DOMAIN;
static const uint8_t unmask_domain[] = PRIVBILL_MASK_UNMASK_DOMAIN;
#define DOMAIN_LEN(d) (sizeof(d) - 1) /* without the terminating NUL */

int privbill_mask_pair_key(uint8_t key[64], const uint8_t sk[32], const uint8_t peer_pk[32],
                           const uint8_t roster_digest[32], const uint8_t id[16],
                           const uint8_t peer_id[16])
{
    uint8_t shared[32], prk[64], info[32 + 16 + 16], keep;
    unsigned int bad;
    size_t i;
    int order, rc;

    /* Meter ids are public: ordering them with memcmp leaks nothing. */
    order = memcmp(id, peer_id, 16);
    rc = privbill_x25519(shared, sk, peer_pk);
    /* info = roster_digest || lower id || higher id: both ends build the
     * same bytes, and a key is bound to one roster and one pair. */
    memcpy(info, roster_digest, 32);
    memcpy(info + 32, order < 0 ? id : peer_id, 16);
    memcpy(info + 48, order < 0 ? peer_id : id, 16);
    privbill_hkdf_sha512_extract(prk, pair_domain, DOMAIN_LEN(pair_domain), shared,
                                 sizeof shared);
    hkdf_expand_parts(key, 64, prk, sizeof prk, info, sizeof info, NULL, 0);
    privbill_wipe(shared, sizeof shared);
    privbill_wipe(prk, sizeof prk);
    /*
     * bad is 1 for a small-order peer_pk (rc: a fact about the public key,
     * but computed from the secret DH output, so it is folded in without a
     * branch) or for id == peer_id (public). The key is zeroed through a
     * mask and the caller learns only the return code.
     */
    bad = (unsigned int)(rc & 1) | (unsigned int)(order == 0);
    keep = (uint8_t)(bad - 1u); /* 0xff if good, 0x00 if bad */
    for (i = 0; i < 64; i++) key[i] &= keep;
    return -(int)bad;
}

/* (mask_r, mask_o) = the two halves of HKDF-Expand(prk, domain ||
 * be64(index), 128), each wide-reduced mod l. */
static void expand_with(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t *prk,
                        size_t prk_len, const uint8_t *domain, size_t domain_len,
                        uint64_t index)
{
    uint8_t okm[128], be_index[8];
    privbill_store64_be(be_index, index);
    hkdf_expand_parts(okm, sizeof okm, prk, prk_len, domain, domain_len, be_index,
                      sizeof be_index);
    privbill_scalar_reduce(mask_r, okm);
    privbill_scalar_reduce(mask_o, okm + 64);
    privbill_wipe(okm, sizeof okm);
}

static void mask_expand(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t *prk,
                        size_t prk_len, uint64_t index)
{
    expand_with(mask_r, mask_o, prk, prk_len, mask_domain, DOMAIN_LEN(mask_domain), index);
}

void privbill_mask_pair(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t key[64],
                        uint64_t index)
{
    mask_expand(mask_r, mask_o, key, 64, index);
}

void privbill_mask_pair_unmask(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t key[64],
                               uint64_t index)
{
    expand_with(mask_r, mask_o, key, 64, unmask_domain, DOMAIN_LEN(unmask_domain), index);
}

void privbill_mask_self_point(uint8_t q[32], const uint8_t secret[32],
                              const uint8_t roster_digest[32], uint64_t index)
{
    uint8_t msg[40], p[32];
    int rc;

    /* P = hash_to_group(roster_digest || be64(index), SELF_DOMAIN): public. */
    memcpy(msg, roster_digest, 32);
    privbill_store64_be(msg + 32, index);
    rc = privbill_ristretto255_hash_to_group(p, msg, sizeof msg, self_domain,
                                             DOMAIN_LEN(self_domain));
    /* Fails only for an empty or over-long tag; ours is a fixed constant. */
    (void)rc;
    /* q = secret * P, constant time in secret; P is a valid encoding. */
    rc = privbill_ristretto255_scalarmult(q, secret, p);
    (void)rc;
}

void privbill_mask_self_from_point(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t q[32],
                                   uint64_t index)
{
    uint8_t prk[64];
    privbill_hkdf_sha512_extract(prk, self_domain, DOMAIN_LEN(self_domain), q, 32);
    mask_expand(mask_r, mask_o, prk, sizeof prk, index);
    privbill_wipe(prk, sizeof prk);
}

/* acc += the self mask of index, then (+/-) pair(keys[j]) for every j with
 * include[j] (all j when include is NULL); pair is one of the two pairwise
 * derivations. Flags are public and already checked. */
static void add_masks(uint8_t acc_r[32], uint8_t acc_o[32], const uint8_t self_secret[32],
                      const uint8_t roster_digest[32], uint64_t index, const uint8_t *keys,
                      const uint8_t *subtract, const uint8_t *include, size_t n_keys,
                      void (*pair)(uint8_t *, uint8_t *, const uint8_t *, uint64_t))
{
    uint8_t m_r[32], m_o[32], q[32];
    size_t j;

    privbill_mask_self_point(q, self_secret, roster_digest, index);
    privbill_mask_self_from_point(m_r, m_o, q, index);
    privbill_scalar_add(acc_r, acc_r, m_r);
    privbill_scalar_add(acc_o, acc_o, m_o);
    for (j = 0; j < n_keys; j++) {
        if (include != NULL && !include[j]) continue;
        pair(m_r, m_o, keys + 64 * j, index);
        if (subtract[j]) {
            privbill_scalar_sub(acc_r, acc_r, m_r);
            privbill_scalar_sub(acc_o, acc_o, m_o);
        } else {
            privbill_scalar_add(acc_r, acc_r, m_r);
            privbill_scalar_add(acc_o, acc_o, m_o);
        }
    }
    privbill_wipe(m_r, sizeof m_r);
    privbill_wipe(m_o, sizeof m_o);
    privbill_wipe(q, sizeof q);
}

static int flags_ok(const uint8_t *flags, size_t n)
{
    size_t j;
    if (flags == NULL) return 1;
    for (j = 0; j < n; j++) {
        if (flags[j] > 1) return 0;
    }
    return 1;
}

int privbill_mask_report(uint8_t y_value[32], uint8_t y_blinding[32], uint64_t value,
                         const uint8_t blinding[32], const uint8_t self_secret[32],
                         const uint8_t roster_digest[32], uint64_t index, const uint8_t *keys,
                         const uint8_t *subtract, size_t n_keys)
{
    uint8_t acc_r[32], acc_o[32];

    /* The flags are public; check them all before touching any secret. */
    if (!flags_ok(subtract, n_keys)) {
        memset(y_value, 0, 32);
        memset(y_blinding, 0, 32);
        return -1;
    }
    /* Start from (value, blinding): value < 2^64 < l, so its 32-byte
     * little-endian form is already a canonical scalar. */
    memset(acc_r, 0, sizeof acc_r);
    privbill_store64_le(acc_r, value);
    memcpy(acc_o, blinding, 32);
    add_masks(acc_r, acc_o, self_secret, roster_digest, index, keys, subtract, NULL, n_keys,
              privbill_mask_pair);
    memcpy(y_value, acc_r, 32);
    memcpy(y_blinding, acc_o, 32);
    privbill_wipe(acc_r, sizeof acc_r);
    privbill_wipe(acc_o, sizeof acc_o);
    return 0;
}

int privbill_mask_unmask(uint8_t z_value[32], uint8_t z_blinding[32],
                         const uint8_t self_secret[32], const uint8_t roster_digest[32],
                         uint64_t index, const uint8_t *keys, const uint8_t *subtract,
                         const uint8_t *counted, size_t n_keys)
{
    uint8_t acc_r[32], acc_o[32];

    if (!flags_ok(subtract, n_keys) || !flags_ok(counted, n_keys) || counted == NULL) {
        memset(z_value, 0, 32);
        memset(z_blinding, 0, 32);
        return -1;
    }
    memset(acc_r, 0, sizeof acc_r);
    memset(acc_o, 0, sizeof acc_o);
    add_masks(acc_r, acc_o, self_secret, roster_digest, index, keys, subtract, counted, n_keys,
              privbill_mask_pair_unmask);
    memcpy(z_value, acc_r, 32);
    memcpy(z_blinding, acc_o, 32);
    privbill_wipe(acc_r, sizeof acc_r);
    privbill_wipe(acc_o, sizeof acc_o);
    return 0;
}

/* Is s < l? Public data, so variable time: l = 2^252 + ..., so a top byte
 * below 0x10 decides it and only 0x10 needs the full comparison. */
static int scalar_below_l_vartime(const uint8_t s[32])
{
    return s[31] < 0x10 || (s[31] == 0x10 && privbill_scalar_is_canonical(s) == 1);
}

/* acc (eight 32-bit limbs in 64-bit words, at most 2^32 terms) mod l. */
static void limbs_reduce(uint8_t out[32], const uint64_t acc[8])
{
    uint8_t wide[64];
    uint64_t carry = 0;
    int i;
    memset(wide, 0, sizeof wide);
    for (i = 0; i < 8; i++) {
        carry += acc[i];
        privbill_store32_le(wide + 4 * i, (uint32_t)carry);
        carry >>= 32;
    }
    privbill_store32_le(wide + 32, (uint32_t)carry);
    privbill_scalar_reduce(out, wide);
}

int privbill_mask_sum(uint8_t sum_value[32], uint8_t sum_blinding[32], const uint8_t *pairs,
                      size_t count, size_t *first_bad)
{
    uint64_t acc_v[8], acc_b[8];
    uint8_t part[32];
    size_t i, start, end;
    int k;

    memset(sum_value, 0, 32);
    memset(sum_blinding, 0, 32);
    /* Sum 32-bit limbs without carries, reducing every 2^31 terms. */
    for (start = 0; start < count; start = end) {
        end = count - start > ((size_t)1 << 31) ? start + ((size_t)1 << 31) : count;
        memset(acc_v, 0, sizeof acc_v);
        memset(acc_b, 0, sizeof acc_b);
        for (i = start; i < end; i++) {
            const uint8_t *v = pairs + 64 * i, *b = v + 32;
            if (!scalar_below_l_vartime(v) || !scalar_below_l_vartime(b)) {
                *first_bad = i;
                memset(sum_value, 0, 32);
                memset(sum_blinding, 0, 32);
                return -1;
            }
            for (k = 0; k < 8; k++) {
                acc_v[k] += privbill_load32_le(v + 4 * k);
                acc_b[k] += privbill_load32_le(b + 4 * k);
            }
        }
        limbs_reduce(part, acc_v);
        privbill_scalar_add(sum_value, sum_value, part);
        limbs_reduce(part, acc_b);
        privbill_scalar_add(sum_blinding, sum_blinding, part);
    }
    return 0;
}
