#include "cli/run_option_groups.hpp"

namespace coldbench::cli {

std::vector<std::unique_ptr<RunOptionGroup>> make_run_option_groups() {
  std::vector<std::unique_ptr<RunOptionGroup>> groups;
  // One line per group, in hook order: limits, isolation, cache state.
  auto shared_limits = std::make_shared<limits::LimitSpec>();  // filled by the limits group, read by isolation
  groups.push_back(make_limits_options(shared_limits));
  groups.push_back(make_isolation_options(shared_limits));
  groups.push_back(make_cache_options());
  return groups;
}

}  // namespace coldbench::cli
