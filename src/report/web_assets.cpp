#include "report/web_assets.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace coldbench::report {
namespace {

namespace fs = std::filesystem;

struct Package {
  const char* name;
  const char* script;  // the UMD build that defines the global
};
constexpr Package kPackages[] = {
    {"vega", "build/vega.min.js"},
    {"vega-lite", "build/vega-lite.min.js"},
    {"vega-embed", "build/vega-embed.min.js"},
};

bool read_text(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return static_cast<bool>(in) || in.eof();
}

// `dir` itself when it holds the packages, else dir/node_modules when that does.
std::string resolve(const std::string& dir) {
  for (const fs::path& candidate : {fs::path(dir), fs::path(dir) / "node_modules"}) {
    std::error_code ec;
    if (fs::is_regular_file(candidate / kPackages[0].name / kPackages[0].script, ec))
      return candidate.string();
  }
  return {};
}

std::string executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

std::vector<std::string> web_asset_search_path() {
  std::vector<std::string> dirs;
  // An explicit folder is the only one searched: a wrong setting must not silently fall back.
  if (const char* env = std::getenv("COLDBENCH_WEB_DIR"); env && *env) return {env};
#ifdef COLDBENCH_NODE_MODULES_DIR
  dirs.emplace_back(COLDBENCH_NODE_MODULES_DIR);
#endif
  if (std::string exe = executable_dir(); !exe.empty()) {
    dirs.push_back(exe + "/web");
    dirs.push_back(exe + "/node_modules");
    dirs.push_back((fs::path(exe).parent_path() / "share/coldbench/web").string());
  }
  return dirs;
}

Expected<WebAssets> load_web_assets_from(const std::string& directory) {
  std::string root = resolve(directory);
  if (root.empty()) root = directory;
  WebAssets assets;
  assets.directory = root;
  for (const auto& package : kPackages) {
    WebScript script;
    script.package = package.name;
    script.path = (fs::path(root) / package.name / package.script).string();
    if (!read_text(script.path, script.source) || script.source.empty()) {
      return make_error("cannot read {} (part of the npm package '{}')", script.path, package.name);
    }
    std::string manifest;
    if (read_text(fs::path(root) / package.name / "package.json", manifest)) {
      auto j = nlohmann::json::parse(manifest, nullptr, false);
      if (j.is_object() && j.contains("version") && j["version"].is_string())
        script.version = j["version"];
    }
    assets.scripts.push_back(std::move(script));
  }
  return assets;
}

Expected<WebAssets> load_web_assets() {
  auto dirs = web_asset_search_path();
  std::string tried;
  for (const auto& dir : dirs) {
    tried += "\n  " + dir;
    if (!resolve(dir).empty()) return load_web_assets_from(dir);
  }
  return make_error(
      "the HTML report needs the npm packages vega, vega-lite and vega-embed, and none of these "
      "folders has "
      "them:{}\nfix: run scripts/bootstrap in the source tree (it runs 'npm ci --ignore-scripts'), "
      "or set "
      "COLDBENCH_WEB_DIR to a node_modules folder that holds them",
      tried);
}

}  // namespace coldbench::report
