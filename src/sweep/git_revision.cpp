#include "sweep/git_revision.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string_view>
#include <vector>

#include "core/text.hpp"
#include "core/fd.hpp"
#include "core/env_var.hpp"
#include "proc/spawn.hpp"


namespace coldbench::sweep {
namespace {

namespace fs = std::filesystem;

constexpr double kGitTimeoutS = 10.0;  // a cold `git status` of a large repository fits
constexpr int kMaxSymrefDepth = 5;     // git's own limit is 5 too

// Opens a regular file without blocking: a hostile repository may put a FIFO
// where HEAD or a ref should be, and a plain open would wait for a writer.
Fd open_regular_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  struct stat st {};
  if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  return fd;
}

std::optional<std::string> read_small_file(const std::string& path) {
  Fd fd = open_regular_file(path);
  if (!fd) return std::nullopt;
  std::string text(4096, '\0');
  ssize_t got = ::read(fd.get(), text.data(), text.size());
  if (got < 0) return std::nullopt;
  text.resize(static_cast<std::size_t>(got));
  return std::string(trim(text));
}

bool is_hash(std::string_view text) {
  return (text.size() == 40 || text.size() == 64) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A ref name that stays inside the git directory ("refs/heads/main").
bool is_safe_ref_name(std::string_view name) {
  return name.rfind("refs/", 0) == 0 && name.find("..") == std::string_view::npos &&
         name.find("//") == std::string_view::npos && name.back() != '/';
}

std::optional<std::string> packed_ref(const std::string& common_dir, std::string_view name) {
  Fd fd = open_regular_file(common_dir + "/packed-refs");
  if (!fd) return std::nullopt;
  // Streamed: packed-refs of a large repository runs to many megabytes.
  std::string pending;
  char buffer[65536];
  auto matches = [&](std::string_view line) -> std::optional<std::string> {
    auto space = line.find(' ');
    if (space == std::string_view::npos || line.substr(space + 1) != name) return std::nullopt;
    if (!is_hash(line.substr(0, space))) return std::nullopt;
    return std::string(line.substr(0, space));
  };
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(got));
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      if (auto hash = matches(std::string_view(pending).substr(start, end - start))) return hash;
    }
    pending.erase(0, start);
  }
  return matches(pending);
}

// Reads lines of a child's stdout; its stderr is dropped.
class StdoutLines : public proc::OutputObserver {
 public:
  std::vector<std::string> lines;
  void on_marker_line(std::string_view, int64_t) override {}
  bool on_output_line(proc::Stream stream, std::string_view line, int64_t) override {
    if (stream == proc::Stream::Stdout) lines.emplace_back(line);
    return false;
  }
};

using Clock = std::chrono::steady_clock;

struct GitResult {
  int exit_code = -1;  // -1: not started, killed or timed out
  std::vector<std::string> stdout_lines;
};

// Runs git on `checkout` with `overrides` (-c KEY=VALUE, which take precedence
// over every config file) before `args`, killed at `deadline`.
GitResult run_git(const GitCheckout& checkout, const std::vector<std::string>& overrides,
                  const std::vector<std::string>& args, Clock::time_point deadline) {
  double left = std::chrono::duration<double>(deadline - Clock::now()).count();
  const char* path = std::getenv("PATH");
  auto program = proc::resolve_program("git", path ? path : "/usr/bin:/bin", "");
  if (left <= 0 || !program) return {};
  proc::SpawnRequest request;
  request.program = *program;
  request.argv = {"git", "--git-dir=" + checkout.git_dir, "--work-tree=" + checkout.work_tree};
  for (const auto& o : overrides) request.argv.insert(request.argv.end(), {"-c", o});
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.env = current_environment();
  request.env.push_back("GIT_TERMINAL_PROMPT=0");
  request.cwd = checkout.work_tree;
  request.timeout_s = left;
  request.marker_pipe = false;
  StdoutLines output;
  auto spawned = proc::spawn_and_wait(request, output);
  if (!spawned || spawned->timed_out || !WIFEXITED(spawned->wait_status)) return {};
  return GitResult{WEXITSTATUS(spawned->wait_status), std::move(output.lines)};
}

// Config that would make `git status` run a program, switched off. git runs
// these from the repository's own config: core.fsmonitor (a hook program, or
// the fsmonitor daemon), hooks (post-index-change when status rewrites the
// index), filter drivers (clean/process, run when a file's stat data changed
// and its content must be compared), and a transport to a promisor remote
// (lazy fetch of missing objects in a partial clone runs core.sshCommand).
// textconv and external diff drivers are not used by a porcelain status.
const std::vector<std::string> kNeutralConfig = {"core.fsmonitor=", "core.hooksPath=/dev/null",
                                                 "protocol.allow=never"};

// -c settings that turn off every filter driver the repository's config
// defines; nullopt when one cannot be named on a command line.
std::optional<std::vector<std::string>> neutral_filters(const GitCheckout& checkout,
                                                        Clock::time_point deadline) {
  // `git config` only reads files (includes too); it runs nothing.
  auto listed = run_git(checkout, kNeutralConfig,
                        {"config", "--name-only", "--get-regexp", "^filter\\."}, deadline);
  if (listed.exit_code == 1) return std::vector<std::string>{};  // no filter configured
  if (listed.exit_code != 0) return std::nullopt;
  std::set<std::string> drivers;
  for (const auto& key : listed.stdout_lines) {
    auto first = key.find('.'), last = key.rfind('.');
    if (first == last || last == std::string::npos) continue;  // "filter.x": not a driver setting
    drivers.insert(key.substr(first + 1, last - first - 1));
  }
  std::vector<std::string> overrides;
  for (const auto& driver : drivers) {
    // -c splits at the first '=', so such a name cannot be overridden.
    if (driver.find('=') != std::string::npos) return std::nullopt;
    for (const char* setting : {"clean=", "smudge=", "process=", "required=false"})
      overrides.push_back("filter." + driver + "." + setting);
  }
  return overrides;
}

}  // namespace

std::optional<GitCheckout> find_git_checkout(const std::string& start_dir) {
  std::error_code error;
  fs::path dir = fs::weakly_canonical(start_dir, error);
  if (error) return std::nullopt;
  for (;;) {
    fs::path dot_git = dir / ".git";
    struct stat st {};
    if (lstat(dot_git.c_str(), &st) == 0) {
      GitCheckout checkout;
      checkout.work_tree = dir.string();
      if (S_ISDIR(st.st_mode)) {
        checkout.git_dir = dot_git.string();
      } else if (S_ISREG(st.st_mode)) {
        // A linked worktree or a submodule: "gitdir: PATH", relative to the file's directory.
        auto text = read_small_file(dot_git.string());
        if (!text || text->rfind("gitdir: ", 0) != 0) return std::nullopt;
        fs::path target = text->substr(8);
        checkout.git_dir =
            (target.is_absolute() ? target : dir / target).lexically_normal().string();
      } else {
        return std::nullopt;
      }
      checkout.common_dir = checkout.git_dir;
      if (auto common = read_small_file(checkout.git_dir + "/commondir")) {
        fs::path target = *common;
        checkout.common_dir = (target.is_absolute() ? target : fs::path(checkout.git_dir) / target)
                                  .lexically_normal()
                                  .string();
      }
      while (checkout.common_dir.size() > 1 && checkout.common_dir.back() == '/')
        checkout.common_dir.pop_back();
      return checkout;
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

std::optional<std::string> read_head_commit(const GitCheckout& checkout) {
  auto content = read_small_file(checkout.git_dir + "/HEAD");
  for (int depth = 0; content && depth <= kMaxSymrefDepth; ++depth) {
    if (is_hash(*content)) return content;
    if (content->rfind("ref: ", 0) != 0) return std::nullopt;
    std::string name(trim(std::string_view(*content).substr(5)));
    if (!is_safe_ref_name(name)) return std::nullopt;
    // Per-worktree refs live in the worktree's own directory, the rest in the common one.
    bool per_worktree = name.rfind("refs/worktree/", 0) == 0 ||
                        name.rfind("refs/bisect/", 0) == 0 || name.rfind("refs/rewritten/", 0) == 0;
    const std::string& base = per_worktree ? checkout.git_dir : checkout.common_dir;
    content = read_small_file(base + "/" + name);
    if (!content) content = packed_ref(checkout.common_dir, name);
  }
  return std::nullopt;
}

std::optional<bool> has_uncommitted_changes(const GitCheckout& checkout, double timeout_s) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_s));
  auto filters = neutral_filters(checkout, deadline);
  if (!filters) return std::nullopt;
  std::vector<std::string> overrides = kNeutralConfig;
  overrides.insert(overrides.end(), filters->begin(), filters->end());
  // --no-optional-locks: status does not write the refreshed index back (no
  // index hook, no write into someone else's repository). Submodules are
  // compared by their recorded commit only: looking inside one would run git
  // there, under that submodule's own config.
  auto status = run_git(checkout, overrides,
                        {"--no-optional-locks", "status", "--porcelain", "--untracked-files=no",
                         "--ignore-submodules=dirty", "--no-renames"},
                        deadline);
  if (status.exit_code != 0) return std::nullopt;
  return std::any_of(status.stdout_lines.begin(), status.stdout_lines.end(),
                     [](const std::string& line) { return !line.empty(); });
}

std::string current_git_commit() {
  char buffer[PATH_MAX];
  if (!getcwd(buffer, sizeof buffer)) return "";
  auto checkout = find_git_checkout(buffer);
  if (!checkout) return "";
  auto commit = read_head_commit(*checkout);
  if (!commit) return "";  // unborn HEAD, or a ref format (reftable) not read here
  std::string recorded = commit->substr(0, 12);
  auto dirty = has_uncommitted_changes(*checkout, kGitTimeoutS);
  if (!dirty) return recorded + "-unchecked";
  return *dirty ? recorded + "-dirty" : recorded;
}

}  // namespace coldbench::sweep
