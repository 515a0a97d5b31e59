#include "torch/common/shapes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace coldbench::workload {
namespace {

// Sides beyond this are surely a typo (and would overflow a tensor's size).
constexpr int64_t kMaxSide = 16384;

std::optional<int64_t> parse_side(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Expected<int64_t> side(std::string_view text, std::string_view option, std::string_view whole) {
  auto value = parse_side(text);
  if (!value) {
    return make_error("{}: '{}' in '{}' is not a size. fix: HxW or one number for a square, e.g. 224x160 or 224",
                      option, text, whole);
  }
  if (*value <= 0 || *value > kMaxSide) {
    return make_error("{}: size {} in '{}' is out of range. fix: sides from 1 to {} pixels", option, *value,
                      whole, kMaxSide);
  }
  return *value;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int64_t round_up(int64_t value, int64_t width) { return (value + width - 1) / width * width; }

}  // namespace

std::string format_size(Size size) { return fmt::format("{}x{}", size.h, size.w); }

Expected<std::vector<Size>> parse_sizes(std::string_view text, std::string_view option) {
  std::vector<Size> sizes;
  if (text.empty()) return make_error("{} is empty. fix: a comma-separated list such as 160,224x192", option);
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    if (item.empty()) return make_error("{}: '{}' has an empty entry. fix: drop the extra comma", option, text);
    const size_t x = item.find_first_of("xX");
    auto h = side(item.substr(0, x), option, text);
    if (!h) return h.error();
    auto w = x == std::string_view::npos ? h : side(item.substr(x + 1), option, text);
    if (!w) return w.error();
    sizes.push_back(Size{*h, *w});
    start = comma + 1;
  }
  return sizes;
}

Expected<SizeRange> parse_size_range(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0) {
    return make_error("--size-range: '{}' is not a range. fix: MIN-MAX in pixels, e.g. 160-320", text);
  }
  auto low = side(text.substr(0, dash), "--size-range", text);
  if (!low) return low.error();
  auto high = side(text.substr(dash + 1), "--size-range", text);
  if (!high) return high.error();
  if (*low > *high) {
    return make_error("--size-range: '{}' runs backwards. fix: the smaller size first, e.g. {}-{}", text, *high,
                      *low);
  }
  return SizeRange{*low, *high};
}

SizeStream SizeStream::cycle(std::vector<Size> sizes) {
  SizeStream stream;
  stream.sizes_ = std::move(sizes);
  return stream;
}

SizeStream SizeStream::uniform(SizeRange range, uint64_t seed) {
  SizeStream stream;
  stream.range_ = range;
  stream.state_ = seed;
  return stream;
}

uint64_t SizeStream::draw(uint64_t bound) {
  // Rejection: no modulo bias, whatever the bound.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
  for (;;) {
    const uint64_t value = splitmix64(state_);
    if (value < limit) return value % bound;
  }
}

Size SizeStream::next() {
  if (range_) {
    const uint64_t span = static_cast<uint64_t>(range_->max - range_->min + 1);
    const int64_t h = range_->min + static_cast<int64_t>(draw(span));
    const int64_t w = range_->min + static_cast<int64_t>(draw(span));
    return Size{h, w};
  }
  const Size size = sizes_[position_];
  position_ = (position_ + 1) % sizes_.size();
  return size;
}

BucketPlan BucketPlan::width(int64_t width) {
  BucketPlan plan;
  plan.width_ = width;
  return plan;
}

BucketPlan BucketPlan::list(std::vector<Size> buckets) {
  BucketPlan plan;
  plan.buckets_ = std::move(buckets);
  return plan;
}

std::optional<Size> BucketPlan::bucket_for(Size size) const {
  if (width_ > 0) return Size{round_up(size.h, width_), round_up(size.w, width_)};
  std::optional<Size> best;
  for (const Size& bucket : buckets_) {
    if (bucket.h < size.h || bucket.w < size.w) continue;
    if (!best || bucket.h * bucket.w < best->h * best->w) best = bucket;
  }
  return best;
}

std::vector<Size> BucketPlan::buckets_for(SizeRange range) const {
  std::vector<Size> buckets;
  if (width_ > 0) {
    for (int64_t h = round_up(range.min, width_); h <= round_up(range.max, width_); h += width_) {
      for (int64_t w = round_up(range.min, width_); w <= round_up(range.max, width_); w += width_) {
        buckets.push_back(Size{h, w});
      }
    }
    return buckets;
  }
  for (const Size& bucket : buckets_) {
    // A listed bucket some input of the range can use: it is the best fit of
    // at least its own size clipped to the range.
    const Size probe{std::clamp(bucket.h, range.min, range.max), std::clamp(bucket.w, range.min, range.max)};
    if (bucket_for(probe) == bucket && std::find(buckets.begin(), buckets.end(), bucket) == buckets.end()) {
      buckets.push_back(bucket);
    }
  }
  return buckets;
}

std::string BucketPlan::describe() const {
  if (width_ > 0) return fmt::format("{}-pixel buckets", width_);
  std::string text = "buckets ";
  for (size_t i = 0; i < buckets_.size(); ++i) text += (i ? "," : "") + format_size(buckets_[i]);
  return text;
}

BucketLru::Use BucketLru::use(Size bucket) {
  Use result;
  if (auto found = where_.find(bucket); found != where_.end()) {
    order_.splice(order_.begin(), order_, found->second);
    result.hit = true;
    return result;
  }
  if (order_.size() >= capacity_ && !order_.empty()) {
    result.evicted = order_.back();
    where_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(bucket);
  where_[bucket] = order_.begin();
  return result;
}

std::optional<Size> BucketLru::make_room() {
  if (order_.size() < capacity_ || order_.empty()) return std::nullopt;
  const Size evicted = order_.back();
  where_.erase(evicted);
  order_.pop_back();
  return evicted;
}

std::optional<std::vector<float>> pad_values(const std::vector<int64_t>& shape,
                                             const std::vector<float>& values, Size bucket) {
  if (shape.size() < 2) return std::nullopt;
  const int64_t h = shape[shape.size() - 2], w = shape.back();
  if (h <= 0 || w <= 0 || bucket.h < h || bucket.w < w) return std::nullopt;
  int64_t planes = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) planes *= shape[i];
  if (planes * h * w != static_cast<int64_t>(values.size())) return std::nullopt;
  std::vector<float> padded(static_cast<size_t>(planes * bucket.h * bucket.w), 0.0f);
  for (int64_t plane = 0; plane < planes; ++plane) {
    for (int64_t row = 0; row < h; ++row) {
      const auto from = values.begin() + (plane * h + row) * w;
      std::copy(from, from + w, padded.begin() + (plane * bucket.h + row) * bucket.w);
    }
  }
  return padded;
}

OutputValues crop_output(const OutputValues& output, Size input, Size bucket) {
  const auto& shape = output.shape;
  if (shape.size() != 4 || bucket.h <= 0 || bucket.w <= 0) return output;
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (numel != static_cast<int64_t>(output.values.size())) return output;  // several tensors: unknown layout
  const int64_t n = shape[0], c = shape[1], h = shape[2], w = shape[3];
  const int64_t keep_h = std::min(h, (h * input.h + bucket.h - 1) / bucket.h);
  const int64_t keep_w = std::min(w, (w * input.w + bucket.w - 1) / bucket.w);
  OutputValues cropped;
  cropped.shape = {n, c, keep_h, keep_w};
  cropped.values.reserve(static_cast<size_t>(n * c * keep_h * keep_w));
  for (int64_t plane = 0; plane < n * c; ++plane) {
    for (int64_t row = 0; row < keep_h; ++row) {
      const auto first = output.values.begin() + (plane * h + row) * w;
      cropped.values.insert(cropped.values.end(), first, first + keep_w);
    }
  }
  return cropped;
}

Expected<BucketOptions> validate_bucket_options(const RawBucketArgs& raw,
                                                std::string_view buckets_flag) {
  BucketOptions options;
  const bool bucketed = raw.bucket_width != 0 || !raw.buckets.empty();
  if (raw.bucket_width != 0 && !raw.buckets.empty()) {
    return make_error("--bucket-width and {} were both given. fix: use one of them", buckets_flag);
  }
  if (raw.bucket_width < 0 || raw.bucket_width > 4096) {
    return make_error("--bucket-width must be 1 to 4096 pixels, got {}", raw.bucket_width);
  }
  if (raw.bucket_width > 0) options.plan = BucketPlan::width(raw.bucket_width);
  if (!raw.buckets.empty()) {
    auto list = parse_sizes(raw.buckets, buckets_flag);
    if (!list) return list.error();
    options.plan = BucketPlan::list(*list);
  }
  if (raw.bucket_cache) {
    if (!bucketed) {
      return make_error("--bucket-cache needs buckets. fix: add --bucket-width W or {} LIST",
                        buckets_flag);
    }
    if (*raw.bucket_cache <= 0 || *raw.bucket_cache > 4096) {
      return make_error(
          "--bucket-cache must hold 1 to 4096 prepared buckets, got {}. fix: --bucket-cache 1 or "
          "more "
          "(to run without buckets, drop --bucket-width/{})",
          *raw.bucket_cache, buckets_flag);
    }
    options.cache = static_cast<size_t>(*raw.bucket_cache);
  }
  if (raw.precompile_given) {
    if (!bucketed)
      return make_error("--precompile needs buckets. fix: add --bucket-width W or {} LIST",
                        buckets_flag);
    options.precompile = true;
    if (!raw.precompile.empty()) {
      auto list = parse_sizes(raw.precompile, "--precompile");
      if (!list) return list.error();
      for (const Size& size : *list) {
        if (options.plan->bucket_for(size) != size) {
          return make_error(
              "--precompile: {} is not a bucket of {}. fix: list buckets (e.g. {}), or give "
              "--precompile alone for every bucket the sizes can use",
              format_size(size), options.plan->describe(),
              options.plan->bucket_for(size) ? format_size(*options.plan->bucket_for(size))
                                             : std::string("a listed bucket"));
        }
      }
      options.precompile_list = *list;
    }
  }
  return options;
}

int64_t top1(const OutputValues& output) {
  if (output.values.empty()) return -1;
  const int64_t row = output.shape.size() >= 2 ? output.shape.back() : static_cast<int64_t>(output.values.size());
  const auto end = output.values.begin() + std::min<int64_t>(row, static_cast<int64_t>(output.values.size()));
  return std::max_element(output.values.begin(), end) - output.values.begin();
}

}  // namespace coldbench::workload
