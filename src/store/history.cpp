#include "store/history.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "store/sqlite_statement.hpp"

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
-- A session's identity across files: a shard's session keeps its uid when it
-- is merged into another history, so merging it again adds nothing.
CREATE TABLE IF NOT EXISTS session_uids (
  session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
  uid TEXT NOT NULL UNIQUE
);
)sql";

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

bool is_damage(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
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
  // Not through a symbolic link: one planted where the history goes (a
  // shared directory) would have a root sweep create or rewrite its target.
  // NOFOLLOW closes the race the lstat leaves; the lstat gives the clear message.
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    return make_error(
        "history database '{}' is a symbolic link; give the path of the file itself "
        "(coldbench does not write through links)",
        path);
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
                      nullptr) != SQLITE_OK) {
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
    if (is_damage(sqlite3_errcode(history->db_))) return done.error();
    return done.error().with_context(fmt::format("'{}' is not a coldbench history database", path));
  }
  return history;
}

Expected<std::unique_ptr<History>> History::open_read_only(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return make_error("no history database at '{}' (run `coldbench sweep` first, or pass --db PATH)", path);
  }
  auto history = open_reader(path, false);
  if (!history) return history.error();
  auto readable = (*history)->probe_sessions();
  if (readable) return history;
  // A WAL database opened read-only needs its -wal and -shm files, which a
  // reader without write access to the directory cannot create. No -wal file
  // means no writer is at work and none crashed mid-write: the file alone is
  // the whole database, and SQLite may read it as immutable.
  const int primary = sqlite3_errcode((*history)->db_) & 0xff;
  struct stat wal {};
  if ((primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN) && stat((path + "-wal").c_str(), &wal) != 0) {
    auto immutable = open_reader(path, true);
    if (!immutable) return immutable.error();
    if (auto again = (*immutable)->probe_sessions(); !again) return again.error();
    return immutable;
  }
  return readable.error();
}

Expected<std::unique_ptr<History>> History::open_reader(const std::string& path, bool immutable) {
  // A URI, so that "immutable" can be asked for; the path's own '%', '?' and '#' are escaped.
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  uri += immutable ? "?mode=ro&immutable=1" : "?mode=ro";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error("cannot open history database '{}' for reading: {}", path, message);
  }
  std::unique_ptr<History> history(new History(db, path));
  sqlite3_busy_timeout(db, 5000);
  return history;
}

Expected<void> History::probe_sessions() {
  // The first read finds a file that is not SQLite, a damaged one, or one without our tables.
  Statement probe(db_, "SELECT COUNT(*) FROM sessions");
  if (!probe.ok()) {
    int rc = probe.prepare_rc();
    if (is_damage(rc)) return sqlite_error("read the schema", rc);
    if ((rc & 0xff) == SQLITE_ERROR) {
      return make_error("'{}' is not a coldbench history database: {}", path_, sqlite3_errmsg(db_));
    }
    return make_error("cannot read history database '{}': {}", path_, sqlite3_errmsg(db_));
  }
  if (int rc = probe.step(); rc != SQLITE_ROW) return sqlite_error("read the sessions", rc);
  return {};
}

History::~History() { sqlite3_close(db_); }

Error History::sqlite_error(const std::string& what) const { return sqlite_error(what, sqlite3_errcode(db_)); }

Error History::sqlite_error(const std::string& what, int rc) const {
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return make_error("'{}' is not a coldbench history database (SQLite: {}); check --db", path_, sqlite3_errstr(rc));
  }
  if (is_damage(rc)) {
    return make_error("history database '{}' is damaged ({}: {}); restore it from a backup, or use a new one with "
                      "--db",
                      path_, what, sqlite3_errstr(rc));
  }
  return make_error("history database '{}': {}: {}", path_, what, sqlite3_errmsg(db_));
}

Expected<void> History::exec(const char* sql) {
  char* message = nullptr;
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message); rc != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    if (is_damage(rc)) return sqlite_error("open", rc);
    return make_error("history database '{}': {}", path_, text);
  }
  return {};
}

namespace {

std::string new_session_uid() {
  // 128 random bits: sessions started in the same millisecond on one host (a
  // fleet's shards) still differ.
  std::random_device device;
  std::string uid;
  for (int i = 0; i < 4; ++i) uid += fmt::format("{:08x}", static_cast<uint32_t>(device()));
  return uid;
}

}  // namespace

Expected<int64_t> History::begin_session(const SessionInfo& info, const ResultsDocument& header) {
  if (auto begun = exec("SAVEPOINT coldbench_begin"); !begun) return begun.error();
  auto inserted = insert_session(info, header);
  if (!inserted) {
    (void)exec("ROLLBACK TO coldbench_begin");
    (void)exec("RELEASE coldbench_begin");
    return inserted.error();
  }
  if (auto released = exec("RELEASE coldbench_begin"); !released) return released.error();
  return inserted;
}

Expected<int64_t> History::insert_session(const SessionInfo& info, const ResultsDocument& header) {
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
  if (int rc = insert.step(); rc != SQLITE_DONE) return sqlite_error("insert session", rc);
  const int64_t id = sqlite3_last_insert_rowid(db_);
  Statement uid(db_, "INSERT INTO session_uids (session_id, uid) VALUES (?, ?)");
  if (!uid.ok()) return sqlite_error("prepare session uid insert");
  uid.bind(1, id);
  uid.bind(2, info.uid.empty() ? new_session_uid() : info.uid);
  if (int rc = uid.step(); rc != SQLITE_DONE) return sqlite_error("insert session uid", rc);
  return id;
}

Expected<void> History::check_ready_for_runs() {
  {
    Statement check(db_, "PRAGMA quick_check");
    if (!check.ok()) return sqlite_error("check the file", check.prepare_rc());
    int rc = check.step();
    if (rc != SQLITE_ROW) return sqlite_error("check the file", rc);
    if (std::string verdict = check.text(0); verdict != "ok") {
      std::replace(verdict.begin(), verdict.end(), '\n', ' ');  // one line
      return make_error("history database '{}' is damaged (SQLite's quick_check: {}); restore it from a backup, or "
                        "use a new one with --db",
                        path_, verdict);
    }
  }
  // The statements a session uses, tried in a savepoint that is rolled back:
  // a runs table with other columns, or a file we may not write, fails here.
  if (auto begun = exec("SAVEPOINT coldbench_probe"); !begun) return begun.error();
  auto probe = [&]() -> Expected<void> {
    ResultsDocument empty;
    SessionInfo info;
    info.experiment = "coldbench-probe";
    auto id = begin_session(info, empty);
    if (!id) return id.error();
    RunRecord run;
    run.sequence = -1;
    return append_run(*id, run);
  };
  auto probed = probe();
  (void)exec("ROLLBACK TO coldbench_probe");
  (void)exec("RELEASE coldbench_probe");
  if (!probed) return probed.error().with_context("before the first run");
  return {};
}

Expected<void> History::append_run(int64_t session_id, const RunRecord& run) {
  Statement insert(db_,
                   "INSERT INTO runs (session_id, sequence, command, run_index, warmup, succeeded, wall_ms, "
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
  int rc = insert.step();
  if ((rc & 0xff) == SQLITE_CONSTRAINT && sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return make_error("history database '{}': run {} of session {} is already recorded; was the session run by "
                      "two processes at once?",
                      path_, run.sequence, session_id);
  }
  if (rc != SQLITE_DONE) return sqlite_error("insert run", rc);
  return {};
}

Expected<void> History::update_session(int64_t session_id, const ResultsDocument& header, const std::string& status) {
  Statement update(db_, "UPDATE sessions SET header = ?, status = ?, finished_at = ? WHERE id = ?");
  if (!update.ok()) return sqlite_error("prepare session update");
  update.bind(1, json_text(header_json(header)));
  update.bind(2, status);
  update.bind(3, header.finished_at);
  update.bind(4, session_id);
  if (int rc = update.step(); rc != SQLITE_DONE) return sqlite_error("update session", rc);
  return {};
}

Expected<std::vector<SessionInfo>> History::list_sessions() {
  std::string sql = std::string("SELECT ") + kSessionColumns + " FROM sessions s ORDER BY s.id";
  Statement query(db_, sql.c_str());
  if (!query.ok()) return sqlite_error("list sessions", query.prepare_rc());
  std::vector<SessionInfo> sessions;
  int rc;
  while ((rc = query.step()) == SQLITE_ROW) sessions.push_back(read_session(query));
  if (rc != SQLITE_DONE) return sqlite_error("list sessions", rc);
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
  if (!query.ok()) return sqlite_error("find session", query.prepare_rc());
  if (id > 0) query.bind(1, id);
  int rc = query.step();
  if (rc == SQLITE_DONE) {
    return make_error("no session '{}' in history database '{}' (see `coldbench history`)", ref, path_);
  }
  if (rc != SQLITE_ROW) return sqlite_error(fmt::format("find session '{}'", ref), rc);
  return read_session(query);
}

Expected<std::optional<SessionInfo>> History::latest_session(const std::string& experiment) {
  std::string sql = std::string("SELECT ") + kSessionColumns +
                    " FROM sessions s WHERE s.experiment = ? ORDER BY s.id DESC LIMIT 1";
  Statement query(db_, sql.c_str());
  if (!query.ok()) return sqlite_error("find the latest session", query.prepare_rc());
  query.bind(1, experiment);
  int rc = query.step();
  if (rc == SQLITE_DONE) return std::optional<SessionInfo>{};
  if (rc != SQLITE_ROW) return sqlite_error("find the latest session", rc);
  return std::optional<SessionInfo>{read_session(query)};
}

Expected<ResultsDocument> History::load_document(int64_t session_id) {
  auto document = load_header(session_id);
  if (!document) return document.error();
  Statement runs(db_, "SELECT record FROM runs WHERE session_id = ? ORDER BY sequence");
  if (!runs.ok()) return sqlite_error("load runs", runs.prepare_rc());
  runs.bind(1, session_id);
  int rc;
  while ((rc = runs.step()) == SQLITE_ROW) {
    auto record = parse_json_bounded(runs.text(0), kMaxStoredJsonDepth);
    if (!record) return record.error().with_context(fmt::format("session {} has a corrupt run record", session_id));
    auto run = run_from_json(*record);
    if (!run) return run.error();
    document->runs.push_back(std::move(run).value());
  }
  if (rc != SQLITE_DONE) return sqlite_error(fmt::format("load the runs of session {}", session_id), rc);
  return document;
}

Expected<ResultsDocument> History::load_header(int64_t session_id) {
  Statement header(db_, "SELECT header FROM sessions WHERE id = ?");
  if (!header.ok()) return sqlite_error("load session", header.prepare_rc());
  header.bind(1, session_id);
  if (int rc = header.step(); rc == SQLITE_DONE) {
    return make_error("no session {} in '{}'", session_id, path_);
  } else if (rc != SQLITE_ROW) {
    return sqlite_error(fmt::format("load session {}", session_id), rc);
  }
  auto j = parse_json_bounded(header.text(0), kMaxStoredJsonDepth);
  if (!j) return j.error().with_context(fmt::format("session {} in '{}' has a corrupt header", session_id, path_));
  return document_from_json(*j);
}

Expected<ResultsDocument> load_session(const std::string& db_path, const std::string& session_ref) {
  std::string path = db_path.empty() ? default_database_path() : db_path;
  auto history = History::open_read_only(path);
  if (!history) return history.error();
  auto info = (*history)->find_session(session_ref);
  if (!info) return info.error();
  return (*history)->load_document(info->id);
}

}  // namespace coldbench::store
