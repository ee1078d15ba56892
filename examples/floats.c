/*
 * Floating point as programs see it: printf %f %e %g %a (and variants) over ordinary values, denormals,
 * infinities, NaNs and negative zero; strtod/strtof round trips and edge strings; libm functions; every
 * rounding mode; the exception flags; canonical NaNs; fmin/fmax; float-to-integer conversion saturation.
 */
#include "common.h"
#include <fenv.h>
#include <float.h>
#include <math.h>

/* volatile keeps the compiler from folding the operations the CPU is meant to perform */
static volatile double vzero = 0.0, vone = 1.0, vthree = 3.0, vbig = DBL_MAX, vtiny = DBL_MIN;

static uint64_t bits_of(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static double from_bits(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static uint32_t fbits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static void print_formats(void) {
  volatile double nan_pos = vzero / vzero;
  double values[] = {
    0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, 2.0 / 3.0, 0.5, 1.5, 2.5, 3.5, -2.5, 123456789.125, 1e15 + 0.3,
    1e21, 1e22, 6.02214076e23, -1.5e-7, 1e-300, DBL_MIN, DBL_MIN / 2, DBL_TRUE_MIN, 3 * DBL_TRUE_MIN, DBL_MAX,
    M_PI, M_E, vbig * 10, -(vbig * 10), nan_pos, -nan_pos, DBL_EPSILON, 1.0 + DBL_EPSILON, 9007199254740993.0,
  };
  static const char *formats[] = { "%f", "%.3f", "%.0f", "%e", "%.10e", "%g", "%.17g", "%a", "%+012.4f", "%-12.3g|" };
  for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
    printf("[%016llx]", (unsigned long long)bits_of(values[i]));
    for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
      putchar(' ');
      printf(formats[f], values[i]);
    }
    putchar('\n');
  }
  float fvalues[] = { 0.1f, 1.0f / 3.0f, FLT_MIN, FLT_MIN / 4, FLT_TRUE_MIN, FLT_MAX, -0.0f, 16777217.0f };
  for (size_t i = 0; i < sizeof fvalues / sizeof *fvalues; i++)
    printf("float [%08x] %.9g %a %e\n", (unsigned)fbits_of(fvalues[i]), fvalues[i], fvalues[i], fvalues[i]);
}

static void check_strtod(void) {
  int ok = 0, total = 0;
  uint64_t state = 42;
  for (int i = 0; i < 2000; i++) {
    uint64_t u = splitmix64(&state);
    double d = from_bits(u);
    if (isnan(d)) continue;
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", d);
    total++;
    ok += bits_of(strtod(buf, NULL)) == u;
    snprintf(buf, sizeof buf, "%a", d);
    total++;
    ok += bits_of(strtod(buf, NULL)) == u;
  }
  printf("strtod round trips of random doubles via %%.17g and %%a: %d of %d exact\n", ok, total);
  static const char *inputs[] = { "0x1.8p3", "1e-400", "1e400", "nan", "-inf", "  3.14abc", "4.9e-324",
                                  "2.4703282292062328e-324", "2.4703282292062327e-324", "-0", "1e23",
                                  "179769313486231580793728971405301e276", ".5e1", "1.7976931348623159e308" };
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
    char *end;
    errno = 0;
    double d = strtod(inputs[i], &end);
    printf("strtod(\"%s\") = %.17g [%016llx] consumed %d %s\n", inputs[i], d, (unsigned long long)bits_of(d),
           (int)(end - inputs[i]), errno_name(errno));
  }
  static const char *finputs[] = { "1e-46", "3.4028236e38", "0.1", "1.17549435e-38" };
  for (size_t i = 0; i < sizeof finputs / sizeof *finputs; i++) {
    errno = 0;
    float f = strtof(finputs[i], NULL);
    printf("strtof(\"%s\") = %.9g [%08x] %s\n", finputs[i], f, (unsigned)fbits_of(f), errno_name(errno));
  }
}

static void check_libm(void) {
  double xs[] = { 0.5, 1.0, 2.0, 10.0, -3.25, 1e-10, 100.0, 0.7853981633974483 };
  for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
    volatile double x = xs[i];
    printf("x=%g sin=%.17g cos=%.17g exp=%.17g log|x|=%.17g sqrt|x|=%.17g pow(x,3.3)=%.17g\n", x, sin(x), cos(x),
           exp(x), log(fabs(x)), sqrt(fabs(x)), pow(x, 3.3));
    printf("x=%g atan2(x,3)=%a tanh=%a cbrt=%a hypot(x,1)=%a fmod(x,0.3)=%a expm1=%a log1p|x|=%a\n", x,
           atan2(x, 3.0), tanh(x), cbrt(x), hypot(x, 1.0), fmod(x, 0.3), expm1(x), log1p(fabs(x)));
  }
  volatile double a = 0.1, b = 10.0, c = -1.0;
  printf("fma(0.1, 10, -1) = %a (one rounding), 0.1*10-1 = %a\n", fma(a, b, c), a * b + c);
  double specials[] = { -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.0 };
  for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) {
    volatile double x = specials[i];
    printf("x=%g floor=%g ceil=%g trunc=%g round=%g rint=%g lround=%ld lrint=%ld\n", x, floor(x), ceil(x),
           trunc(x), round(x), rint(x), lround(x), lrint(x));
  }
}

static void check_rounding_modes(void) {
  static const int modes[] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
  static const char *names[] = { "nearest", "downward", "upward", "towardzero" };
  for (int m = 0; m < 4; m++) {
    if (fesetround(modes[m]) != 0) die("fesetround %s", names[m]);
    volatile double q = vone / vthree, nq = -vone / vthree;
    volatile float fq = (float)q;
    volatile double s = sqrt(2.0 + vzero);
    printf("%-10s 1/3=%a -1/3=%a (float)1/3=%a sqrt2=%a rint(2.5)=%g rint(-2.5)=%g lrint(-3.5)=%ld "
           "(int)2.7=%d printf(0.125,%%.2f)=%.2f\n",
           names[m], q, nq, (double)fq, s, rint(2.5 + vzero), rint(-2.5 + vzero), lrint(-3.5 + vzero),
           (int)(2.7 + vzero), 0.125 + vzero);
  }
  fesetround(FE_TONEAREST);
}

static void print_flags(const char *what) {
  int f = fetestexcept(FE_ALL_EXCEPT);
  printf("%-28s flags:%s%s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "", f & FE_DIVBYZERO ? " divbyzero" : "",
         f & FE_OVERFLOW ? " overflow" : "", f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "",
         f == 0 ? " none" : "");
  feclearexcept(FE_ALL_EXCEPT);
}

static void check_exceptions(void) {
  volatile double r;
  volatile long l;
  volatile int i;
  volatile unsigned u;
  feclearexcept(FE_ALL_EXCEPT);
  r = vone + vone;
  print_flags("1 + 1");
  r = vone / vzero;
  print_flags("1 / 0");
  r = vzero / vzero;
  printf("0/0 bits %016llx\n", (unsigned long long)bits_of(r));
  print_flags("0 / 0");
  r = vbig * 2;
  print_flags("DBL_MAX * 2");
  r = vtiny / 3;
  print_flags("DBL_MIN / 3");
  r = vone / vthree;
  print_flags("1 / 3");
  r = sqrt(-vone);
  printf("sqrt(-1) bits %016llx\n", (unsigned long long)bits_of(r));
  print_flags("sqrt(-1)");
  volatile double inf = vone / vzero;
  feclearexcept(FE_ALL_EXCEPT);
  r = inf - inf;
  printf("inf - inf bits %016llx\n", (unsigned long long)bits_of(r));
  print_flags("inf - inf");
  volatile double payload = from_bits(0x7ff8000000000123ULL), snan = from_bits(0x7ff0000000000001ULL);
  r = payload + vone;
  printf("qNaN(payload 0x123) + 1 bits %016llx (RISC-V returns the canonical NaN)\n", (unsigned long long)bits_of(r));
  print_flags("qNaN + 1");
  r = snan + vone;
  printf("sNaN + 1 bits %016llx\n", (unsigned long long)bits_of(r));
  print_flags("sNaN + 1");
  r = fmin(payload, vone);
  printf("fmin(qNaN, 1) = %g\n", r);
  print_flags("fmin(qNaN, 1)");
  r = fmin(snan, vone);
  printf("fmin(sNaN, 1) = %g\n", r);
  print_flags("fmin(sNaN, 1)");
  r = fmax(-vzero, vzero);
  printf("fmax(-0, +0) = %g, fmin(-0, +0) = %g\n", r, fmin(vzero, -vzero));
  r = fmax(payload, payload);
  printf("fmax(qNaN, qNaN) bits %016llx\n", (unsigned long long)bits_of(r));
  feclearexcept(FE_ALL_EXCEPT);
  volatile double big = 1e20, nanv = vzero / vzero, neg = -vone, ninf = -inf;
  feclearexcept(FE_ALL_EXCEPT);
  i = (int)big;
  printf("(int)1e20 = %d\n", i);
  print_flags("(int)1e20");
  i = (int)nanv;
  printf("(int)NaN = %d\n", i);
  print_flags("(int)NaN");
  u = (unsigned)neg;
  printf("(unsigned)-1.0 = %u\n", u);
  print_flags("(unsigned)-1.0");
  l = (long)ninf;
  printf("(long)-inf = %ld\n", l);
  print_flags("(long)-inf");
  l = (long)(2.5 + vzero);
  printf("(long)2.5 = %ld\n", l);
  print_flags("(long)2.5");
  (void)r;
  double classes[] = { 0.0, -0.0, 1.0, DBL_TRUE_MIN, inf, -inf, nanv };
  printf("fpclassify:");
  for (size_t k = 0; k < sizeof classes / sizeof *classes; k++) {
    int c = fpclassify(classes[k]);
    printf(" %s%s", signbit(classes[k]) ? "-" : "+",
           c == FP_ZERO ? "zero" : c == FP_SUBNORMAL ? "subnormal" : c == FP_NORMAL ? "normal" : c == FP_INFINITE ? "inf" : "nan");
  }
  putchar('\n');
}

int main(void) {
  print_formats();
  check_strtod();
  check_libm();
  check_rounding_modes();
  check_exceptions();
  return 0;
}
