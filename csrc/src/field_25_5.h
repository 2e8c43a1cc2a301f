/*
 * GF(2^255 - 19), radix 2^25.5: ten signed 32-bit limbs, alternately 26 and
 * 25 bits wide,
 *
 *   f = f0 + f1*2^26 + f2*2^51 + f3*2^77 + f4*2^102
 *     + f5*2^128 + f6*2^153 + f7*2^179 + f8*2^204 + f9*2^230.
 *
 * Limb i has width w_i = 26 (i even) or 25 (i odd) and sits at bit
 * pos_i = ceil(25.5*i). Products are int32 x int32 -> int64 (one widening
 * multiply on 32-bit targets); there is no 64x64 or 128-bit multiply.
 * Included only through field.h.
 *
 * Limb bounds (why nothing overflows). Write B_i = 2^w_i (2^26 even, 2^25
 * odd). Limbs are signed; carries round to nearest, so a carried limb lies
 * in [-B_i/2, B_i/2).
 *  - reduced: |f_i| <= B_i/2 + 2^16. Output of fe_carry, fe_mul, fe_sq,
 *    fe_sq2, fe_sub, fe_neg, fe_frombytes; the constants below satisfy
 *    |f_i| <= B_i/2. (Only limb 1 can exceed B_i/2, by the last carry.)
 *  - fe_add of two reduced values: |f_i| <= B_i + 2^17. Two nested adds
 *    (or any sum of up to five reduced values): |f_i| <= 3*B_i.
 *  - fe_mul/fe_sq/fe_sq2 accept |f_i|, |g_i| <= 3*B_i (< 2^27.6 for even
 *    limbs): see the bound beside fe_mul.
 *  - fe_sub, fe_neg, fe_carry, fe_tobytes accept ANY int32 limbs: they widen
 *    to int64 before doing anything and carry, so loose inputs (fe_add
 *    outputs, nested or not) are fine on either side and the output is
 *    reduced, a valid input to further fe_add calls.
 *  - fe_add itself needs |f_i|, |g_i| < 2^30 so the int32 sum cannot
 *    overflow; every value above satisfies that by a wide margin.
 *
 * Well-defined C: no signed overflow (bounds above), no left shift of a
 * negative value, no right shift of a negative value (rounding carries go
 * through uint64 with a bias, see fe25_carry_round), and bitwise selects on
 * int32_t (exact-width, so two's complement by C99 7.18.1.1).
 */
#ifndef PRIVBILL_FIELD_25_5_H
#define PRIVBILL_FIELD_25_5_H

typedef int32_t fe[10];

/*
 * Constants in reduced form, each limb in [-B_i/2, B_i/2). Same values as
 * field_51.h. Computed with Python big integers:
 *   p = 2**255 - 19; W = [26, 25] * 5; POS = [sum(W[:i]) for i in range(10)]
 *   l = [(x >> POS[i]) & (2**W[i] - 1) for i in range(10)], then each limb
 *   >= 2**(W[i]-1) is centred (l[i] -= 2**W[i]; l[i+1] += 1, or l[0] += 19
 *   for i = 9), repeated until stable; checked sum(l[i] << POS[i]) % p == x.
 * with x = d = -121665/121666, 2d, sqrt(-1) (even root), and the RFC 9496
 * section 4.1 decimal values (verified: (1-d^2), (d-1)^2, sqrt(a*d-1)^2 =
 * a*d-1, invsqrt(a-d)^2*(a-d) = 1 for a = -1).
 */
static const fe fe_d = {
    -10913610, 13857413, -15372611, 6949391, 114729,
    -8787816, -6275908, -3247719, -18696448, -12055116
};
static const fe fe_d2 = {
    -21827239, -5839606, -30745221, 13898782, 229458,
    15978800, -12551817, -6495438, 29715968, 9444199
};
static const fe fe_sqrtm1 = {
    -32595792, -7943725, 9377950, 3500415, 12389472,
    -272473, -25146209, -2005654, 326686, 11406482
};
static const fe fe_invsqrt_a_minus_d = {
    6111485, 4156064, -27798727, 12243468, -25904040,
    120897, 20826367, -7060776, 6093568, -1986012
};
static const fe fe_sqrt_ad_minus_one = {
    24849947, -153582, -23613485, 6347715, -21072328,
    -667138, -25271143, -15367704, -870347, 14525639
};
static const fe fe_one_minus_d_sq = {
    6275446, -16617371, -22938544, -3773710, 11667077,
    7397348, -27922721, 1766195, -24433858, 672203
};
static const fe fe_d_minus_one_sq = {
    15551795, -11097455, -13425098, -10125071, -11896535,
    10178284, -26634327, 4729244, -5282110, -10116402
};

static inline void fe_0(fe h)
{
    int i;
    for (i = 0; i < 10; i++) h[i] = 0;
}

static inline void fe_1(fe h)
{
    fe_0(h);
    h[0] = 1;
}

static inline void fe_copy(fe h, const fe f)
{
    int i;
    for (i = 0; i < 10; i++) h[i] = f[i];
}

/*
 * Rounding carry out of a limb of width s (25 or 26): returns
 * c = floor((*x + 2^(s-1)) / 2^s) and leaves *x - c*2^s in [-2^(s-1),
 * 2^(s-1)). Valid for |*x| < 2^63 - 2^26.
 *
 * A signed right shift of a negative value is implementation defined, so
 * the shift is done on u = *x + 2^63 + 2^(s-1) computed in uint64 (the
 * conversion of a negative int64 to uint64 is defined, modulo 2^64). For
 * the range above u does not wrap, so u >> s = c + 2^(63-s) exactly; the
 * subtraction gives c back as a signed value with no overflow
 * (|c| < 2^(64-s)). No data-dependent branch.
 */
static inline int64_t fe25_carry_round(int64_t *x, unsigned int s)
{
    const uint64_t u = (uint64_t)*x + ((uint64_t)1 << 63) + ((uint64_t)1 << (s - 1));
    const int64_t c = (int64_t)(u >> s) - ((int64_t)1 << (63 - s));
    *x -= c * ((int64_t)1 << s);   /* a multiply, not a shift of a signed value */
    return c;
}

/*
 * Carry ten int64 accumulators into ten reduced int32 limbs.
 *
 * Precondition: |t_i| <= 2^62.2 for i < 9 and |t_9| <= 2^58 (fe_mul,
 * fe_sq: see there), or |t_i| <= 2^32 (fe_carry, fe_sub, fe_neg on int32
 * limbs).
 * One sequential pass t0 -> t1 -> ... -> t9, then the carry out of t9
 * re-enters t0 times 19 (2^255 = 19 mod p), then one more carry t0 -> t1.
 *  - each carry into t_{i+1} is at most 2^(62.2-25) + 1 < 2^38, so t_{i+1}
 *    stays far below 2^63 and limbs 0, 2..9 end in [-B_i/2, B_i/2);
 *  - t_9 plus its incoming carry is < 2^58 + 2^38, so the carry c9 out of
 *    it is < 2^33.1 and 19*c9 < 2^37.4; t0 (now < 2^25) plus that is
 *    < 2^37.5, so the final carry into t1 is < 2^11.5 + 1: limb 1 ends
 *    within 2^24 + 2^12. (For int32 inputs: c9 < 2^7, final carry <= 1.)
 * Hence the output is reduced: |h_i| <= B_i/2 + 2^16.
 * The value mod p is unchanged: every step moves c*2^s from one limb to
 * the next, or c*2^255 to c*19.
 */
static inline void fe25_reduce(fe h, int64_t t[10])
{
    int64_t c;
    int i;
    for (i = 0; i < 9; i++) {
        c = fe25_carry_round(&t[i], (i & 1) ? 25u : 26u);
        t[i + 1] += c;
    }
    c = fe25_carry_round(&t[9], 25u);
    t[0] += 19 * c;
    c = fe25_carry_round(&t[0], 26u);
    t[1] += c;
    for (i = 0; i < 10; i++) h[i] = (int32_t)t[i];   /* all fit: see above */
}

/* Weak reduction of any int32 limbs to the reduced bound. */
static inline void fe_carry(fe h, const fe f)
{
    int64_t t[10];
    int i;
    for (i = 0; i < 10; i++) t[i] = f[i];
    fe25_reduce(h, t);
}

/*
 * Loose output, no carry: for reduced inputs |h_i| <= B_i + 2^17. Inputs
 * must have |limbs| < 2^30 (true of any sum of fewer than 16 reduced
 * values) so the int32 addition cannot overflow.
 */
static inline void fe_add(fe h, const fe f, const fe g)
{
    int i;
    for (i = 0; i < 10; i++) h[i] = f[i] + g[i];
}

/*
 * h = f - g. Signed limbs need no bias multiple of p: the difference is
 * formed in int64 (|f_i - g_i| < 2^32 for any int32 limbs) and carried,
 * so f and g may be any loose values and h is reduced.
 */
static inline void fe_sub(fe h, const fe f, const fe g)
{
    int64_t t[10];
    int i;
    for (i = 0; i < 10; i++) t[i] = (int64_t)f[i] - g[i];
    fe25_reduce(h, t);
}

/* h = -f, any int32 limbs in, reduced out (|-f_i| <= 2^31 in int64). */
static inline void fe_neg(fe h, const fe f)
{
    int64_t t[10];
    int i;
    for (i = 0; i < 10; i++) t[i] = -(int64_t)f[i];
    fe25_reduce(h, t);
}

/* The one widening multiply: int32 x int32 -> int64, exact. */
static inline int64_t fe25_m(int32_t a, int32_t b)
{
    return (int64_t)a * b;
}

/*
 * h = f*g, schoolbook with the wrap-around folded in: a product of limbs i
 * and j lands at bit pos_i + pos_j, which equals pos_{i+j} except when i
 * and j are both odd (one bit too low: those products are doubled, via
 * f_i*2) and when i+j >= 10 (2^255 too high: those are summed in hi and
 * multiplied by 19 once, in int64).
 *
 * Bound. Let |f_i| <= F*B_i, |g_i| <= G*B_i with F*G <= 9 (e.g. both <=
 * 3*B_i, two nested adds of reduced values). Each term of t_k is at most
 * F*G*2^52 (even*even) or F*G*2^51 (odd*even, and 2*odd*odd), times 19 in
 * hi. The worst accumulator is t0:
 *   t0 <= F*G * (2^52 + 19*(4*2^52 + 5*2^51)) = F*G * 124.5 * 2^52
 *      <= 9 * 124.5 * 2^52 < 2^62.13,
 * and t1..t9 are smaller (t1: 77*2^52*F*G, t2: 97.5*2^52*F*G, ...
 * t9: 5*2^52*F*G). Partial sums are bounded by the same sums of absolute
 * values, so no intermediate overflows int64, and fe25_reduce's
 * precondition holds (|t_i| < 2^62.13; |t_9| <= 45*2^52 < 2^57.5). The
 * doubled odd limbs f_i*2 are <= 6*2^25 < 2^28, fine in int32.
 * f and g are read into locals first, so h may alias f or g.
 */
static inline void fe_mul(fe h, const fe f, const fe g)
{
    const int32_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    const int32_t f5 = f[5], f6 = f[6], f7 = f[7], f8 = f[8], f9 = f[9];
    const int32_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    const int32_t g5 = g[5], g6 = g[6], g7 = g[7], g8 = g[8], g9 = g[9];
    const int32_t f1_2 = 2 * f1, f3_2 = 2 * f3, f5_2 = 2 * f5;
    const int32_t f7_2 = 2 * f7, f9_2 = 2 * f9;
    int64_t t[10];

    t[0] = fe25_m(f0, g0)
         + 19 * (fe25_m(f1_2, g9) + fe25_m(f2, g8) + fe25_m(f3_2, g7) + fe25_m(f4, g6)
                 + fe25_m(f5_2, g5) + fe25_m(f6, g4) + fe25_m(f7_2, g3) + fe25_m(f8, g2)
                 + fe25_m(f9_2, g1));
    t[1] = fe25_m(f0, g1) + fe25_m(f1, g0)
         + 19 * (fe25_m(f2, g9) + fe25_m(f3, g8) + fe25_m(f4, g7) + fe25_m(f5, g6)
                 + fe25_m(f6, g5) + fe25_m(f7, g4) + fe25_m(f8, g3) + fe25_m(f9, g2));
    t[2] = fe25_m(f0, g2) + fe25_m(f1_2, g1) + fe25_m(f2, g0)
         + 19 * (fe25_m(f3_2, g9) + fe25_m(f4, g8) + fe25_m(f5_2, g7) + fe25_m(f6, g6)
                 + fe25_m(f7_2, g5) + fe25_m(f8, g4) + fe25_m(f9_2, g3));
    t[3] = fe25_m(f0, g3) + fe25_m(f1, g2) + fe25_m(f2, g1) + fe25_m(f3, g0)
         + 19 * (fe25_m(f4, g9) + fe25_m(f5, g8) + fe25_m(f6, g7) + fe25_m(f7, g6)
                 + fe25_m(f8, g5) + fe25_m(f9, g4));
    t[4] = fe25_m(f0, g4) + fe25_m(f1_2, g3) + fe25_m(f2, g2) + fe25_m(f3_2, g1)
         + fe25_m(f4, g0)
         + 19 * (fe25_m(f5_2, g9) + fe25_m(f6, g8) + fe25_m(f7_2, g7) + fe25_m(f8, g6)
                 + fe25_m(f9_2, g5));
    t[5] = fe25_m(f0, g5) + fe25_m(f1, g4) + fe25_m(f2, g3) + fe25_m(f3, g2)
         + fe25_m(f4, g1) + fe25_m(f5, g0)
         + 19 * (fe25_m(f6, g9) + fe25_m(f7, g8) + fe25_m(f8, g7) + fe25_m(f9, g6));
    t[6] = fe25_m(f0, g6) + fe25_m(f1_2, g5) + fe25_m(f2, g4) + fe25_m(f3_2, g3)
         + fe25_m(f4, g2) + fe25_m(f5_2, g1) + fe25_m(f6, g0)
         + 19 * (fe25_m(f7_2, g9) + fe25_m(f8, g8) + fe25_m(f9_2, g7));
    t[7] = fe25_m(f0, g7) + fe25_m(f1, g6) + fe25_m(f2, g5) + fe25_m(f3, g4)
         + fe25_m(f4, g3) + fe25_m(f5, g2) + fe25_m(f6, g1) + fe25_m(f7, g0)
         + 19 * (fe25_m(f8, g9) + fe25_m(f9, g8));
    t[8] = fe25_m(f0, g8) + fe25_m(f1_2, g7) + fe25_m(f2, g6) + fe25_m(f3_2, g5)
         + fe25_m(f4, g4) + fe25_m(f5_2, g3) + fe25_m(f6, g2) + fe25_m(f7_2, g1)
         + fe25_m(f8, g0)
         + 19 * fe25_m(f9_2, g9);
    t[9] = fe25_m(f0, g9) + fe25_m(f1, g8) + fe25_m(f2, g7) + fe25_m(f3, g6)
         + fe25_m(f4, g5) + fe25_m(f5, g4) + fe25_m(f6, g3) + fe25_m(f7, g2)
         + fe25_m(f8, g1) + fe25_m(f9, g0);
    fe25_reduce(h, t);
}

/*
 * h = f^2: fe_mul(h, f, f) with the symmetric products f_i*f_j + f_j*f_i
 * merged into (2*f_i)*f_j. Coefficients: 1 for i = j, 2 for i != j, times
 * 2 again when i and j are both odd; (2*f_i)*(2*f_j) gives 4. Each t_k is
 * the same sum of absolute values as fe_mul's with g = f, so the fe_mul
 * bound applies unchanged (|f_i| <= 3*B_i, t_k < 2^62.13, t_9 < 2^57.5);
 * the doubled limbs 2*f_i are <= 6*2^26 < 2^29.
 */
static inline void fe_sq(fe h, const fe f)
{
    const int32_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    const int32_t f5 = f[5], f6 = f[6], f7 = f[7], f8 = f[8], f9 = f[9];
    const int32_t f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3;
    const int32_t f4_2 = 2 * f4, f5_2 = 2 * f5, f6_2 = 2 * f6, f7_2 = 2 * f7;
    const int32_t f8_2 = 2 * f8, f9_2 = 2 * f9;
    int64_t t[10];

    t[0] = fe25_m(f0, f0)
         + 19 * (fe25_m(f1_2, f9_2) + fe25_m(f2_2, f8) + fe25_m(f3_2, f7_2)
                 + fe25_m(f4_2, f6) + fe25_m(f5_2, f5));
    t[1] = fe25_m(f0_2, f1)
         + 19 * (fe25_m(f2_2, f9) + fe25_m(f3_2, f8) + fe25_m(f4_2, f7) + fe25_m(f5_2, f6));
    t[2] = fe25_m(f0_2, f2) + fe25_m(f1_2, f1)
         + 19 * (fe25_m(f3_2, f9_2) + fe25_m(f4_2, f8) + fe25_m(f5_2, f7_2) + fe25_m(f6, f6));
    t[3] = fe25_m(f0_2, f3) + fe25_m(f1_2, f2)
         + 19 * (fe25_m(f4_2, f9) + fe25_m(f5_2, f8) + fe25_m(f6_2, f7));
    t[4] = fe25_m(f0_2, f4) + fe25_m(f1_2, f3_2) + fe25_m(f2, f2)
         + 19 * (fe25_m(f5_2, f9_2) + fe25_m(f6_2, f8) + fe25_m(f7_2, f7));
    t[5] = fe25_m(f0_2, f5) + fe25_m(f1_2, f4) + fe25_m(f2_2, f3)
         + 19 * (fe25_m(f6_2, f9) + fe25_m(f7_2, f8));
    t[6] = fe25_m(f0_2, f6) + fe25_m(f1_2, f5_2) + fe25_m(f2_2, f4) + fe25_m(f3_2, f3)
         + 19 * (fe25_m(f7_2, f9_2) + fe25_m(f8, f8));
    t[7] = fe25_m(f0_2, f7) + fe25_m(f1_2, f6) + fe25_m(f2_2, f5) + fe25_m(f3_2, f4)
         + 19 * fe25_m(f8_2, f9);
    t[8] = fe25_m(f0_2, f8) + fe25_m(f1_2, f7_2) + fe25_m(f2_2, f6) + fe25_m(f3_2, f5_2)
         + fe25_m(f4, f4)
         + 19 * fe25_m(f9_2, f9);
    t[9] = fe25_m(f0_2, f9) + fe25_m(f1_2, f8) + fe25_m(f2_2, f7) + fe25_m(f3_2, f6)
         + fe25_m(f4_2, f5);
    fe25_reduce(h, t);
}

/*
 * h = 2*f^2. Doubling the int64 accumulators could overflow at the 3*B_i
 * input bound (2*2^62.13), so square, double the reduced limbs (|2*h_i| <=
 * B_i + 2^17) and carry again, as field_51.h does.
 */
static inline void fe_sq2(fe h, const fe f)
{
    fe t;
    fe_sq(t, f);
    fe_add(t, t, t);
    fe_carry(h, t);
}

static inline uint32_t fe25_load32(const uint8_t s[4])
{
    return (uint32_t)s[0] | ((uint32_t)s[1] << 8) | ((uint32_t)s[2] << 16)
         | ((uint32_t)s[3] << 24);
}

/*
 * Little endian, 255 bits: limb i is bits [pos_i, pos_i + w_i), read as a
 * 32-bit load at byte pos_i/8 shifted by pos_i%8 (shift + width <= 32 for
 * every limb). Limb 9 is bits 230..254: the mask drops bit 255. The limbs
 * are then in [0, B_i); one carry centres them, so the output is reduced
 * (a value in [p, 2^255) is accepted and represents itself mod p).
 */
static inline void fe_frombytes(fe h, const uint8_t s[32])
{
    const uint32_t m26 = ((uint32_t)1 << 26) - 1, m25 = ((uint32_t)1 << 25) - 1;
    fe t;
    t[0] = (int32_t)(fe25_load32(s + 0) & m26);          /* bits   0..25  */
    t[1] = (int32_t)((fe25_load32(s + 3) >> 2) & m25);   /* bits  26..50  */
    t[2] = (int32_t)((fe25_load32(s + 6) >> 3) & m26);   /* bits  51..76  */
    t[3] = (int32_t)((fe25_load32(s + 9) >> 5) & m25);   /* bits  77..101 */
    t[4] = (int32_t)((fe25_load32(s + 12) >> 6) & m26);  /* bits 102..127 */
    t[5] = (int32_t)(fe25_load32(s + 16) & m25);         /* bits 128..152 */
    t[6] = (int32_t)((fe25_load32(s + 19) >> 1) & m26);  /* bits 153..178 */
    t[7] = (int32_t)((fe25_load32(s + 22) >> 3) & m25);  /* bits 179..203 */
    t[8] = (int32_t)((fe25_load32(s + 25) >> 4) & m26);  /* bits 204..229 */
    t[9] = (int32_t)((fe25_load32(s + 28) >> 6) & m25);  /* bits 230..254 */
    fe_carry(h, t);
}

/*
 * Canonical encoding: the unique representative in [0, p).
 *  1. fe_carry: any int32 limbs -> reduced, |h_i| <= B_i/2 + 2^16. The
 *     value V = sum h_i*2^pos_i then satisfies
 *       |V| <= sum (B_i/2)*2^pos_i + 2^16*sum 2^pos_i
 *           = (2^26 + 2^51 + ... + 2^255)/2 + 2^16*(...) < 2^254 + 2^231 < p.
 *  2. Add p limb-wise (p_0 = 2^26 - 19, p_i = B_i - 1 otherwise). Every limb
 *     becomes non-negative (B_i - 19 - B_i/2 - 2^16 > 0) and < 2*B_i, and
 *     V + p lies in (0, 2p). From here on all limbs are uint32.
 *  3. q = floor((V + p + 19) / 2^255), found by propagating the carry of
 *     "+19" with floor shifts: each limb plus an incoming carry of 0 or 1 is
 *     < 2*B_i, so every carry, and q, is 0 or 1. q = 1 iff V + p >= p.
 *  4. V + p - q*p = (V + p + 19q) - q*2^255: add 19q to limb 0, carry with
 *     floor shifts, and drop bit 255 by masking limb 9 (that bit is exactly
 *     q, since V + p + 19q < 2^256). The result is in [0, p).
 *  5. Pack the 255 bits little endian; bit 255 of the output is 0.
 * No branch depends on the value; the loops run a fixed number of times.
 */
static inline void fe_tobytes(uint8_t s[32], const fe f)
{
    static const int32_t p_limb[10] = {
        (1 << 26) - 19, (1 << 25) - 1, (1 << 26) - 1, (1 << 25) - 1, (1 << 26) - 1,
        (1 << 25) - 1, (1 << 26) - 1, (1 << 25) - 1, (1 << 26) - 1, (1 << 25) - 1
    };
    fe h;
    uint32_t t[10], q;
    uint64_t acc;
    unsigned int bits, w, k;
    int i;

    fe_carry(h, f);                                       /* step 1 */
    for (i = 0; i < 10; i++) t[i] = (uint32_t)(h[i] + p_limb[i]);  /* step 2 */

    q = (t[0] + 19) >> 26;                                /* step 3 */
    for (i = 1; i < 10; i++) q = (t[i] + q) >> ((i & 1) ? 25 : 26);

    t[0] += 19 * q;                                       /* step 4 */
    for (i = 0; i < 9; i++) {
        w = (i & 1) ? 25u : 26u;
        t[i + 1] += t[i] >> w;
        t[i] &= ((uint32_t)1 << w) - 1;
    }
    t[9] &= ((uint32_t)1 << 25) - 1;

    acc = 0;                                              /* step 5 */
    bits = 0;
    k = 0;
    for (i = 0; i < 10; i++) {
        acc |= (uint64_t)t[i] << bits;                    /* bits <= 7 before */
        bits += (i & 1) ? 25u : 26u;
        while (bits >= 8) {                               /* public count */
            s[k++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    s[31] = (uint8_t)acc;                                 /* last 7 bits */
}

/*
 * f = g if b == 1, unchanged if b == 0 (b must be 0 or 1). The mask is
 * passed through a volatile so the compiler cannot see that it is 0 or -1
 * and turn the select back into a branch on b.
 */
static inline void fe_cmov(fe f, const fe g, unsigned int b)
{
    volatile int32_t vmask = -(int32_t)b;
    const int32_t mask = vmask;
    int i;
    for (i = 0; i < 10; i++) f[i] ^= mask & (f[i] ^ g[i]);
}

/* swap f and g if b == 1, nothing if b == 0; same mask discipline. */
static inline void fe_cswap(fe f, fe g, unsigned int b)
{
    volatile int32_t vmask = -(int32_t)b;
    const int32_t mask = vmask;
    int32_t x;
    int i;
    for (i = 0; i < 10; i++) {
        x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

#endif
