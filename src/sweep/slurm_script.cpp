#include "sweep/slurm_script.hpp"

#include <fmt/format.h>

#include "core/shell_words.hpp"

namespace coldbench::sweep {

std::string slurm_script(const Experiment& experiment, const ScaleOutPlan& plan) {
  const std::string name = cluster_name(experiment.name);
  const std::string results = quote_shell_word(plan.results_dir);
  const std::string fleet = plan.mode == ShardMode::Fleet ? " --fleet" : "";
  std::string text;
  text += "#!/bin/bash\n";
  text += fmt::format(
      "# coldbench study '{}' as a Slurm array: {} shards ({} mode, docs/scale-out.md).\n",
      experiment.name, plan.shards, to_string(plan.mode));
  text +=
      "# Written by `coldbench sweep --emit slurm`. Use:\n"
      "#   bash THIS_SCRIPT [SBATCH_OPTIONS]    submit the shards and, after them, the merge job\n"
      "#   bash THIS_SCRIPT --wait              the same, returning when the merge has finished\n"
      "#   sbatch --array=I THIS_SCRIPT         re-run shard I (it resumes: finished runs are "
      "kept;\n"
      "#                                        the results folder must exist; bash THIS_SCRIPT "
      "makes it)\n"
      "#   COLDBENCH_STEP=merge bash THIS_SCRIPT   merge what the shards wrote (again: it adds "
      "only what is new)\n"
      "# $COLDBENCH names the coldbench binary on the nodes (default: coldbench on PATH).\n";
  text += fmt::format("#SBATCH --job-name=coldbench-{}\n", name);
  text += fmt::format("#SBATCH --array=0-{}\n", plan.shards - 1);
  text += "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n";
  text += "#SBATCH --exclusive\n";  // a benchmark shares its node with nothing
  text += fmt::format("#SBATCH --output={}/slurm-%A_%a.out\n", plan.results_dir);
  text += "set -euo pipefail\n\n";
  text += "coldbench=${COLDBENCH:-coldbench}\n";
  text += fmt::format("experiment={}\n", quote_shell_word(plan.experiment_file));
  text += fmt::format("results={}\n", results);
  text += fmt::format("shards={}\n\n", plan.shards);
  text +=
      "if [[ -n \"${SLURM_ARRAY_TASK_ID:-}\" && \"${COLDBENCH_STEP:-}\" != merge ]]; then\n"
      "  # One shard. --resume: a task that was cancelled, failed or requeued goes on where it "
      "stopped.\n"
      "  exec \"$coldbench\" sweep \"$experiment\" --shard \"$SLURM_ARRAY_TASK_ID/$shards\"" +
      fleet +
      " --resume --no-progress \\\n"
      "    --db \"$results/shard-$SLURM_ARRAY_TASK_ID.sqlite\"\n"
      "fi\n\n";
  text +=
      "if [[ \"${COLDBENCH_STEP:-}\" == merge ]]; then\n"
      "  inputs=()\n"
      "  missing=0\n"
      "  for ((i = 0; i < shards; i++)); do\n"
      "    if [[ -e \"$results/shard-$i.sqlite\" ]]; then\n"
      "      inputs+=(\"$results/shard-$i.sqlite\")\n"
      "    else\n"
      "      echo \"coldbench merge: shard $i wrote no history ($results/shard-$i.sqlite); re-run "
      "it with \"\\\n"
      "           \"sbatch --array=$i and merge again\" >&2\n"
      "      missing=1\n"
      "    fi\n"
      "  done\n"
      "  if ((${#inputs[@]} > 0)); then \"$coldbench\" merge \"${inputs[@]}\" -o "
      "\"$results/study.sqlite\"; fi\n"
      "  exit $missing\n"
      "fi\n\n";
  text +=
      "# Not under Slurm: submit the array, then the merge once every shard has ended (afterany: "
      "a\n"
      "# failed shard still lets the others be merged; re-run it and merge again).\n"
      "script=$(readlink -f \"$0\")\n"
      "mkdir -p \"$results\"\n"
      "array_options=()  # the options given here, but --wait only for the merge\n"
      "for option in \"$@\"; do [[ \"$option\" == --wait || \"$option\" == -W ]] || "
      "array_options+=(\"$option\"); done\n"
      "array=$(sbatch --parsable \"${array_options[@]}\" \"$script\")\n"
      "array=${array%%;*}\n"
      "echo \"submitted shards: job $array ($shards array tasks)\"\n"
      "merge=$(sbatch --parsable --dependency=afterany:\"$array\" --job-name=coldbench-" +
      name +
      "-merge \\\n"
      "  --output=\"$results/slurm-merge-%j.out\" \"$@\" \\\n"
      "  --wrap=\"COLDBENCH_STEP=merge bash $(printf %q \"$script\")\")\n"
      "echo \"submitted merge: job ${merge%%;*} -> $results/study.sqlite\"\n";
  return text;
}

}  // namespace coldbench::sweep
