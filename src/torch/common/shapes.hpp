#pragma once
// Inputs of varying size (infer --shapes / --size-range, serve --size-range)
// and the remedy for paying a new shape's preparation on each of them:
// buckets. Free of LibTorch: the size stream, bucket choice, the cache of
// prepared buckets (LRU), padding, the output crop and the counters are
// unit-tested without a model; infer/shape_runner.cpp and serve/buckets.cpp
// drive models with them.
//
// A size is the last two dimensions (H, W) of a (C, H, W) sample. A bucket
// is a size inputs are zero-padded up to (at the bottom and right), so that
// every input of a bucket runs at one shape. Past the largest bucket an
// input runs unpadded on the dynamic path (the model prepared once, at
// whatever shape arrives), counted as a fallback.

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
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
  const std::vector<Size>& listed() const { return buckets_; }

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
  // Drops the least recently used bucket when full (room for one more);
  // which one it dropped.
  std::optional<Size> make_room();
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

// Row-major float values of shape [..., h, w] zero-padded at the bottom and
// right to [..., bucket.h, bucket.w] (no side of the bucket smaller): the
// padding a server applies to a request's own values. `shape` has at least
// two dimensions; nullopt when the values do not fit it or the bucket is
// smaller.
std::optional<std::vector<float>> pad_values(const std::vector<int64_t>& shape,
                                             const std::vector<float>& values, Size bucket);

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

// One prepared module per bucket, at most `capacity` of them, least recently
// used out: what infer's shape stream and serve's workers share. `prepare`
// makes a bucket's module (LibTorch's first runs at its shape included); it
// runs under the cache's lock, so two requests missing the same bucket
// prepare it once, and a lookup waits while another bucket is prepared.
// Thread-safe; a module handed out stays alive while its holder runs it,
// even if it is evicted meanwhile.
template <class Module>
class BucketCache {
 public:
  using Prepare = std::function<Expected<std::shared_ptr<Module>>(Size)>;
  struct Lookup {
    std::shared_ptr<Module> module;
    bool hit = false;             // it was prepared already
    std::optional<Size> evicted;  // dropped to make room for this one
    double prepare_ms = 0;        // on a miss: what preparing it took
  };
  // Told, under the cache's lock so in order, of every eviction and every
  // change of the number of prepared buckets (serve's metrics).
  struct Observer {
    std::function<void(Size)> evicted;
    std::function<void(size_t)> resident;
  };
  BucketCache(size_t capacity, Prepare prepare, Observer observer = {})
      : lru_(capacity), prepare_(std::move(prepare)), observer_(std::move(observer)) {}

  Expected<Lookup> get(Size bucket) {
    std::lock_guard lock(mutex_);
    Lookup lookup;
    if (lru_.contains(bucket)) {
      lru_.use(bucket);
      lookup.hit = true;
      lookup.module = modules_.at(bucket);
      return lookup;
    }
    // Room first, so a module's memory is given back before the next is made.
    lookup.evicted = lru_.make_room();
    if (lookup.evicted) {
      modules_.erase(*lookup.evicted);
      if (observer_.evicted) observer_.evicted(*lookup.evicted);
      if (observer_.resident) observer_.resident(lru_.size());
    }
    const auto started = std::chrono::steady_clock::now();
    auto prepared = prepare_(bucket);
    if (!prepared) return prepared.error();
    lookup.prepare_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    lru_.use(bucket);
    modules_[bucket] = *prepared;
    if (observer_.resident) observer_.resident(lru_.size());
    lookup.module = std::move(*prepared);
    return lookup;
  }
  bool contains(Size bucket) const {
    std::lock_guard lock(mutex_);
    return lru_.contains(bucket);
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
  }
  size_t capacity() const { return lru_.capacity(); }

 private:
  mutable std::mutex mutex_;
  BucketLru lru_;
  Prepare prepare_;
  Observer observer_;
  std::map<Size, std::shared_ptr<Module>> modules_;
};

// The bucket options infer and serve share, as given on the command line
// (validate_bucket_options checks them; `buckets_flag` is the list option's
// name, which differs: serve's --buckets is its latency histogram).
struct RawBucketArgs {
  long long bucket_width = 0;
  std::string buckets;
  std::optional<long long> bucket_cache;
  bool precompile_given = false;
  std::string precompile;  // empty with precompile_given: every bucket the sizes can use
};
struct BucketOptions {
  std::optional<BucketPlan> plan;  // nullopt: no buckets
  size_t cache = 16;
  bool precompile = false;
  std::optional<std::vector<Size>> precompile_list;
};
Expected<BucketOptions> validate_bucket_options(const RawBucketArgs& raw,
                                                std::string_view buckets_flag);

}  // namespace coldbench::workload
