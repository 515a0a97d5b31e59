#include "store/history.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/record_json.hpp"

namespace coldbench::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment TEXT NOT NULL,
  experiment_file TEXT NOT NULL DEFAULT '',
  experiment_hash TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  git_commit TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  planned_runs INTEGER NOT NULL DEFAULT 0,
  header TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  session_id INTEGER NOT NULL REFERENCES sessions(id),
  sequence INTEGER NOT NULL,
  command TEXT NOT NULL,
  run_index INTEGER NOT NULL,
  warmup INTEGER NOT NULL,
  succeeded INTEGER NOT NULL,
  wall_ms REAL NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (session_id, sequence)
);
)sql";

// RAII for a prepared statement.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  void bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
  int step() { return sqlite3_step(stmt_); }
  std::string text(int column) const {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? reinterpret_cast<const char*>(value) : "";
  }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

constexpr const char* kSessionColumns =
    "s.id, s.experiment, s.experiment_file, s.experiment_hash, s.started_at, s.finished_at, s.host, "
    "s.git_commit, s.status, s.planned_runs, (SELECT COUNT(*) FROM runs r WHERE r.session_id = s.id)";

SessionInfo read_session(const Statement& row) {
  SessionInfo info;
  info.id = row.integer(0);
  info.experiment = row.text(1);
  info.experiment_file = row.text(2);
  info.experiment_hash = row.text(3);
  info.started_at = row.text(4);
  info.finished_at = row.text(5);
  info.host = row.text(6);
  info.git_commit = row.text(7);
  info.status = row.text(8);
  info.planned_runs = static_cast<int>(row.integer(9));
  info.done_runs = static_cast<int>(row.integer(10));
  return info;
}

nlohmann::json header_json(const ResultsDocument& document) {
  ResultsDocument header = document;
  header.runs.clear();
  return to_json(header);
}

}  // namespace

std::string default_database_path() {
  if (const char* env = std::getenv("COLDBENCH_DB"); env && *env) return env;
  return "results/history.sqlite";
}

Expected<std::unique_ptr<History>> History::open(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return make_error("cannot create the directory of history database '{}': {}", path, ec.message());
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error("cannot open history database '{}': {}", path, message);
  }
  std::unique_ptr<History> history(new History(db, path));
  sqlite3_busy_timeout(db, 5000);
  // WAL keeps readers (report, history) working during a sweep; FULL syncs
  // every commit, so a finished run survives a power loss.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (auto done = history->exec(pragma); !done) return done.error();
  }
  if (auto done = history->exec(kSchema); !done) {
    return make_error("'{}' is not a coldbench history database: {}", path, done.error().message);
  }
  return history;
}

History::~History() { sqlite3_close(db_); }

Error History::sqlite_error(const std::string& what) const {
  return make_error("history database '{}': {}: {}", path_, what, sqlite3_errmsg(db_));
}

Expected<void> History::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error("history database '{}': {}", path_, text);
  }
  return {};
}

Expected<int64_t> History::begin_session(const SessionInfo& info, const ResultsDocument& header) {
  Statement insert(db_,
                   "INSERT INTO sessions (experiment, experiment_file, experiment_hash, started_at, host, git_commit, "
                   "status, planned_runs, header) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)");
  if (!insert.ok()) return sqlite_error("prepare session insert");
  insert.bind(1, info.experiment);
  insert.bind(2, info.experiment_file);
  insert.bind(3, info.experiment_hash);
  insert.bind(4, info.started_at);
  insert.bind(5, info.host);
  insert.bind(6, info.git_commit);
  insert.bind(7, static_cast<int64_t>(info.planned_runs));
  insert.bind(8, json_text(header_json(header)));
  if (insert.step() != SQLITE_DONE) return sqlite_error("insert session");
  return sqlite3_last_insert_rowid(db_);
}

Expected<void> History::append_run(int64_t session_id, const RunRecord& run) {
  Statement insert(db_,
                   "INSERT OR REPLACE INTO runs (session_id, sequence, command, run_index, warmup, succeeded, wall_ms, "
                   "record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert.ok()) return sqlite_error("prepare run insert");
  insert.bind(1, session_id);
  insert.bind(2, static_cast<int64_t>(run.sequence));
  insert.bind(3, run.command);
  insert.bind(4, static_cast<int64_t>(run.index));
  insert.bind(5, static_cast<int64_t>(run.warmup ? 1 : 0));
  insert.bind(6, static_cast<int64_t>(run.succeeded() ? 1 : 0));
  insert.bind(7, run.wall_ms);
  insert.bind(8, json_text(to_json(run)));
  // A single INSERT is its own transaction (autocommit).
  if (insert.step() != SQLITE_DONE) return sqlite_error("insert run");
  return {};
}

Expected<void> History::update_session(int64_t session_id, const ResultsDocument& header, const std::string& status) {
  Statement update(db_, "UPDATE sessions SET header = ?, status = ?, finished_at = ? WHERE id = ?");
  if (!update.ok()) return sqlite_error("prepare session update");
  update.bind(1, json_text(header_json(header)));
  update.bind(2, status);
  update.bind(3, header.finished_at);
  update.bind(4, session_id);
  if (update.step() != SQLITE_DONE) return sqlite_error("update session");
  return {};
}

Expected<std::vector<SessionInfo>> History::list_sessions() {
  std::string sql = std::string("SELECT ") + kSessionColumns + " FROM sessions s ORDER BY s.id";
  Statement query(db_, sql.c_str());
  if (!query.ok()) return sqlite_error("list sessions");
  std::vector<SessionInfo> sessions;
  while (query.step() == SQLITE_ROW) sessions.push_back(read_session(query));
  return sessions;
}

Expected<SessionInfo> History::find_session(const std::string& ref) {
  std::string sql = std::string("SELECT ") + kSessionColumns + " FROM sessions s ";
  int64_t id = 0;
  if (ref == "latest") {
    sql += "ORDER BY s.id DESC LIMIT 1";
  } else {
    char* end = nullptr;
    id = std::strtoll(ref.c_str(), &end, 10);
    if (ref.empty() || !end || *end != '\0' || id <= 0) {
      return make_error("'{}' is not a session id (a number from `coldbench history`, or 'latest')", ref);
    }
    sql += "WHERE s.id = ?";
  }
  Statement query(db_, sql.c_str());
  if (!query.ok()) return sqlite_error("find session");
  if (id > 0) query.bind(1, id);
  if (query.step() != SQLITE_ROW) {
    return make_error("no session '{}' in history database '{}' (see `coldbench history`)", ref, path_);
  }
  return read_session(query);
}

Expected<std::optional<SessionInfo>> History::latest_unfinished(const std::string& experiment) {
  std::string sql = std::string("SELECT ") + kSessionColumns +
                    " FROM sessions s WHERE s.experiment = ? AND s.status != 'finished' ORDER BY s.id DESC LIMIT 1";
  Statement query(db_, sql.c_str());
  if (!query.ok()) return sqlite_error("find unfinished session");
  query.bind(1, experiment);
  if (query.step() != SQLITE_ROW) return std::optional<SessionInfo>{};
  return std::optional<SessionInfo>{read_session(query)};
}

Expected<ResultsDocument> History::load_document(int64_t session_id) {
  Statement header(db_, "SELECT header FROM sessions WHERE id = ?");
  if (!header.ok()) return sqlite_error("load session");
  header.bind(1, session_id);
  if (header.step() != SQLITE_ROW) return make_error("no session {} in '{}'", session_id, path_);
  auto j = parse_json_bounded(header.text(0), kMaxStoredJsonDepth);
  if (!j) return make_error("session {} in '{}' has a corrupt header: {}", session_id, path_, j.error().message);
  auto document = document_from_json(*j);
  if (!document) return document.error();

  Statement runs(db_, "SELECT record FROM runs WHERE session_id = ? ORDER BY sequence");
  if (!runs.ok()) return sqlite_error("load runs");
  runs.bind(1, session_id);
  while (runs.step() == SQLITE_ROW) {
    auto record = parse_json_bounded(runs.text(0), kMaxStoredJsonDepth);
    if (!record) return make_error("session {} has a corrupt run record: {}", session_id, record.error().message);
    auto run = run_from_json(*record);
    if (!run) return run.error();
    document->runs.push_back(std::move(run).value());
  }
  return document;
}

Expected<ResultsDocument> load_session(const std::string& db_path, const std::string& session_ref) {
  std::string path = db_path.empty() ? default_database_path() : db_path;
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    return make_error("no history database at '{}' (run `coldbench sweep` first, or pass --db PATH)", path);
  }
  auto history = History::open(path);
  if (!history) return history.error();
  auto info = (*history)->find_session(session_ref);
  if (!info) return info.error();
  return (*history)->load_document(info->id);
}

}  // namespace coldbench::store
