/* Prepended to every kernel source at build time (engine/cl_program.c):
 * what all of them share. */
#ifdef SP_CL_FAIL_BUILD
#error "build failure requested by -DSP_CL_FAIL_BUILD (fault injection)"
#endif

/* The fused activation exactly as kernels/activation.h: act 0 none,
 * 1 ReLU, 2 ReLU6 (sp_act). */
float sp_activate(float y, int act) {
  if (act == 0) return y;
  y = y > 0.0f ? y : 0.0f;
  return (act == 2 && y > 6.0f) ? 6.0f : y;
}

/* Vector type of VEC floats (VEC 1, 2, 4, 8 or 16) with load and sum. */
#ifdef VEC
#define SP_CAT_(a, b) a##b
#define SP_CAT(a, b) SP_CAT_(a, b)
#if VEC == 1
typedef float vfloat;
#define VLOAD(p) (*(p))
#define HSUM(v) (v)
#else
typedef SP_CAT(float, VEC) vfloat;
#define VLOAD(p) SP_CAT(vload, VEC)(0, (p))
#endif
#if VEC == 2
#define HSUM(v) ((v).s0 + (v).s1)
#elif VEC == 4
#define HSUM(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#elif VEC == 8
#define HSUM4_(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#define HSUM(v) (HSUM4_((v).lo) + HSUM4_((v).hi))
#elif VEC == 16
#define HSUM4_(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#define HSUM(v) ((HSUM4_((v).lo.lo) + HSUM4_((v).lo.hi)) + (HSUM4_((v).hi.lo) + HSUM4_((v).hi.hi)))
#endif
#endif
