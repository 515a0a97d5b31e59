#pragma once
// Inputs of varying size (infer --shapes / --size-range) and the remedy for
// paying a new shape's preparation on each of them: buckets. Free of
// LibTorch: the size stream, bucket choice, the LRU of prepared buckets, the
// output crop and the counters are unit-tested without a model;
// infer/shape_runner.cpp drives the model with them.
//
// A size is the last two dimensions (H, W) of a (C, H, W) sample. A bucket
// is a size inputs are zero-padded up to (at the bottom and right), so that
// every input of a bucket runs at one shape. Past the largest bucket an
// input runs unpadded on the dynamic path (the model prepared once, at
// whatever shape arrives), counted as a fallback.

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model.hpp"  // OutputValues

namespace coldbench::workload {

struct Size {
  int64_t h = 0;
  int64_t w = 0;
  friend bool operator==(const Size&, const Size&) = default;
  friend bool operator<(const Size& a, const Size& b) { return a.h != b.h ? a.h < b.h : a.w < b.w; }
};
std::string format_size(Size size);  // "160x224"

// "160x224,224" -> {160x224, 224x224}: HxW, or one number for a square.
// `option` names the flag in errors.
Expected<std::vector<Size>> parse_sizes(std::string_view text, std::string_view option);

struct SizeRange {
  int64_t min = 0;
  int64_t max = 0;
};
// "160-320": H and W each drawn from [160, 320].
Expected<SizeRange> parse_size_range(std::string_view text);

// The sizes requests arrive with: a list in turn (cycled), or H and W drawn
// uniformly from a range with a seeded generator of our own (the same
// sequence on every machine and standard library).
class SizeStream {
 public:
  static SizeStream cycle(std::vector<Size> sizes);
  static SizeStream uniform(SizeRange range, uint64_t seed);
  Size next();

 private:
  uint64_t draw(uint64_t bound);  // uniform in [0, bound)
  std::vector<Size> sizes_;
  size_t position_ = 0;
  std::optional<SizeRange> range_;
  uint64_t state_ = 0;
};

// Which bucket an input pads up to: each side rounded up to a multiple of a
// width, or the smallest listed bucket that holds it (least area, then the
// list's order). nullopt: past every bucket (the dynamic path).
class BucketPlan {
 public:
  static BucketPlan width(int64_t width);
  static BucketPlan list(std::vector<Size> buckets);
  std::optional<Size> bucket_for(Size size) const;
  // Every bucket inputs from `range` can fall in (for --precompile without a list).
  std::vector<Size> buckets_for(SizeRange range) const;
  std::string describe() const;  // "32-pixel buckets" / "buckets 160x160,224x224"
  int64_t width() const { return width_; }

 private:
  int64_t width_ = 0;          // > 0: rounding buckets (every size has one)
  std::vector<Size> buckets_;  // listed buckets (past all of them: the dynamic path)
};

// The prepared buckets, least recently used first out. `use` says whether
// the bucket was there and which one made room for it.
class BucketLru {
 public:
  explicit BucketLru(size_t capacity) : capacity_(capacity) {}
  struct Use {
    bool hit = false;
    std::optional<Size> evicted;
  };
  Use use(Size bucket);
  bool contains(Size bucket) const { return where_.count(bucket) > 0; }
  size_t size() const { return order_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  size_t capacity_;
  std::list<Size> order_;  // most recent first
  std::map<Size, std::list<Size>::iterator> where_;
};

// The output of a padded input, cut back to what the unpadded input would
// give: 4-D outputs (N, C, H', W') keep the rows and columns that cover the
// real input (ceil(H' * h / bucket_h)); any other output is unchanged (a
// classifier's logits have no spatial dimension). Only the first tensor's
// shape is known, so outputs with several tensors are left unchanged.
OutputValues crop_output(const OutputValues& output, Size input, Size bucket);

// Index of the largest value of the first row (top-1 of a classifier's
// logits); -1 when empty.
int64_t top1(const OutputValues& output);

struct BucketCounters {
  int64_t requests = 0;
  int64_t hits = 0;        // the request's bucket was prepared
  int64_t misses = 0;      // it had to be prepared on the request's path
  int64_t evictions = 0;   // buckets dropped to make room
  int64_t fallbacks = 0;   // past every bucket: the dynamic path
  double hit_rate() const { return requests > 0 ? double(hits) / double(requests) : 0.0; }
};

}  // namespace coldbench::workload
