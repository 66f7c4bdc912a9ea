/* The built-in model zoo: the CIFAR forms of VGG-16, ResNet-18 and
 * MobileNet v1 (input C x 32 x 32, 10 classes). */
#ifndef SP_ZOO_H
#define SP_ZOO_H

#include <stdint.h>

#include "engine/graph/graph.h"

typedef struct sp_zoo_spec {
  char name[32];   /* "vgg16", "resnet18", "mobilenet" */
  double width;    /* w: width multiplier, (0, 4] */
  int channels;    /* c: input channels, [1, 64] */
  uint64_t seed;   /* seed: random-weight seed */
} sp_zoo_spec;

/* Parses "name[:key=value[,key=value...]]" with keys w, c, seed. Unknown
 * names or keys, malformed or out-of-range values fail with SP_ERR_INPUT and
 * a message naming the offending part. */
sp_status sp_zoo_parse(const char *text, sp_zoo_spec *out);

/* Builds the raw graph (separate batch-norm and ReLU nodes, as a trained model
 * would be exported) with deterministic He-initialised weights from spec.seed
 * and identity batch norms. Channel counts are max(1, round(w * base)). */
sp_status sp_zoo_build(const sp_zoo_spec *spec, sp_graph **out);

/* Names of the zoo's models, NULL-terminated. */
const char *const *sp_zoo_names(void);

#endif
