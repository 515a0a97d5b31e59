#include "report/results_source.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/record_json.hpp"
#include "store/history.hpp"

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
  std::ifstream in(path);
  if (!in) return make_error("cannot read '{}': {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_results_text(text.str(), path);
}

Expected<ResultsDocument> parse_results_text(std::string_view text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return make_error(
        "'{}' is not JSON (byte {}): expected a coldbench results file (coldbench run --json)",
        source, e.byte);
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range 406: a number like 1e400
    return make_error("'{}' is not a coldbench results file: {}", source, e.what());
  }
  try {
    auto document = document_from_json(j);
    if (!document) return make_error("'{}': {}", source, document.error().message);
    return document;
  } catch (const nlohmann::json::exception& e) {  // e.g. a "schema" that is not a string
    return make_error("'{}': not a coldbench results file: {}", source, e.what());
  }
}

Expected<ResultsDocument> load_results(const std::string& ref, const std::string& history_db) {
  if (ref.empty())
    return make_error("empty results reference: give a results file or a history session id");
  struct stat st {};
  if (::stat(ref.c_str(), &st) == 0 || looks_like_path(ref)) return load_results_file(ref);
  auto document = store::load_session(history_db, ref);
  if (!document) {
    return make_error("'{}' is not a results file, and not a history session: {}", ref,
                      document.error().message);
  }
  return document;
}

}  // namespace coldbench::report
