/*
 * check.h: the small harness the C test programs share (C99, header only).
 *
 *   CHECK(cond, fmt, ...)   count a pass, or count a failure and print
 *                           "FAIL file:line: <message>" to stderr
 *   n_pass, n_fail          the counters (a test may bump them directly)
 *   check_report(name)      print "<name>: N passed, M failed" to stdout;
 *                           returns the exit status (0 iff nothing failed)
 *   unhex(out, n, hex)      decode exactly n bytes of hex; exit(2) on a
 *                           malformed literal
 *   eq_hex(got, n, hex)     1 if got[0..n) is the hex literal (n <= 256)
 *   print_hex(label, p, n)  "  label <hex>" to stderr, for failure context
 *   splitmix64(&s)          one step of splitmix64 on state s
 *   xorshift64star(&s)      one step of xorshift64* on state s
 *   rng_state, rng_next()   the test's generator: CHECK_RNG (default
 *                           splitmix64; define it before including to pick
 *                           another) stepping rng_state, which the test seeds
 *   rng_bytes(p, n)         n bytes, each the top byte of one rng_next()
 *
 * Everything is static, and the functions inline, so a test that leaves
 * some of them unused still builds warning-free under -Wall -Wextra.
 * Test code only: the core never includes this.
 */
#ifndef PRIVBILL_TESTS_CHECK_H
#define PRIVBILL_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long n_pass, n_fail;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (cond) {                                                       \
            n_pass++;                                                     \
        } else {                                                          \
            n_fail++;                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

static inline int check_report(const char *name)
{
    printf("%s: %llu passed, %llu failed\n", name, n_pass, n_fail);
    return n_fail == 0 ? 0 : 1;
}

static inline void unhex(uint8_t *out, size_t n, const char *hex)
{
    size_t i;
    if (strlen(hex) != 2 * n) {
        fprintf(stderr, "bad hex literal length (%u bytes wanted): %.40s...\n", (unsigned)n,
                hex);
        exit(2);
    }
    for (i = 0; i < n; i++) {
        unsigned int v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            fprintf(stderr, "bad hex literal: %.40s...\n", hex);
            exit(2);
        }
        out[i] = (uint8_t)v;
    }
}

static inline int eq_hex(const uint8_t *got, size_t n, const char *hex)
{
    uint8_t want[256];
    if (n > sizeof want) return 0;
    unhex(want, n, hex);
    return memcmp(got, want, n) == 0;
}

static inline void print_hex(const char *label, const uint8_t *p, size_t n)
{
    size_t i;
    fprintf(stderr, "  %s ", label);
    for (i = 0; i < n; i++) fprintf(stderr, "%02x", p[i]);
    fputc('\n', stderr);
}

static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t xorshift64star(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

#ifndef CHECK_RNG
#define CHECK_RNG splitmix64
#endif

static uint64_t rng_state;

static inline uint64_t rng_next(void)
{
    return CHECK_RNG(&rng_state);
}

static inline void rng_bytes(uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) p[i] = (uint8_t)(rng_next() >> 56);
}

#endif
