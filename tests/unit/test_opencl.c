/* Every OpenCL and CLBlast variant of the registry against its op's
 * reference kernel on seeded random shapes (as test_ops.c does for the host
 * variants): inputs uploaded, the variant run on the device, the output
 * (NaN beforehand) downloaded and compared. Then every value of every
 * tunable parameter, and the failures that must be recorded, not crash:
 * a kernel that does not build, a launch with a work-group too large.
 * Skips (exit 77) when there is no OpenCL device. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/opencl/cl_runtime.h"
#include "kernels/registry.h"
#include "tests/unit/testing.h"
#include "tests/unit/variant_tester.h"

#define CONV_CASES 48
#define OTHER_CASES 16
#define MAX_SIDE 13

static uint64_t rng_state = 0x5eed0c1;
static sp_cl_device *device;

static int rnd(int lo, int hi) { return sp_test_rand_int(&rng_state, lo, hi); }

static float *random_floats(size_t n, float lo, float hi) {
  float *x = malloc((n ? n : 1) * sizeof *x);
  sp_test_fill(x, n, (uint64_t)rnd(0, 1 << 30), lo, hi);
  return x;
}

/* Weight pruning or ternary quantisation of a random weight tensor, as
 * engine/compress.h leaves them: zeros, or only +pos, 0 and -neg. */
static void compress_weights(sp_node *n, size_t count, sp_format format) {
  const float pos = 0.75f, neg = 0.5f;
  for (size_t i = 0; i < count; i++) {
    float w = n->weight[i];
    if (format == SP_FORMAT_TERNARY) n->weight[i] = w > 0.3f ? pos : w < -0.3f ? -neg : 0.0f;
    else if (format == SP_FORMAT_CSR && fabsf(w) < 0.6f) n->weight[i] = 0.0f;
  }
  if (format == SP_FORMAT_TERNARY) {
    n->ternary = 1;
    n->ternary_pos = pos;
    n->ternary_neg = neg;
  }
}

/* Conv geometry kinds cycle every 8 cases: general, depthwise, depthwise
 * x2, grouped, 1x1, 1x1 input, stride 2, symmetric padding (convgemm). */
static sp_dims conv_case(int index, sp_node *n, sp_format format) {
  int kind = (index / 2) % 8, groups = 1, cin = rnd(1, 6), cout = rnd(1, 9);
  if (kind == 1 || kind == 2) {
    groups = cin = rnd(1, 8);
    cout = cin * (kind == 2 ? 2 : 1);
  } else if (kind == 3) {
    groups = rnd(2, 3);
    cin = groups * rnd(1, 3);
    cout = groups * rnd(1, 3);
  }
  sp_window *w = &n->win;
  w->kh = kind == 4 ? 1 : rnd(1, 5);
  w->kw = kind == 4 ? 1 : rnd(1, 5);
  w->sh = kind == 6 ? 2 : rnd(1, 3);
  w->sw = kind == 6 ? 2 : rnd(1, 3);
  w->pt = rnd(0, w->kh);
  w->pl = rnd(0, w->kw);
  w->pb = kind == 7 ? w->pt : rnd(0, w->kh);
  w->pr = kind == 7 ? w->pl : rnd(0, w->kw);
  int h = rnd(1, MAX_SIDE), wd = rnd(1, MAX_SIDE + 8);
  if (kind == 5) h = wd = 1;
  if (h + w->pt + w->pb < w->kh) w->pb = w->kh - h - w->pt;
  if (wd + w->pl + w->pr < w->kw) w->pr = w->kw - wd - w->pl;
  n->groups = groups;
  n->units = cout;
  n->act = (sp_act)(index % 3);
  size_t count = (size_t)cout * (size_t)(cin / groups) * (size_t)w->kh * (size_t)w->kw;
  n->weight = random_floats(count, -1, 1);
  compress_weights(n, count, format);
  n->bias = index % 4 < 2 ? random_floats((size_t)cout, -1, 1) : NULL;
  return (sp_dims){cin, h, wd};
}

static sp_dims node_case(int index, sp_node *n, sp_format format) {
  sp_dims in = {rnd(1, 6), rnd(1, 9), rnd(1, 17)};
  sp_window *w = &n->win;
  switch (n->op) {
    case SP_OP_CONV2D: return conv_case(index, n, format);
    case SP_OP_MAXPOOL:
    case SP_OP_AVGPOOL:
      w->kh = rnd(1, 4);
      w->kw = rnd(1, 4);
      w->sh = rnd(1, 3);
      w->sw = rnd(1, 3);
      w->pt = rnd(0, w->kh - 1);
      w->pb = rnd(0, w->kh - 1);
      w->pl = rnd(0, w->kw - 1);
      w->pr = rnd(0, w->kw - 1);
      n->count_include_pad = index % 2;
      if (in.h + w->pt + w->pb < w->kh) w->pb = w->kh - in.h - w->pt;
      if (in.w + w->pl + w->pr < w->kw) w->pr = w->kw - in.w - w->pl;
      return in;
    case SP_OP_FC:
      in.h = rnd(1, 4);
      in.w = rnd(1, 4);
      n->units = rnd(1, 40);
      n->act = (sp_act)(index % 3);
      n->weight = random_floats((size_t)n->units * sp_dims_count(in), -1, 1);
      n->bias = index % 4 < 2 ? random_floats((size_t)n->units, -1, 1) : NULL;
      return in;
    case SP_OP_ADD:
      n->act = (sp_act)(index % 3);
      n->n_inputs = 2;
      return in;
    default: return in;
  }
}

/* Runs variant v on node 1 of g on the device; 0 and the message in `err`
 * when prepare, the launch or the download failed. */
static int run_on_device(const sp_variant *v, const sp_graph *g, int batch, const int *params,
                         float *const *in, float *out, size_t out_count, char *err,
                         size_t err_cap) {
  const sp_node *n = &g->nodes[1];
  void *prepared = NULL;
  size_t bytes = 0;
  sp_status s = sp_variant_prepare(v, g, n, device, params, &prepared, &bytes), run_status = SP_OK;
  sp_kernel_args a = {.graph = g, .node = n, .batch = batch, .threads = 1, .out_dims = n->out,
                      .prepared = prepared, .params = params, .backend = device,
                      .status = &run_status};
  size_t ws = v->workspace_bytes ? v->workspace_bytes(g, n, batch) : 0;
  for (int j = 0; j < n->n_inputs && !s; j++) {
    a.in_dims[j] = sp_node_in(g, n, j);
    s = sp_cl_buffer_upload(device, in[j], (size_t)batch * sp_dims_count(a.in_dims[j]) * 4,
                            &a.in_mem[j]);
  }
  if (!s) s = sp_cl_buffer_upload(device, out, out_count * sizeof *out, &a.out_mem); /* NaNs */
  if (!s && ws) s = sp_cl_buffer_alloc(device, ws, &a.workspace_mem);
  if (!s) {
    v->run(&a);
    s = run_status;
  }
  if (!s) s = sp_cl_finish(device);
  if (!s) s = sp_cl_buffer_read(device, a.out_mem, 0, out, out_count * sizeof *out);
  if (s) snprintf(err, err_cap, "%s", sp_last_error());
  for (int j = 0; j < SP_MAX_INPUTS; j++) sp_cl_buffer_free(a.in_mem[j]);
  sp_cl_buffer_free(a.out_mem);
  sp_cl_buffer_free(a.workspace_mem);
  if (prepared) v->release(prepared);
  return s == SP_OK;
}

static int check_case(const sp_variant *v, int index, const int *params, const char *expect_error) {
  sp_node n;
  memset(&n, 0, sizeof n);
  snprintf(n.name, sizeof n.name, "%s_case%d", sp_op_name(v->op), index);
  n.op = v->op;
  n.n_inputs = 1;
  sp_dims in_dims = node_case(index, &n, v->format);
  sp_graph *g = NULL;
  CHECK(sp_graph_create("case", in_dims, &g) == SP_OK);
  sp_status s = sp_graph_add(g, &n, NULL);
  CHECK_MSG(s == SP_OK, "%s: %s", n.name, sp_last_error());
  if (s) {
    free(n.weight);
    free(n.bias);
    sp_graph_free(g);
    return 0;
  }
  const sp_node *node = &g->nodes[1];
  int ran = sp_variant_supports(v, g, node);
  if (ran) {
    int batch = index % 2 ? 3 : 1;
    size_t in_count = (size_t)batch * sp_dims_count(in_dims);
    size_t out_count = (size_t)batch * sp_dims_count(node->out);
    float *in[SP_MAX_INPUTS] = {random_floats(in_count, -1, 1), random_floats(in_count, -1, 1)};
    float *got = malloc(out_count * sizeof *got), *want = malloc(out_count * sizeof *want);
    for (size_t i = 0; i < out_count; i++) got[i] = want[i] = NAN;
    sp_kernel_args ref = {.graph = g, .node = node, .batch = batch, .threads = 1, .out = want,
                          .out_dims = node->out};
    for (int j = 0; j < node->n_inputs; j++) {
      ref.in[j] = in[j];
      ref.in_dims[j] = sp_node_in(g, node, j);
    }
    sp_registry_reference(v->op)->run(&ref);

    char what[200], err[400] = "";
    snprintf(what, sizeof what, "%s on %s (in %dx%dx%d, out %dx%dx%d, batch %d)", v->name,
             node->name, in_dims.c, in_dims.h, in_dims.w, node->out.c, node->out.h, node->out.w,
             batch);
    int ok = run_on_device(v, g, batch, params, in, got, out_count, err, sizeof err);
    if (expect_error) {
      CHECK_MSG(!ok && strstr(err, expect_error), "%s: expected a failure with %s, got '%s'",
                what, expect_error, ok ? "success" : err);
    } else {
      CHECK_MSG(ok, "%s: %s", what, err);
      float atol = sp_vt_atol(v, g, node);
      if (ok) CHECK_MSG(sp_test_close(what, got, want, out_count, atol, SP_VT_RTOL), "%s", what);
    }
    free(in[0]);
    free(in[1]);
    free(got);
    free(want);
  }
  sp_graph_free(g);
  return ran;
}

/* Every value of every parameter of v, one parameter changed from the
 * default at a time, where the point is valid on this device; each on two
 * cases. */
static void check_parameters(const sp_variant *v) {
  const sp_param_space *space = v->params;
  sp_device_limits limits = sp_cl_info(device)->limits;
  int points = 0;
  for (int p = 0; p < space->count; p++)
    for (int k = 0; k < space->params[p].n_values; k++) {
      int point[SP_MAX_PARAMS];
      sp_variant_default_params(v, point);
      if (point[p] == space->params[p].values[k]) continue;
      point[p] = space->params[p].values[k];
      if (space->valid && !space->valid(NULL, NULL, point, &limits)) continue;
      int ran = 0;
      for (int c = 0; c < 40 && ran < 2; c++)
        ran += check_case(v, 100 + 7 * points + c, point, NULL);
      CHECK_MSG(ran == 2, "%s: point %d ran %d cases", v->name, points, ran);
      points++;
    }
  printf("%-28s %3d parameter points checked\n", v->name, points);
}

/* A work-group larger than the device allows: the launch is refused with
 * the CL error's name, reported, not a crash or a hang; valid() rejects
 * the point beforehand. */
static void check_refused_launch(void) {
  const sp_variant *v = sp_registry_find("conv2d__direct_opencl");
  CHECK(v != NULL);
  if (!v) return;
  sp_device_limits limits = sp_cl_info(device)->limits;
  int point[SP_MAX_PARAMS];
  sp_variant_default_params(v, point);
  point[0] = (int)limits.max_work_group_size; /* wg_x */
  point[1] = 2;                               /* wg_y: twice the limit */
  CHECK(!v->params->valid(NULL, NULL, point, &limits));
  int ran = 0;
  for (int c = 0; c < 40 && !ran; c++)
    ran = check_case(v, 300 + c, point, "CL_INVALID_WORK_GROUP_SIZE");
  CHECK(ran);
}

/* A kernel that does not build (fault injection through SP_OPENCL_OPTIONS):
 * prepare fails with the build log's line, every time, and counts a build. */
static void check_failed_build(void) {
  const sp_variant *v = sp_registry_find("relu__opencl");
  CHECK(v != NULL);
  if (!v) return;
  setenv("SP_OPENCL_OPTIONS", "-DSP_CL_FAIL_BUILD", 1);
  sp_cl_stats before = sp_cl_get_stats();
  int ran = 0;
  for (int c = 0; c < 10 && !ran; c++) ran = check_case(v, 400 + c, NULL, "SP_CL_FAIL_BUILD");
  CHECK(ran);
  CHECK(sp_cl_get_stats().builds == before.builds + 1);
  unsetenv("SP_OPENCL_OPTIONS");
  CHECK(check_case(v, 420, NULL, NULL)); /* and the normal build still works */
}

/* Device variants are never chosen by default. */
static void check_defaults_stay_on_host(void) {
  int count = 0;
  const sp_variant *all = sp_registry_variants(&count);
  for (int i = 0; i < count; i++) {
    sp_node n;
    memset(&n, 0, sizeof n);
    snprintf(n.name, sizeof n.name, "default%d", i);
    n.op = all[i].op;
    n.n_inputs = 1;
    sp_dims in = node_case(i, &n, SP_FORMAT_DENSE);
    sp_graph *g = NULL;
    CHECK(sp_graph_create("defaults", in, &g) == SP_OK);
    if (sp_graph_add(g, &n, NULL) == SP_OK)
      for (int threads = 1; threads <= 2; threads++)
        CHECK_MSG(!sp_variant_on_device(sp_registry_default(g, &g->nodes[1], threads)),
                  "default of %s is a device variant", n.name);
    else {
      free(n.weight);
      free(n.bias);
    }
    sp_graph_free(g);
  }
}

int main(void) {
  if (!sp_cl_enabled() || sp_cl_device_get(0, &device) != SP_OK) {
    printf("test_opencl: SKIP: no OpenCL device (%s)\n", sp_cl_disabled_reason());
    return 77;
  }
  printf("device: %s (%s)\n", sp_cl_info(device)->name, sp_cl_info(device)->driver);
  int count = 0, device_variants = 0;
  const sp_variant *variants = sp_registry_variants(&count);
  for (int i = 0; i < count; i++) {
    const sp_variant *v = &variants[i];
    if (!sp_variant_on_device(v)) continue;
    device_variants++;
    CHECK_MSG(v->prepare_device && !v->prepare && v->release, "%s: slots", v->name);
    int cases = v->op == SP_OP_CONV2D ? CONV_CASES : OTHER_CASES, ran = 0;
    for (int c = 0; c < cases; c++) ran += check_case(v, c, NULL, NULL);
    printf("%-28s %3d of %3d cases ran\n", v->name, ran, cases);
    CHECK_MSG(ran > 0, "%s was exercised zero times", v->name);
    if (v->params) check_parameters(v);
  }
  CHECK(device_variants >= 10);
  check_refused_launch();
  check_failed_build();
  check_defaults_stay_on_host();
  sp_cl_stats st = sp_cl_get_stats();
  printf("programs: %d compiled (%.1f s), %d from the disk cache (%.2f s), %d reused\n", st.builds,
         st.build_seconds, st.cache_hits, st.load_seconds, st.memory_hits);
  sp_cl_shutdown();
  return sp_test_finish("test_opencl");
}
