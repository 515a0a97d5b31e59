#pragma once
// Cold start attributed to files: the pages each tracked file gained in the
// page cache during a run (residency after minus before, both by mincore),
// and the disk's sequential-read floor for the same number of bytes, so that
// "cold start read 180 MiB, 120 MiB of it from libtorch_cpu.so" comes with
// how fast the disk could have read them.

#include <cstdint>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"

namespace coldbench::cache {

inline constexpr std::size_t kTopReadFiles = 10;

// Pairs each file's residency before and after a run by path (a file measured
// only on one side is left out) and keeps the `top` files that gained most,
// most first, larger files first among equals. Files whose residency fell are
// counted as no read.
CacheReads attribute_reads(const std::vector<FileResidency>& before,
                           const std::vector<FileResidency>& after,
                           std::size_t top = kTopReadFiles);

// Reads `bytes` of these files sequentially, file after file from offset 0
// (each at most its size), and times it. With O_DIRECT where the filesystem
// allows it (the page cache is neither used nor disturbed); otherwise each
// file is evicted first, read with plain reads and evicted again. The method
// used is in the result.
struct FloorFile {
  std::string path;
  int64_t bytes = 0;  // how much of it to read, from its start
};
Expected<SequentialFloor> measure_sequential_floor(const std::vector<FloorFile>& files);

}  // namespace coldbench::cache
