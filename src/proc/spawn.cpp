#include "proc/spawn.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proc/child_process.hpp"
#include "proc/child_start.hpp"

namespace coldbench::proc {
namespace {

volatile sig_atomic_t g_interrupted = 0;

void on_interrupt(int) { g_interrupted = 1; }

bool is_executable_file(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

void reset_child_signals() noexcept { child::reset_signals(); }

std::string SpawnResult::tail_text() const {
  std::string text;
  for (const auto& line : tail) {
    text += line;
    text += '\n';
  }
  return text;
}

bool interrupt_requested() { return g_interrupted != 0; }
void clear_interrupt() { g_interrupted = 0; }

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() must return EINTR so the run loop reacts at once
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

Expected<std::string> resolve_program(const std::string& name, const std::string& path_value,
                                      const std::string& cwd) {
  if (name.empty()) return make_error("empty command: give a program to run after --");
  if (name.find('/') != std::string::npos) {
    std::string path = (name[0] != '/' && !cwd.empty()) ? cwd + "/" + name : name;
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) {
      return make_error("cannot run '{}': {} (check the path{})", name, std::strerror(errno),
                        cwd.empty() ? "" : ", relative to --cwd " + cwd);
    }
    if (!S_ISREG(st.st_mode)) return make_error("cannot run '{}': not a regular file", name);
    if (access(path.c_str(), X_OK) != 0) {
      return make_error("cannot run '{}': not executable (chmod +x it, or run it through its interpreter)", name);
    }
    return path;
  }
  std::size_t start = 0;
  while (start <= path_value.size()) {
    std::size_t end = path_value.find(':', start);
    if (end == std::string::npos) end = path_value.size();
    std::string dir = path_value.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return make_error("command not found: '{}' (searched PATH={}); give a full path or fix PATH", name,
                    path_value);
}

Expected<SpawnResult> spawn_and_wait(const SpawnRequest& request, OutputObserver& observer) {
  ChildProcess child(request);
  if (auto started = child.start(); !started) return started.error();
  return child.wait(observer);
}

}  // namespace coldbench::proc
