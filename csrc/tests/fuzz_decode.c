/*
 * libFuzzer target for the C core's decoders and the batch payload writer.
 *
 *   make -C csrc fuzz                  # FUZZ_SECONDS=30 by default
 *   make -C csrc fuzz FUZZ_SECONDS=600
 *
 * Built with clang -fsanitize=fuzzer,address,undefined, so any out-of-bounds read or
 * write, use of uninitialised stack or undefined arithmetic is a crash too. On
 * arbitrary bytes it checks:
 *
 *  1. each 32-byte chunk: privbill_ristretto255_validate and privbill_point_decode
 *     agree; a chunk that decodes encodes back to itself (decode o encode = id on
 *     canonical encodings: RFC 9496 section 4.3.1 rejects every other string);
 *  2. privbill_points_decode over all chunks fails exactly when some chunk is invalid,
 *     naming the first, and otherwise gives the points decoded one by one;
 *  3. privbill_points_decode_hinted_vartime with hints taken from the input (garbage,
 *     mostly) gives exactly the verdict, first_invalid and points of the unhinted
 *     decoding, and so does it with the hints privbill_decode_hints computes
 *     (docs/protocol.md, "Decoding hints": a hint never changes a verdict);
 *  4. privbill_batch_payload, with every argument taken from the input and an output
 *     buffer of an input-chosen size (exactly that size: ASan catches a byte past it),
 *     returns -1 exactly in the cases privbill.h lists, and otherwise writes a payload
 *     that a small independent CBOR reader below parses back to the same fields, within
 *     PRIVBILL_BATCH_PAYLOAD_MAX;
 *  5. privbill_ed25519_verify on an input-chosen signature, key and message returns
 *     0 or -1 and nothing else.
 *
 * Found by this target: privbill_batch_payload used to write payloads that decoders
 * refuse (prev_hash breaking "zero exactly when counter is 1", first_index + count
 * overflowing 64 bits); fixed, pinned by
 * tests/test_fuzz_regressions.py::test_c_payload_writer_enforces_every_rule, and checked
 * on every run below. A future known bug can be fenced with #ifdef PRIVBILL_FUZZ_STRICT
 * (FUZZ_FLAGS=-DPRIVBILL_FUZZ_STRICT) so that a default run keeps looking for new ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "privbill.h"

#define MAX_CHUNKS 16
#define MAX_COUNT 600 /* batch counts fuzzed: enough for multi-byte heads */

static void check(int ok)
{
    if (!ok) abort();
}

/* --- decoding ------------------------------------------------------------------ */

static void fuzz_decode(const uint8_t *in, size_t n_chunks, const uint8_t *hints_in)
{
    privbill_point single[MAX_CHUNKS], bulk[MAX_CHUNKS], hinted[MAX_CHUNKS];
    uint8_t enc[32], hints[32 * MAX_CHUNKS];
    size_t i, first_bad = n_chunks, fi_bulk = 0, fi_hinted = 0, fi_hints = 0;
    int rc_bulk, rc_hinted, rc_hints;

    for (i = 0; i < n_chunks; i++) {
        int v = privbill_ristretto255_validate(in + 32 * i);
        int d = privbill_point_decode(&single[i], in + 32 * i);
        check(v == d && (v == 0 || v == -1));
        if (d == 0) {
            privbill_point_encode(enc, &single[i]);
            check(memcmp(enc, in + 32 * i, 32) == 0);
        } else if (first_bad == n_chunks) {
            first_bad = i;
        }
    }
    if (n_chunks == 0) return;

    rc_bulk = privbill_points_decode(bulk, &fi_bulk, in, n_chunks);
    check(rc_bulk == (first_bad == n_chunks ? 0 : -1));
    if (rc_bulk != 0) check(fi_bulk == first_bad);

    rc_hinted = privbill_points_decode_hinted_vartime(hinted, &fi_hinted, in, hints_in, n_chunks);
    check(rc_hinted == rc_bulk);
    if (rc_hinted != 0) check(fi_hinted == first_bad);

    rc_hints = privbill_decode_hints(hints, &fi_hints, in, n_chunks);
    check(rc_hints == rc_bulk);
    if (rc_hints != 0) {
        check(fi_hints == first_bad);
        return;
    }
    for (i = 0; i < n_chunks; i++) {
        check(privbill_point_equal(&bulk[i], &single[i]) == 1);
        check(privbill_point_equal(&hinted[i], &single[i]) == 1);
        privbill_point_encode(enc, &hinted[i]);
        check(memcmp(enc, in + 32 * i, 32) == 0);
    }
    check(privbill_points_decode_hinted_vartime(hinted, &fi_hinted, in, hints, n_chunks) == 0);
    for (i = 0; i < n_chunks; i++) check(privbill_point_equal(&hinted[i], &single[i]) == 1);
}

/* --- the payload writer ----------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t len, pos;
} reader;

/* One CBOR head of the given major type, shortest form required; the argument. */
static uint64_t rd_head(reader *r, unsigned int major)
{
    unsigned int ib, ai;
    uint64_t v = 0;
    size_t k, n;
    check(r->pos < r->len);
    ib = r->p[r->pos++];
    check(ib >> 5 == major);
    ai = ib & 31;
    if (ai < 24) return ai;
    check(ai <= 27);
    n = (size_t)1 << (ai - 24);
    check(n <= r->len - r->pos);
    for (k = 0; k < n; k++) v = v << 8 | r->p[r->pos++];
    check(v >= (ai == 24 ? 24u : ai == 25 ? 0x100u : ai == 26 ? 0x10000u : 0x100000000u));
    return v;
}

static const uint8_t *rd_bstr(reader *r, size_t want)
{
    const uint8_t *b;
    check(rd_head(r, 2) == want);
    check(want <= r->len - r->pos);
    b = r->p + r->pos;
    r->pos += want;
    return b;
}

static uint64_t take_u64(const uint8_t **p, size_t *n)
{
    uint64_t v = 0;
    size_t k;
    for (k = 0; k < 8 && *n; k++, (*p)++, (*n)--) v = v << 8 | **p;
    return v;
}

static void fuzz_payload(const uint8_t *data, size_t size)
{
    static uint8_t presence[(MAX_COUNT + 1 + 7) / 8], commitments[32 * MAX_COUNT];
    uint8_t meter_id[16], prev_hash[32], channel;
    uint32_t period, count;
    uint64_t first_index, counter, u;
    size_t pres_len, present = 0, out_cap, out_len = 0, k;
    uint8_t *out;
    int rc, expect_ok, roomy, zero_hash = 1;
    reader r;

    if (size < 24) return;
    u = take_u64(&data, &size);
    count = (uint32_t)(u % (MAX_COUNT + 2)); /* 0 .. MAX_COUNT + 1 */
    channel = (uint8_t)(u >> 16);
    period = (u >> 24) % 4 == 0 ? 1800 : (u >> 24) % 4 == 1 ? 900 : (uint32_t)(u >> 32);
    first_index = take_u64(&data, &size);
    counter = take_u64(&data, &size);
    if (counter % 3 == 0) counter %= 3; /* 0 and 1 often */
    if (counter % 5 == 0) first_index = UINT64_MAX - (first_index & 0xff);
    memset(meter_id, 0xa5, sizeof meter_id);
    memset(prev_hash, 0, sizeof prev_hash);
    if (counter & 4) prev_hash[counter % 32] = 1;
    pres_len = ((size_t)count + 7) / 8;
    if (count > PRIVBILL_BATCH_MAX) pres_len = 0; /* never read: count is refused */
    memset(presence, 0, sizeof presence);
    for (k = 0; k < pres_len && k < size; k++) presence[k] = data[k];
    for (k = 0; k < pres_len; k++) {
        unsigned int x = presence[k];
        for (; x; x >>= 1) present += x & 1;
    }
    for (k = 0; k < 32 * MAX_COUNT; k++) commitments[k] = (uint8_t)(k * 131 + size);
    for (k = 0; k < 32; k++) zero_hash &= prev_hash[k] == 0;
    out_cap = size ? (size_t)data[size - 1] * 97 % (PRIVBILL_BATCH_PAYLOAD_MAX + 1) : 0;
    roomy = size && data[0] & 1;
    if (roomy) out_cap = 96 + 32 * present + pres_len; /* 87 + ... is the most needed */
    out = malloc(out_cap ? out_cap : 1);
    check(out != NULL);

    rc = privbill_batch_payload(out, &out_len, out_cap, meter_id, channel, period, first_index,
                                count, presence, commitments, counter, prev_hash);
    check(rc == 0 || rc == -1);
    expect_ok = count >= 1 && count <= PRIVBILL_BATCH_MAX && counter != 0 &&
                (period == 1800 || period == 900) &&
                !(count % 8 && presence[pres_len - 1] >> (count % 8)) &&
                (counter == 1) == zero_hash && first_index <= UINT64_MAX - (count - 1);
    if (expect_ok && roomy) check(rc == 0); /* valid arguments and room: written */
    if (!expect_ok) check(rc == -1);        /* refused only for what privbill.h lists */
    if (rc != 0) { /* refused for a listed reason, or the buffer was too small */
        free(out);
        return;
    }
    check((counter == 1) == zero_hash);           /* every payload written decodes */
    check(first_index <= UINT64_MAX - (count - 1));
    check(out_len <= out_cap && out_len <= PRIVBILL_BATCH_PAYLOAD_MAX);
    r.p = out;
    r.len = out_len;
    r.pos = 0;
    check(rd_head(&r, 4) == 10);
    check(rd_head(&r, 0) == PRIVBILL_PROTOCOL_VERSION);
    check(memcmp(rd_bstr(&r, 16), meter_id, 16) == 0);
    check(rd_head(&r, 0) == channel);
    check(rd_head(&r, 0) == period);
    check(rd_head(&r, 0) == first_index);
    check(rd_head(&r, 0) == count);
    check(memcmp(rd_bstr(&r, pres_len), presence, pres_len) == 0);
    check(memcmp(rd_bstr(&r, 32 * present), commitments, 32 * present) == 0);
    check(rd_head(&r, 0) == counter);
    check(memcmp(rd_bstr(&r, 32), prev_hash, 32) == 0);
    check(r.pos == r.len);
    free(out);
}

/* --- signatures ------------------------------------------------------------------- */

static void fuzz_verify(const uint8_t *data, size_t size)
{
    int rc;
    if (size < 96) return;
    rc = privbill_ed25519_verify(data, data + 96, size - 96, data + 64);
    check(rc == 0 || rc == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n;
    if (size == 0) return 0;
    switch (data[0] % 4) {
    case 0: /* encodings only; hints are the encodings again (wrong, mostly) */
        n = (size - 1) / 32;
        if (n > MAX_CHUNKS) n = MAX_CHUNKS;
        fuzz_decode(data + 1, n, data + 1);
        break;
    case 1: /* n encodings followed by n hints */
        n = (size - 1) / 64;
        if (n > MAX_CHUNKS) n = MAX_CHUNKS;
        fuzz_decode(data + 1, n, data + 1 + 32 * n);
        break;
    case 2:
        fuzz_payload(data + 1, size - 1);
        break;
    default:
        fuzz_verify(data + 1, size - 1);
        break;
    }
    return 0;
}
