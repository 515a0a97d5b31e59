#include "store/merge.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "store/sqlite_statement.hpp"

namespace coldbench::store {
namespace {

// A session written before sessions had uids gets one from what identifies
// it; FNV-1a 64 is stable across builds and platforms.
std::string derived_uid(const std::string& experiment, const std::string& hash,
                        const std::string& host, const std::string& started_at) {
  uint64_t value = 0xcbf29ce484222325ULL;
  for (const std::string* part : {&experiment, &hash, &host, &started_at}) {
    for (unsigned char ch : *part) {
      value ^= ch;
      value *= 0x100000001b3ULL;
    }
    value ^= 0x1f;
    value *= 0x100000001b3ULL;
  }
  return fmt::format("derived-{:016x}", value);
}

const nlohmann::json* find_path(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  const nlohmann::json* at = &j;
  for (const char* key : keys) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

// The study every session seen so far belongs to, and where it was first seen.
struct StudySeen {
  std::string fingerprint;
  std::string experiment;
  std::string where;  // "session 3 of 'a.sqlite'"
};

Expected<void> check_study(const std::string& path, std::optional<StudySeen>& seen) {
  auto history = History::open_read_only(path);
  if (!history) return history.error();
  auto sessions = (*history)->list_sessions();
  if (!sessions) return sessions.error();
  for (const auto& info : *sessions) {
    auto header = (*history)->load_header(info.id);
    if (!header) return header.error();
    const std::string fingerprint = study_fingerprint(info, *header);
    const std::string where = fmt::format("session {} of '{}'", info.id, path);
    if (fingerprint.empty()) {
      return make_error(
          "cannot merge {}: it was not made by an experiment (coldbench run records no "
          "fingerprint); "
          "merge takes the histories of `coldbench sweep FILE --shard I/N`",
          where);
    }
    if (!seen) {
      seen = StudySeen{fingerprint, info.experiment, where};
    } else if (seen->fingerprint != fingerprint) {
      return make_error(
          "cannot merge {}: it is from study '{}' (fingerprint {}), not from '{}' (fingerprint {}) "
          "like {}; merge only the shards of one experiment file (the same configs, runs, seed and "
          "rules), or merge the other study into another -o file",
          where, info.experiment, fingerprint, seen->experiment, seen->fingerprint, seen->where);
    }
  }
  return {};
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

}  // namespace

std::string study_fingerprint(const SessionInfo& info, const ResultsDocument& header) {
  if (const auto* study = find_path(header.options, {"shard", "study_fingerprint"});
      study && study->is_string()) {
    return study->get<std::string>();
  }
  if (const auto* own = find_path(header.options, {"fingerprint"}); own && own->is_string()) {
    return own->get<std::string>();
  }
  return info.experiment_hash;
}

std::string session_host_label(const ResultsDocument& header) {
  if (const auto* label = find_path(header.options, {"shard", "host"});
      label && label->is_string()) {
    if (!label->get<std::string>().empty()) return label->get<std::string>();
  }
  return header.host.hostname.empty() ? "unknown-host" : header.host.hostname;
}

Expected<History::MergeCounts> History::merge_from(const std::string& source) {
  {
    Statement attach(db_, "ATTACH DATABASE ? AS shard");
    if (!attach.ok()) return sqlite_error("prepare attach", attach.prepare_rc());
    attach.bind(1, source);
    if (int rc = attach.step(); rc != SQLITE_DONE)
      return sqlite_error(fmt::format("open '{}'", source), rc);
  }
  struct Detach {
    History* history;
    ~Detach() { (void)history->exec("DETACH DATABASE shard"); }
  } detach{this};

  struct SourceSession {
    int64_t id;
    std::string uid;
    std::string status;
    int64_t runs;
  };
  std::vector<SourceSession> sessions;
  {
    Statement has_uids(
        db_,
        "SELECT COUNT(*) FROM shard.sqlite_master WHERE type = 'table' AND name = 'session_uids'");
    if (!has_uids.ok() || has_uids.step() != SQLITE_ROW)
      return sqlite_error(fmt::format("read '{}'", source));
    const std::string uid_column =
        has_uids.integer(0) > 0
            ? "COALESCE((SELECT u.uid FROM shard.session_uids u WHERE u.session_id = s.id), '')"
            : "''";
    const std::string sql =
        "SELECT s.id, " + uid_column +
        ", s.experiment, s.experiment_hash, s.host, s.started_at, s.status, "
        "(SELECT COUNT(*) FROM shard.runs r WHERE r.session_id = s.id) FROM shard.sessions s "
        "ORDER BY s.id";
    Statement list(db_, sql.c_str());
    if (!list.ok())
      return sqlite_error(fmt::format("list the sessions of '{}'", source), list.prepare_rc());
    int rc;
    while ((rc = list.step()) == SQLITE_ROW) {
      std::string uid = list.text(1);
      if (uid.empty()) uid = derived_uid(list.text(2), list.text(3), list.text(4), list.text(5));
      sessions.push_back(SourceSession{list.integer(0), uid, list.text(6), list.integer(7)});
    }
    if (rc != SQLITE_DONE)
      return sqlite_error(fmt::format("list the sessions of '{}'", source), rc);
  }

  // One transaction per source: a merge cut short leaves whole files merged, and a rerun completes
  // it.
  if (auto begun = exec("BEGIN IMMEDIATE"); !begun) return begun.error();
  auto merge = [&]() -> Expected<MergeCounts> {
    MergeCounts counts;
    for (const auto& session : sessions) {
      std::optional<int64_t> target;
      int64_t target_runs = 0;
      std::string target_status;
      {
        Statement find(
            db_,
            "SELECT u.session_id, s.status, (SELECT COUNT(*) FROM main.runs r WHERE r.session_id = "
            "u.session_id) FROM main.session_uids u JOIN main.sessions s ON s.id = u.session_id "
            "WHERE u.uid = ?");
        if (!find.ok()) return sqlite_error("prepare session lookup", find.prepare_rc());
        find.bind(1, session.uid);
        int rc = find.step();
        if (rc == SQLITE_ROW) {
          target = find.integer(0);
          target_status = find.text(1);
          target_runs = find.integer(2);
        } else if (rc != SQLITE_DONE) {
          return sqlite_error("look up a session", rc);
        }
      }
      if (!target) {
        Statement copy(
            db_,
            "INSERT INTO main.sessions (experiment, experiment_file, experiment_hash, started_at, "
            "finished_at, host, git_commit, status, planned_runs, header) SELECT experiment, "
            "experiment_file, experiment_hash, started_at, finished_at, host, git_commit, status, "
            "planned_runs, header FROM shard.sessions WHERE id = ?");
        if (!copy.ok()) return sqlite_error("prepare session copy", copy.prepare_rc());
        copy.bind(1, session.id);
        if (int rc = copy.step(); rc != SQLITE_DONE) return sqlite_error("copy a session", rc);
        target = sqlite3_last_insert_rowid(db_);
        Statement uid(db_, "INSERT INTO main.session_uids (session_id, uid) VALUES (?, ?)");
        if (!uid.ok()) return sqlite_error("prepare session uid insert", uid.prepare_rc());
        uid.bind(1, *target);
        uid.bind(2, session.uid);
        if (int rc = uid.step(); rc != SQLITE_DONE) return sqlite_error("insert a session uid", rc);
        ++counts.sessions_added;
      } else if (session.runs > target_runs ||
                 (session.status == "finished" && target_status != "finished")) {
        // The shard went on after an earlier merge (a --resume): its header and status are the
        // newer ones.
        Statement update(
            db_,
            "UPDATE main.sessions SET (header, status, finished_at, planned_runs) = (SELECT "
            "header, "
            "status, finished_at, planned_runs FROM shard.sessions WHERE id = ?) WHERE id = ?");
        if (!update.ok()) return sqlite_error("prepare session update", update.prepare_rc());
        update.bind(1, session.id);
        update.bind(2, *target);
        if (int rc = update.step(); rc != SQLITE_DONE) return sqlite_error("update a session", rc);
        ++counts.sessions_updated;
      }
      Statement runs(db_,
                     "INSERT OR IGNORE INTO main.runs (session_id, sequence, command, run_index, "
                     "warmup, succeeded, "
                     "wall_ms, record) SELECT ?, sequence, command, run_index, warmup, succeeded, "
                     "wall_ms, record "
                     "FROM shard.runs WHERE session_id = ?");
      if (!runs.ok()) return sqlite_error("prepare run copy", runs.prepare_rc());
      runs.bind(1, *target);
      runs.bind(2, session.id);
      if (int rc = runs.step(); rc != SQLITE_DONE) return sqlite_error("copy runs", rc);
      const int64_t added = sqlite3_changes(db_);
      counts.runs_added += added;
      counts.runs_known += session.runs - added;
    }
    return counts;
  };
  auto counts = merge();
  if (!counts) {
    (void)exec("ROLLBACK");
    return counts.error().with_context(fmt::format("merging '{}'", source));
  }
  if (auto committed = exec("COMMIT"); !committed) return committed.error();
  return counts;
}

Expected<MergeSummary> merge_histories(const std::vector<std::string>& inputs,
                                       const std::string& output) {
  if (inputs.empty()) return make_error("nothing to merge: give the shards' history files");
  std::optional<StudySeen> seen;
  struct stat st {};
  const bool output_exists = ::stat(output.c_str(), &st) == 0;
  if (output_exists) {
    if (auto checked = check_study(output, seen); !checked) return checked.error();
  }
  for (const auto& input : inputs) {
    if (output_exists && same_file(input, output)) {
      return make_error("'{}' is both an input and the output (-o); write the merge to a new file",
                        input);
    }
    if (auto checked = check_study(input, seen); !checked) return checked.error();
  }

  auto history = History::open(output);
  if (!history) return history.error();
  MergeSummary summary;
  summary.inputs = static_cast<int>(inputs.size());
  for (const auto& input : inputs) {
    auto counts = (*history)->merge_from(input);
    if (!counts) return counts.error();
    summary.counts.sessions_added += counts->sessions_added;
    summary.counts.sessions_updated += counts->sessions_updated;
    summary.counts.runs_added += counts->runs_added;
    summary.counts.runs_known += counts->runs_known;
  }
  auto sessions = (*history)->list_sessions();
  if (!sessions) return sessions.error();
  for (const auto& info : *sessions) {
    ++summary.sessions_in_output;
    summary.runs_in_output += info.done_runs;
    summary.planned_runs += info.planned_runs;
  }
  if (seen) {
    summary.study = seen->experiment;
    summary.fingerprint = seen->fingerprint;
  }
  return summary;
}

}  // namespace coldbench::store
