#include "store/study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "store/history.hpp"
#include "store/merge.hpp"

namespace coldbench::store {
namespace {

constexpr const char* kHostPrefix = "host:";

std::string join(const std::set<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

bool is_study_ref(const std::string& ref) {
  return ref == "study" || ref.rfind(kHostPrefix, 0) == 0;
}

Expected<ResultsDocument> load_study(const std::string& db_path, const std::string& ref) {
  const std::string path = db_path.empty() ? default_database_path() : db_path;
  const bool per_host = ref.rfind(kHostPrefix, 0) == 0;
  const std::string wanted_host = per_host ? ref.substr(std::string(kHostPrefix).size()) : "";
  if (per_host && wanted_host.empty()) return make_error("'{}': name the host after 'host:'", ref);

  auto history = History::open_read_only(path);
  if (!history) return history.error();
  auto sessions = (*history)->list_sessions();
  if (!sessions) return sessions.error();

  struct Loaded {
    SessionInfo info;
    ResultsDocument document;
    std::string host;
  };
  std::vector<Loaded> loaded;
  std::map<std::string, std::string> studies;  // fingerprint -> experiment
  std::set<std::string> hosts;
  for (const auto& info : *sessions) {
    auto document = (*history)->load_document(info.id);
    if (!document) return document.error();
    const std::string fingerprint = study_fingerprint(info, *document);
    if (fingerprint.empty()) continue;  // a `coldbench run` session belongs to no study
    studies.emplace(fingerprint, info.experiment);
    std::string host = session_host_label(*document);
    hosts.insert(host);
    if (per_host && host != wanted_host) continue;
    loaded.push_back(Loaded{info, std::move(document).value(), std::move(host)});
  }
  if (studies.size() > 1) {
    std::set<std::string> names;
    for (const auto& [fingerprint, name] : studies)
      names.insert(fmt::format("'{}' ({})", name, fingerprint));
    return make_error(
        "'{}' holds {} studies ({}); '{}' reads one: merge each study into its own file, or report "
        "a session by its id (`coldbench history --db {}`)",
        path, studies.size(), join(names), ref, path);
  }
  if (loaded.empty()) {
    if (per_host && !hosts.empty()) {
      return make_error("no session of host '{}' in '{}'; its hosts: {}", wanted_host, path,
                        join(hosts));
    }
    return make_error(
        "no experiment session in '{}' (run `coldbench sweep`, or merge shards with `coldbench "
        "merge`)",
        path);
  }

  ResultsDocument study = loaded.front().document;
  study.runs.clear();
  study.commands.clear();
  study.adaptive = nlohmann::json();
  // Contrasts name configs, and here a config is one row per host.
  study.options.erase("contrasts");
  study.options["study_view"] = ref;
  nlohmann::json& sources = study.options["sessions"] = nlohmann::json::array();
  std::map<std::string, int> command_of;           // row name -> index
  std::map<std::pair<int, bool>, int> next_index;  // (command, warmup) -> next run index
  int sequence = 0;
  for (auto& session : loaded) {
    sources.push_back({{"session", session.info.id},
                       {"host", session.host},
                       {"hostname", session.info.host},
                       {"status", session.info.status},
                       {"runs", session.info.done_runs},
                       {"planned_runs", session.info.planned_runs}});
    study.started_at = std::min(study.started_at, session.document.started_at);
    study.finished_at = std::max(study.finished_at, session.document.finished_at);
    study.interrupted = study.interrupted || session.document.interrupted;
    std::vector<int> rows;  // the session's command index -> the study's
    for (const auto& command : session.document.commands) {
      CommandSpec row = command;
      if (!per_host) row.name = fmt::format("{} @ {}", command.name, session.host);
      auto [it, added] = command_of.emplace(row.name, static_cast<int>(study.commands.size()));
      if (added) study.commands.push_back(std::move(row));
      rows.push_back(it->second);
    }
    for (auto& run : session.document.runs) {
      if (run.command_index < 0 || run.command_index >= static_cast<int>(rows.size())) continue;
      run.command_index = rows[static_cast<std::size_t>(run.command_index)];
      run.command = study.commands[static_cast<std::size_t>(run.command_index)].name;
      run.index = next_index[{run.command_index, run.warmup}]++;
      run.sequence = sequence++;
      study.runs.push_back(std::move(run));
    }
  }
  return study;
}

}  // namespace coldbench::store
