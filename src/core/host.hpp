#pragma once
// Facts about the machine a session ran on, recorded with every results file.

#include <string>

#include "core/record.hpp"

namespace coldbench {

HostInfo read_host_info();

}  // namespace coldbench
