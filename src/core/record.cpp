#include "core/record.hpp"

namespace coldbench {

const PhaseRecord* RunRecord::phase(const std::string& name) const {
  for (const auto& p : phases) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const MetricRecord* RunRecord::metric(const std::string& name) const {
  for (const auto& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace coldbench
