/*
 * meter_main.c: the smallest meter firmware that does a meter's job, linked
 * by `make size` for Cortex-M4 to measure flash and worst-case stack.
 *
 * Per upload: derive the blinding of each of 48 half-hourly readings from the
 * commitment secret k, commit to the 48 readings in one batch, encode the
 * batch payload (deterministic CBOR: meter id, channel, period, first index,
 * presence bitmap, commitments, counter, hash of the previous batch) and
 * sign it with Ed25519.
 *
 * Inputs stand in for secure storage (k, the signing key), the meter's
 * identity and its metrology ADC; they are read through volatile pointers so
 * the compiler cannot fold any of the work away. Buffers are static, as a
 * firmware would keep them, so the stack figure is the library's own.
 */
#include <stdint.h>
#include <stddef.h>

#include "privbill.h"

#define READINGS 48
/* Payload bound for READINGS intervals: the fixed fields and headers take
 * well under 128 bytes (see PRIVBILL_BATCH_PAYLOAD_MAX in privbill.h). */
#define PAYLOAD_CAP (128 + READINGS * PRIVBILL_ELEMENTBYTES)

static volatile uint8_t secure_storage[PRIVBILL_SECRETBYTES + PRIVBILL_ED25519_SECRETKEYBYTES];
static volatile uint8_t meter_identity[PRIVBILL_METERIDBYTES];
static volatile uint32_t adc_wh[READINGS];
static volatile uint64_t rtc_first_index;
static volatile uint64_t nv_counter;
static volatile uint8_t nv_prev_hash[32];
static volatile uint8_t uplink[PRIVBILL_ED25519_SIGNATUREBYTES];

static uint8_t secret[PRIVBILL_SECRETBYTES];
static uint8_t sk[PRIVBILL_ED25519_SECRETKEYBYTES];
static uint8_t meter_id[PRIVBILL_METERIDBYTES];
static uint64_t values[READINGS];
static uint8_t blindings[READINGS * PRIVBILL_SCALARBYTES];
static uint8_t commitments[READINGS * PRIVBILL_ELEMENTBYTES];
static uint8_t presence[(READINGS + 7) / 8];
static uint8_t prev_hash[32];
static uint8_t payload[PAYLOAD_CAP];
static uint8_t sig[PRIVBILL_ED25519_SIGNATUREBYTES];

int main(void)
{
    size_t i, payload_len;
    uint64_t first, counter;

    for (i = 0; i < sizeof secret; i++) secret[i] = secure_storage[i];
    for (i = 0; i < sizeof sk; i++) sk[i] = secure_storage[sizeof secret + i];
    for (i = 0; i < sizeof meter_id; i++) meter_id[i] = meter_identity[i];
    for (i = 0; i < sizeof prev_hash; i++) prev_hash[i] = nv_prev_hash[i];
    first = rtc_first_index;
    counter = nv_counter + 1;
    for (i = 0; i < sizeof presence; i++) presence[i] = 0xff;  /* all recorded */

    for (i = 0; i < READINGS; i++) {
        values[i] = adc_wh[i];
        privbill_blinding_derive(&blindings[i * PRIVBILL_SCALARBYTES], secret, meter_id,
                                 0 /* import channel */, first + i);
    }
    privbill_pedersen_commit_many(commitments, values, blindings, READINGS);
    if (privbill_batch_payload(payload, &payload_len, sizeof payload, meter_id, 0, 1800, first,
                               READINGS, presence, commitments, counter, prev_hash) != 0)
        return 1;
    privbill_ed25519_sign(sig, payload, payload_len, sk);

    for (i = 0; i < sizeof sig; i++) uplink[i] = sig[i];
    nv_counter = counter;
    return 0;
}
