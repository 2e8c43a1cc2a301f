/*
 * test_field: GF(2^255 - 19), run against whichever backend field.h picks.
 *
 * Build and run (either backend, from the repository root):
 *   gcc -std=c99 -O2 -Wall -Wextra -Werror -DPRIVBILL_FIELD_BITS=64 \
 *       -Icsrc/src -Icsrc/include csrc/tests/test_field.c csrc/src/field.c -o test_field
 *   ./test_field [seed [digest_file|- [iterations]]]
 * and the same with -DPRIVBILL_FIELD_BITS=32 (radix 2^25.5, also -m32).
 *
 * What is checked, and against what:
 *  1. Known answers (tables below) computed with Python big integers by the
 *     script pasted at the table: mul, sq, sq2, add, sub, neg, invert,
 *     pow22523, sqrt_ratio_m1 (square, non-square, zero u, zero v, both
 *     zero), canonical encoding of inputs in [p, 2^256), the seven
 *     constants. The fe_* results and an independent slow reference (ref_*,
 *     below: 8 x 32-bit words, schoolbook, variable time) are both checked
 *     against these tables.
 *  2. Contract checks: aliasing of outputs and inputs, cmov/cswap, the
 *     predicates of field.c, and, per backend, the limb bounds its header
 *     documents (limbs at the documented maximum, run under UBSan).
 *  3. A seeded sweep (xorshift64*, seed printed, argv[1] overrides) over
 *     random and edge inputs: every result is compared with the reference
 *     and with algebraic identities (a(b+c) = ab+ac, (a-b)+b = a,
 *     a*inv(a) = 1, nested adds as mul/sq inputs, sq = mul(a,a), sq2 =
 *     2*sq, sqrt_ratio_m1 post-conditions). An FNV-1a digest of the
 *     canonical outputs is printed (and written to argv[2] if given); the
 *     two backends must print the same digest for the same seed and count.
 * Exit status 0 iff nothing failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "check.h"

#define DEFAULT_SEED 0x70726976620a6665ULL   /* "privb\nfe" */
#define DEFAULT_ITERATIONS 100000UL

/* ---------------------------------------------------------------- harness */

/* check.h's counters, but at most 30 messages, each with its sweep iteration */
static int check(int ok, const char *what, long iter)
{
    if (ok) {
        n_pass++;
    } else {
        n_fail++;
        if (n_fail <= 30) {
            if (iter >= 0) fprintf(stderr, "FAIL: %s (sweep iteration %ld)\n", what, iter);
            else fprintf(stderr, "FAIL: %s\n", what);
        }
    }
    return ok;
}

static void fe_fromhex(fe h, const char *hex)
{
    uint8_t s[32];
    unhex(s, 32, hex);
    fe_frombytes(h, s);
}

/* 1 if fe_tobytes(f) is exactly the 32 bytes given in hex */
static int fe_is_hex(const fe f, const char *hex)
{
    uint8_t s[32], t[32];
    fe_tobytes(s, f);
    unhex(t, 32, hex);
    return memcmp(s, t, 32) == 0;
}

/* 1 if f and g encode to the same bytes (a test-side, variable-time equal) */
static int fe_same(const fe f, const fe g)
{
    uint8_t s[32], t[32];
    fe_tobytes(s, f);
    fe_tobytes(t, g);
    return memcmp(s, t, 32) == 0;
}

/* --------------------------------------------- independent slow reference */
/*
 * Values mod p as eight little-endian 32-bit words, always canonical.
 * Nothing here shares code or representation with either backend.
 */
typedef struct { uint32_t w[8]; } ref;

static const uint32_t P_WORDS[8] = {
    0xffffffedu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
    0xffffffffu, 0xffffffffu, 0xffffffffu, 0x7fffffffu
};

static int ref_geq_p(const uint32_t w[8])
{
    int i;
    for (i = 7; i >= 0; i--)
        if (w[i] != P_WORDS[i]) return w[i] > P_WORDS[i];
    return 1;
}

/* w + c*2^256 -> canonical, using 2^256 = 38 and 2^255 = 19 (mod p) */
static void ref_norm(uint32_t w[8], uint64_t c)
{
    uint64_t acc;
    int i, k;
    while (c != 0) {
        acc = c * 38;
        for (i = 0; i < 8; i++) { acc += w[i]; w[i] = (uint32_t)acc; acc >>= 32; }
        c = acc;
    }
    for (k = 0; k < 2; k++) {
        acc = 19 * (uint64_t)(w[7] >> 31);
        w[7] &= 0x7fffffffu;
        for (i = 0; i < 8; i++) { acc += w[i]; w[i] = (uint32_t)acc; acc >>= 32; }
    }
    while (ref_geq_p(w)) {
        int64_t b = 0;
        for (i = 0; i < 8; i++) {
            b += (int64_t)w[i] - P_WORDS[i];
            w[i] = (uint32_t)b;
            b = b < 0 ? -1 : 0;
        }
    }
}

static void ref_load(ref *r, const uint8_t s[32], int ignore_top_bit)
{
    int i;
    for (i = 0; i < 8; i++)
        r->w[i] = (uint32_t)s[4 * i] | ((uint32_t)s[4 * i + 1] << 8)
                | ((uint32_t)s[4 * i + 2] << 16) | ((uint32_t)s[4 * i + 3] << 24);
    if (ignore_top_bit) r->w[7] &= 0x7fffffffu;
    ref_norm(r->w, 0);
}

static void ref_store(uint8_t s[32], const ref *r)
{
    int i;
    for (i = 0; i < 32; i++) s[i] = (uint8_t)(r->w[i / 4] >> (8 * (i % 4)));
}

static void ref_fromhex(ref *r, const char *hex)
{
    uint8_t s[32];
    unhex(s, 32, hex);
    ref_load(r, s, 1);
}

static void ref_small(ref *r, uint32_t x)
{
    memset(r, 0, sizeof *r);
    r->w[0] = x;
    ref_norm(r->w, 0);
}

static void ref_add(ref *r, const ref *a, const ref *b)
{
    uint64_t acc = 0;
    int i;
    for (i = 0; i < 8; i++) { acc += (uint64_t)a->w[i] + b->w[i]; r->w[i] = (uint32_t)acc; acc >>= 32; }
    ref_norm(r->w, acc);
}

static void ref_sub(ref *r, const ref *a, const ref *b)
{
    ref pb;                                 /* p - b, no borrow since b < p */
    int64_t bw = 0;
    int i;
    for (i = 0; i < 8; i++) {
        bw += (int64_t)P_WORDS[i] - b->w[i];
        pb.w[i] = (uint32_t)bw;
        bw = bw < 0 ? -1 : 0;
    }
    ref_add(r, a, &pb);
}

static void ref_mul(ref *r, const ref *a, const ref *b)
{
    uint32_t t[16];
    uint64_t acc;
    int i, j;
    memset(t, 0, sizeof t);
    for (i = 0; i < 8; i++) {
        acc = 0;
        for (j = 0; j < 8; j++) {
            acc += (uint64_t)a->w[i] * b->w[j] + t[i + j];
            t[i + j] = (uint32_t)acc;
            acc >>= 32;
        }
        t[i + 8] = (uint32_t)acc;
    }
    acc = 0;
    for (i = 0; i < 8; i++) { acc += t[i] + (uint64_t)38 * t[i + 8]; r->w[i] = (uint32_t)acc; acc >>= 32; }
    ref_norm(r->w, acc);
}

/* r = a^e, e given as 32 little-endian bytes */
static void ref_pow(ref *r, const ref *a, const uint8_t e[32])
{
    ref x;
    int i;
    ref_small(&x, 1);
    for (i = 255; i >= 0; i--) {
        ref_mul(&x, &x, &x);
        if ((e[i / 8] >> (i % 8)) & 1) ref_mul(&x, &x, a);
    }
    *r = x;
}

/* 2^k mod p, k < 255 */
static void ref_pow2(ref *r, unsigned int k)
{
    memset(r, 0, sizeof *r);
    r->w[k / 32] = (uint32_t)1 << (k % 32);
    ref_norm(r->w, 0);
}

/* 1 if fe_tobytes(f) equals the reference value */
static int fe_is_ref(const fe f, const ref *r)
{
    uint8_t s[32], t[32];
    fe_tobytes(s, f);
    ref_store(t, r);
    return memcmp(s, t, 32) == 0;
}

/* The integer value of a limb vector, mod p: backend specific layout. */
#if PRIVBILL_FIELD_BITS == 32
#define FE_LIMBS 10
static unsigned int limb_pos(int i) { return (unsigned int)((51 * i + 1) / 2); }
static unsigned int limb_width(int i) { return (i & 1) ? 25u : 26u; }
static void ref_from_limbs(ref *r, const fe f)
{
    ref t, x, s;
    uint32_t mag;
    int i;
    ref_small(r, 0);
    for (i = 0; i < 10; i++) {
        mag = f[i] < 0 ? (uint32_t)0 - (uint32_t)f[i] : (uint32_t)f[i];
        ref_small(&x, mag);
        ref_pow2(&s, limb_pos(i));
        ref_mul(&t, &x, &s);
        if (f[i] < 0) ref_sub(r, r, &t); else ref_add(r, r, &t);
    }
}
#else
#define FE_LIMBS 5
static void ref_from_limbs(ref *r, const fe f)
{
    ref t, x, s;
    int i, half;
    ref_small(r, 0);
    for (i = 0; i < 5; i++) {
        for (half = 0; half < 2; half++) {
            ref_small(&x, (uint32_t)(f[i] >> (32 * half)));
            ref_pow2(&s, (unsigned int)(51 * i + 32 * half));
            ref_mul(&t, &x, &s);
            ref_add(r, r, &t);
        }
    }
}
#endif

/* ------------------------------------------------------ known answers */
/*
 * All hex strings are 32-byte little-endian encodings. Inputs are raw byte
 * strings (bit 255 may be set, values may be >= p); expected outputs are
 * canonical. Generated by this Python 3 script (big integers only, no
 * curve library), output pasted verbatim into the tables below:
 *
 *   import hashlib
 *   p = 2**255 - 19
 *   I = pow(2, (p - 1) // 4, p); I = p - I if I & 1 else I      # sqrt(-1), even
 *   d = -121665 * pow(121666, p - 2, p) % p
 *   def val(raw): return (raw % 2**255) % p                     # what fe_frombytes means
 *   def enc(x): return x.to_bytes(32, 'little').hex()
 *   def H(label): return int.from_bytes(hashlib.sha512(label.encode()).digest()[:32], 'little')
 *   def issq(x): return x == 0 or pow(x, (p - 1) // 2, p) == 1  # Euler's criterion
 *   def sqrt(x):                                                # p = 5 mod 8 (Atkin)
 *       r = pow(x, (p + 3) // 8, p)
 *       if r * r % p != x: r = r * I % p
 *       assert r * r % p == x
 *       return p - r if r & 1 else r                            # the even root
 *   def sqrt_ratio(u, v):                                       # RFC 9496 4.2 results
 *       if u == 0: return 1, 0
 *       if v == 0: return 0, 0
 *       x = u * pow(v, p - 2, p) % p
 *       return (1, sqrt(x)) if issq(x) else (0, sqrt(I * x % p))
 *   # arithmetic rows: raw 256-bit inputs (top bit may be set), answers mod p
 *   A = [H('privbill test_field a%d' % k) for k in range(8)]
 *   B = [H('privbill test_field b%d' % k) for k in range(8)]
 *   pairs = list(zip(A, B)) + [(0, A[0]), (1, B[0]), (p - 1, p - 1), (p, 2**255 - 1),
 *       (2**256 - 1, p + 1), (2**255 + 5, p - 2), ((p - 1) // 2, (p + 1) // 2), (2**254, 19)]
 *   print('# a, b, a*b, a^2, 2a^2, a+b, a-b, -a, 1/a, a^((p-5)/8)')
 *   for a, b in pairs:
 *       x, y = val(a), val(b)
 *       row = [enc(a), enc(b), enc(x * y % p), enc(x * x % p), enc(2 * x * x % p), enc((x + y) % p),
 *              enc((x - y) % p), enc(-x % p), enc(pow(x, p - 2, p)), enc(pow(x, (p - 5) // 8, p))]
 *       print('{' + ', '.join('"%s"' % s for s in row) + '},')
 *   # sqrt_ratio_m1 rows: square, non-square (2 is a non-residue), zero u, zero v, both zero, edges
 *   U = [H('privbill test_field u%d' % k) % p for k in range(4)]
 *   V = [H('privbill test_field v%d' % k) % p for k in range(4)]
 *   sr = [(U[0] ** 2 * V[0] % p, V[0]), (U[1] ** 2 * V[1] % p, V[1]), (2 * U[2] ** 2 * V[2] % p, V[2]),
 *         (U[3], V[3]), (U[0], V[1]), (0, V[0]), (U[1], 0), (0, 0), (1, 1), (p - 1, 1), (2, 1), (1, p - 1),
 *         (V[2], V[2]), (p + U[0] ** 2 % p, p + 1), (2**255 - 1, 2**256 - 1)]
 *   print('# u, v, was_square, r')
 *   for u, v in sr:
 *       w, r = sqrt_ratio(val(u), val(v))
 *       print('{"%s", "%s", %d, "%s"},' % (enc(u), enc(v), w, enc(r)))
 *   # canonical encoding of non-canonical and top-bit-set inputs
 *   print('# raw, canonical')
 *   for raw in [p, p + 1, p + 17, 2**255 - 1, 2**255 - 2, p - 1, 2**255, 2**255 + p, 2**255 + p - 1,
 *               2**256 - 1, 2**256 - 19, 2**255 + 18, 0, 19, 2**254 + 2**253, 2**255 - 2**51]:
 *       print('{"%s", "%s"},' % (enc(raw), enc(val(raw))))
 *   print('# constants')
 *   for name, x in [('d', d), ('d2', 2 * d % p), ('sqrtm1', I),
 *       ('invsqrt_a_minus_d', 54469307008909316920995813868745141605393597292927456921205312896311721017578),
 *       ('sqrt_ad_minus_one', 25063068953384623474111414158702152701244531502492656460079210482610430750235),
 *       ('one_minus_d_sq', 1159843021668779879193775521855586647937357759715417654439879720876111806838),
 *       ('d_minus_one_sq', 40440834346308536858101042469323190826248399146238708352240133220865137265952)]:
 *       print('"%s", // %s' % (enc(x), name))
 *   # edge inputs for the random sweep (raw byte strings, some non-canonical, some with bit 255 set)
 *   print('# edges')
 *   for raw in [0, 1, 2, 19, p - 2, p - 1, p, p + 1, 2**255 - 1, 2**256 - 1, 2**255, 2**254, 2**254 - 1,
 *               (p - 1) // 2, (p + 1) // 2, 2**26 - 1, 2**51 - 1, 2**51, 2**102 - 1, 2**204 - 1,
 *               sum((2**25 - 1) << (51 * k + 26) for k in range(5)), sum((2**26 - 1) << (51 * k) for k in range(5)),
 *               I, p - I, d, 121665, 121666, p - 121665]:
 *       print('"%s",' % enc(raw))
 *
 * (Each "# name" line of its output heads the table pasted below.)
 */

/* a, b, a*b, a^2, 2a^2, a+b, a-b, -a, 1/a (0 for 0), a^((p-5)/8) */
static const char *const KAT_ARITH[][10] = {
    {"46746ba8ad8c1864d088ea00c36c933b48bfbcea7550bfe7a7662aa4c338796f", "e4f565e4ce9715b54deb4d93d0fe600dee98493846db7a44ce96f518815751fc", "35f558512c26d5f8f4a03977814034296962af77fac114959609d2180fbc754e", "956b163b664d8e423b2aa759e55b7aed71f31fa5dc583636c609d7a8af4bd62a", "2ad72c76cc9a1c8576544eb3cab7f4dae3e63f4ab9b16c6c8c13ae515f97ac55", "3d6ad18c7c242e191e743894936bf44836580623bc2b3a2c76fd1fbd4490ca6b", "4f7e05c4def402af829d9c6df26d322e5a2673b22f7544a3d9cf348b42e12773", "a78b94575273e79b2f7715ff3c936cc4b74043158aaf40185899d55b3cc78610", "6f0eb4cd3cfc21a72185b66a62811f48ab6fe93faf1debe3fd54d7fe2a7ea67b", "afa7116adcaf5008b1e79bef166cfbe046b87740c97b482796234b942e49a879"},
    {"c941b8ff9b9b3b1b336175338123496784bc5e1d9951560cc911a80159a27d64", "9b063f718dc30307524301c96f71cf5bbb74ae5bbf442cd429c7576f4bb71c4e", "e89d70e3f46a098b7ac7292ff9075aa7f555d9bafb315d5bc6cf0964ab09f663", "76e46a7417126d8d9f12ab6446d835959c55f47cfc243c999f466956214d261a", "ecc8d5e82e24da1a3f2556c98cb06b2a39abe8f9f84978323f8dd2ac429a4c34", "7748f770295f3f2285a476fcf09418c33f310d79589682e0f2d8ff70a4599a32", "2e3b798e0ed83714e11d746a11b2790bc947b0c1d90c2a389f4a50920deb6016", "24be47006464c4e4cc9e8acc7edcb6987b43a1e266aea9f336ee57fea65d821b", "939afc5f73e279f221f0fba99a016cc3ea3ea9af7256855e7a589e96e692f179", "866c9e5629b407346266194f716cd98e97676f34cf4a8a7099be837fc3cb6364"},
    {"dce2feeafbcf33557dab8a53e1617d4b95191335af3a29dcba1937b198f04420", "f04c37b42d8f28aebb03c358870cffd3431004f458964f18e39e66d08cd9ee34", "e033925f1e276e3de0fc0ffca2dc64504affec904dceaf902046e69138135a24", "4ac6764392993e875fd21248bee11a5afe725f6265ead08d33e2ad269482d86b", "a78ced8624337d0ebfa425907cc335b4fce5bec4cad4a11b67c45b4d2805b157", "cc2f369f295f5c0339af4dac686e7c1fd929172908d178f49db89d8125ca3355", "d995c736ce400ba7c1a7c7fa59557e7751090f4156a4d9c3d77ad0e00b17566b", "111d01150430ccaa825475ac1e9e82b46ae6ecca50c5d62345e6c84e670fbb5f", "834729caa2cb26d552d9f052794322998d2be35462b7d6432b6682578ac3924f", "1ca08d793ec03de7b9cddbaa419b5cda640d1c962604d7975864f4bc4ad75208"},
    {"9cc05bb58aa414cb82a537379b3e4f52b23d902ad705f27cd9a60ab5744d730f", "b1df9ead0f6e6fdcdc9676442877ae4fa4c172cc240b287efb83be416d236eb4", "a083957ed0ade5275e9005e325ac9a2347c60f7e09f9c31c97dd9b5d3879cc0d", "6aa3de06519ec5baeab804fa48332ac5fce14fc905653521ab7a479c5ea5774f", "e746bd0da23c8b75d57109f49166548af9c39f920bca6a4256f58e38bd4aef1e", "4da0fa629a1284a75f3cae7bc3b5fda156ff02f7fb101afbd42ac9f6e170e143", "d8e0bc077b36a5eea50ec1f272c7a0020e7c1d5eb2fac9fedd224c73072a055b", "513fa44a755beb347d5ac8c864c1b0ad4dc26fd528fa0d832659f54a8bb28c70", "1b52be3cd264073093581cc475edf1a270a8f2ec1dece08bc0f13520546ad248", "064580c0d35af7d09fb5e5d9d8dce2bf0dfb94e9bedb12a2cb4aa113ed94893e"},
    {"54053bf86564728c57cf764a1100a822361a0fb0622d18b14098467cc4a42984", "e690def0fe6a47b26fe0c90a48053b26e5775ee02a82760f69d429836e2ac888", "d191382c7dff1cc89c4008eed5c6259a4abf4318a5e131351e366e16c997fb10", "4ad7ec4a8058e36fcccc55a6b86c91ae6ef9021ab7e82c2346dc1e924b2fd115", "94aed99500b1c6df9899ab4c71d9225dddf205346ed159468cb83d24975ea22b", "3a9619e964cfb93ec7af40555905e3481b926d908daf8ec0a96c70ff32cff10c", "5b745c0767f92adae7eeac3fc9fa6cfc50a2b0cf37aba1a1d7c31cf9557a617b", "99fac4079a9b8d73a83089b5eeff57ddc9e5f04f9dd2e74ebf67b9833b5bd67b", "c720c8ae99b47b852e21fdb3aff444802717846d54c2fc90c3bc378830b5df0a", "5c79ca26b5d129b6ccff32f9d533f2e95051f2d474a63e27f42ca2c125cebd14"},
    {"715b8b86184e4146c0c17bbb705c873e53128f95a31f3188db625c7257670fc4", "508594534bed8cc21cb8c888b81d5a0107a3d63db9d82a05f3e307d94965233b", "b4bb6929646515d187d6d94786a9b42fff2741435877be1cc99d14d23b1abf59", "ce87f055f0254ea5435a7c1498cca7a3e6b39749e4e93909fab58eb042201e05", "9c0fe1abe04b9c4a87b4f82830994f47cd672f93c8d37312f46b1d6185403c0a", "c1e01fda633bce08dd794444297ae13f5ab565d35cf85b8dce46644ba1cc327f", "21d6f632cd60b483a309b332b83e2d3d4c6fb857ea460683e87e54990d02ec08", "7ca47479e7b1beb93f3e84448fa378c1aced706a5ce0ce77249da38da898f03b", "9139b7dc97322e17f676f981ec34d2b142e1f035d653d62468b5b7f6cc47562e", "e0ba9708e2f9e1b8238d49021135fa36da0a06ee4572c3433e427bc5d4fbc31d"},
    {"882b306d317cea034d3e6c958f87b3a3c816b4c82a6678560d3e8b5051041de7", "f4454c28df71f9f7679ea82b14e2cbe36908d5a72d69b59e5c8447f8299011e9", "178f7a3243244e78844431d4b2c82305aaa6dd843590b2d610206647ddf5cf0a", "46cd73f0837a6d4569f1ed9ca8d7f6d9439c73f7aa624c5870c81ad447b0a944", "9f9ae7e007f5da8ad2e2db3951afedb38738e7ee55c598b0e09035a88f605309", "8f717c9510eee3fbb4dc14c1a3697f87321f897058cf2df569c2d2487b942e50", "81e5e344520af10be59fc3697ba5e7bf5e0edf20fdfcc2b7b0b9435827740b7e", "65d4cf92ce8315fcb2c1936a70784c5c37e94b37d59987a9f2c174afaefbe218", "b699515e63b8aa9940809b8869f91de788a5889c7b036223e4686e5b71140e11", "41b0060940abb040f11c234f0b5509e15af8d8270ea50b490da5d743fb50b84d"},
    {"7a14136dee31580a3be6a82e09aafdb5438c6cbad712806a6221aa8fee323fc6", "e3e85fbdd8e21463b51310137ad8c7e7e644fc5d68bfc3be64a63ef4179305f9", "b833388a03c85bf6317fb7afa4f23a420c8fdee7730a7b150fd66dc7c7cf4b4e", "b1193b440c890f2136ecb20e111ed356a2330e891791c1cc3446657ce4334808", "6233768818121f426cd8651d223ca6ad44671c122f228399698ccaf8c8679010", "70fd722ac7146d6df0f9b8418382c59d2ad1681840d24329c7c7e88306c6443f", "842bb3af154f43a785d2981b8fd135ce5c47705c6f53bcabfd7a6b9bd69f394d", "73ebec9211cea7f5c41957d1f655024abc73934528ed7f959dde557011cdc039", "5ec5da59294979ebef3014c2d1de15fc0ce00c4d959d8c9621d853e9260df84b", "c1aa2b07433c48372879af594c7013fa2446586e41e95fe8346e81979ee13c31"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "46746ba8ad8c1864d088ea00c36c933b48bfbcea7550bfe7a7662aa4c338796f", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "46746ba8ad8c1864d088ea00c36c933b48bfbcea7550bfe7a7662aa4c338796f", "a78b94575273e79b2f7715ff3c936cc4b74043158aaf40185899d55b3cc78610", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"},
    {"0100000000000000000000000000000000000000000000000000000000000000", "e4f565e4ce9715b54deb4d93d0fe600dee98493846db7a44ce96f518815751fc", "e4f565e4ce9715b54deb4d93d0fe600dee98493846db7a44ce96f5188157517c", "0100000000000000000000000000000000000000000000000000000000000000", "0200000000000000000000000000000000000000000000000000000000000000", "e5f565e4ce9715b54deb4d93d0fe600dee98493846db7a44ce96f5188157517c", "0a0a9a1b3168ea4ab214b26c2f019ff21167b6c7b92485bb31690ae77ea8ae03", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000"},
    {"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", "0200000000000000000000000000000000000000000000000000000000000000", "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0000000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
    {"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "1200000000000000000000000000000000000000000000000000000000000000", "dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "1200000000000000000000000000000000000000000000000000000000000000", "4401000000000000000000000000000000000000000000000000000000000000", "8802000000000000000000000000000000000000000000000000000000000000", "1300000000000000000000000000000000000000000000000000000000000000", "1100000000000000000000000000000000000000000000000000000000000000", "dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "89e3388ee3388ee3388ee3388ee3388ee3388ee3388ee3388ee3388ee3388e23", "63c5578c86047dcbbe50dd1c0184e08746f9a9df6ed58cdc81fa4a0dc030eb71"},
    {"0500000000000000000000000000000000000000000000000000000000000080", "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "e3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "1900000000000000000000000000000000000000000000000000000000000000", "3200000000000000000000000000000000000000000000000000000000000000", "0300000000000000000000000000000000000000000000000000000000000000", "0700000000000000000000000000000000000000000000000000000000000000", "e8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "9699999999999999999999999999999999999999999999999999999999999919", "b051b453aff070674133ed7c31216455f37befe613be769596e3a25b39f2e02a"},
    {"f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "f7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "fbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff1f", "f2ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff5f", "f7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "0000000000000000000000000000000000000000000000000000000000000000", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "f7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "afa00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b"},
    {"0000000000000000000000000000000000000000000000000000000000000040", "1300000000000000000000000000000000000000000000000000000000000000", "ab00000000000000000000000000000000000000000000000000000000000040", "4c00000000000000000000000000000000000000000000000000000000000060", "ab00000000000000000000000000000000000000000000000000000000000040", "1300000000000000000000000000000000000000000000000000000000000040", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "2894d7505e43790de53594d7505e43790de53594d7505e43790de53594d7505e", "a2500884cdfe65a9e9417c60ffb6f9a86f2d1afce25c29e87201f0db934f4d69"},
};

/* u, v, was_square, r  (RFC 9496 section 4.2 results, r the even root) */
static const struct { const char *u, *v; int was_square; const char *r; } KAT_SQRT[] = {
    {"17038d48fab60c673456c5fda8a0fe98867ec21c3c30ce13f2717b5a08af984e", "19c2e4a1d661dfd014adc59940943be31fe6c3944e8ac47158ecbcc3658bd20b", 1, "ccac501fa5e39dda5a5d3f274b7fb356be4f8b433bf1462b13c60b01f6408743"},
    {"93f72d45bbbc9413bf8ecb3c98d3b9437e08ca67fb67217825620852b5bd0928", "b7bbdf84cec74f570dba8b355a77c443b1ced24c13388a9eeb80cbda49142653", 1, "9c0825e3ca577a261a998e86ab5769737fc831d44c27bb0a824ac76d50082847"},
    {"a46b19cbf1f2c1b7d13233e8d5b6261ae69fc3d9cf94c30f7483f720fdfdff08", "5063d6599c1000dd827247def38b685213ca3792b9aa6e0b4b7714f13c40ed1f", 0, "e6b2b0f592afb358db55c461ecb0ef3c666f95b81bc4683a40a94581d6c86755"},
    {"3b0aba318a1fddf9ff140239d05b66637c058842ebbc2ef5efc98e9667465b43", "da1981b5face2eb1bd2e93a5893a75d6357de37fb94816a4943bf38624ae4e54", 0, "a487b06964b739ddd93ee2670b56d665f9eab9ddca699a335d5a3a328fdc6937"},
    {"ccac501fa5e39dda5a5d3f274b7fb356be4f8b433bf1462b13c60b01f6408743", "b7bbdf84cec74f570dba8b355a77c443b1ced24c13388a9eeb80cbda49142653", 1, "8c5b9197f0baab038d46290333af4387bc6a477e0d164f78ce42020315e1e334"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "19c2e4a1d661dfd014adc59940943be31fe6c3944e8ac47158ecbcc3658bd20b", 1, "0000000000000000000000000000000000000000000000000000000000000000"},
    {"9c0825e3ca577a261a998e86ab5769737fc831d44c27bb0a824ac76d50082847", "0000000000000000000000000000000000000000000000000000000000000000", 0, "0000000000000000000000000000000000000000000000000000000000000000"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", 1, "0000000000000000000000000000000000000000000000000000000000000000"},
    {"0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", 1, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
    {"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0100000000000000000000000000000000000000000000000000000000000000", 1, "b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b"},
    {"0200000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", 0, "3c5ff1b5d8e4113b871bd052f9e7bcd0582804c266ffb2d4f4203eb07fdb7c54"},
    {"0100000000000000000000000000000000000000000000000000000000000000", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", 1, "b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b"},
    {"5063d6599c1000dd827247def38b685213ca3792b9aa6e0b4b7714f13c40ed1f", "5063d6599c1000dd827247def38b685213ca3792b9aa6e0b4b7714f13c40ed1f", 1, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
    {"8a249b8cd95f8ace583a74237113bdef5c54e92b9acfdf48fb582015036c20de", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", 1, "4a11760c7182049267e4275214ac633c99cfe09ddd98056fae7441e07acec75b"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 1, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
};

/* raw input, canonical encoding of (raw mod 2^255) mod p */
static const char *const KAT_CANON[][2] = {
    {"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0000000000000000000000000000000000000000000000000000000000000000"},
    {"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "0100000000000000000000000000000000000000000000000000000000000000"},
    {"feffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "1100000000000000000000000000000000000000000000000000000000000000"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "1200000000000000000000000000000000000000000000000000000000000000"},
    {"feffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "1100000000000000000000000000000000000000000000000000000000000000"},
    {"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
    {"0000000000000000000000000000000000000000000000000000000000000080", "0000000000000000000000000000000000000000000000000000000000000000"},
    {"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "0000000000000000000000000000000000000000000000000000000000000000"},
    {"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "1200000000000000000000000000000000000000000000000000000000000000"},
    {"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "0000000000000000000000000000000000000000000000000000000000000000"},
    {"1200000000000000000000000000000000000000000000000000000000000080", "1200000000000000000000000000000000000000000000000000000000000000"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"},
    {"1300000000000000000000000000000000000000000000000000000000000000", "1300000000000000000000000000000000000000000000000000000000000000"},
    {"0000000000000000000000000000000000000000000000000000000000000060", "0000000000000000000000000000000000000000000000000000000000000060"},
    {"000000000000f8ffffffffffffffffffffffffffffffffffffffffffffffff7f", "000000000000f8ffffffffffffffffffffffffffffffffffffffffffffffff7f"},
};

/* d, 2d, sqrt(-1), invsqrt(a-d), sqrt(a*d-1), 1-d^2, (d-1)^2 */
static const char *const KAT_CONST[7] = {
    "a3785913ca4deb75abd841414d0a700098e879777940c78c73fe6f2bee6c0352", // d
    "59f1b226949bd6eb56b183829a14e00030d1f3eef2808e19e7fcdf56dcd90624", // d2
    "b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b", // sqrtm1
    "ea405d80aafdc899be72415a17162f9d40d801fe917bc216a2fcafcf05896c78", // invsqrt_a_minus_d
    "1b2e7b49a0f6977ebd54781b0c8e9daffdd1f531c9fc3c0fac48832bbf316937", // sqrt_ad_minus_one
    "76c15f94c1097ce20f355ecd38a1812ce4df70beddab9499d7e0b3b2a8729002", // one_minus_d_sq
    "204ded44aa5aad3199191eb02c4a9ed2eb4e9b522fd3dc4c41226cf67ab36859", // d_minus_one_sq
};

/* raw edge inputs mixed into the sweep */
static const char *const EDGES[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "0200000000000000000000000000000000000000000000000000000000000000",
    "1300000000000000000000000000000000000000000000000000000000000000",
    "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0000000000000000000000000000000000000000000000000000000000000040",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f",
    "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f",
    "f7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f",
    "ffffff0300000000000000000000000000000000000000000000000000000000",
    "ffffffffffff0700000000000000000000000000000000000000000000000000",
    "0000000000000800000000000000000000000000000000000000000000000000",
    "ffffffffffffffffffffffff3f00000000000000000000000000000000000000",
    "ffffffffffffffffffffffffffffffffffffffffffffffffff0f000000000000",
    "000000fcffff070000e0ffff3f000000ffffff010000f8ffff0f0000c0ffff7f",
    "ffffff030000f8ffff1f0000c0ffffff000000feffff070000f0ffff3f000000",
    "b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b",
    "3d5ff1b5d8e4113b871bd052f9e7bcd0582804c266ffb2d4f4203eb07fdb7c54",
    "a3785913ca4deb75abd841414d0a700098e879777940c78c73fe6f2bee6c0352",
    "41db010000000000000000000000000000000000000000000000000000000000",
    "42db010000000000000000000000000000000000000000000000000000000000",
    "ac24feffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --------------------------------------------------------------- tests */

static void test_constants(void)
{
    fe t, u, one, m121665, k121666;
    ref r;

    check(fe_is_hex(fe_d, KAT_CONST[0]), "constant d", -1);
    check(fe_is_hex(fe_d2, KAT_CONST[1]), "constant d2", -1);
    check(fe_is_hex(fe_sqrtm1, KAT_CONST[2]), "constant sqrtm1", -1);
    check(fe_is_hex(fe_invsqrt_a_minus_d, KAT_CONST[3]), "constant invsqrt_a_minus_d", -1);
    check(fe_is_hex(fe_sqrt_ad_minus_one, KAT_CONST[4]), "constant sqrt_ad_minus_one", -1);
    check(fe_is_hex(fe_one_minus_d_sq, KAT_CONST[5]), "constant one_minus_d_sq", -1);
    check(fe_is_hex(fe_d_minus_one_sq, KAT_CONST[6]), "constant d_minus_one_sq", -1);

    /* and the defining equations, evaluated with the field itself */
    fe_1(one);
    fe_0(m121665);
    fe_0(k121666);
    m121665[0] = 121665;
    k121666[0] = 121666;
    fe_neg(m121665, m121665);
    fe_mul(t, fe_d, k121666);
    check(fe_isequal(t, m121665), "d * 121666 == -121665", -1);
    fe_add(t, fe_d, fe_d);
    check(fe_isequal(t, fe_d2), "d2 == d + d", -1);
    fe_sq(t, fe_sqrtm1);
    fe_neg(u, one);
    check(fe_isequal(t, u), "sqrtm1^2 == -1", -1);
    check(fe_isnegative(fe_sqrtm1) == 0, "sqrtm1 is the even root", -1);
    fe_sq(t, fe_d);
    fe_sub(t, one, t);
    check(fe_isequal(t, fe_one_minus_d_sq), "one_minus_d_sq == 1 - d^2", -1);
    fe_sub(t, fe_d, one);
    fe_sq(t, t);
    check(fe_isequal(t, fe_d_minus_one_sq), "d_minus_one_sq == (d - 1)^2", -1);
    fe_sq(t, fe_sqrt_ad_minus_one);         /* a = -1: a*d - 1 = -d - 1 */
    fe_add(u, fe_d, one);
    fe_neg(u, u);
    check(fe_isequal(t, u), "sqrt_ad_minus_one^2 == a*d - 1", -1);
    fe_sq(t, fe_invsqrt_a_minus_d);         /* (a - d) * invsqrt^2 == 1 */
    fe_mul(t, t, u);
    check(fe_isequal(t, one), "invsqrt_a_minus_d^2 * (a - d) == 1", -1);

    /* the reference agrees with the tables too (it is used as an oracle) */
    ref_fromhex(&r, KAT_CONST[0]);
    {
        ref k, m;
        ref_small(&k, 121666);
        ref_mul(&r, &r, &k);
        ref_small(&m, 121665);
        ref_add(&r, &r, &m);
        ref_small(&k, 0);
        check(memcmp(&r, &k, sizeof r) == 0, "reference: d * 121666 + 121665 == 0", -1);
    }
}

static void test_kat_arith(void)
{
    size_t n;
    fe a, b, t;
    ref ra, rb, rt, rx;
    uint8_t e[32];
    char what[80];

    for (n = 0; n < COUNT(KAT_ARITH); n++) {
        const char *const *row = KAT_ARITH[n];
        fe_fromhex(a, row[0]);
        fe_fromhex(b, row[1]);

#define KAT(cond, name) do { sprintf(what, "KAT row %u: %s", (unsigned)n, name); \
                             check((cond), what, -1); } while (0)
        fe_mul(t, a, b);        KAT(fe_is_hex(t, row[2]), "mul");
        fe_sq(t, a);            KAT(fe_is_hex(t, row[3]), "sq");
        fe_sq2(t, a);           KAT(fe_is_hex(t, row[4]), "sq2");
        fe_add(t, a, b);        KAT(fe_is_hex(t, row[5]), "add");
        fe_sub(t, a, b);        KAT(fe_is_hex(t, row[6]), "sub");
        fe_neg(t, a);           KAT(fe_is_hex(t, row[7]), "neg");
        fe_invert(t, a);        KAT(fe_is_hex(t, row[8]), "invert");
        fe_pow22523(t, a);      KAT(fe_is_hex(t, row[9]), "pow22523");

        /* outputs aliasing inputs (field.h: "Outputs may alias inputs") */
        fe_copy(t, a); fe_mul(t, t, b);      KAT(fe_is_hex(t, row[2]), "mul h == f");
        fe_copy(t, b); fe_mul(t, a, t);      KAT(fe_is_hex(t, row[2]), "mul h == g");
        fe_copy(t, a); fe_sq(t, t);          KAT(fe_is_hex(t, row[3]), "sq h == f");
        fe_copy(t, a); fe_sq2(t, t);         KAT(fe_is_hex(t, row[4]), "sq2 h == f");
        fe_copy(t, a); fe_add(t, t, b);      KAT(fe_is_hex(t, row[5]), "add h == f");
        fe_copy(t, b); fe_sub(t, a, t);      KAT(fe_is_hex(t, row[6]), "sub h == g");
        fe_copy(t, a); fe_sub(t, t, b);      KAT(fe_is_hex(t, row[6]), "sub h == f");
        fe_copy(t, a); fe_neg(t, t);         KAT(fe_is_hex(t, row[7]), "neg h == f");
        fe_copy(t, a); fe_invert(t, t);      KAT(fe_is_hex(t, row[8]), "invert out == z");
        fe_copy(t, a); fe_pow22523(t, t);    KAT(fe_is_hex(t, row[9]), "pow22523 out == z");
        fe_copy(t, a); fe_carry(t, t);       KAT(fe_same(t, a), "carry h == f");

        /* the reference oracle on the same rows */
        ref_fromhex(&ra, row[0]);
        ref_fromhex(&rb, row[1]);
        ref_mul(&rt, &ra, &rb);  ref_fromhex(&rx, row[2]);
        KAT(memcmp(&rt, &rx, sizeof rt) == 0, "reference mul");
        ref_sub(&rt, &ra, &rb);  ref_fromhex(&rx, row[6]);
        KAT(memcmp(&rt, &rx, sizeof rt) == 0, "reference sub");
        unhex(e, 32, "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); /* p-2 */
        ref_pow(&rt, &ra, e);    ref_fromhex(&rx, row[8]);
        KAT(memcmp(&rt, &rx, sizeof rt) == 0, "reference pow(p-2)");
#undef KAT
    }
}

static void test_kat_sqrt_ratio(void)
{
    size_t n;
    fe u, v, r, t;
    int ws;
    char what[96];

    for (n = 0; n < COUNT(KAT_SQRT); n++) {
        fe_fromhex(u, KAT_SQRT[n].u);
        fe_fromhex(v, KAT_SQRT[n].v);
        ws = fe_sqrt_ratio_m1(r, u, v);
        sprintf(what, "sqrt_ratio_m1 KAT row %u: was_square", (unsigned)n);
        check(ws == KAT_SQRT[n].was_square, what, -1);
        sprintf(what, "sqrt_ratio_m1 KAT row %u: r", (unsigned)n);
        check(fe_is_hex(r, KAT_SQRT[n].r), what, -1);

        /* r aliasing u, then v: field.h says outputs may alias inputs */
        fe_copy(t, u);
        ws = fe_sqrt_ratio_m1(t, t, v);
        sprintf(what, "sqrt_ratio_m1 KAT row %u: r aliasing u", (unsigned)n);
        check(ws == KAT_SQRT[n].was_square && fe_is_hex(t, KAT_SQRT[n].r), what, -1);
        fe_copy(t, v);
        ws = fe_sqrt_ratio_m1(t, u, t);
        sprintf(what, "sqrt_ratio_m1 KAT row %u: r aliasing v", (unsigned)n);
        check(ws == KAT_SQRT[n].was_square && fe_is_hex(t, KAT_SQRT[n].r), what, -1);
    }
}

static void test_kat_canonical(void)
{
    size_t n;
    fe f, g;
    uint8_t s[32], raw[32], exp[32];
    char what[80];

    for (n = 0; n < COUNT(KAT_CANON); n++) {
        unhex(raw, 32, KAT_CANON[n][0]);
        unhex(exp, 32, KAT_CANON[n][1]);
        fe_frombytes(f, raw);
        fe_tobytes(s, f);
        sprintf(what, "canonical tobytes, row %u", (unsigned)n);
        check(memcmp(s, exp, 32) == 0, what, -1);
        /* frombytes ignores bit 255: flipping it changes nothing */
        raw[31] ^= 0x80;
        fe_frombytes(g, raw);
        sprintf(what, "frombytes ignores bit 255, row %u", (unsigned)n);
        check(fe_same(f, g), what, -1);
        /* iszero agrees with the canonical bytes */
        {
            int z = 1, i;
            for (i = 0; i < 32; i++) z &= exp[i] == 0;
            sprintf(what, "iszero of non-canonical input, row %u", (unsigned)n);
            check(fe_iszero(f) == z, what, -1);
            sprintf(what, "isnegative of non-canonical input, row %u", (unsigned)n);
            check(fe_isnegative(f) == (exp[0] & 1), what, -1);
        }
    }
}

static void test_select_and_predicates(void)
{
    fe a, b, x, y, t, one, zero;

    fe_fromhex(a, KAT_ARITH[0][0]);
    fe_fromhex(b, KAT_ARITH[0][1]);
    fe_1(one);
    fe_0(zero);

    /* cmov/cswap move limbs exactly (memcmp on the representation) */
    fe_copy(t, a); fe_cmov(t, b, 0);
    check(memcmp(t, a, sizeof(fe)) == 0, "cmov b=0 leaves f", -1);
    fe_copy(t, a); fe_cmov(t, b, 1);
    check(memcmp(t, b, sizeof(fe)) == 0, "cmov b=1 copies g", -1);
    fe_copy(x, a); fe_copy(y, b); fe_cswap(x, y, 0);
    check(memcmp(x, a, sizeof(fe)) == 0 && memcmp(y, b, sizeof(fe)) == 0, "cswap b=0", -1);
    fe_copy(x, a); fe_copy(y, b); fe_cswap(x, y, 1);
    check(memcmp(x, b, sizeof(fe)) == 0 && memcmp(y, a, sizeof(fe)) == 0, "cswap b=1", -1);
    fe_copy(x, a); fe_cswap(x, x, 1);
    check(memcmp(x, a, sizeof(fe)) == 0, "cswap of f with itself", -1);

    /* iszero / isequal / isnegative on reduced and loose forms */
    check(fe_iszero(zero) == 1, "iszero(0)", -1);
    check(fe_iszero(one) == 0, "iszero(1) == 0", -1);
    fe_sub(t, a, a);
    check(fe_iszero(t) == 1, "iszero(a - a)", -1);
    fe_neg(t, a);
    fe_add(t, t, a);                     /* loose zero: limbs need not be 0 */
    check(fe_iszero(t) == 1, "iszero(-a + a), loose", -1);
    check(fe_isequal(a, a) == 1, "isequal(a, a)", -1);
    check(fe_isequal(a, b) == 0, "isequal(a, b) == 0", -1);
    fe_add(x, a, b);
    fe_add(y, b, a);
    fe_add(x, x, x);                     /* nested loose values */
    fe_add(y, y, y);
    check(fe_isequal(x, y) == 1, "isequal on nested loose values", -1);
    check(fe_isnegative(zero) == 0, "isnegative(0) == 0", -1);
    check(fe_isnegative(one) == 1, "isnegative(1) == 1", -1);
    fe_neg(t, one);
    check(fe_isnegative(t) == 0, "isnegative(p - 1) == 0", -1);

    /* cneg / abs: abs picks the even one of +-f */
    fe_cneg(t, one, 0);
    check(fe_isequal(t, one), "cneg(1, 0) == 1", -1);
    fe_cneg(t, one, 1);
    fe_neg(x, one);
    check(fe_isequal(t, x), "cneg(1, 1) == -1", -1);
    fe_abs(t, one);
    check(fe_isequal(t, x), "abs(1) == p - 1 (the even root)", -1);
    fe_abs(t, x);
    check(fe_isequal(t, x), "abs(p - 1) == p - 1", -1);
    fe_copy(t, one); fe_cneg(t, t, 1);
    check(fe_isequal(t, x), "cneg h == f", -1);

    /* invert(0) == 0 by the exponentiation */
    fe_invert(t, zero);
    check(fe_iszero(t), "invert(0) == 0", -1);
}

/*
 * Limbs at the bounds each backend header documents. The value of a limb
 * vector is computed with the reference (ref_from_limbs), so these check
 * both that no intermediate overflows (UBSan) and that the result is right.
 */
static int fe_check_vs_limbs(const fe out, const fe f, const fe g, int op)
{
    ref rf, rg, rr;
    ref_from_limbs(&rf, f);
    ref_from_limbs(&rg, g);
    switch (op) {
    case 0: ref_mul(&rr, &rf, &rg); break;
    case 1: ref_sub(&rr, &rf, &rg); break;
    case 2: ref_add(&rr, &rf, &rg); break;
    default: rr = rf; break;            /* identity: carry, tobytes */
    }
    return fe_is_ref(out, &rr);
}

#if PRIVBILL_FIELD_BITS == 32
/* the "reduced" bound of field_25_5.h: |h_i| <= B_i/2 + 2^16 */
static int fe_is_reduced(const fe h)
{
    int i;
    for (i = 0; i < 10; i++) {
        int64_t lim = ((int64_t)1 << (limb_width(i) - 1)) + (1 << 16);
        if (h[i] > lim || h[i] < -lim) return 0;
    }
    return 1;
}

static void test_limb_bounds(void)
{
    fe v[8], h, t, z;
    int i, j, k;
    char what[96];

    /* mul/sq inputs at the documented maximum |f_i| = 3*B_i, all signs */
    for (i = 0; i < 10; i++) {
        int32_t m = 3 * ((int32_t)1 << limb_width(i));
        int32_t r = ((int32_t)1 << (limb_width(i) - 1)) + (1 << 16);
        v[0][i] = m;                          /* all +max */
        v[1][i] = -m;                         /* all -max */
        v[2][i] = (i & 1) ? -m : m;           /* alternating */
        v[3][i] = (i < 5) ? m : -m;
        v[4][i] = r;                          /* reduced bound */
        v[5][i] = -r;
        v[6][i] = 4 * r;                      /* two nested adds of v[4] */
        v[7][i] = -4 * r;
    }
    for (i = 0; i < 8; i++) {
        for (j = 0; j < 8; j++) {
            fe_mul(h, v[i], v[j]);
            sprintf(what, "25.5 limb bound: mul(v%d, v%d)", i, j);
            check(fe_check_vs_limbs(h, v[i], v[j], 0) && fe_is_reduced(h), what, -1);
        }
        fe_sq(h, v[i]);
        sprintf(what, "25.5 limb bound: sq(v%d)", i);
        check(fe_check_vs_limbs(h, v[i], v[i], 0) && fe_is_reduced(h), what, -1);
        fe_sq2(t, v[i]);
        fe_add(h, h, h);
        sprintf(what, "25.5 limb bound: sq2(v%d)", i);
        check(fe_same(t, h) && fe_is_reduced(t), what, -1);
    }
    /* nested adds of reduced-bound values are mul inputs */
    fe_add(t, v[4], v[4]);
    fe_add(t, t, t);
    fe_mul(h, t, v[6]);
    check(fe_check_vs_limbs(h, t, v[6], 0), "25.5 limb bound: mul(nested add, max)", -1);

    /* carry/sub/neg/tobytes take any int32 limbs */
    for (k = 0; k < 4; k++) {
        for (i = 0; i < 10; i++) {
            switch (k) {
            case 0: t[i] = INT32_MAX; h[i] = INT32_MIN; break;
            case 1: t[i] = INT32_MIN; h[i] = INT32_MAX; break;
            case 2: t[i] = (i & 1) ? INT32_MIN : INT32_MAX; h[i] = (i & 1) ? INT32_MAX : INT32_MIN; break;
            default: t[i] = INT32_MIN; h[i] = INT32_MIN; break;
            }
        }
        fe_carry(z, t);
        sprintf(what, "25.5 any int32: carry, case %d", k);
        check(fe_check_vs_limbs(z, t, t, 3) && fe_is_reduced(z), what, -1);
        sprintf(what, "25.5 any int32: tobytes, case %d", k);
        check(fe_check_vs_limbs(t, t, t, 3), what, -1);
        fe_sub(z, t, h);
        sprintf(what, "25.5 any int32: sub, case %d", k);
        check(fe_check_vs_limbs(z, t, h, 1) && fe_is_reduced(z), what, -1);
        fe_neg(z, t);
        fe_0(h);
        sprintf(what, "25.5 any int32: neg, case %d", k);
        check(fe_check_vs_limbs(z, h, t, 1) && fe_is_reduced(z), what, -1);
    }

    /* fe_add near its documented input bound (|limbs| < 2^30) */
    for (i = 0; i < 10; i++) { t[i] = (1 << 30) - 1; h[i] = -((1 << 30) - 1); }
    fe_add(z, t, t);
    check(fe_check_vs_limbs(z, t, t, 2), "25.5 add at 2^30", -1);
    fe_add(z, h, h);
    check(fe_check_vs_limbs(z, h, h, 2), "25.5 add at -2^30", -1);

    /* the constants are stored reduced (|limb| <= B_i/2) */
    check(fe_is_reduced(fe_d) && fe_is_reduced(fe_d2) && fe_is_reduced(fe_sqrtm1)
          && fe_is_reduced(fe_invsqrt_a_minus_d) && fe_is_reduced(fe_sqrt_ad_minus_one)
          && fe_is_reduced(fe_one_minus_d_sq) && fe_is_reduced(fe_d_minus_one_sq),
          "25.5 constants are reduced", -1);
}
#else
/* the "reduced" bound of field_51.h: every limb < 2^51 + 2^15 */
static int fe_is_reduced(const fe h)
{
    int i;
    for (i = 0; i < 5; i++)
        if (h[i] >= ((uint64_t)1 << 51) + (1u << 15)) return 0;
    return 1;
}

static void test_limb_bounds(void)
{
    fe v[6], h, t, z;
    int i, j;
    char what[96];
    const uint64_t red = ((uint64_t)1 << 51) + (1u << 15) - 1;   /* reduced bound */

    for (i = 0; i < 5; i++) {
        v[0][i] = ((uint64_t)1 << 54) - 1;      /* mul input bound: < 2^54 */
        v[1][i] = (i & 1) ? ((uint64_t)1 << 54) - 1 : 0;
        v[2][i] = red;
        v[3][i] = 4 * red;                      /* two nested adds of v[2] */
        v[4][i] = ((uint64_t)1 << 51) - 1;
        v[5][i] = (i == 0) ? ((uint64_t)1 << 54) - 1 : 1;
    }
    for (i = 0; i < 6; i++) {
        for (j = 0; j < 6; j++) {
            fe_mul(h, v[i], v[j]);
            sprintf(what, "51 limb bound: mul(v%d, v%d)", i, j);
            check(fe_check_vs_limbs(h, v[i], v[j], 0) && fe_is_reduced(h), what, -1);
        }
        fe_sq(h, v[i]);
        sprintf(what, "51 limb bound: sq(v%d)", i);
        check(fe_check_vs_limbs(h, v[i], v[i], 0) && fe_is_reduced(h), what, -1);
        fe_sq2(t, v[i]);
        fe_add(h, h, h);
        sprintf(what, "51 limb bound: sq2(v%d)", i);
        check(fe_same(t, h) && fe_is_reduced(t), what, -1);
        /* sub: reduced or nested-add minuend and subtrahend */
        for (j = 2; j < 5; j++) {
            fe_sub(z, v[i], v[j]);
            sprintf(what, "51 limb bound: sub(v%d, v%d)", i, j);
            check(fe_check_vs_limbs(z, v[i], v[j], 1) && fe_is_reduced(z), what, -1);
        }
    }
    /* carry and tobytes work for any limbs < 2^64 */
    for (i = 0; i < 5; i++) t[i] = ~(uint64_t)0;
    fe_carry(z, t);
    check(fe_check_vs_limbs(z, t, t, 3), "51: carry of all-ones limbs", -1);
    check(fe_check_vs_limbs(t, t, t, 3), "51: tobytes of all-ones limbs", -1);
    check(fe_is_reduced(fe_d) && fe_is_reduced(fe_d2) && fe_is_reduced(fe_sqrtm1)
          && fe_is_reduced(fe_invsqrt_a_minus_d) && fe_is_reduced(fe_sqrt_ad_minus_one)
          && fe_is_reduced(fe_one_minus_d_sq) && fe_is_reduced(fe_d_minus_one_sq),
          "51 constants are reduced", -1);
}
#endif

/* -------------------------------------------------------------- the sweep */

/* 32 bytes: four xorshift64* draws, each little-endian */
static void sweep_bytes(uint8_t out[32], uint64_t *s)
{
    int i;
    uint64_t r = 0;
    for (i = 0; i < 32; i++) {
        if (i % 8 == 0) r = xorshift64star(s);
        out[i] = (uint8_t)(r >> (8 * (i % 8)));
    }
}

/* random 32 bytes, one time in four an edge value or a sparse/dense pattern */
static void rng_input(uint8_t out[32], uint64_t *s)
{
    uint8_t t[32];
    uint64_t sel = xorshift64star(s);
    int i;
    sweep_bytes(out, s);
    switch (sel & 15) {
    case 0: case 1:
        unhex(out, 32, EDGES[(sel >> 8) % COUNT(EDGES)]);
        break;
    case 2:                                     /* sparse bits */
        sweep_bytes(t, s); for (i = 0; i < 32; i++) out[i] &= t[i];
        sweep_bytes(t, s); for (i = 0; i < 32; i++) out[i] &= t[i];
        break;
    case 3:                                     /* dense bits: near 2^256 - 1 */
        sweep_bytes(t, s); for (i = 0; i < 32; i++) out[i] |= t[i];
        sweep_bytes(t, s); for (i = 0; i < 32; i++) out[i] |= t[i];
        break;
    default:
        break;
    }
}

static void digest_fe(uint64_t *h, const fe f)          /* FNV-1a 64 */
{
    uint8_t s[32];
    int i;
    fe_tobytes(s, f);
    for (i = 0; i < 32; i++) { *h ^= s[i]; *h *= 0x100000001b3ULL; }
}

static void digest_int(uint64_t *h, int v)
{
    *h ^= (uint8_t)v;
    *h *= 0x100000001b3ULL;
}

static uint64_t test_sweep(uint64_t seed, unsigned long iterations)
{
    static const char P_MINUS_2[] = "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
    static const char P_MINUS_5_OVER_8[] = "fdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0f";
    uint64_t st = seed ? seed : DEFAULT_SEED, dig = 0xcbf29ce484222325ULL;
    uint8_t in[4][32], s[32], e_inv[32], e_pow[32];
    fe A, B, C, D, t, u, x, y, n1, n2, one;
    ref ra, rb, rc, rd, rt, rx;
    unsigned long it;
    long li;
    int k, ws, z;

    unhex(e_inv, 32, P_MINUS_2);
    unhex(e_pow, 32, P_MINUS_5_OVER_8);
    fe_1(one);

    for (it = 0; it < iterations; it++) {
        li = (long)it;
        for (k = 0; k < 4; k++) rng_input(in[k], &st);
        fe_frombytes(A, in[0]); ref_load(&ra, in[0], 1);
        fe_frombytes(B, in[1]); ref_load(&rb, in[1], 1);
        fe_frombytes(C, in[2]); ref_load(&rc, in[2], 1);
        fe_frombytes(D, in[3]); ref_load(&rd, in[3], 1);

        /* decoding, canonical encoding, bit 255 ignored */
        check(fe_is_ref(A, &ra), "frombytes/tobytes vs reference", li);
        in[0][31] ^= 0x80;
        fe_frombytes(t, in[0]);
        check(fe_same(t, A), "frombytes ignores bit 255", li);
        fe_tobytes(s, A);
        fe_frombytes(t, s);
        check(fe_same(t, A), "tobytes/frombytes round trip", li);

        /* mul, sq, sq2 against the reference and each other */
        fe_mul(t, A, B);
        ref_mul(&rt, &ra, &rb);
        check(fe_is_ref(t, &rt), "mul vs reference", li);
        digest_fe(&dig, t);
        fe_sq(u, A);
        fe_mul(x, A, A);
        check(fe_same(u, x), "sq == mul(a, a)", li);
        ref_mul(&rt, &ra, &ra);
        check(fe_is_ref(u, &rt), "sq vs reference", li);
        fe_sq2(x, A);
        fe_add(y, u, u);
        check(fe_same(x, y), "sq2 == sq + sq", li);
        digest_fe(&dig, x);

        /* add/sub/neg */
        fe_add(t, A, B);
        ref_add(&rt, &ra, &rb);
        check(fe_is_ref(t, &rt), "add vs reference", li);
        fe_sub(t, A, B);
        ref_sub(&rt, &ra, &rb);
        check(fe_is_ref(t, &rt), "sub vs reference", li);
        digest_fe(&dig, t);
        fe_add(u, t, B);
        check(fe_same(u, A), "(a - b) + b == a", li);
        fe_neg(u, A);
        fe_add(u, u, A);
        check(fe_iszero(u), "-a + a == 0", li);

        /* a(b + c) == ab + ac: an add output as mul input, mul outputs added */
        fe_add(t, B, C);
        fe_mul(t, A, t);
        fe_mul(x, A, B);
        fe_mul(y, A, C);
        fe_add(u, x, y);
        check(fe_same(t, u), "a(b + c) == ab + ac", li);
        check(fe_isequal(t, u), "isequal(a(b + c), ab + ac)", li);

        /* nested adds: (a + b) + (c + d) as mul/sq/sub input */
        fe_add(x, A, B);
        fe_add(y, C, D);
        fe_add(n1, x, y);                      /* two levels of loose */
        fe_add(t, A, C);
        fe_add(u, B, D);
        fe_add(n2, t, u);                      /* the same sum, grouped differently */
        ref_add(&rx, &ra, &rb);
        ref_add(&rt, &rc, &rd);
        ref_add(&rx, &rx, &rt);                /* a + b + c + d */
        ref_mul(&rt, &rx, &rx);
        fe_mul(t, n1, n2);
        check(fe_is_ref(t, &rt), "mul((a+b)+(c+d), (a+c)+(b+d)) vs reference", li);
        fe_sq(u, n1);
        check(fe_same(t, u), "sq(nested) == mul(nested, nested')", li);
        fe_carry(u, n1);
        fe_mul(u, u, u);
        check(fe_same(t, u), "mul(nested) == mul(carry(nested))", li);
        fe_sq2(u, n1);
        fe_add(t, t, t);
        check(fe_same(t, u), "sq2(nested) == 2 * mul(nested)", li);
        fe_sub(u, n1, y);                      /* loose - loose */
        fe_sub(t, x, u);                       /* loose - reduced */
        check(fe_iszero(t), "((a+b)+(c+d)) - (c+d) == a+b", li);
        fe_neg(u, n1);                         /* neg of nested loose */
        fe_add(u, u, n2);                      /* reduced + nested loose */
        check(fe_iszero(u), "-(nested) + nested' == 0", li);
        fe_sub(t, A, B);
        fe_add(t, t, y);                       /* sub output + add output */
        fe_mul(u, t, n1);
        ref_sub(&rt, &ra, &rb);
        ref_add(&rt, &rt, &rc);
        ref_add(&rt, &rt, &rd);
        ref_mul(&rt, &rt, &rx);
        check(fe_is_ref(u, &rt), "mul((a-b)+(c+d), nested) vs reference", li);

        /* inversion */
        fe_invert(t, A);
        fe_mul(u, t, A);
        z = fe_iszero(A);
        check(z ? fe_iszero(t) : fe_isequal(u, one), "a * inv(a) == 1 (inv(0) == 0)", li);
        digest_fe(&dig, t);
        if (it % 16 == 0) {
            ref_pow(&rt, &ra, e_inv);
            check(fe_is_ref(t, &rt), "invert vs reference a^(p-2)", li);
            fe_pow22523(u, B);
            ref_pow(&rt, &rb, e_pow);
            check(fe_is_ref(u, &rt), "pow22523 vs reference a^((p-5)/8)", li);
            digest_fe(&dig, u);
        }

        /* sqrt_ratio_m1 on random (u, v) = (c, d): post-conditions */
        ws = fe_sqrt_ratio_m1(t, C, D);
        fe_sq(u, t);
        fe_mul(u, u, D);                       /* v * r^2 */
        fe_mul(x, C, fe_sqrtm1);               /* i * u */
        check(fe_isnegative(t) == 0, "sqrt_ratio_m1: r is non-negative", li);
        if (fe_iszero(C)) {
            check(ws == 1 && fe_iszero(t), "sqrt_ratio_m1(0, v) == (1, 0)", li);
        } else if (fe_iszero(D)) {
            check(ws == 0 && fe_iszero(t), "sqrt_ratio_m1(u, 0) == (0, 0)", li);
        } else {
            check(ws ? fe_isequal(u, C) : fe_isequal(u, x),
                  "sqrt_ratio_m1: v r^2 == u (square) or i u (non-square)", li);
        }
        digest_fe(&dig, t);
        digest_int(&dig, ws);
        /* and a known square: u = a^2 * v gives r = |a| when v != 0 */
        fe_sq(x, A);
        fe_mul(x, x, B);
        ws = fe_sqrt_ratio_m1(t, x, B);
        fe_abs(u, A);
        check(ws == 1 && (fe_iszero(B) ? fe_iszero(t) : fe_same(t, u)),
              "sqrt_ratio_m1(a^2 v, v) == (1, |a|)", li);

        /* predicates and selects */
        fe_tobytes(s, A);
        check(fe_isnegative(A) == (s[0] & 1), "isnegative == lsb of encoding", li);
        {
            uint8_t s2[32];
            fe_tobytes(s2, B);
            check(fe_isequal(A, B) == (memcmp(s, s2, 32) == 0), "isequal == bytes equal", li);
        }
        fe_abs(t, A);
        fe_neg(u, A);
        check(fe_isnegative(t) == 0 && (fe_isequal(t, A) || fe_isequal(t, u)), "abs(a) == +-a, even", li);
        k = (int)(xorshift64star(&st) & 1);
        fe_copy(t, A);
        fe_cmov(t, B, (unsigned int)k);
        check(memcmp(t, k ? B : A, sizeof(fe)) == 0, "cmov", li);
        fe_copy(x, A);
        fe_copy(y, B);
        fe_cswap(x, y, (unsigned int)k);
        check(memcmp(x, k ? B : A, sizeof(fe)) == 0 && memcmp(y, k ? A : B, sizeof(fe)) == 0,
              "cswap", li);
    }
    return dig;
}

int main(int argc, char **argv)
{
    uint64_t seed = DEFAULT_SEED, digest;
    unsigned long iterations = DEFAULT_ITERATIONS;
    const char *digest_path = NULL;

    if (argc > 1) seed = (uint64_t)strtoull(argv[1], NULL, 0);
    if (argc > 2 && strcmp(argv[2], "-") != 0) digest_path = argv[2];
    if (argc > 3) iterations = strtoul(argv[3], NULL, 0);

    printf("test_field: backend %s, seed 0x%016llx, %lu sweep iterations\n",
           PRIVBILL_FIELD_BITS == 64 ? "radix 2^51 (64-bit)" : "radix 2^25.5 (32-bit)",
           (unsigned long long)seed, iterations);

    test_constants();
    test_kat_arith();
    test_kat_sqrt_ratio();
    test_kat_canonical();
    test_select_and_predicates();
    test_limb_bounds();
    digest = test_sweep(seed, iterations);

    printf("test_field: digest %016llx (seed 0x%016llx, %lu iterations)\n",
           (unsigned long long)digest, (unsigned long long)seed, iterations);
    if (digest_path != NULL) {
        FILE *f = fopen(digest_path, "w");
        if (f == NULL || fprintf(f, "seed 0x%016llx iterations %lu digest %016llx\n",
                                 (unsigned long long)seed, iterations,
                                 (unsigned long long)digest) < 0) {
            fprintf(stderr, "test_field: cannot write %s\n", digest_path);
            n_fail++;
        }
        if (f != NULL && fclose(f) != 0) n_fail++;
    }
    return check_report("test_field");
}
