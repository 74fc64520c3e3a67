// Fuzzes the streaming chunker: for any input and any way of splitting it into pieces, the chunk
// boundaries must equal those of a literal byte-by-byte implementation of spec §1.3.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "castor/chunking/chunker.h"
#include "castor/chunking/gear_table.h"

namespace {

std::vector<size_t> Reference(const uint8_t* data, size_t n) {
  std::vector<size_t> ends;
  uint64_t h = 0;
  size_t start = 0;
  for (size_t i = 0; i < n; ++i) {
    h = (h << 1) + castor::kGearTable[data[i]];
    size_t size = i + 1 - start;
    if (size >= castor::kMinChunkSize &&
        (size >= castor::kMaxChunkSize || (h & castor::kGearMask) == 0)) {
      ends.push_back(i + 1);
      start = i + 1;
      h = 0;
    }
  }
  return ends;
}

}  // namespace

// Input: 2 bytes choosing the piece size (and, from the low bits of the first, the stream length:
// 12 KB to 152 KB, past the 128 KiB maximum), then the data, repeated to the stream length so
// that boundaries (8 KiB and more apart) occur while keeping the fuzzer's byte patterns.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* in, size_t size) {
  if (size < 3) return 0;
  const size_t piece = 1 + (size_t(in[0]) | size_t(in[1]) << 8);
  const uint8_t* body = in + 2;
  size_t body_len = size - 2;
  std::vector<uint8_t> data;
  const size_t want = 12000 + 20000 * size_t(in[0] & 7);
  data.reserve(want);
  while (data.size() < want) {
    data.insert(data.end(), body, body + std::min(body_len, want - data.size()));
  }
  std::vector<size_t> want_ends = Reference(data.data(), data.size());

  castor::Chunker chunker;
  std::vector<size_t> ends, got;
  for (size_t pos = 0; pos < data.size();) {
    size_t n = std::min(piece, data.size() - pos);
    ends.clear();
    chunker.Scan(castor::ByteSpan(data.data() + pos, n), &ends);
    for (size_t e : ends) got.push_back(pos + e);
    pos += n;
  }
  size_t last = got.empty() ? 0 : got.back();
  if (got != want_ends || chunker.pending() != data.size() - last) std::abort();
  return 0;
}
