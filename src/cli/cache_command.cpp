// `coldbench cache discover|status|evict|warm`: the cache-state machinery of
// `coldbench run --cache` used directly. discover shows what a run would
// track; status/evict/warm print a per-file residency table, like vmtouch.

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

#include "cache/discovery_cache.hpp"
#include "cache/file_set.hpp"
#include "cache/page_cache.hpp"
#include "cache/tracked_files.hpp"
#include "cli/commands.hpp"
#include "core/env_var.hpp"
#include "core/shell_words.hpp"
#include "core/terminal_text.hpp"
#include "core/units.hpp"
#include "proc/spawn.hpp"
#include "report/table.hpp"


namespace coldbench::cli {
namespace {

struct DiscoverArguments {
  std::vector<std::string> command;
  std::string cwd;
  std::vector<std::string> env;
  bool env_clear = false;
  std::string timeout;
  bool rediscover = false;
  bool show_output = false;
  int top = 10;
  bool list = false;
};

struct FilesArguments {
  std::vector<std::string> patterns;
  bool totals_only = false;
};

std::string current_directory() {
  char buffer[PATH_MAX];
  return getcwd(buffer, sizeof buffer) ? std::string(buffer) : std::string("/");
}

std::string percent(const FileResidency& f) {
  if (f.size_bytes <= 0) return "-";
  return fmt::format("{:.1f} %", 100.0 * double(f.resident_bytes) / double(f.size_bytes));
}

void add_row(report::Table& table, const FileResidency& f) {
  table.add_row({f.path, format_bytes(double(f.size_bytes)), format_bytes(double(f.resident_bytes)),
                 percent(f)});
}

struct Measurement {
  std::vector<FileResidency> files;
  std::vector<std::string>
      hidden;  // residency not visible to us (not owner, not writable, not root)
  int64_t hidden_bytes = 0;
  std::vector<std::string> problems;  // one line each
};

void measure_into(Measurement& m, const std::string& path) {
  // Unreadable files are problems (below); readable ones may still hide their residency.
  if (faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) == 0 && !cache::residency_visible(path)) {
    m.hidden.push_back(path);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) m.hidden_bytes += st.st_size;
    return;
  }
  if (auto r = cache::measure_residency(path)) {
    m.files.push_back(*r);
  } else {
    m.problems.push_back(r.error().message);
  }
}

// The table (unless totals_only), a totals line, then what could not be measured.
std::string residency_report(const Measurement& m, bool totals_only) {
  const auto& files = m.files;
  std::string out;
  FileResidency total{"", 0, 0};
  for (const auto& f : files) {
    total.size_bytes += f.size_bytes;
    total.resident_bytes += f.resident_bytes;
  }
  if (!totals_only && !files.empty()) {
    report::Table table({"file", "size", "resident", "resident %"});
    for (const auto& f : files) add_row(table, f);
    out += table.to_text("");
    out += "\n";
  }
  out += fmt::format("{} file{}: {} resident of {} ({})\n", files.size(),
                     files.size() == 1 ? "" : "s", format_bytes(double(total.resident_bytes)),
                     format_bytes(double(total.size_bytes)), percent(total));
  if (!m.hidden.empty()) {
    out += fmt::format(
        "{} more file{} ({}): residency not measurable without root (Linux shows it only to a "
        "file's owner or writers; evict and warm still work){}\n",
        m.hidden.size(), m.hidden.size() == 1 ? "" : "s", format_bytes(double(m.hidden_bytes)),
        totals_only ? "" : ":");
    if (!totals_only) {
      for (const auto& p : m.hidden) out += "  " + p + "\n";
    }
  }
  if (!m.problems.empty()) {
    out += fmt::format("not measured ({}):\n", m.problems.size());
    for (const auto& p : m.problems) out += "  " + p + "\n";
  }
  return out;
}

enum class FileAction { Status, Evict, Warm };

Expected<int> run_files(const FilesArguments& args, FileAction action) {
  auto expanded = cache::expand_file_patterns(args.patterns, current_directory());
  Measurement m;
  m.problems = expanded.problems;
  std::size_t acted = 0;
  for (const auto& path : expanded.files) {
    Expected<void> done;
    if (action == FileAction::Evict) done = cache::evict_from_page_cache(path);
    if (action == FileAction::Warm) done = cache::load_into_page_cache(path);
    if (!done) {
      m.problems.push_back(done.error().message);
      continue;
    }
    ++acted;
    measure_into(m, path);
  }
  print_for_terminal(stdout, residency_report(m, args.totals_only));
  std::fflush(stdout);
  if (action == FileAction::Status && m.files.empty()) {
    return Error{"no file could be measured (see above)"};
  }
  if (acted == 0) return Error{"no file could be processed (see above)"};
  return kExitOk;
}

std::vector<std::string> discovery_environment(const DiscoverArguments& args) {
  std::vector<std::string> env;
  if (!args.env_clear) env = current_environment();
  for (const auto& kv : args.env) {
    // Checked by run_discover: every entry splits.
    auto entry = split_env_entry(kv);
    unset_env_entry(env, entry->name);
    env.push_back(kv);
  }
  return env;
}

Expected<int> run_discover(const DiscoverArguments& args) {
  if (args.command.empty())
    return Error{"no command: give it after --, e.g. cache discover -- python3 x.py"};
  if (args.top < 0) return Error{"--top must not be negative"};
  cache::DiscoveryRequest request;
  for (const auto& kv : args.env) {
    if (!split_env_entry(kv)) {
      return Error{fmt::format("--env '{}': expected KEY=VALUE", kv)};
    }
  }
  request.env = discovery_environment(args);
  request.argv = args.command;
  request.cwd = args.cwd;
  request.show_output = args.show_output;
  if (!args.timeout.empty()) {
    auto timeout = parse_duration_seconds(args.timeout);
    if (!timeout) return timeout.error().with_context("--timeout");
    request.timeout_s = *timeout;
  }
  std::string path_value;
  for (const auto& e : request.env) {
    if (e.rfind("PATH=", 0) == 0) path_value = e.substr(5);
  }
  if (path_value.empty()) path_value = "/usr/local/bin:/usr/bin:/bin";
  auto program = proc::resolve_program(args.command[0], path_value, args.cwd);
  if (!program) return program.error();
  request.program = *program;

  cache::TrackingOptions options;
  options.rediscover = args.rediscover;
  if (auto dir = cache::default_cache_dir()) {
    options.cache_dir = *dir;
  } else {
    fmt::print(stderr, "coldbench: warning: {}; the discovery is not cached\n",
               dir.error().message);
  }
  options.on_trace_start = [] {
    fmt::print(stderr,
               "coldbench: running the command once under ptrace to find the files it uses...\n");
    std::fflush(stderr);
  };
  proc::install_interrupt_handler();
  auto tracked = cache::find_tracked_files(request, options);
  if (!tracked) return tracked.error();

  std::string text;
  for (const auto& word : args.command) text += (text.empty() ? "" : " ") + quote_shell_word(word);
  fmt::print("Command: {}\n", text);
  if (tracked->from_cache) {
    fmt::print("Discovery: from the cache {} (discovered {}; --rediscover traces again)\n",
               tracked->cache_entry, tracked->discovered_at);
  } else {
    const auto& traced = *tracked->traced;
    fmt::print(
        "Discovery: traced run of {} task{} (processes and threads), {}, {}{}\n", traced.processes,
        traced.processes == 1 ? "" : "s", format_ms(traced.wall_ms), traced.describe_outcome(),
        tracked->cache_entry.empty() ? " (not cached)" : "; cached in " + tracked->cache_entry);
    if (!tracked->rediscover_reason.empty())
      fmt::print("  traced because {}\n", tracked->rediscover_reason);
    if (!tracked->cache_problem.empty())
      fmt::print("  warning: not cached: {}\n", tracked->cache_problem);
  }

  Measurement m;
  for (const auto& path : tracked->files) measure_into(m, path);
  if (args.list) {
    fmt::print("\n{}", residency_report(m, false));
  } else {
    auto biggest = m.files;
    std::stable_sort(biggest.begin(), biggest.end(),
                     [](const auto& a, const auto& b) { return a.size_bytes > b.size_bytes; });
    if (biggest.size() > static_cast<std::size_t>(args.top))
      biggest.resize(static_cast<std::size_t>(args.top));
    fmt::print("Tracked: {}", residency_report(m, true));
    if (!biggest.empty()) {
      report::Table table({"biggest files", "size", "resident", "resident %"});
      for (const auto& f : biggest) add_row(table, f);
      fmt::print("\n{}", table.to_text(""));
    }
  }
  if (tracked->traced && !tracked->traced->succeeded()) {
    fmt::print(
        stderr,
        "coldbench: warning: the traced run {}; it may have stopped before opening every file "
        "(--show-output shows its output)\n",
        tracked->traced->describe_outcome());
  }
  return kExitOk;
}

CLI::App* add_files_subcommand(CLI::App& cache, const char* name, const char* description,
                               std::shared_ptr<FilesArguments> args) {
  CLI::App* sub = cache.add_subcommand(name, description);
  sub->add_option("paths", args->patterns, "Files, directories (recursed) or globs (with {a,b})")
      ->required();
  sub->add_flag("-s,--summary", args->totals_only,
                "Print only the totals line, not the per-file table");
  return sub;
}

}  // namespace

Subcommand add_cache_command(CLI::App& app) {
  CLI::App* cache = app.add_subcommand(
      "cache",
      "Page-cache state of files: discover what a command uses; show, evict or load residency");
  cache->require_subcommand(1);
  cache->footer(
      "Evicting (posix_fadvise DONTNEED) and loading need only read access. Residency\n"
      "(mincore) is shown to root and to a file's owner or writers only: Linux hides it\n"
      "from others. Pages that a running process has mapped stay resident. docs/cache.md");

  auto discover_args = std::make_shared<DiscoverArguments>();
  CLI::App* discover = cache->add_subcommand(
      "discover",
      "Trace a command once (ptrace) and show the files `run --cache` would track for it");
  discover->footer(
      "Usage: coldbench cache discover [OPTIONS] -- CMD [ARGS...]\n"
      "The list is cached per command, working directory and environment (docs/cache.md).");
  discover->add_option("--cwd", discover_args->cwd, "Working directory of the command");
  discover->add_option("--env", discover_args->env,
                       "Set KEY=VALUE in the command's environment (repeatable)");
  discover->add_flag("--env-clear", discover_args->env_clear,
                     "Start the command with an empty environment");
  discover->add_option("--timeout", discover_args->timeout,
                       "Kill the traced run after this long, e.g. 60s");
  discover->add_flag("--rediscover", discover_args->rediscover,
                     "Trace again even if a fresh cached list exists");
  discover->add_flag("--show-output", discover_args->show_output,
                     "Show the command's output (hidden otherwise)");
  discover->add_option("--top", discover_args->top,
                       "How many of the biggest files to show (default 10)");
  discover->add_flag("--list", discover_args->list, "Show every tracked file with its residency");

  auto files_args = std::make_shared<FilesArguments>();
  CLI::App* status = add_files_subcommand(
      *cache, "status", "Show how much of each file is in the page cache", files_args);
  CLI::App* evict = add_files_subcommand(
      *cache, "evict",
      "Evict files from the page cache (no root needed), then show their residency", files_args);
  CLI::App* warm = add_files_subcommand(
      *cache, "warm", "Read files into the page cache, then show their residency", files_args);

  return Subcommand{
      cache,
      [=]() -> Expected<int> {
        if (discover->parsed()) {
          discover_args->command = trailing_command();
          return run_discover(*discover_args);
        }
        if (!trailing_command().empty()) {
          return Error{"only 'cache discover' takes a command after --"};
        }
        if (status->parsed()) return run_files(*files_args, FileAction::Status);
        if (evict->parsed()) return run_files(*files_args, FileAction::Evict);
        if (warm->parsed()) return run_files(*files_args, FileAction::Warm);
        return Error{"cache: give discover, status, evict or warm (see --help)"};
      },
      true};
}

}  // namespace coldbench::cli
