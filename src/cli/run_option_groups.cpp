#include "cli/run_option_groups.hpp"

namespace coldbench::cli {

std::vector<std::unique_ptr<RunOptionGroup>> make_run_option_groups() {
  std::vector<std::unique_ptr<RunOptionGroup>> groups;
  // One line per group, in hook order: limits, isolation, cache state.
  return groups;
}

}  // namespace coldbench::cli
