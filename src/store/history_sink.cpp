#include "store/history_sink.hpp"

namespace coldbench::store {

Expected<void> HistorySink::on_run(const ResultsDocument&, const RunRecord& run) {
  return history_.append_run(session_id_, run);
}

Expected<void> HistorySink::on_finish(const ResultsDocument& document) {
  return history_.update_session(session_id_, document, document.interrupted ? "interrupted" : "finished");
}

}  // namespace coldbench::store
