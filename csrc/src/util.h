/*
 * Small internal helpers shared by the C core: wiping secrets and
 * fixed-width loads and stores in either byte order. Internal header.
 *
 * Everything here is static inline so that a file including this header
 * adds no public symbol. All helpers are branch-free and constant time
 * in the data they touch (the lengths are public).
 */
#ifndef PRIVBILL_UTIL_H
#define PRIVBILL_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Overwrites n bytes at p with zeros. The stores go through a volatile
 * pointer, so the compiler must perform them even when it can prove that
 * p is never read again (a plain memset before a return is dead-store
 * eliminated by every optimising compiler).
 */
static inline void privbill_wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    size_t i;
    for (i = 0; i < n; i++) v[i] = 0;
}

/* Little endian. */

static inline uint32_t privbill_load32_le(const uint8_t s[4])
{
    return (uint32_t)s[0] | ((uint32_t)s[1] << 8) | ((uint32_t)s[2] << 16) |
           ((uint32_t)s[3] << 24);
}

static inline uint64_t privbill_load64_le(const uint8_t s[8])
{
    return (uint64_t)privbill_load32_le(s) | ((uint64_t)privbill_load32_le(s + 4) << 32);
}

static inline void privbill_store32_le(uint8_t s[4], uint32_t v)
{
    s[0] = (uint8_t)v;
    s[1] = (uint8_t)(v >> 8);
    s[2] = (uint8_t)(v >> 16);
    s[3] = (uint8_t)(v >> 24);
}

static inline void privbill_store64_le(uint8_t s[8], uint64_t v)
{
    privbill_store32_le(s, (uint32_t)v);
    privbill_store32_le(s + 4, (uint32_t)(v >> 32));
}

/* Big endian. */

static inline uint32_t privbill_load32_be(const uint8_t s[4])
{
    return ((uint32_t)s[0] << 24) | ((uint32_t)s[1] << 16) | ((uint32_t)s[2] << 8) |
           (uint32_t)s[3];
}

static inline uint64_t privbill_load64_be(const uint8_t s[8])
{
    return ((uint64_t)privbill_load32_be(s) << 32) | (uint64_t)privbill_load32_be(s + 4);
}

static inline void privbill_store32_be(uint8_t s[4], uint32_t v)
{
    s[0] = (uint8_t)(v >> 24);
    s[1] = (uint8_t)(v >> 16);
    s[2] = (uint8_t)(v >> 8);
    s[3] = (uint8_t)v;
}

static inline void privbill_store64_be(uint8_t s[8], uint64_t v)
{
    privbill_store32_be(s, (uint32_t)(v >> 32));
    privbill_store32_be(s + 4, (uint32_t)v);
}

/*
 * Constant-time comparison of two n-byte buffers: 1 if equal, 0 if not.
 * Every byte is read whatever the contents.
 */
static inline int privbill_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint32_t acc = 0;
    size_t i;
    for (i = 0; i < n; i++) acc |= (uint32_t)(a[i] ^ b[i]);
    /* acc in [0, 255]: (acc - 1) >> 8 has bit 0 set exactly when acc == 0 */
    return (int)(((acc - 1) >> 8) & 1);
}

#endif
