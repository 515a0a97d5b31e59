#pragma once
// Facts about the machine a session ran on, recorded with every results file.

#include <string>

#include "core/record.hpp"

namespace coldbench {

HostInfo read_host_info();

// The commit checked out in the current directory's git repository
// (abbreviated, with "-dirty" when there are uncommitted changes), or "".
std::string current_git_commit();

}  // namespace coldbench
