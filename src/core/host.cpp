#include "core/host.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace coldbench {

HostInfo read_host_info() {
  HostInfo host;
  utsname names{};
  if (uname(&names) == 0) {
    host.hostname = names.nodename;
    host.kernel = std::string(names.sysname) + " " + names.release + " " + names.machine;
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) host.cpu_model = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  host.online_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  host.memory_bytes = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  return host;
}

}  // namespace coldbench
