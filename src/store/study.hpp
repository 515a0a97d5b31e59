#pragma once
// One study across hosts: the sessions of a merged history (store/merge.hpp)
// read as one results document, so `report` and `compare` need nothing new.
//   "study"      every session of the history's one study; each config on
//                each host is its own command, "CONFIG @ HOST"
//   "host:NAME"  the sessions that ran on host NAME, configs by their own
//                names: `compare host:A host:B` compares two hosts config by config

#include <string>

#include "core/expected.hpp"
#include "core/record.hpp"

namespace coldbench::store {

bool is_study_ref(const std::string& ref);

// `db_path` empty: the default database.
Expected<ResultsDocument> load_study(const std::string& db_path, const std::string& ref);

}  // namespace coldbench::store
