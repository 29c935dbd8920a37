/*
 * Exact decimals: a signed 128-bit unscaled integer and a scale. Valid
 * values have |unscaled| < 10^38 (38 digits, which is below 2^127), so sums
 * and differences of two valid values never wrap in 128 bits; products use a
 * 256-bit intermediate, quotients long division. Rounding is half away from
 * zero, which only needs the first discarded digit.
 */
#include "eddy/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

#define P19 ((uint64_t)10000000000000000000ULL)

static const u128 pow10_tab[39] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, P19,
    (u128)P19 * 10ULL, (u128)P19 * 100ULL, (u128)P19 * 1000ULL, (u128)P19 * 10000ULL,
    (u128)P19 * 100000ULL, (u128)P19 * 1000000ULL, (u128)P19 * 10000000ULL,
    (u128)P19 * 100000000ULL, (u128)P19 * 1000000000ULL, (u128)P19 * 10000000000ULL,
    (u128)P19 * 100000000000ULL, (u128)P19 * 1000000000000ULL,
    (u128)P19 * 10000000000000ULL, (u128)P19 * 100000000000000ULL,
    (u128)P19 * 1000000000000000ULL, (u128)P19 * 10000000000000000ULL,
    (u128)P19 * 100000000000000000ULL, (u128)P19 * 1000000000000000000ULL,
    (u128)P19 * P19,
};

#define LIMIT (pow10_tab[38]) /* valid magnitudes are below this */

eddy_i128 eddy_decimal_pow10(unsigned n) { return n <= 38 ? (eddy_i128)pow10_tab[n] : 0; }

static u128 mag(eddy_i128 v) { return v < 0 ? -(u128)v : (u128)v; }
static eddy_i128 with_sign(u128 m, bool neg) { return neg ? -(eddy_i128)m : (eddy_i128)m; }

int eddy_decimal_digits(eddy_i128 v) {
  u128 m = mag(v);
  int d = 1;
  while (d < 39 && m >= pow10_tab[d])
    d++;
  return d;
}

bool eddy_decimal_fits(eddy_i128 v, unsigned precision) {
  if (precision >= 39)
    precision = 38;
  return mag(v) < pow10_tab[precision];
}

/* ---- 256-bit unsigned helpers (little-endian 64-bit limbs) ---------------- */

typedef struct {
  uint64_t w[4];
} u256;

static u256 mul_128(u128 a, u128 b) {
  uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
  u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
  u256 r;
  r.w[0] = (uint64_t)p00;
  u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
  r.w[1] = (uint64_t)mid;
  u128 hi = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + (uint64_t)p11;
  r.w[2] = (uint64_t)hi;
  r.w[3] = (uint64_t)((hi >> 64) + (p11 >> 64));
  return r;
}

/* x /= d, returning the remainder. */
static uint64_t divmod_u64(u256 *x, uint64_t d) {
  u128 rem = 0;
  for (int i = 3; i >= 0; i--) {
    u128 cur = (rem << 64) | x->w[i];
    x->w[i] = (uint64_t)(cur / d);
    rem = cur % d;
  }
  return (uint64_t)rem;
}

/* Multiply by a small factor; @returns false on overflow of 256 bits. */
static bool mul_u64(u256 *x, uint64_t f) {
  u128 carry = 0;
  for (int i = 0; i < 4; i++) {
    u128 cur = (u128)x->w[i] * f + carry;
    x->w[i] = (uint64_t)cur;
    carry = cur >> 64;
  }
  return carry == 0;
}

static bool fits_128(const u256 *x) { return x->w[2] == 0 && x->w[3] == 0; }
static u128 low_128(const u256 *x) { return ((u128)x->w[1] << 64) | x->w[0]; }

static int cmp_u256(const u256 *a, const u256 *b) {
  for (int i = 3; i >= 0; i--)
    if (a->w[i] != b->w[i])
      return a->w[i] < b->w[i] ? -1 : 1;
  return 0;
}

/* x / 10^k rounded half away from zero (k >= 1). */
static void div_pow10_round(u256 *x, unsigned k) {
  unsigned left = k - 1;
  while (left >= 19) {
    divmod_u64(x, P19);
    left -= 19;
  }
  if (left > 0)
    divmod_u64(x, (uint64_t)pow10_tab[left]);
  uint64_t digit = divmod_u64(x, 10);
  if (digit >= 5) {
    for (int i = 0; i < 4 && ++x->w[i] == 0; i++)
      ;
  }
}

/* ---- rescale ----------------------------------------------------------------- */

/* |m| / 10^k rounded half away from zero. */
static u128 shrink(u128 m, unsigned k) {
  if (k == 0)
    return m;
  if (k > 39)
    return 0;
  u128 q = m / pow10_tab[k - 1];
  unsigned digit = (unsigned)(q % 10);
  q /= 10;
  return q + (digit >= 5);
}

int eddy_decimal_rescale(eddy_i128 v, uint8_t from, uint8_t to, eddy_i128 *out) {
  u128 m = mag(v);
  if (to > EDDY_DECIMAL_MAX_PRECISION && m != 0)
    return EDDY_EOVERFLOW;
  if (to >= from) {
    unsigned k = (unsigned)(to - from);
    if (m == 0) {
      *out = 0;
      return 0;
    }
    if (k > 38 || m >= pow10_tab[38 - k])
      return EDDY_EOVERFLOW;
    *out = with_sign(m * pow10_tab[k], v < 0);
    return 0;
  }
  m = shrink(m, (unsigned)(from - to));
  if (m >= LIMIT)
    return EDDY_EOVERFLOW;
  *out = with_sign(m, v < 0);
  return 0;
}

/* ---- arithmetic --------------------------------------------------------------- */

static int align(eddy_i128 *a, uint8_t sa, eddy_i128 *b, uint8_t sb, uint8_t *scale) {
  uint8_t s = sa > sb ? sa : sb;
  int rc = eddy_decimal_rescale(*a, sa, s, a);
  if (rc == 0)
    rc = eddy_decimal_rescale(*b, sb, s, b);
  *scale = s;
  return rc;
}

static int checked(eddy_i128 r, eddy_i128 *out) {
  if (mag(r) >= LIMIT)
    return EDDY_EOVERFLOW;
  *out = r;
  return 0;
}

/* Two values below 10^38 can sum past 2^127 (1.7e38): check the machine
 * add as well as the 38-digit limit. */
static int add_checked(eddy_i128 a, eddy_i128 b, eddy_i128 *out) {
  eddy_i128 r;
  if (__builtin_add_overflow(a, b, &r))
    return EDDY_EOVERFLOW;
  return checked(r, out);
}

static void sub_u256(u256 *x, const u256 *y) { /* x -= y, x >= y */
  uint64_t borrow = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t yi = y->w[i] + borrow;
    borrow = (yi < borrow) || (x->w[i] < yi);
    x->w[i] -= yi;
  }
}

/* a + b when aligning the scales overflows 38 digits: exact in 256 bits,
 * since opposite signs may still cancel into a result that fits. */
static int add_wide(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, eddy_i128 *out,
                    uint8_t *scale) {
  uint8_t s = sa > sb ? sa : sb;
  if (s > 38)
    return EDDY_EOVERFLOW;
  u256 x = mul_128(mag(a), pow10_tab[s - sa]), y = mul_128(mag(b), pow10_tab[s - sb]);
  *scale = s;
  if ((a < 0) == (b < 0) || a == 0 || b == 0)
    return EDDY_EOVERFLOW; /* the larger operand alone needs more than 38 digits */
  bool neg = cmp_u256(&x, &y) >= 0 ? a < 0 : b < 0;
  if (cmp_u256(&x, &y) >= 0) {
    sub_u256(&x, &y);
  } else {
    sub_u256(&y, &x);
    x = y;
  }
  if (!fits_128(&x) || low_128(&x) >= LIMIT)
    return EDDY_EOVERFLOW;
  *out = with_sign(low_128(&x), neg);
  return 0;
}

int eddy_decimal_add(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, eddy_i128 *out,
                     uint8_t *scale) {
  if (sa == sb) { /* the common case: sums of one column */
    *scale = sa;
    return add_checked(a, b, out);
  }
  eddy_i128 x = a, y = b;
  if (align(&x, sa, &y, sb, scale) != 0)
    return add_wide(a, sa, b, sb, out, scale);
  return add_checked(x, y, out);
}

int eddy_decimal_sub(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, eddy_i128 *out,
                     uint8_t *scale) {
  if (mag(b) >= LIMIT) /* keeps -b exact below */
    return EDDY_EOVERFLOW;
  return eddy_decimal_add(a, sa, -b, sb, out, scale);
}

int eddy_decimal_mul(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, uint8_t scale,
                     eddy_i128 *out) {
  bool neg = (a < 0) != (b < 0);
  u256 p = mul_128(mag(a), mag(b));
  unsigned natural = (unsigned)sa + sb;
  if (scale < natural) {
    div_pow10_round(&p, natural - scale);
  } else {
    for (unsigned k = scale - natural; k > 0;) {
      unsigned step = k > 19 ? 19 : k;
      if (!mul_u64(&p, (uint64_t)pow10_tab[step]))
        return EDDY_EOVERFLOW;
      k -= step;
    }
  }
  if (!fits_128(&p) || low_128(&p) >= LIMIT)
    return EDDY_EOVERFLOW;
  *out = with_sign(low_128(&p), neg);
  return 0;
}

/* (r * 10) / d and (r * 10) % d for r < d, without overflowing 128 bits. */
static unsigned next_digit(u128 *r, u128 d) {
  if (*r <= ~(u128)0 / 10) {
    u128 t = *r * 10;
    *r = t % d;
    return (unsigned)(t / d);
  }
  u128 acc = 0;
  unsigned digit = 0;
  for (int i = 0; i < 10; i++) { /* acc + r < 2d < 2^128 since d < 2^127 */
    acc += *r;
    if (acc >= d) {
      acc -= d;
      digit++;
    }
  }
  *r = acc;
  return digit;
}

/* round(n * 10^e / d) for e >= 0, by long division one digit at a time. */
static int div_scaled_up(u128 n, u128 d, unsigned e, u128 *q_out) {
  if (e <= 38 && n < ~(u128)0 / pow10_tab[e]) { /* fast path: fits in 128 bits */
    u128 t = n * pow10_tab[e];
    u128 q = t / d, r = t % d;
    q += (r >= d - r); /* 2r >= d without overflow */
    *q_out = q;
    return q >= LIMIT ? EDDY_EOVERFLOW : 0;
  }
  u128 q = n / d, r = n % d;
  if (q >= LIMIT)
    return EDDY_EOVERFLOW;
  for (unsigned i = 0; i < e; i++) {
    if (q >= pow10_tab[37]) /* q * 10 would reach 10^38 (and could wrap 128 bits) */
      return EDDY_EOVERFLOW;
    q = q * 10 + next_digit(&r, d);
  }
  q += next_digit(&r, d) >= 5;
  *q_out = q;
  return q >= LIMIT ? EDDY_EOVERFLOW : 0;
}

int eddy_decimal_div(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, uint8_t scale,
                     eddy_i128 *out) {
  if (b == 0)
    return EDDY_EDIVZERO;
  bool neg = (a < 0) != (b < 0);
  u128 n = mag(a), d = mag(b), q;
  int e = (int)scale - (int)sa + (int)sb;
  if (e >= 0) {
    int rc = div_scaled_up(n, d, (unsigned)e, &q);
    if (rc != 0)
      return rc;
  } else {
    /* round((n/d) / 10^k): the fraction n%d/d can never tip the rounding,
     * because 10^k is even (see the decimal tests). */
    unsigned k = (unsigned)-e;
    u128 q0 = n / d;
    if (k > 38) {
      q = 0;
    } else {
      q = q0 / pow10_tab[k];
      u128 rem = q0 % pow10_tab[k];
      q += (rem >= pow10_tab[k] - rem);
    }
  }
  *out = with_sign(q, neg && q != 0);
  return 0;
}

/* x mod m for a 256-bit x and m < 2^127, one bit at a time (r < m, so r<<1 fits). */
static u128 mod_u256(const u256 *x, u128 m) {
  u128 r = 0;
  for (int bit = 255; bit >= 0; bit--) {
    r = (r << 1) | ((x->w[bit / 64] >> (bit % 64)) & 1);
    if (r >= m)
      r -= m;
  }
  return r;
}

/* The result has the dividend's sign and is smaller than both operands, so
 * it fits whenever they do, even when aligning their scales would not. */
int eddy_decimal_mod(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb, eddy_i128 *out,
                     uint8_t *scale) {
  if (b == 0)
    return EDDY_EDIVZERO;
  uint8_t s = sa > sb ? sa : sb;
  if (s > 38 || mag(a) >= LIMIT || mag(b) >= LIMIT)
    return EDDY_EOVERFLOW;
  u256 x = mul_128(mag(a), pow10_tab[s - sa]), y = mul_128(mag(b), pow10_tab[s - sb]);
  u128 r;
  if (cmp_u256(&x, &y) < 0)
    r = low_128(&x); /* |a| < |b|: a itself, which then fits at scale s */
  else if (fits_128(&x))
    r = low_128(&x) % low_128(&y);
  else
    r = mod_u256(&x, low_128(&y)); /* y <= x; y is |b| unscaled or below x < 2^128 */
  *scale = s;
  *out = with_sign(r, a < 0);
  return r >= LIMIT ? EDDY_EOVERFLOW : 0;
}

int eddy_decimal_to_int(eddy_i128 v, uint8_t scale, int64_t *out) {
  u128 m = shrink(mag(v), scale);
  if (v < 0 ? m > (u128)INT64_MAX + 1 : m > (u128)INT64_MAX)
    return EDDY_EOVERFLOW;
  *out = v < 0 ? (int64_t)(0 - (uint64_t)m) : (int64_t)m;
  return 0;
}

/* ---- comparison ---------------------------------------------------------------- */

static int cmp_u128(u128 a, u128 b) { return (a > b) - (a < b); }

int eddy_decimal_cmp(eddy_i128 a, uint8_t sa, eddy_i128 b, uint8_t sb) {
  if (sa > 38)
    sa = 38;
  if (sb > 38)
    sb = 38;
  if (sa == sb)
    return (a > b) - (a < b);
  /* Bring the smaller scale up when that cannot overflow (the usual case). */
  if (sa < sb && mag(a) < pow10_tab[38 - (sb - sa)]) {
    eddy_i128 x = a * (eddy_i128)pow10_tab[sb - sa];
    return (x > b) - (x < b);
  }
  if (sb < sa && mag(b) < pow10_tab[38 - (sa - sb)]) {
    eddy_i128 y = b * (eddy_i128)pow10_tab[sa - sb];
    return (a > y) - (a < y);
  }
  int sign_a = (a > 0) - (a < 0), sign_b = (b > 0) - (b < 0);
  if (sign_a != sign_b)
    return sign_a < sign_b ? -1 : 1;
  if (sign_a == 0)
    return 0;
  /* Same sign: compare magnitudes, integer parts first, then fractions
   * brought to a common scale (both below 10^38: no overflow). */
  u128 ma = mag(a), mb = mag(b);
  u128 ia = ma / pow10_tab[sa], ib = mb / pow10_tab[sb];
  int c = cmp_u128(ia, ib);
  if (c == 0) {
    u128 fa = ma % pow10_tab[sa], fb = mb % pow10_tab[sb];
    uint8_t s = sa > sb ? sa : sb;
    c = cmp_u128(fa * pow10_tab[s - sa], fb * pow10_tab[s - sb]);
  }
  return sign_a < 0 ? -c : c;
}

static int bitlen_u256(const u256 *x) {
  for (int i = 3; i >= 0; i--)
    if (x->w[i] != 0)
      return i * 64 + (64 - __builtin_clzll(x->w[i]));
  return 0;
}

static bool shl_u256(u256 *x, unsigned k) { /* @returns false when bits fall off */
  if (bitlen_u256(x) + (int)k > 256)
    return false;
  for (; k >= 64; k -= 64) {
    x->w[3] = x->w[2], x->w[2] = x->w[1], x->w[1] = x->w[0], x->w[0] = 0;
  }
  if (k > 0) {
    for (int i = 3; i > 0; i--)
      x->w[i] = (x->w[i] << k) | (x->w[i - 1] >> (64 - k));
    x->w[0] <<= k;
  }
  return true;
}

/* Compare magnitudes |a|/10^s and m/2^k exactly: |a|*2^k vs m*10^s. */
static int cmp_frac_mag(u128 ma, unsigned s, uint64_t m, unsigned k) {
  u256 rhs = mul_128((u128)m, pow10_tab[s]);
  u256 lhs = mul_128(ma, 1);
  if (!shl_u256(&lhs, k))
    return 1;
  return cmp_u256(&lhs, &rhs);
}

int eddy_decimal_cmp_double(eddy_i128 a, uint8_t sa, double d) {
  if (isnan(d))
    return -1;
  if (sa > 38)
    sa = 38;
  int sign_a = (a > 0) - (a < 0), sign_d = (d > 0) - (d < 0);
  if (sign_a != sign_d)
    return sign_a < sign_d ? -1 : 1;
  if (sign_a == 0)
    return 0;
  if (isinf(d))
    return -sign_d;
  int ex;
  double f = frexp(fabs(d), &ex); /* |d| = f * 2^ex, f in [0.5, 1) */
  uint64_t m = (uint64_t)ldexp(f, 53);
  int e = ex - 53;
  while (e < 0 && (m & 1) == 0) {
    m >>= 1;
    e++;
  }
  int c;
  if (e >= 0) {
    if (ex > 126)
      c = -1; /* |d| >= 2^126 > 10^38 > any valid decimal */
    else
      c = eddy_decimal_cmp(with_sign(mag(a), false), sa, (eddy_i128)((u128)m << e), 0);
  } else {
    c = cmp_frac_mag(mag(a), sa, m, (unsigned)-e);
  }
  return sign_a < 0 ? -c : c;
}

/* ---- conversions --------------------------------------------------------------- */

bool eddy_decimal_from_double_exact(double d, eddy_i128 *out, uint8_t *scale) {
  if (!isfinite(d))
    return false;
  if (d == 0) {
    *out = 0;
    *scale = 0;
    return true;
  }
  int ex;
  double f = frexp(fabs(d), &ex);
  uint64_t m = (uint64_t)ldexp(f, 53);
  int e = ex - 53;
  while (e < 0 && (m & 1) == 0) {
    m >>= 1;
    e++;
  }
  if (e >= 0) {
    if (ex > 126)
      return false;
    *out = with_sign((u128)m << e, d < 0);
    *scale = 0;
    return true;
  }
  unsigned k = (unsigned)-e; /* m odd: m * 5^k / 10^k has no trailing zero */
  if (k > 38)
    return false;
  u128 v = m;
  for (unsigned i = 0; i < k; i++) {
    if (v > (~(u128)0 >> 1) / 5)
      return false;
    v *= 5;
  }
  *out = with_sign(v, d < 0);
  *scale = (uint8_t)k;
  return true;
}

int eddy_decimal_from_double(double d, uint8_t scale, eddy_i128 *out) {
  if (!isfinite(d))
    return EDDY_EINVAL;
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%.15e", d); /* 15 significant digits, locale-free */
  eddy_i128 u;
  uint8_t s;
  int rc = eddy_decimal_parse(buf, (size_t)n, &u, &s);
  if (rc != 0)
    return rc;
  return eddy_decimal_rescale(u, s, scale, out);
}

static const double pow10_dbl[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

double eddy_decimal_to_double(eddy_i128 unscaled, uint8_t scale) {
  u128 m = mag(unscaled);
  if (m < ((u128)1 << 53) && scale <= 22) { /* both operands exact: one rounding */
    double r = (double)(uint64_t)m / pow10_dbl[scale];
    return unscaled < 0 ? -r : r;
  }
  char buf[80];
  int len = eddy_decimal_format(unscaled, 0, buf, sizeof(buf));
  if (len < 0)
    return 0;
  snprintf(buf + len, sizeof(buf) - (size_t)len, "e-%u", (unsigned)scale);
  return strtod(buf, NULL); /* correctly rounded; an exponent needs no locale point */
}

/* ---- text ------------------------------------------------------------------------ */

int eddy_decimal_format(eddy_i128 unscaled, uint8_t scale, char *buf, size_t size) {
  char rev[48];
  int n = 0;
  u128 m = mag(unscaled);
  do {
    rev[n++] = (char)('0' + (int)(m % 10));
    m /= 10;
  } while (m != 0);
  while (n <= scale && n < 40) /* at least one digit before the point */
    rev[n++] = '0';
  if (n <= scale)
    return EDDY_ERANGE;
  size_t need = (size_t)n + (unscaled < 0) + (scale > 0) + 1;
  if (need > size)
    return EDDY_ERANGE;
  size_t o = 0;
  if (unscaled < 0)
    buf[o++] = '-';
  for (int i = n - 1; i >= 0; i--) {
    buf[o++] = rev[i];
    if (i == scale && scale > 0)
      buf[o++] = '.';
  }
  buf[o] = '\0';
  return (int)o;
}

typedef struct {
  u128 digits;   /* significant digits read so far */
  int ndigits;   /* count of significant digits (leading zeros skipped) */
  int frac;      /* digits after the point */
  bool any;      /* saw at least one digit */
} num_scan_t;

static int scan_digits(const char *s, size_t len, size_t *i, num_scan_t *n, bool after_point) {
  for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
    n->any = true;
    if (after_point)
      n->frac++;
    if (n->ndigits == 0 && s[*i] == '0')
      continue;
    if (++n->ndigits > 38)
      return EDDY_EOVERFLOW;
    n->digits = n->digits * 10 + (unsigned)(s[*i] - '0');
  }
  return 0;
}

static int scan_exponent(const char *s, size_t len, size_t *i, int *exp) {
  bool neg = false;
  if (*i < len && (s[*i] == '+' || s[*i] == '-'))
    neg = s[(*i)++] == '-';
  if (*i >= len || s[*i] < '0' || s[*i] > '9')
    return EDDY_EINVAL;
  int e = 0;
  for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
    if (e < 10000)
      e = e * 10 + (s[*i] - '0');
  *exp = neg ? -e : e;
  return 0;
}

int eddy_decimal_parse(const char *s, size_t len, eddy_i128 *unscaled, uint8_t *scale) {
  size_t i = 0;
  bool neg = false;
  num_scan_t n = {0};
  int exp = 0, rc;
  if (i < len && (s[i] == '+' || s[i] == '-'))
    neg = s[i++] == '-';
  if ((rc = scan_digits(s, len, &i, &n, false)) != 0)
    return rc;
  if (i < len && s[i] == '.') {
    i++;
    if ((rc = scan_digits(s, len, &i, &n, true)) != 0)
      return rc;
  }
  if (!n.any)
    return EDDY_EINVAL;
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (scan_exponent(s, len, &i, &exp) != 0)
      return EDDY_EINVAL;
  }
  if (i != len)
    return EDDY_EINVAL;
  int sc = n.frac - exp;
  eddy_i128 v = with_sign(n.digits, neg);
  if (sc < 0) { /* 1.5e3: bring to scale 0 */
    if (n.digits != 0 && (-sc > 38 || n.ndigits - sc > 38))
      return EDDY_EOVERFLOW;
    rc = eddy_decimal_rescale(v, 0, (uint8_t)(n.digits != 0 ? -sc : 0), &v);
    sc = 0;
  } else if (sc > 38) { /* more fraction digits than we keep: only zeros may go */
    unsigned drop = (unsigned)sc - 38;
    if (n.digits != 0 && (drop > 38 || n.digits % pow10_tab[drop] != 0))
      return EDDY_EOVERFLOW;
    v = drop > 38 ? 0 : with_sign(n.digits / pow10_tab[drop], neg);
    sc = 38;
  }
  if (rc != 0)
    return rc;
  *unscaled = v;
  *scale = (uint8_t)sc;
  return 0;
}
