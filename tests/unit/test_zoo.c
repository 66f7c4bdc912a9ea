/* The model zoo: spec parsing, exact sizes, shapes, names, seeded weights, and
 * every model run end to end with the default kernels against the reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/executor/executor.h"
#include "engine/onnx/model.h"
#include "engine/graph/model_info.h"
#include "engine/graph/zoo.h"
#include "tests/unit/testing.h"

/* Exact totals at w=1, c=3: conv and fc MACs per image; parameters are conv
 * weights (no conv bias), BN gamma and beta, fc weights and biases.
 * vgg16: 14,710,464 conv + 8,448 BN + 262,656 fc1 + 5,130 fc2. */
typedef struct expected {
  const char *spec;
  int64_t params, macs;
  const char *params_m, *macs_m; /* as `stackplan info` rounds them */
} expected;

static const expected totals[] = {
    {"vgg16", 14986698, 313463808, "14.99", "313.5"},
    {"resnet18", 11173962, 555422720, "11.17", "555.4"},
    {"mobilenet", 3217226, 46354432, "3.22", "46.4"},
};

/* The three models at w=1, c=3, raw (built once: He init of 15 M weights is
 * slow under sanitizers); test_totals folds them last. */
static sp_graph *full[3];

static sp_graph *build(const char *text) {
  sp_zoo_spec spec;
  sp_graph *g = NULL;
  if (sp_zoo_parse(text, &spec) || sp_zoo_build(&spec, &g)) {
    fprintf(stderr, "building %s: %s\n", text, sp_last_error());
    return NULL;
  }
  return g;
}

static sp_graph *load(const char *text) {
  sp_graph *g = NULL;
  if (sp_model_load(text, &g)) fprintf(stderr, "loading %s: %s\n", text, sp_last_error());
  return g;
}

static const sp_node *find(const sp_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (!strcmp(g->nodes[i].name, name)) return &g->nodes[i];
  return NULL;
}

static void sum_graph(const sp_graph *g, int64_t *params, int64_t *macs) {
  *params = *macs = 0;
  for (int i = 1; i < g->n_nodes; i++) {
    *params += g->nodes[i].params;
    *macs += sp_node_macs(g, &g->nodes[i]);
  }
}

/* Totals of the raw graph and of the folded one (as sp_model_load returns it)
 * agree with the table. Folds the shared graphs, so it runs after the others. */
static void test_totals(void) {
  for (size_t m = 0; m < sizeof totals / sizeof totals[0]; m++) {
    const expected *e = &totals[m];
    sp_graph *g = full[m];
    if (!g) continue;
    int64_t params, macs;
    sum_graph(g, &params, &macs);
    CHECK_MSG(params == e->params && macs == e->macs, "%s raw: %lld params, %lld MACs", e->spec,
              (long long)params, (long long)macs);
    CHECK(sp_graph_optimize(g) == SP_OK);
    sp_model_info mi;
    CHECK(sp_model_info_compute(g, 1, &mi) == SP_OK);
    CHECK_MSG(mi.params == e->params && mi.macs == e->macs, "%s: %lld params, %lld MACs",
              e->spec, (long long)mi.params, (long long)mi.macs);
    char pm[32], mm[32];
    snprintf(pm, sizeof pm, "%.2f", mi.params / 1e6);
    snprintf(mm, sizeof mm, "%.1f", mi.macs / 1e6);
    CHECK_MSG(!strcmp(pm, e->params_m) && !strcmp(mm, e->macs_m), "%s: %s M, %s M", e->spec, pm,
              mm);
    CHECK(mi.output.c == 10 && mi.output.h == 1 && mi.output.w == 1);
    CHECK(mi.n_layers == g->n_nodes - 1 && mi.largest_activation_bytes == 64 * 32 * 32 * 4);
    sp_model_info_free(&mi);
  }
}

static void test_shapes(void) {
  sp_graph *g = build("vgg16:w=0.5,c=1");
  CHECK(g != NULL);
  if (g) {
    CHECK(g->input.c == 1 && g->input.h == 32 && g->input.w == 32);
    const sp_node *c1 = find(g, "conv1");
    CHECK(c1 && c1->op == SP_OP_CONV2D && c1->out.c == 32 && c1->out.h == 32 && !c1->bias);
    const sp_node *out = &g->nodes[g->output];
    CHECK(!strcmp(out->name, "fc2") && out->out.c == 10 && out->out.h == 1 && out->out.w == 1);
    CHECK(g->n_nodes == 1 + 13 * 3 + 5 + 1 + 3); /* conv/bn/relu, pools, flatten, classifier */
    sp_graph_free(g);
  }
  /* rounding: 512 * 0.3 = 153.6 -> 154, 64 * 0.3 = 19.2 -> 19; tiny widths keep one channel */
  g = build("vgg16:w=0.3");
  CHECK(g && find(g, "conv13")->out.c == 154 && find(g, "conv1")->out.c == 19);
  sp_graph_free(g);
  g = build("resnet18:w=0.001");
  CHECK(g && find(g, "layer4.1.conv2")->out.c == 1 && g->nodes[g->output].out.c == 10);
  sp_graph_free(g);

  g = full[1];
  if (g) {
    int projections = 0, adds = 0;
    for (int i = 1; i < g->n_nodes; i++) {
      const sp_node *n = &g->nodes[i];
      if (strstr(n->name, ".shortcut.conv")) {
        projections++;
        CHECK(n->win.kh == 1 && n->win.sh == 2 && n->units == 2 * sp_node_in(g, n, 0).c);
      }
      adds += n->op == SP_OP_ADD;
    }
    CHECK_MSG(projections == 3, "%d projection shortcuts", projections);
    CHECK(adds == 8);
    const sp_node *fc = &g->nodes[g->output];
    CHECK(!strcmp(fc->name, "fc") && fc->out.c == 10 && sp_node_in(g, fc, 0).c == 512);
    const sp_node *pool = find(g, "avgpool");
    CHECK(pool && pool->op == SP_OP_GLOBAL_AVGPOOL && sp_node_in(g, pool, 0).h == 4);
  }

  g = full[2];
  if (g) {
    int depthwise = 0;
    for (int i = 1; i < g->n_nodes; i++) {
      const sp_node *n = &g->nodes[i];
      if (n->op != SP_OP_CONV2D || n->groups == 1) continue;
      depthwise++;
      CHECK(n->groups == sp_node_in(g, n, 0).c && n->groups == n->out.c && n->win.kh == 3);
    }
    CHECK_MSG(depthwise == 13, "%d depthwise convs", depthwise);
    const sp_node *pool = find(g, "avgpool");
    CHECK(pool && sp_node_in(g, pool, 0).c == 1024 && sp_node_in(g, pool, 0).h == 2);
    CHECK(find(g, "conv1")->out.c == 32 && find(g, "blocks.1.dw")->out.h == 16);
  }
}

static void test_names(void) {
  static const char *const raw_names[] = {
      "conv1", "bn1", "relu1", "pool1", "conv13", "bn13", "relu13", "pool5", "flatten",
      "fc1", "relu_fc1", "fc2", NULL,
      "conv1", "bn1", "relu", "layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu1",
      "layer1.0.conv2", "layer1.0.bn2", "layer1.0.add", "layer1.0.relu2", "layer2.0.shortcut.conv",
      "layer2.0.shortcut.bn", "layer4.1.relu2", "avgpool", "flatten", "fc", NULL,
      "conv1", "bn1", "relu1", "blocks.0.dw", "blocks.0.dw_bn", "blocks.0.dw_relu",
      "blocks.0.pw", "blocks.0.pw_bn", "blocks.0.pw_relu", "blocks.12.pw", "blocks.12.pw_relu",
      "avgpool", "flatten", "fc", NULL};
  const char *const *p = raw_names;
  for (int m = 0; m < 3; m++, p++)
    for (; *p; p++)
      CHECK_MSG(full[m] && find(full[m], *p), "%s has no node %s", totals[m].spec, *p);
  /* layer1.0 keeps 64 channels at stride 1: identity shortcut, no projection */
  sp_graph *r = full[1];
  CHECK(r && !find(r, "layer1.0.shortcut.conv") && !find(r, "layer2.1.shortcut.conv"));
  /* after loading, batch norms and ReLUs live inside the convs */
  sp_graph *g = load("resnet18:w=0.25");
  CHECK(g != NULL);
  if (g) {
    const sp_node *c = find(g, "layer2.0.shortcut.conv");
    CHECK(c && c->bn_folded && c->act == SP_ACT_NONE && c->bias);
    CHECK(find(g, "layer1.0.conv1")->act == SP_ACT_RELU);
    CHECK(find(g, "layer1.0.add")->act == SP_ACT_RELU);
    CHECK(!find(g, "bn1") && !find(g, "layer1.0.relu2"));
    sp_graph_free(g);
  }
}

/* Same seed, same weights; another seed, other weights; He scale and identity BN. */
static void test_weights(void) {
  sp_graph *a = build("mobilenet:w=0.5"), *b = build("mobilenet:w=0.5,seed=1");
  sp_graph *c = build("mobilenet:w=0.5,seed=2");
  CHECK(a && b && c && a->n_nodes == b->n_nodes && a->n_nodes == c->n_nodes);
  if (a && b && c) {
    int same = 1, differ = 1;
    for (int i = 1; i < a->n_nodes; i++) {
      size_t count = sp_node_weight_count(a, &a->nodes[i]) * sizeof(float);
      if (!count) continue;
      same &= !memcmp(a->nodes[i].weight, b->nodes[i].weight, count);
      differ &= memcmp(a->nodes[i].weight, c->nodes[i].weight, count) != 0;
    }
    CHECK(same);
    CHECK(differ);
    const sp_node *bn = find(a, "blocks.3.pw_bn");
    CHECK(bn && bn->bn_gamma[0] == 1 && bn->bn_beta[0] == 0 && bn->bn_mean[5] == 0 &&
          bn->bn_var[5] == 1 && bn->bn_eps == 1e-5f);
  }
  sp_graph_free(a);
  sp_graph_free(b);
  sp_graph_free(c);

  sp_graph *g = full[0];
  if (g) {
    /* conv13: 512*512*9 weights with std sqrt(2 / 4608); fc2: std sqrt(2 / 512), zero bias */
    const char *names[] = {"conv13", "fc2"};
    const double fan_in[] = {512 * 9, 512};
    for (int k = 0; k < 2; k++) {
      const sp_node *n = find(g, names[k]);
      size_t count = sp_node_weight_count(g, n);
      double sum = 0, sq = 0;
      for (size_t i = 0; i < count; i++) {
        sum += n->weight[i];
        sq += (double)n->weight[i] * n->weight[i];
      }
      double mean = sum / (double)count, std = sqrt(sq / (double)count - mean * mean);
      double want = sqrt(2 / fan_in[k]);
      CHECK_MSG(fabs(std / want - 1) < (k ? 0.05 : 0.01), "%s std %g, want %g", names[k], std,
                want);
      CHECK(fabs(mean) < 0.1 * want);
    }
    const sp_node *fc2 = find(g, "fc2");
    int zero = 1;
    for (int i = 0; i < 10; i++) zero &= fc2->bias[i] == 0;
    CHECK(zero);
  }
}

static void test_parse_valid(void) {
  sp_zoo_spec s;
  CHECK(sp_zoo_parse("vgg16", &s) == SP_OK && !strcmp(s.name, "vgg16") && s.width == 1 &&
        s.channels == 3 && s.seed == 1);
  CHECK(sp_zoo_parse("resnet18:w=0.5,c=1", &s) == SP_OK && !strcmp(s.name, "resnet18") &&
        s.width == 0.5 && s.channels == 1 && s.seed == 1);
  CHECK(sp_zoo_parse("mobilenet:c=1,w=0.25,seed=7", &s) == SP_OK && !strcmp(s.name, "mobilenet") &&
        s.width == 0.25 && s.channels == 1 && s.seed == 7);
  CHECK(sp_zoo_parse("vgg16:w=4,c=64,seed=18446744073709551615", &s) == SP_OK && s.width == 4 &&
        s.channels == 64 && s.seed == UINT64_MAX);
  CHECK(sp_zoo_parse("vgg16:seed=0", &s) == SP_OK && s.seed == 0);
  const char *const *names = sp_zoo_names();
  CHECK(!strcmp(names[0], "vgg16") && !strcmp(names[1], "resnet18") &&
        !strcmp(names[2], "mobilenet") && !names[3]);
  sp_graph *g = build("resnet18:w=0.5,c=1,seed=7");
  CHECK(g && !strcmp(g->name, "resnet18:w=0.5,c=1,seed=7"));
  sp_graph_free(g);
}

/* Each bad spec fails with SP_ERR_INPUT and a message naming its bad part. */
static void test_parse_invalid(void) {
  static const char *const bad[][2] = {
      {"vgg17", "'vgg17'"},          {"", "unknown model"},
      {"VGG16", "'VGG16'"},          {"vgg16:x=1", "'x'"},
      {"vgg16:w", "'w'"},            {"vgg16:w=", "'w'"},
      {"vgg16:w=0", "w=0"},          {"vgg16:w=abc", "w=abc"},
      {"vgg16:w=-1", "w=-1"},        {"vgg16:w=nan", "w=nan"},
      {"vgg16:w=inf", "w=inf"},      {"vgg16:w=4.01", "w=4.01"},
      {"vgg16:w= 1", "w= 1"},        {"vgg16:c=2x", "c=2x"},
      {"vgg16:c=0", "c=0"},          {"vgg16:c=65", "c=65"},
      {"vgg16:c=-1", "c=-1"},        {"vgg16:c=1.5", "c=1.5"},
      {"vgg16:seed=-1", "seed=-1"},  {"vgg16:seed=99999999999999999999", "seed="},
      {"vgg16:w=1,w=2", "'w'"},      {"vgg16:c=1,seed=2,c=1", "'c'"},
      {"vgg16:w=1,", "trailing comma"}, {"vgg16:", "empty"},
      {"vgg16:w=1,,c=1", "empty"},   {"vgg16:=1", "''"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sp_zoo_spec s;
    sp_clear_error();
    sp_status st = sp_zoo_parse(bad[i][0], &s);
    CHECK_MSG(st == SP_ERR_INPUT, "'%s' gave %d", bad[i][0], (int)st);
    const char *msg = sp_last_error();
    CHECK_MSG(strstr(msg, bad[i][1]) && !strchr(msg, '\n'), "'%s': message '%s' lacks %s",
              bad[i][0], msg, bad[i][1]);
  }
  /* unknown names and keys list the valid choices */
  sp_zoo_spec s;
  sp_zoo_parse("alexnet", &s);
  CHECK(strstr(sp_last_error(), "vgg16, resnet18, mobilenet"));
  sp_zoo_parse("vgg16:depth=3", &s);
  CHECK(strstr(sp_last_error(), "w, c, seed"));
  /* a spec built in code is checked too */
  sp_zoo_spec ok = {.name = "vgg16", .width = 0, .channels = 3, .seed = 1};
  sp_graph *g = NULL;
  CHECK(sp_zoo_build(&ok, &g) == SP_ERR_INPUT && !g);
  sp_zoo_spec unknown = {.name = "lenet", .width = 1, .channels = 3, .seed = 1};
  CHECK(sp_zoo_build(&unknown, &g) == SP_ERR_INPUT && !g);
}

/* Runs `spec` with the default variants and with the reference ones (batch 2,
 * 2 threads) and compares the logits: |a - b| <= 1e-4 * max|ref| + 1e-3 |b|,
 * float reassociation error over a few hundred thousand terms at most. */
static void run_end_to_end(const char *spec) {
  sp_graph *g = load(spec);
  CHECK_MSG(g != NULL, "%s", spec);
  if (!g) return;
  enum { BATCH = 2 };
  size_t in_count = BATCH * sp_dims_count(g->input);
  size_t out_count = BATCH * sp_dims_count(g->nodes[g->output].out);
  float *x = malloc(in_count * sizeof *x);
  float *fast = calloc(out_count, sizeof *fast), *ref = calloc(out_count, sizeof *ref);
  sp_test_fill(x, in_count, 1234, -1.0f, 1.0f);
  sp_exec_options opt = sp_exec_options_default();
  opt.batch = BATCH;
  opt.threads = 2;
  sp_executor *e = NULL;
  sp_status s = sp_executor_create(g, &opt, &e);
  if (!s) s = sp_executor_run(e, x, fast);
  sp_executor_free(e);
  CHECK_MSG(s == SP_OK, "%s default: %s", spec, sp_last_error());
  opt.reference = 1;
  s = sp_executor_create(g, &opt, &e);
  if (!s) s = sp_executor_run(e, x, ref);
  sp_executor_free(e);
  CHECK_MSG(s == SP_OK, "%s reference: %s", spec, sp_last_error());

  float scale = 0;
  int finite = 1, varied = 0;
  for (size_t i = 0; i < out_count; i++) {
    finite &= isfinite(ref[i]) && isfinite(fast[i]);
    varied |= ref[i] != ref[0];
    if (fabsf(ref[i]) > scale) scale = fabsf(ref[i]);
  }
  CHECK_MSG(finite, "%s: logits not finite", spec);
  CHECK_MSG(varied && scale > 0, "%s: logits all equal", spec);
  CHECK_MSG(sp_test_close(spec, fast, ref, out_count, 1e-4f * scale, 1e-3f),
            "%s: default vs reference", spec);
  /* the two images differ, so must their logits */
  CHECK_MSG(memcmp(ref, ref + out_count / 2, out_count / 2 * sizeof *ref) != 0, "%s", spec);
  free(x);
  free(fast);
  free(ref);
  sp_graph_free(g);
}

static void test_end_to_end(void) {
  static const char *const small[] = {"vgg16:w=0.25", "resnet18:w=0.25,c=1",
                                      "mobilenet:w=0.5,seed=3"};
  for (int i = 0; i < 3; i++) run_end_to_end(small[i]);
  /* full width only without sanitizers: naive reference convs of 0.3-0.6 GMAC per image */
#if !defined(__SANITIZE_ADDRESS__)
  for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) run_end_to_end(totals[i].spec);
#endif
}

int main(void) {
  for (int m = 0; m < 3; m++) CHECK((full[m] = build(totals[m].spec)) != NULL);
  test_parse_valid();
  test_parse_invalid();
  test_shapes();
  test_names();
  test_weights();
  test_totals();
  for (int m = 0; m < 3; m++) sp_graph_free(full[m]);
  test_end_to_end();
  return sp_test_finish("test_zoo");
}
