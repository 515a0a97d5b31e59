#include "report/results_source.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "store/history.hpp"
#include "store/study.hpp"

namespace coldbench::report {
namespace {

bool looks_like_path(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.find('.') != std::string::npos;
}

}  // namespace

Expected<ResultsDocument> load_results_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return make_error("cannot read '{}': {}", path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return make_error("'{}' is a directory, not a results file", path);
  // A device (/dev/zero, a terminal) would be read for ever; a pipe (<(...)) ends.
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    return make_error("'{}' is not a regular file: give a results file written by coldbench run --json", path);
  }
  std::ifstream in(path);
  if (!in) return make_error("cannot read '{}': {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_results_text(text.str(), path);
}

Expected<ResultsDocument> parse_results_text(std::string_view text, const std::string& source) {
  // Bounded: reading a document copies it, and a copy recurses once per level of nesting.
  auto parsed = parse_json_bounded(text, kMaxStoredJsonDepth);
  if (!parsed) {
    const std::string& why = parsed.error().message;  // "not valid JSON (...)" or "nested deeper than ..."
    if (why.rfind("nested", 0) == 0) {
      return make_error("'{}' is not a coldbench results file: its JSON is {}", source, why);
    }
    return make_error("'{}' is not JSON: expected a coldbench results file (coldbench run --json); {}", source, why);
  }
  const nlohmann::json& j = *parsed;
  try {
    auto document = document_from_json(j);
    if (!document) return document.error().with_context(fmt::format("'{}'", source));
    return document;
  } catch (const nlohmann::json::exception& e) {  // e.g. a "schema" that is not a string
    return make_error("'{}': not a coldbench results file: {}", source, e.what());
  }
}

Expected<ResultsDocument> load_results(const std::string& ref, const std::string& history_db) {
  if (ref.empty())
    return make_error("empty results reference: give a results file or a history session id");
  struct stat st {};
  const bool exists = ::stat(ref.c_str(), &st) == 0;
  // Before the path test: a host name may have dots.
  if (!exists && store::is_study_ref(ref)) return store::load_study(history_db, ref);
  if (exists || looks_like_path(ref)) return load_results_file(ref);
  auto document = store::load_session(history_db, ref);
  if (!document) {
    // A session id ("3", "latest") is not a file name: the history's own
    // message (no such session, a damaged database) says what is wrong.
    bool session_ref = ref == "latest" || ref.find_first_not_of("0123456789") == std::string::npos;
    if (session_ref) return document.error();
    return make_error("'{}' is not a results file, and not a history session: {}", ref,
                      document.error().message);
  }
  return document;
}

}  // namespace coldbench::report
