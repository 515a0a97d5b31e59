#include "limits/host_report.hpp"

#include <unistd.h>

#include "core/cgroup_layout.hpp"
#include "core/effective_cpus.hpp"
#include "limits/host_capabilities.hpp"

namespace coldbench::limits {

HostReport inspect_host() {
  HostReport report;
  report.root = geteuid() == 0;
  report.online = read_online_cpus();
  report.memory_total_bytes = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  auto layout = detect_cgroup_layout();
  CgroupLayout found = layout ? *layout : CgroupLayout{};
  CpuBudget budget = read_own_cpu_budget(found);
  report.affinity = budget.affinity;
  report.cpuset = budget.cpuset;
  report.quota_cpus = budget.quota_cpus;
  report.effective_cpus = effective_cpus(budget);
  report.memory_limit_bytes = read_own_memory_limit(found);
  report.cgroup_mode = found.mode();
  for (const auto& name : known_controllers()) {
    ControllerReport controller{name, "none", ""};
    if (const auto* place = found.find(name)) {
      controller.version = std::string(to_string(place->version));
      controller.own_dir = place->own_dir;
    }
    report.controllers.push_back(controller);
  }
  report.capabilities.push_back(probe_cgroup_limits(found));
  report.capabilities.push_back(probe_affinity());
  return report;
}

nlohmann::json to_json(const HostReport& report) {
  using nlohmann::json;
  json controllers = json::array();
  for (const auto& c : report.controllers) {
    controllers.push_back({{"name", c.name}, {"version", c.version}, {"cgroup", c.own_dir}});
  }
  json capabilities = json::array();
  for (const auto& c : report.capabilities) {
    capabilities.push_back({{"name", c.name},
                            {"enables", c.enables},
                            {"available", c.available},
                            {"detail", c.detail},
                            {"how", c.how}});
  }
  return json{{"root", report.root},
              {"online_cpus", format_cpu_list(report.online)},
              {"affinity", format_cpu_list(report.affinity)},
              {"cpuset", format_cpu_list(report.cpuset)},
              {"cpu_quota", report.quota_cpus ? json(*report.quota_cpus) : json(nullptr)},
              {"effective_cpus", report.effective_cpus},
              {"memory_limit_bytes",
               report.memory_limit_bytes ? json(*report.memory_limit_bytes) : json(nullptr)},
              {"memory_total_bytes", report.memory_total_bytes},
              {"cgroup_mode", report.cgroup_mode},
              {"controllers", controllers},
              {"capabilities", capabilities}};
}

}  // namespace coldbench::limits
