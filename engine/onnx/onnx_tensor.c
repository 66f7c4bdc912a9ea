/* Decoding ONNX TensorProtos into constant values: float32 for weights, int64
 * for shapes, pads and axes. Sizes are checked against the dims before any
 * copy, so a lying header cannot make us read past the data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/onnx/onnx_internal.h"

static int is_float(int32_t t) { return t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT; }
static int is_int64(int32_t t) { return t == ONNX__TENSOR_PROTO__DATA_TYPE__INT64; }

/* Number of elements of `dims`, or -1 when a dim is negative or the count
 * exceeds SP_ONNX_MAX_ELEMS. */
static int64_t dims_count(const int64_t *dims, size_t n) {
  int64_t count = 1;
  for (size_t i = 0; i < n; i++) {
    if (dims[i] < 0 || dims[i] > SP_ONNX_MAX_ELEMS) return -1;
    count *= dims[i];
    if (count > SP_ONNX_MAX_ELEMS) return -1;
  }
  return count;
}

sp_status onnx_tensor_decode(onnx_ctx *c, const Onnx__TensorProto *t, const char *what,
                             onnx_value *out) {
  memset(out, 0, sizeof *out);
  int32_t type = t->has_data_type ? t->data_type : 0;
  if (!is_float(type) && !is_int64(type))
    return onnx_err(c, "%s: data type %d is not supported (float32 or int64 only)", what,
                    (int)type);
  if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
      t->n_external_data)
    return onnx_err(c, "%s: external data is not supported", what);
  if (t->segment) return onnx_err(c, "%s: segmented tensors are not supported", what);
  if (t->n_dims > SP_ONNX_MAX_RANK)
    return onnx_err(c, "%s: rank %zu is not supported (at most %d)", what, t->n_dims,
                    SP_ONNX_MAX_RANK);
  int64_t count = dims_count(t->dims, t->n_dims);
  if (count < 0) return onnx_err(c, "%s: negative or too large dims", what);

  size_t elem = is_float(type) ? sizeof(float) : sizeof(int64_t);
  size_t typed = is_float(type) ? t->n_float_data : t->n_int64_data;
  size_t others = t->n_int32_data + t->n_string_data + t->n_double_data + t->n_uint64_data +
                  (is_float(type) ? t->n_int64_data : t->n_float_data);
  if (others) return onnx_err(c, "%s: data stored in a field of another type", what);
  if (t->has_raw_data && typed)
    return onnx_err(c, "%s: both raw_data and typed data are present", what);
  size_t have = t->has_raw_data ? t->raw_data.len / elem : typed;
  if ((t->has_raw_data && t->raw_data.len % elem) || have != (size_t)count)
    return onnx_err(c, "%s: holds %zu values (%zu bytes of raw data), dims say %lld", what,
                    have, t->has_raw_data ? t->raw_data.len : 0, (long long)count);

  void *data = malloc(count ? (size_t)count * elem : 1);
  if (!data) return sp_fail(SP_ERR_RUNTIME, "%s: %s: out of memory", c->file, what);
  if (count) /* raw data is little-endian, like every host stackplan runs on */
    memcpy(data, t->has_raw_data ? (const void *)t->raw_data.data
                 : is_float(type) ? (const void *)t->float_data : (const void *)t->int64_data,
           (size_t)count * elem);
  if (is_float(type)) { /* NaN would pass through every kernel silently (a fused ReLU maps it to 0) */
    const float *f = data;
    for (int64_t i = 0; i < count; i++)
      if (isnan(f[i])) {
        free(data);
        return onnx_err(c, "%s: value %lld is NaN: weights and constants must be numbers", what,
                        (long long)i);
      }
  }
  out->kind = is_float(type) ? ONNX_FLOAT : ONNX_INT;
  out->ndims = (int)t->n_dims;
  if (t->n_dims) memcpy(out->dims, t->dims, t->n_dims * sizeof *t->dims);
  out->count = (size_t)count;
  if (is_float(type)) out->f = data;
  else out->i = data;
  out->owned = 1;
  return SP_OK;
}
