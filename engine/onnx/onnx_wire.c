/* A pre-pass over the protobuf wire format, guided by the generated message
 * descriptors: protobuf-c unpacks nested messages recursively without a
 * depth limit, so a small crafted file (graphs inside attributes inside
 * graphs ...) could overflow the stack. We walk the framing first, bounded. */
#include "engine/onnx/onnx_internal.h"

/* Reads a base-128 varint at *p (< end); 0 on truncation or > 10 bytes. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

int onnx_wire_depth_ok(const uint8_t *buf, size_t len, const ProtobufCMessageDescriptor *d,
                       int max_depth) {
  if (max_depth < 0) return 0;
  const uint8_t *p = buf, *end = buf + len;
  while (p < end) {
    uint64_t key, n;
    if (!read_varint(&p, end, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) return 0;
    switch (key & 7) {
      case 0:
        if (!read_varint(&p, end, &n)) return 0;
        break;
      case 1:
        if (end - p < 8) return 0;
        p += 8;
        break;
      case 5:
        if (end - p < 4) return 0;
        p += 4;
        break;
      case 2: {
        if (!read_varint(&p, end, &n) || n > (uint64_t)(end - p)) return 0;
        const ProtobufCFieldDescriptor *f =
            d ? protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3)) : NULL;
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
            !onnx_wire_depth_ok(p, (size_t)n, f->descriptor, max_depth - 1))
          return 0;
        p += n;
        break;
      }
      default: return 0; /* groups (3, 4) are not used by ONNX; 6, 7 are invalid */
    }
  }
  return 1;
}
