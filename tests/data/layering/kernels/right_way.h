/* Fixture for the layering test: kernels may include the engine's core. */
#include "engine/core/status.h"
