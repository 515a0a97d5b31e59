// `coldbench history` and `coldbench export`: the sessions in the SQLite history.

#include <sys/stat.h>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/terminal_text.hpp"
#include "report/reporter.hpp"
#include "report/table.hpp"
#include "store/history.hpp"

namespace coldbench::cli {
namespace {

Expected<int> list_history(const std::string& db) {
  struct stat st {};
  if (stat(db.c_str(), &st) != 0) {
    fmt::print("no sessions in {} yet (run `coldbench sweep FILE.toml`)\n", db);
    return kExitOk;
  }
  // Read-only: listing must work on a history the user may read but not write.
  auto history = store::History::open_read_only(db);
  if (!history) return history.error();
  auto sessions = (*history)->list_sessions();
  if (!sessions) return sessions.error();
  if (sessions->empty()) {
    fmt::print("no sessions in {} yet (run `coldbench sweep FILE.toml`)\n", db);
    return kExitOk;
  }
  report::Table table({"id", "experiment", "started", "host", "git commit", "runs done/planned", "status"});
  for (const auto& s : *sessions) {
    table.add_row({std::to_string(s.id), s.experiment, s.started_at, s.host, s.git_commit.empty() ? "-" : s.git_commit,
                   fmt::format("{}/{}", s.done_runs, s.planned_runs), s.status});
  }
  print_for_terminal(stdout, table.to_text(""));
  return kExitOk;
}

struct ExportArguments {
  std::string db, session, output;
  std::string json, csv;  // FILE, "-", or "" when given without one (the older form: -o FILE or stdout)
  const CLI::Option* json_option = nullptr;
  const CLI::Option* csv_option = nullptr;
};

// `--json FILE` as everywhere else; `--json` alone (then -o FILE or standard
// output) is the older form, kept because scripts use it.
Expected<int> export_session(const ExportArguments& args) {
  const bool json = args.json_option->count() > 0;
  const bool csv = args.csv_option->count() > 0;
  if (json == csv) return Error{"export: choose one format: --json FILE or --csv FILE (- for standard output)"};
  const std::string& file = json ? args.json : args.csv;
  if (args.session.empty()) {
    // `export --json 1`: --json took the session as its file.
    return make_error("export: no session given; --{0} takes the output file, so name the session first: "
                      "coldbench export SESSION --{0} FILE",
                      json ? "json" : "csv");
  }
  if (!file.empty() && !args.output.empty()) {
    return make_error("export: the output file is given twice (--{} {} and -o {}); keep one", json ? "json" : "csv",
                      file, args.output);
  }
  const std::string output = file.empty() ? args.output : file;
  const std::string db = args.db.empty() ? store::default_database_path() : args.db;
  const std::string& ref = args.session;
  auto document = store::load_session(db, ref);
  if (!document) return document.error();
  report::SummaryCache summaries;
  auto text = report::make_reporter(json ? "json" : "csv")->render(*document, &summaries.get(*document));
  if (output.empty() || output == "-") {
    print_for_terminal(stdout, *text);
    return kExitOk;
  }
  auto written = report::write_file_atomically(output, *text);
  if (!written) return written.error();
  fmt::print(stderr, "wrote {}\n", output);
  return kExitOk;
}

}  // namespace

Subcommand add_history_command(CLI::App& app) {
  auto db = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("history", "List the sessions in the history database");
  sub->add_option("--db", *db, "History database (default $COLDBENCH_DB or results/history.sqlite)");
  return Subcommand{sub, [db] { return list_history(db->empty() ? store::default_database_path() : *db); }};
}

Subcommand add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArguments>();
  CLI::App* sub = app.add_subcommand("export", "Export a history session as JSON (coldbench/1) or CSV");
  // Not required here: a missing session gets a message that explains --json FILE.
  sub->add_option("session", args->session, "Session id (see `coldbench history`) or 'latest'");
  args->json_option = sub->add_option("--json", args->json,
                                      "Write the results document with its summary to FILE (- or no FILE: standard "
                                      "output)")
                          ->type_name("FILE")
                          ->expected(0, 1);
  args->csv_option =
      sub->add_option("--csv", args->csv, "Write one row per run to FILE (- or no FILE: standard output)")
          ->type_name("FILE")
          ->expected(0, 1);
  sub->add_option("-o,--output", args->output, "Output file for --json or --csv given without FILE");
  sub->add_option("--db", args->db, "History database (default $COLDBENCH_DB or results/history.sqlite)");
  sub->footer("Usage: coldbench export SESSION --json FILE | --csv FILE   (FILE - writes to standard output)");
  return Subcommand{sub, [args] { return export_session(*args); }};
}

}  // namespace coldbench::cli
