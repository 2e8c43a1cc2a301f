/*
 * privbill.h: the C core of privbill, and its specification.
 *
 * Pedersen commitments to smart-meter readings on ristretto255 (RFC 9496),
 * the hashes and signatures a meter needs, and the batch operations a
 * verifier needs. Portable C99; compiled into meter firmware as it is.
 *
 * Rules of this API:
 *  - No allocation, no global mutable state, no random source: callers own
 *    every buffer and pass in any randomness.
 *  - Outputs come first; a length follows its pointer. Fixed-size data is
 *    passed as fixed-size arrays.
 *  - Functions that can fail return 0 on success and -1 on failure; their
 *    result must be checked (PRIVBILL_WARN_UNUSED_RESULT).
 *  - Functions handling secrets (scalars, blindings, readings, the
 *    commitment secret, signing keys) are constant time in those secrets.
 *    Functions named *_vartime are not, and must only see public data.
 *  - Scalars are 32-byte little-endian integers mod
 *    l = 2^252 + 27742317777372353535851937790883648493. Unless a function
 *    says otherwise, scalar inputs may be any 32 bytes and are used mod l
 *    (only scalar outputs are guaranteed reduced).
 *  - Elements are 32-byte canonical ristretto255 encodings. The identity
 *    (32 zero bytes) is a valid element everywhere.
 */
#ifndef PRIVBILL_H
#define PRIVBILL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define PRIVBILL_WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#else
#  define PRIVBILL_WARN_UNUSED_RESULT
#endif

#define PRIVBILL_PROTOCOL_VERSION 1
#define PRIVBILL_SCALARBYTES 32
#define PRIVBILL_ELEMENTBYTES 32
#define PRIVBILL_UNIFORMBYTES 64
#define PRIVBILL_SHA512BYTES 64
#define PRIVBILL_SECRETBYTES 32
#define PRIVBILL_METERIDBYTES 16
#define PRIVBILL_ED25519_SEEDBYTES 32
#define PRIVBILL_ED25519_PUBLICKEYBYTES 32
#define PRIVBILL_ED25519_SECRETKEYBYTES 64
#define PRIVBILL_ED25519_SIGNATUREBYTES 64

/* ------------------------------------------------------------------ */
/* SHA-512 (FIPS 180-4)                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t state[8];
    uint64_t count;      /* bytes absorbed so far */
    uint8_t buf[128];
} privbill_sha512_ctx;

void privbill_sha512_init(privbill_sha512_ctx *ctx);
void privbill_sha512_update(privbill_sha512_ctx *ctx, const uint8_t *in, size_t in_len);
/* Writes the digest and wipes ctx. */
void privbill_sha512_final(privbill_sha512_ctx *ctx, uint8_t out[64]);
void privbill_sha512(uint8_t out[64], const uint8_t *in, size_t in_len);

/* ------------------------------------------------------------------ */
/* Scalars mod l                                                       */
/* ------------------------------------------------------------------ */

/* out = in mod l, for a 64-byte little-endian input (wide reduction). */
void privbill_scalar_reduce(uint8_t out[32], const uint8_t in[64]);
/* Returns 1 if s < l (a canonical scalar encoding), 0 otherwise. */
int privbill_scalar_is_canonical(const uint8_t s[32]);
void privbill_scalar_add(uint8_t out[32], const uint8_t a[32], const uint8_t b[32]);
void privbill_scalar_sub(uint8_t out[32], const uint8_t a[32], const uint8_t b[32]);
void privbill_scalar_mul(uint8_t out[32], const uint8_t a[32], const uint8_t b[32]);
void privbill_scalar_negate(uint8_t out[32], const uint8_t a[32]);
/* out = a*b + c mod l */
void privbill_scalar_muladd(uint8_t out[32], const uint8_t a[32], const uint8_t b[32],
                            const uint8_t c[32]);
/* out = v mod l, for a signed 64-bit v (negative v gives l - |v|). */
void privbill_scalar_from_i64(uint8_t out[32], int64_t v);

/* ------------------------------------------------------------------ */
/* ristretto255 (RFC 9496) on encodings                                */
/* ------------------------------------------------------------------ */

/* Returns 0 if p is a canonical encoding of an element, -1 otherwise. */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_ristretto255_validate(const uint8_t p[32]);
/* out = p + q, out = p - q. -1 if an input is not a valid encoding. */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_ristretto255_add(uint8_t out[32], const uint8_t p[32], const uint8_t q[32]);
PRIVBILL_WARN_UNUSED_RESULT
int privbill_ristretto255_sub(uint8_t out[32], const uint8_t p[32], const uint8_t q[32]);
/* out = s*p, constant time in s. -1 if p is not a valid encoding. */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_ristretto255_scalarmult(uint8_t out[32], const uint8_t s[32], const uint8_t p[32]);
/* out = s*G for the ristretto255 generator G, constant time in s. */
void privbill_ristretto255_scalarmult_base(uint8_t out[32], const uint8_t s[32]);
/* RFC 9496 section 4.3.4 one-way map from 64 uniform bytes. */
void privbill_ristretto255_from_uniform(uint8_t out[32], const uint8_t r[64]);
/*
 * Hash to group: from_uniform(expand_message_xmd(msg, dst, 64)) with
 * SHA-512 (RFC 9380 section 5.3.1). -1 if dst is empty or longer than 255
 * bytes.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_ristretto255_hash_to_group(uint8_t out[32], const uint8_t *msg, size_t msg_len,
                                        const uint8_t *dst, size_t dst_len);
/* RFC 9380 expand_message_xmd with SHA-512. -1 if out_len > 255*64,
 * out_len == 0, dst_len == 0 (section 3.1: tags are never empty) or
 * dst_len > 255. */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_expand_message_xmd_sha512(uint8_t *out, size_t out_len, const uint8_t *msg,
                                       size_t msg_len, const uint8_t *dst, size_t dst_len);

/* ------------------------------------------------------------------ */
/* Decoded points: decode once, then sum and combine many times        */
/* ------------------------------------------------------------------ */

/* An element in the core's internal (extended Edwards) form. Opaque. */
typedef struct {
    uint64_t opaque[20];
} privbill_point;

/* Returns 0 and sets *out, or -1 if in is not a canonical encoding. */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_point_decode(privbill_point *out, const uint8_t in[32]);
void privbill_point_encode(uint8_t out[32], const privbill_point *p);
/*
 * Decodes n consecutive 32-byte encodings. Returns 0, or -1 with
 * *first_invalid set to the index of the first invalid encoding (out is
 * then unspecified).
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_points_decode(privbill_point *out, size_t *first_invalid, const uint8_t *in,
                           size_t n);
/*
 * Decoding hints: for each encoding, 32 bytes that let a verifier skip the
 * inverse square root of decoding (docs/protocol.md, "Decoding hints").
 * privbill_decode_hints computes them (-1 with *first_invalid at the first
 * invalid encoding); privbill_points_decode_hinted_vartime decodes with them,
 * checking each hint with two multiplications and falling back to the full
 * decoding for a wrong hint, so a hint can make decoding faster but never
 * change its result. Public data only.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_decode_hints(uint8_t *hints, size_t *first_invalid, const uint8_t *in, size_t n);
PRIVBILL_WARN_UNUSED_RESULT
int privbill_points_decode_hinted_vartime(privbill_point *out, size_t *first_invalid,
                                         const uint8_t *in, const uint8_t *hints, size_t n);
/* out = p + q */
void privbill_point_add(privbill_point *out, const privbill_point *p, const privbill_point *q);
/* Returns 1 if p and q are the same element, 0 otherwise (constant time). */
int privbill_point_equal(const privbill_point *p, const privbill_point *q);
/*
 * out = sum of points[indices[j]] for j < n_indices; all points if
 * indices is NULL (then n_indices is the number of points). Returns -1 if
 * an index is >= n_points.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_points_sum_vartime(privbill_point *out, const privbill_point *points,
                                size_t n_points, const uint32_t *indices, size_t n_indices);
/* out = sum weights[i] * points[i], signed 64-bit weights (Pippenger). */
void privbill_points_combine_vartime(privbill_point *out, const privbill_point *points,
                                     const int64_t *weights, size_t n);
/* out = sum scalars[i] * points[i], 32-byte scalars (Straus/Pippenger). */
void privbill_points_msm_vartime(privbill_point *out, const privbill_point *points,
                                 const uint8_t *scalars, size_t n);

/* ------------------------------------------------------------------ */
/* Pedersen commitments: C = r*G + o*H                                 */
/* ------------------------------------------------------------------ */

/* The published bytes whose SHA-512 is mapped to H with the one-way map. */
#define PRIVBILL_H_DOMAIN "privbill/v1/pedersen/H"
/* The domain prefix of the blinding derivation. */
#define PRIVBILL_BLINDING_DOMAIN "privbill/v1/blinding"

/* The second generator H, encoded. */
void privbill_pedersen_h(uint8_t out[32]);
/* out = value*G + blinding*H, constant time in value and blinding. */
void privbill_pedersen_commit(uint8_t out[32], uint64_t value, const uint8_t blinding[32]);
/* n commitments: out[32*i] = commit(values[i], blindings[32*i]). */
void privbill_pedersen_commit_many(uint8_t *out, const uint64_t *values,
                                   const uint8_t *blindings, size_t n);
/*
 * o = wide_reduce(SHA-512(BLINDING_DOMAIN || secret || meter_id || channel
 *                         || be64(index))), constant time in secret.
 */
void privbill_blinding_derive(uint8_t out[32], const uint8_t secret[32],
                              const uint8_t meter_id[16], uint8_t channel, uint64_t index);
/*
 * The meter's job for one batch: for each interval j < count whose presence
 * bit is set, commits values[j] with the blinding derived for index
 * first_index + j, writing the commitments consecutively into out (32 bytes
 * each) and their number into *n_out. values has count entries (those of
 * missing intervals are ignored). Constant time in secret and values; the
 * presence bitmap is public. -1 if count > PRIVBILL_BATCH_MAX or the index
 * range overflows.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_meter_commit_batch(uint8_t *out, size_t *n_out, const uint8_t secret[32],
                                const uint8_t meter_id[16], uint8_t channel,
                                uint64_t first_index, uint32_t count, const uint8_t *presence,
                                const uint64_t *values);
/*
 * The household's opening of a linear query: out = sum weights[i] * o_i
 * mod l, o_i the blinding derived for indices[i]; all weights 1 if weights
 * is NULL. Constant time in secret.
 */
void privbill_blinding_combine(uint8_t out[32], const uint8_t secret[32],
                               const uint8_t meter_id[16], uint8_t channel,
                               const uint64_t *indices, const int64_t *weights, size_t n);
/*
 * Checks c == value*G + blinding*H for public value and blinding scalars
 * (the opening of a disclosed linear combination). 0 if it holds, -1 not.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_pedersen_verify_vartime(const privbill_point *c, const uint8_t value[32],
                                     const uint8_t blinding[32]);

/* ------------------------------------------------------------------ */
/* Meter batch payload (docs/protocol.md, "Meter batch")               */
/* ------------------------------------------------------------------ */

#define PRIVBILL_BATCH_MAX 4096
/* The largest payload, every interval present: array head 1, version 1,
 * meter_id 17, channel 2, period 3, first_index 9, count 3, presence 3 + 512,
 * commitments 5 + 32 * PRIVBILL_BATCH_MAX, counter 9, prev_hash 34. */
#define PRIVBILL_BATCH_PAYLOAD_MAX 131671

/*
 * Writes the deterministic CBOR payload of a batch (the bytes the meter
 * signs) into out[out_cap] and its length into *out_len. presence has
 * ceil(count/8) bytes, bit j (LSB first) set if interval first_index + j was
 * recorded; commitments holds 32 bytes per present interval, in order.
 * Returns -1 if count is 0 or above PRIVBILL_BATCH_MAX, counter is 0, period
 * is not 1800 or 900, presence has bits set past count, the last index
 * first_index + count - 1 overflows 64 bits, prev_hash is all zeros and
 * counter is not 1 (or the reverse), or out is too small: every payload it
 * writes is one that decoders accept.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_batch_payload(uint8_t *out, size_t *out_len, size_t out_cap,
                           const uint8_t meter_id[16], uint8_t channel, uint32_t period,
                           uint64_t first_index, uint32_t count, const uint8_t *presence,
                           const uint8_t *commitments, uint64_t counter,
                           const uint8_t prev_hash[32]);

/* ------------------------------------------------------------------ */
/* Ed25519 (RFC 8032)                                                  */
/* ------------------------------------------------------------------ */

/* sk = seed || pk, as in RFC 8032 and libsodium. */
void privbill_ed25519_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]);
void privbill_ed25519_sign(uint8_t sig[64], const uint8_t *msg, size_t msg_len,
                           const uint8_t sk[64]);
/*
 * Verification rule: S must be canonical (< l); A and R must be canonical
 * point encodings (y < p); the cofactored equation [8][S]B = [8]R + [8][k]A
 * must hold. Returns 0 if valid, -1 otherwise.
 *
 * Like RFC 8032, this accepts a small-order public key A, under which a
 * signature with R = A = identity and S = 0 verifies for every message.
 * Verifiers must therefore only use registered keys: privbill.keys refuses a
 * key that is not of prime order at registration, and a meter never makes one.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t msg_len,
                            const uint8_t pk[32]);
/*
 * Verifies n <= PRIVBILL_ED25519_BATCH_MAX signatures at once with the same
 * rule: one multiscalar check with 128-bit random weights z (16*n bytes of
 * caller randomness). Returns 0 if all are valid, -1 if any is not (or if
 * n > PRIVBILL_ED25519_BATCH_MAX); 0 for n = 0. The weights must be fresh and
 * unpredictable to whoever made the signatures: with known weights an
 * attacker can build invalid signatures that pass together. Uses about
 * 110 KB of stack: a verifier's function, not a meter's.
 */
#define PRIVBILL_ED25519_BATCH_MAX 64
PRIVBILL_WARN_UNUSED_RESULT
int privbill_ed25519_verify_batch(const uint8_t *sigs, const uint8_t *const *msgs,
                                  const size_t *msg_lens, const uint8_t *pks, size_t n,
                                  const uint8_t *random);

/* ------------------------------------------------------------------ */
/* Settlement masking (docs/settlement.md)                             */
/* ------------------------------------------------------------------ */

#define PRIVBILL_X25519_BYTES 32
#define PRIVBILL_HMAC_SHA512_BYTES 64
#define PRIVBILL_MASK_KEYBYTES 64
#define PRIVBILL_ROSTER_DIGESTBYTES 32
/* Domain strings of the mask derivations (bytes, without a NUL). */
#define PRIVBILL_MASK_PAIR_DOMAIN "privbill/v1/settlement/pair"
#define PRIVBILL_MASK_SELF_DOMAIN "privbill/v1/settlement/self"
#define PRIVBILL_MASK_DOMAIN "privbill/v1/settlement/mask"
#define PRIVBILL_MASK_UNMASK_DOMAIN "privbill/v1/settlement/unmask"

/*
 * X25519 (RFC 7748 section 5): out = the u-coordinate of clamp(scalar)*u.
 * The top bit of u is ignored and a non-canonical u (>= p) is used mod p,
 * as section 5 requires. Constant time in scalar.
 * Returns 0, or -1 if the output is all zero (u of small order, RFC 7748
 * section 6.1: the shared secret would be predictable); out is written in
 * both cases.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]);
/* pk = X25519(sk, 9): the public key of a 32-byte secret key. */
void privbill_x25519_public_key(uint8_t pk[32], const uint8_t sk[32]);

/* HMAC-SHA-512 (RFC 2104, FIPS 198-1). Constant time in key and msg. */
void privbill_hmac_sha512(uint8_t out[64], const uint8_t *key, size_t key_len,
                          const uint8_t *msg, size_t msg_len);
/*
 * HKDF-Extract with SHA-512 (RFC 5869 section 2.2): prk = HMAC(salt, ikm).
 * An empty salt (salt_len 0, salt may be NULL) means 64 zero bytes.
 */
void privbill_hkdf_sha512_extract(uint8_t prk[64], const uint8_t *salt, size_t salt_len,
                                  const uint8_t *ikm, size_t ikm_len);
/*
 * HKDF-Expand with SHA-512 (RFC 5869 section 2.3): out_len bytes of output
 * keying material from prk and info. Returns -1 if out_len > 255*64.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_hkdf_sha512_expand(uint8_t *out, size_t out_len, const uint8_t *prk,
                                size_t prk_len, const uint8_t *info, size_t info_len);
/*
 * The pairwise mask key of this meter (id, X25519 secret sk) and a peer
 * (peer_id, X25519 public key peer_pk) under one roster:
 *   key = HKDF-SHA-512(salt = MASK_PAIR_DOMAIN, ikm = X25519(sk, peer_pk),
 *                      info = roster_digest || min(id, peer_id)
 *                             || max(id, peer_id), L = 64)
 * (ids ordered as byte strings), so both ends derive the same key.
 * Returns -1 (key zeroed) if peer_pk has small order or id == peer_id.
 * Constant time in sk.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_mask_pair_key(uint8_t key[64], const uint8_t sk[32], const uint8_t peer_pk[32],
                           const uint8_t roster_digest[32], const uint8_t id[16],
                           const uint8_t peer_id[16]);
/*
 * The pairwise mask of one interval: the two halves of
 * HKDF-Expand(key, MASK_DOMAIN || be64(index), 128), each reduced mod l
 * (64 bytes each: wide reduction, bias below 2^-250). The meter whose id is
 * the smaller byte string adds it, the other subtracts it, so the two
 * cancel in a sum. Constant time in key.
 */
void privbill_mask_pair(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t key[64],
                        uint64_t index);
/*
 * The unmasking mask of a pair for one interval: as privbill_mask_pair with
 * MASK_UNMASK_DOMAIN in place of MASK_DOMAIN (independent of the pairwise
 * mask). Constant time in key.
 */
void privbill_mask_pair_unmask(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t key[64],
                               uint64_t index);
/*
 * The self-mask point of one interval: q = secret * P with
 * P = hash_to_group(roster_digest || be64(index), MASK_SELF_DOMAIN).
 * For the meter, secret is its self-mask scalar; for a neighbour holding a
 * Shamir share of that scalar, the share, and q is then a share "in the
 * exponent" of the meter's point (Lagrange interpolation of points). A q
 * reveals nothing about the points of other intervals (DDH). Constant
 * time in secret.
 */
void privbill_mask_self_point(uint8_t q[32], const uint8_t secret[32],
                              const uint8_t roster_digest[32], uint64_t index);
/*
 * The self mask of one interval from its point q: the two halves of
 * HKDF-SHA-512(salt = MASK_SELF_DOMAIN, ikm = q,
 *              info = MASK_DOMAIN || be64(index), L = 128), reduced mod l.
 * Constant time in q.
 */
void privbill_mask_self_from_point(uint8_t mask_r[32], uint8_t mask_o[32], const uint8_t q[32],
                                   uint64_t index);
/*
 * The masked report of one interval:
 *   y_value    = value    + s_r + sum_j (+/-) m_r(keys[j])   mod l
 *   y_blinding = blinding + s_o + sum_j (+/-) m_o(keys[j])   mod l
 * where (s_r, s_o) is the self mask of self_secret for index, and
 * (m_r, m_o)(keys[j]) = privbill_mask_pair(keys + 64*j, index), subtracted
 * if subtract[j] == 1 and added if subtract[j] == 0. keys holds 64*n_keys
 * bytes, subtract n_keys flags (public). Returns -1 (outputs zeroed) if a
 * flag is not 0 or 1. Constant time in value, blinding, self_secret, keys.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_mask_report(uint8_t y_value[32], uint8_t y_blinding[32], uint64_t value,
                         const uint8_t blinding[32], const uint8_t self_secret[32],
                         const uint8_t roster_digest[32], uint64_t index, const uint8_t *keys,
                         const uint8_t *subtract, size_t n_keys);

/*
 * A meter's unmasking answer for one interval (docs/settlement.md):
 *   z_value    = s_r + sum_{j: counted[j]} (+/-) u_r(keys[j])   mod l
 *   z_blinding = s_o + sum_{j: counted[j]} (+/-) u_o(keys[j])   mod l
 * with the self mask (s_r, s_o) as in privbill_mask_report and
 * (u_r, u_o)(key) = privbill_mask_pair_unmask(key, index), signs as in
 * privbill_mask_report. Over a set of meters that agree on who is counted
 * the unmasking masks cancel and the answers sum to the self masks, which
 * is all the aggregator learns. counted[j] (0 or 1, public) says whether
 * neighbour j is counted. Returns -1 (outputs zeroed) for a flag not 0 or 1
 * or a NULL counted. Constant time in self_secret and keys.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_mask_unmask(uint8_t z_value[32], uint8_t z_blinding[32],
                         const uint8_t self_secret[32], const uint8_t roster_digest[32],
                         uint64_t index, const uint8_t *keys, const uint8_t *subtract,
                         const uint8_t *counted, size_t n_keys);
/*
 * The aggregator's sums: pairs holds count 64-byte (value, blinding) scalar
 * pairs; sum_value and sum_blinding are their sums mod l. Returns -1, with
 * *first_bad the index of the first pair holding a non-canonical scalar.
 * Public data: not constant time.
 */
PRIVBILL_WARN_UNUSED_RESULT
int privbill_mask_sum(uint8_t sum_value[32], uint8_t sum_blinding[32], const uint8_t *pairs,
                      size_t count, size_t *first_bad);

#ifdef __cplusplus
}
#endif
#endif
