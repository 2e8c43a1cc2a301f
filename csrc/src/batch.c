/*
 * The meter batch payload (docs/protocol.md, "Meter batch"): a deterministic
 * CBOR array, written here so firmware can produce the signed bytes without
 * a CBOR library. Byte-identical to privbill.wire.BatchPayload.encode().
 */
#include <string.h>

#include "privbill.h"

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int overflow;
} cbor_out;

static void put(cbor_out *o, const uint8_t *b, size_t n)
{
    if (o->overflow || n > o->cap - o->len) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->len, b, n);
    o->len += n;
}

/* RFC 8949 4.2.1: the shortest head for the argument. */
static void head(cbor_out *o, unsigned int major, uint64_t v)
{
    uint8_t b[9];
    size_t n, i;
    if (v < 24) {
        b[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else {
        unsigned int ai = v <= 0xff ? 24 : v <= 0xffff ? 25 : v <= 0xffffffffu ? 26 : 27;
        size_t bytes = (size_t)1 << (ai - 24);
        b[0] = (uint8_t)(major << 5 | ai);
        for (i = 0; i < bytes; i++) b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
        n = 1 + bytes;
    }
    put(o, b, n);
}

static void bstr(cbor_out *o, const uint8_t *b, size_t n)
{
    head(o, 2, n);
    put(o, b, n);
}

static size_t popcount_bytes(const uint8_t *b, size_t n)
{
    size_t i, c = 0;
    for (i = 0; i < n; i++) {
        unsigned int x = b[i];
        while (x) {
            c += x & 1;
            x >>= 1;
        }
    }
    return c;
}

int privbill_batch_payload(uint8_t *out, size_t *out_len, size_t out_cap,
                           const uint8_t meter_id[16], uint8_t channel, uint32_t period,
                           uint64_t first_index, uint32_t count, const uint8_t *presence,
                           const uint8_t *commitments, uint64_t counter,
                           const uint8_t prev_hash[32])
{
    cbor_out o;
    size_t pres_len = ((size_t)count + 7) / 8, present;

    size_t k;
    unsigned int zero_hash = 1;

    if (count == 0 || count > PRIVBILL_BATCH_MAX || counter == 0) return -1;
    if (first_index > UINT64_MAX - (count - 1)) return -1;  /* last index fits in 64 bits */
    for (k = 0; k < 32; k++) zero_hash &= prev_hash[k] == 0;
    if ((counter == 1) != zero_hash) return -1;  /* zeros exactly before the first batch */
    if (period != 1800 && period != 900) return -1;
    /* unused high bits of the last presence byte must be zero */
    if (count % 8 && (presence[pres_len - 1] >> (count % 8))) return -1;
    present = popcount_bytes(presence, pres_len);

    o.p = out;
    o.len = 0;
    o.cap = out_cap;
    o.overflow = 0;
    head(&o, 4, 10);
    head(&o, 0, PRIVBILL_PROTOCOL_VERSION);
    bstr(&o, meter_id, 16);
    head(&o, 0, channel);
    head(&o, 0, period);
    head(&o, 0, first_index);
    head(&o, 0, count);
    bstr(&o, presence, pres_len);
    bstr(&o, commitments, 32 * present);
    head(&o, 0, counter);
    bstr(&o, prev_hash, 32);
    if (o.overflow) return -1;
    *out_len = o.len;
    return 0;
}
