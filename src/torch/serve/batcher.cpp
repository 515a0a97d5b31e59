#include "torch/serve/batcher.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace coldbench::workload::serve {

std::string batch_key(const std::string& model, const std::vector<int64_t>& shape) {
  std::string key = model;
  key += '|';
  if (shape.empty()) return key + "scalar";
  for (size_t i = 1; i < shape.size(); ++i) key += fmt::format("{},", shape[i]);
  return key;
}

int64_t batch_rows(const std::vector<int64_t>& shape) {
  return shape.empty() ? 1 : shape.front();
}

Expected<TensorInput> stack_inputs(const std::vector<const TensorInput*>& inputs) {
  if (inputs.empty()) return make_error("no inputs to stack");
  TensorInput out;
  out.shape = inputs.front()->shape;
  if (out.shape.empty()) return make_error("a scalar input cannot be stacked along dim 0");
  out.shape[0] = 0;
  size_t total = 0;
  for (const TensorInput* input : inputs) total += input->values.size();
  out.values.reserve(total);
  for (const TensorInput* input : inputs) {
    if (input->shape.size() != out.shape.size() ||
        !std::equal(input->shape.begin() + 1, input->shape.end(), out.shape.begin() + 1)) {
      return make_error("inputs of different trailing shapes cannot be stacked");
    }
    out.shape[0] += input->shape[0];
    out.values.insert(out.values.end(), input->values.begin(), input->values.end());
  }
  return out;
}

Expected<std::vector<OutputValues>> split_output(const OutputValues& output,
                                                 const std::vector<int64_t>& rows) {
  int64_t total = 0;
  for (int64_t r : rows) total += r;
  if (output.shape.empty() || output.shape[0] != total || total <= 0) {
    return make_error("the batched output's shape [{}] does not start with the batch's {} rows",
                      fmt::join(output.shape, ","), total);
  }
  if (output.values.size() % static_cast<size_t>(total) != 0) {
    return make_error("the batched output holds {} values, not a multiple of its {} rows",
                      output.values.size(), total);
  }
  const size_t per_row = output.values.size() / static_cast<size_t>(total);
  std::vector<OutputValues> out;
  out.reserve(rows.size());
  size_t offset = 0;
  for (int64_t r : rows) {
    OutputValues part;
    part.shape = output.shape;
    part.shape[0] = r;
    const size_t count = per_row * static_cast<size_t>(r);
    part.values.assign(output.values.begin() + static_cast<std::ptrdiff_t>(offset),
                       output.values.begin() + static_cast<std::ptrdiff_t>(offset + count));
    offset += count;
    out.push_back(std::move(part));
  }
  return out;
}

void BatchQueue::push(const std::string& key, uint64_t id, int64_t rows, int64_t now_ns) {
  Lane& lane = lanes_[key];
  lane.requests.push_back({id, rows, now_ns});
  lane.rows += rows;
  ++waiting_;
}

std::vector<uint64_t> BatchQueue::take_due(int64_t now_ns, bool flush) {
  auto chosen = lanes_.end();
  for (auto it = lanes_.begin(); it != lanes_.end(); ++it) {
    const Lane& lane = it->second;
    const bool due =
        flush || lane.rows >= max_batch_ || now_ns - lane.requests.front().since_ns >= timeout_ns_;
    if (!due) continue;
    if (chosen == lanes_.end() ||
        lane.requests.front().since_ns < chosen->second.requests.front().since_ns)
      chosen = it;
  }
  std::vector<uint64_t> ids;
  if (chosen == lanes_.end()) return ids;
  Lane& lane = chosen->second;
  int64_t rows = 0;
  while (!lane.requests.empty()) {
    const Waiting& next = lane.requests.front();
    if (!ids.empty() && rows + next.rows > max_batch_) break;
    rows += next.rows;
    ids.push_back(next.id);
    lane.rows -= next.rows;
    lane.requests.pop_front();
    --waiting_;
  }
  if (lane.requests.empty()) lanes_.erase(chosen);  // a lane exists only while it has requests
  return ids;
}

std::optional<int64_t> BatchQueue::next_deadline_ns() const {
  std::optional<int64_t> earliest;
  for (const auto& [key, lane] : lanes_) {
    const int64_t deadline = lane.requests.front().since_ns + timeout_ns_;
    if (!earliest || deadline < *earliest) earliest = deadline;
  }
  return earliest;
}

}  // namespace coldbench::workload::serve
