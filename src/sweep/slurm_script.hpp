#pragma once
// `coldbench sweep FILE --emit slurm`: an sbatch array script, one task per
// shard on a node of its own (two benchmarks on one node disturb each
// other), and a merge job that depends on the array (docs/scale-out.md).

#include <string>

#include "sweep/experiment.hpp"
#include "sweep/shard.hpp"

namespace coldbench::sweep {

// The script's text. Run with bash it submits the array and the merge; under
// Slurm as an array task it runs its shard with --resume, so a re-submitted
// task (`sbatch --array=I SCRIPT`) keeps the runs it finished before.
std::string slurm_script(const Experiment& experiment, const ScaleOutPlan& plan);

}  // namespace coldbench::sweep
