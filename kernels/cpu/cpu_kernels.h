/* Support predicates and workspace sizes of the CPU kernels named in
 * variants.inc (run functions are declared by the registry itself). */
#ifndef SP_CPU_KERNELS_H
#define SP_CPU_KERNELS_H

#include "../kernel.h"

#endif
