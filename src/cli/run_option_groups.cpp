#include "cli/run_option_groups.hpp"

namespace coldbench::cli {

std::vector<std::unique_ptr<RunOptionGroup>> make_run_option_groups() {
  std::vector<std::unique_ptr<RunOptionGroup>> groups;
  groups.push_back(make_limits_options());
  groups.push_back(make_isolation_options());
  groups.push_back(make_cache_options());
  return groups;
}

}  // namespace coldbench::cli
