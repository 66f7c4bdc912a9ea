/* stackplan info: a model's layers, shapes, parameters, MACs and memory. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/onnx/model.h"
#include "engine/graph/model_info.h"

#define CMD "info"
#define MAX_BATCH 65536

static void usage(FILE *to) {
  fprintf(to,
          "usage: stackplan info MODEL [--json] [--batch N]\n"
          "\n"
          "Prints every layer of MODEL as it is executed (batch norms folded, activations\n"
          "fused): its op, input and output shapes, parameters, multiply-accumulates, dense\n"
          "float32 weight bytes and output activation bytes, then the totals.\n"
          "\n"
          "MODEL      vgg16 | resnet18 | mobilenet, optionally with :w=W,c=C,seed=S\n"
          "           (width multiplier in (0, 4], input channels 1..64, weight seed)\n"
          "--json     print a JSON document (format \"stackplan-info\", version 1)\n"
          "--batch N  count activation bytes for N images (default 1)\n"
          "-h, --help show this help\n");
}

/* "64x32x32" */
static void dims_str(sp_dims d, char *buf, size_t size) {
  snprintf(buf, size, "%dx%dx%d", d.c, d.h, d.w);
}

/* "64x32x32 + 64x32x32 -> 64x32x32" */
static void shapes_str(const sp_layer_info *l, char *buf, size_t size) {
  char a[40], b[40], o[40];
  dims_str(l->in[0], a, sizeof a);
  dims_str(l->out, o, sizeof o);
  if (l->n_inputs > 1) {
    dims_str(l->in[1], b, sizeof b);
    snprintf(buf, size, "%s + %s -> %s", a, b, o);
  } else {
    snprintf(buf, size, "%s -> %s", a, o);
  }
}

static int width_max(int w, int len) { return len > w ? len : w; }

static void print_text(const char *model, const sp_model_info *mi) {
  char in[40], out[40], shapes[128];
  dims_str(mi->input, in, sizeof in);
  dims_str(mi->output, out, sizeof out);
  printf("%s: input %s, output %s, %d layers, batch %d\n", model, in, out, mi->n_layers, mi->batch);
  int wn = 5, wo = 2, ws = 15; /* widths of the name, op and shape columns */
  for (int i = 0; i < mi->n_layers; i++) {
    const sp_layer_info *l = &mi->layers[i];
    shapes_str(l, shapes, sizeof shapes);
    wn = width_max(wn, (int)strlen(l->name));
    wo = width_max(wo, (int)strlen(l->op));
    ws = width_max(ws, (int)strlen(shapes));
  }
  printf("%-*s  %-*s  %-*s  %10s  %12s  %12s  %12s\n", wn, "layer", wo, "op", ws, "input -> output",
         "params", "MACs", "weight B", "act B");
  for (int i = 0; i < mi->n_layers; i++) {
    const sp_layer_info *l = &mi->layers[i];
    shapes_str(l, shapes, sizeof shapes);
    printf("%-*s  %-*s  %-*s  %10" PRId64 "  %12" PRId64 "  %12" PRId64 "  %12" PRId64 "\n", wn,
           l->name, wo, l->op, ws, shapes, l->params, l->macs, l->weight_bytes,
           l->activation_bytes);
  }
  printf("total: %" PRId64 " params (%.2f M), %" PRId64 " MACs (%.1f M), %" PRId64
         " weight bytes (%.2f MiB), %" PRId64 " activation bytes (largest %" PRId64 ")\n",
         mi->params, mi->params / 1e6, mi->macs, mi->macs / 1e6, mi->weight_bytes,
         mi->weight_bytes / (1024.0 * 1024.0), mi->activation_bytes,
         mi->largest_activation_bytes);
}

static cJSON *dims_json(sp_dims d) {
  const int v[3] = {d.c, d.h, d.w};
  return cJSON_CreateIntArray(v, 3);
}

/* Every value is an exact integer below 2^53, so doubles carry it unchanged. */
static cJSON *info_json(const char *model, const sp_model_info *mi) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", "stackplan-info");
  cJSON_AddNumberToObject(root, "version", 1);
  cJSON_AddStringToObject(root, "model", model);
  cJSON_AddStringToObject(root, "graph", mi->name);
  cJSON_AddItemToObject(root, "input", dims_json(mi->input));
  cJSON_AddItemToObject(root, "output", dims_json(mi->output));
  cJSON_AddNumberToObject(root, "batch", mi->batch);
  cJSON *layers = cJSON_AddArrayToObject(root, "layers");
  for (int i = 0; i < mi->n_layers; i++) {
    const sp_layer_info *l = &mi->layers[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", l->name);
    cJSON_AddStringToObject(o, "op", l->op);
    cJSON *inputs = cJSON_AddArrayToObject(o, "inputs");
    for (int j = 0; j < l->n_inputs; j++) cJSON_AddItemToArray(inputs, dims_json(l->in[j]));
    cJSON_AddItemToObject(o, "output", dims_json(l->out));
    cJSON_AddNumberToObject(o, "params", (double)l->params);
    cJSON_AddNumberToObject(o, "macs", (double)l->macs);
    cJSON_AddNumberToObject(o, "weight_bytes", (double)l->weight_bytes);
    cJSON_AddNumberToObject(o, "activation_bytes", (double)l->activation_bytes);
    cJSON_AddItemToArray(layers, o);
  }
  cJSON *t = cJSON_AddObjectToObject(root, "totals");
  cJSON_AddNumberToObject(t, "params", (double)mi->params);
  cJSON_AddNumberToObject(t, "macs", (double)mi->macs);
  cJSON_AddNumberToObject(t, "weight_bytes", (double)mi->weight_bytes);
  cJSON_AddNumberToObject(t, "activation_bytes", (double)mi->activation_bytes);
  cJSON_AddNumberToObject(t, "largest_activation_bytes", (double)mi->largest_activation_bytes);
  return root;
}

static int print_json(const char *model, const sp_model_info *mi) {
  cJSON *root = info_json(model, mi);
  char *text = root ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return sp_cli_error(CMD, 1, "out of memory writing JSON");
  printf("%s\n", text);
  cJSON_free(text);
  return 0;
}

int sp_cmd_info(int argc, char **argv) {
  const char *model = NULL;
  int json = 0, batch = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (sp_cli_is_help(a)) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--batch") || !strncmp(a, "--batch=", 8)) {
      const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
      if (!v) return sp_cli_error(CMD, 2, "--batch needs a value (see stackplan info --help)");
      if (!sp_cli_parse_int(CMD, "--batch", v, 1, MAX_BATCH, &batch)) return 2;
    } else if (a[0] == '-' && a[1]) {
      return sp_cli_error(CMD, 2, "unknown option '%s' (see stackplan info --help)", a);
    } else if (model) {
      return sp_cli_error(CMD, 2, "unexpected argument '%s' after model '%s'", a, model);
    } else {
      model = a;
    }
  }
  if (!model) return sp_cli_error(CMD, 2, "missing MODEL (see stackplan info --help)");

  sp_graph *g = NULL;
  sp_status s = sp_model_load(model, &g);
  if (s) return sp_cli_fail(CMD, s);
  sp_model_info mi;
  s = sp_model_info_compute(g, batch, &mi);
  sp_graph_free(g);
  if (s) return sp_cli_fail(CMD, s);
  int rc = 0;
  if (json) rc = print_json(model, &mi);
  else print_text(model, &mi);
  sp_model_info_free(&mi);
  return rc;
}
