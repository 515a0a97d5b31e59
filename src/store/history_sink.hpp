#pragma once
// Appends every run to the history as it ends (one transaction per run) and
// marks the session finished or interrupted at the end.

#include "bench/hooks.hpp"
#include "store/history.hpp"

namespace coldbench::store {

class HistorySink : public bench::ResultSink {
 public:
  HistorySink(History& history, int64_t session_id) : history_(history), session_id_(session_id) {}
  Expected<void> on_run(const ResultsDocument& document, const RunRecord& run) override;
  Expected<void> on_finish(const ResultsDocument& document) override;

 private:
  History& history_;
  int64_t session_id_;
};

}  // namespace coldbench::store
