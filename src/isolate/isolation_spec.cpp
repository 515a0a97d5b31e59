#include "isolate/isolation_spec.hpp"

#include <algorithm>
#include <cctype>

namespace coldbench::isolate {
namespace {

// Collapses "//", "/./" and a trailing "/" so the mount text is canonical;
// ".." is kept (the engine resolves it like the kernel would).
std::string tidy_path(const std::string& path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out += "/" + part;
    start = end + 1;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

Expected<IsolationMode> parse_isolation_mode(std::string_view text) {
  if (text == "host") return IsolationMode::Host;
  if (text == "sandbox") return IsolationMode::Sandbox;
  if (text == "docker") return IsolationMode::Docker;
  if (text == "podman") return IsolationMode::Podman;
  return make_error("--isolate '{}': expected host, sandbox, docker or podman", text);
}

const char* isolation_name(IsolationMode mode) {
  switch (mode) {
    case IsolationMode::Host:
      return "host";
    case IsolationMode::Sandbox:
      return "sandbox";
    case IsolationMode::Docker:
      return "docker";
    case IsolationMode::Podman:
      return "podman";
  }
  return "host";
}

Expected<ContainerMount> parse_container_mount(std::string_view text, const std::string& cwd) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(':', start);
    if (end == std::string_view::npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  const auto usage = [&](std::string_view why) {
    return make_error(
        "--mount '{}': {}; expected SRC:DST or SRC:DST:ro, e.g. --mount $PWD/models:/models:ro",
        text, why);
  };
  if (parts.size() < 2 || parts.size() > 3)
    return usage("wrong number of ':'-separated parts (paths with ':' are not supported)");
  if (parts[0].empty() || parts[1].empty()) return usage("empty path");
  ContainerMount mount;
  if (parts.size() == 3) {
    if (parts[2] == "ro") {
      mount.read_only = true;
    } else if (parts[2] != "rw") {
      return usage("unknown mode '" + parts[2] + "' (ro or rw)");
    }
  }
  if (parts[1][0] != '/') return usage("the container path must be absolute");
  std::string source = parts[0][0] == '/' ? parts[0] : cwd + "/" + parts[0];
  mount.source = tidy_path(source);
  mount.target = tidy_path(parts[1]);
  return mount;
}

Expected<IsolationSpec> make_isolation_spec(std::string_view mode, const std::string& image,
                                            const std::vector<std::string>& mounts,
                                            const std::string& cwd) {
  auto parsed = parse_isolation_mode(mode);
  if (!parsed) return parsed.error();
  IsolationSpec spec;
  spec.mode = *parsed;
  if (is_container_engine(spec.mode)) {
    if (image.empty()) {
      return make_error("--isolate {} needs --image IMAGE (e.g. --image python:3.11-slim)",
                        isolation_name(spec.mode));
    }
    // An image starting with '-' would be read by the engine as one of its own flags.
    bool bad = image[0] == '-' || std::any_of(image.begin(), image.end(),
                                              [](unsigned char c) { return std::isspace(c) != 0; });
    if (bad)
      return make_error(
          "--image '{}': not an image reference (e.g. debian:12 or ghcr.io/org/app:tag)", image);
    spec.image = image;
    for (const auto& text : mounts) {
      auto mount = parse_container_mount(text, cwd);
      if (!mount) return mount.error();
      spec.mounts.push_back(std::move(mount).value());
    }
    return spec;
  }
  if (!image.empty()) {
    return make_error(
        "--image is only used with --isolate docker or --isolate podman (got --isolate {})",
        isolation_name(spec.mode));
  }
  if (!mounts.empty()) {
    return make_error(
        "--mount is only used with --isolate docker or --isolate podman (got --isolate {}); "
        "host and sandbox runs already see the host's file system",
        isolation_name(spec.mode));
  }
  return spec;
}

}  // namespace coldbench::isolate
