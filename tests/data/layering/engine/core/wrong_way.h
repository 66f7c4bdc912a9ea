/* Fixture for the layering test: the lowest module reaching up to kernels. */
#include "engine/core/status.h"
#include "kernels/kernel.h"
