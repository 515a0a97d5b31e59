#pragma once
// The SQLite history: every session (a sweep or a run) and every run record,
// appended as each run ends, in WAL mode with one transaction per run, so a
// kill -9 or a power loss loses at most the run in flight.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"

namespace coldbench::store {

// Default database path: $COLDBENCH_DB, else results/history.sqlite under the
// current directory.
std::string default_database_path();

struct SessionInfo {
  int64_t id = 0;
  std::string experiment;       // experiment name
  std::string experiment_file;  // the TOML path, if any
  std::string experiment_hash;  // hash of the expanded configs: a resume must match it
  std::string started_at;
  std::string finished_at;
  std::string host;
  std::string git_commit;       // of the cwd's repository, if any
  std::string status;           // running | finished | interrupted
  // Unique across files (store/merge.hpp); empty in begin_session: a new random one.
  std::string uid;
  int planned_runs = 0;
  int done_runs = 0;            // filled by list_sessions/find_session
};

class History {
 public:
  // Opens (creating it and its directory if needed) the database at `path`.
  static Expected<std::unique_ptr<History>> open(const std::string& path);
  // Opens an existing database without writing anything to it (history,
  // report, export, compare): works on a read-only file.
  static Expected<std::unique_ptr<History>> open_read_only(const std::string& path);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // Starts a session; `header` is the document without runs (options, commands, host).
  Expected<int64_t> begin_session(const SessionInfo& info, const ResultsDocument& header);
  // Before a session's first run: the file passes SQLite's quick_check, and a
  // session and a run can be written (tried, then rolled back). A damaged
  // history is reported now, not after a run whose result it cannot keep.
  Expected<void> check_ready_for_runs();
  // Appends one run in its own transaction. A run already recorded under the
  // same sequence is an error, never overwritten.
  Expected<void> append_run(int64_t session_id, const RunRecord& run);
  // Rewrites the session's header (e.g. commands after a resume) and status.
  Expected<void> update_session(int64_t session_id, const ResultsDocument& header, const std::string& status);

  Expected<std::vector<SessionInfo>> list_sessions();
  // `ref`: a session id, or "latest".
  Expected<SessionInfo> find_session(const std::string& ref);
  // The latest session of `experiment`, finished or not, if any.
  Expected<std::optional<SessionInfo>> latest_session(const std::string& experiment);
  // The whole session as a results document (runs in sequence order).
  Expected<ResultsDocument> load_document(int64_t session_id);
  // The session's header only (options, commands, host; no runs).
  Expected<ResultsDocument> load_header(int64_t session_id);

  // Adds the sessions and runs of the history at `source` that this one does
  // not have (store/merge.cpp): a session is known by its uid, a run by its
  // session and sequence, so merging a file twice adds nothing.
  struct MergeCounts {
    int sessions_added = 0;
    int sessions_updated = 0;  // known, but the source had more runs or had finished
    int64_t runs_added = 0;
    int64_t runs_known = 0;  // already present
  };
  Expected<MergeCounts> merge_from(const std::string& source);

  const std::string& path() const { return path_; }

 private:
  History(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static Expected<std::unique_ptr<History>> open_reader(const std::string& path, bool immutable);
  Expected<void> probe_sessions();
  Expected<int64_t> insert_session(const SessionInfo& info, const ResultsDocument& header);
  Expected<void> exec(const char* sql);
  // The error SQLite reports, with the file; a damaged file says so and what to do.
  Error sqlite_error(const std::string& what) const;
  Error sqlite_error(const std::string& what, int rc) const;

  sqlite3* db_;
  std::string path_;
};

// Convenience for reports and compare: "SESSION" refs resolve in the default
// database (or `db_path` when given), opened read-only.
Expected<ResultsDocument> load_session(const std::string& db_path, const std::string& session_ref);

}  // namespace coldbench::store
