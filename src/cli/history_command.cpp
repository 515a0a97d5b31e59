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

int list_history(const std::string& db) {
  struct stat st {};
  if (stat(db.c_str(), &st) != 0) {
    fmt::print("no sessions in {} yet (run `coldbench sweep FILE.toml`)\n", db);
    return kExitOk;
  }
  // Read-only: listing must work on a history the user may read but not write.
  auto history = store::History::open_read_only(db);
  if (!history) return report_error(history.error().message, history.error().exit_code);
  auto sessions = (*history)->list_sessions();
  if (!sessions) return report_error(sessions.error().message, sessions.error().exit_code);
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

int export_session(const std::string& db, const std::string& ref, bool json, bool csv, const std::string& output) {
  if (json == csv) return report_error("export: choose one format, --json or --csv", kExitUsage);
  auto document = store::load_session(db, ref);
  if (!document) return report_error(document.error().message, document.error().exit_code);
  report::SummaryCache summaries;
  auto text = report::make_reporter(json ? "json" : "csv")->render(*document, &summaries.get(*document));
  if (output.empty() || output == "-") {
    print_for_terminal(stdout, *text);
    return kExitOk;
  }
  auto written = report::write_file_atomically(output, *text);
  if (!written) return report_error(written.error().message, written.error().exit_code);
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
  struct Arguments {
    std::string db, session, output;
    bool json = false, csv = false;
  };
  auto args = std::make_shared<Arguments>();
  CLI::App* sub = app.add_subcommand("export", "Export a history session as JSON (coldbench/1) or CSV");
  sub->add_option("session", args->session, "Session id (see `coldbench history`) or 'latest'")->required();
  sub->add_flag("--json", args->json, "Write the results document with its summary");
  sub->add_flag("--csv", args->csv, "Write one row per run");
  sub->add_option("-o,--output", args->output, "Output file (default: standard output)");
  sub->add_option("--db", args->db, "History database (default $COLDBENCH_DB or results/history.sqlite)");
  return Subcommand{sub, [args] {
                      return export_session(args->db.empty() ? store::default_database_path() : args->db,
                                            args->session, args->json, args->csv, args->output);
                    }};
}

}  // namespace coldbench::cli
