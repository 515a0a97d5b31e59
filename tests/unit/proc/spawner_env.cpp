// The unit tests start workloads the way coldbench does, through the spawner
// built beside them (proc/spawner.hpp); COLDBENCH_SPAWNER=off in the
// environment runs them on the fork path instead.

#include <stdlib.h>

namespace {
const int kUseTheBuiltSpawner = setenv("COLDBENCH_SPAWNER", CB_SPAWNER_PATH, 0);
}  // namespace
