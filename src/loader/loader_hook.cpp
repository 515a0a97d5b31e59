#include "loader/loader_hook.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/env_var.hpp"
#include "loader/loader_stats.hpp"

namespace coldbench::loader {
namespace fs = std::filesystem;
namespace {

class LoaderHook final : public bench::RunHook {
 public:
  explicit LoaderHook(std::string dir) : dir_(std::move(dir)) {}
  ~LoaderHook() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  Expected<void> before_spawn(const CommandSpec&, proc::SpawnRequest& request, RunRecord&) override {
    prefix_ = dir_ + "/run" + std::to_string(++sequence_);
    set_env_entry(request.env, "LD_DEBUG", "statistics,files");
    set_env_entry(request.env, "LD_DEBUG_OUTPUT", prefix_);
    return {};
  }

  Expected<void> after_run(const bench::RunEnd& end, RunRecord& record) override {
    if (end.started()) {
      const std::string path = prefix_ + "." + std::to_string(end.result().pid);
      std::ifstream in(path);
      if (in) {
        std::ostringstream text;
        text << in.rdbuf();
        const LoaderStats stats = parse_loader_debug(text.str());
        if (stats.found()) add_loader_info(stats, tsc_hz(), record);
      } else {
        record.warnings.push_back(
            "--loader-stats: the workload wrote no loader report (a static or setuid program ignores LD_DEBUG)");
      }
    }
    // This run's files, the workload's children's included.
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(dir_, ignored)) fs::remove(entry.path(), ignored);
    return {};
  }

 private:
  std::string dir_;
  std::string prefix_;
  int sequence_ = 0;
};

}  // namespace

void add_loader_info(const LoaderStats& stats, std::optional<double> hz, RunRecord& record) {
  record.info["loader.objects"] = stats.objects;
  auto put_cycles = [&](const char* name, const std::optional<int64_t>& cycles) {
    if (!cycles) return;
    record.info[std::string(name) + "_cycles"] = *cycles;
    if (hz) record.info[std::string(name) + "_ms"] = static_cast<double>(*cycles) / *hz * 1e3;
  };
  put_cycles("loader.startup", stats.startup_cycles);
  put_cycles("loader.relocation", stats.relocation_cycles);
  put_cycles("loader.load", stats.load_cycles);
  if (stats.relocations) record.info["loader.relocations"] = *stats.relocations;
  if (stats.relative_relocations) record.info["loader.relative_relocations"] = *stats.relative_relocations;
  if (stats.final_relocations) record.info["loader.final_relocations"] = *stats.final_relocations;
}

Expected<std::unique_ptr<bench::RunHook>> make_loader_hook() {
  std::string pattern = (fs::temp_directory_path() / "coldbench-ld-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    return make_error("--loader-stats: cannot create a directory for the loader's reports in {}: {}",
                      fs::temp_directory_path().string(), std::strerror(errno));
  }
  return std::unique_ptr<bench::RunHook>(std::make_unique<LoaderHook>(pattern));
}

}  // namespace coldbench::loader
