#include "castor/chunking/chunker.h"

#include <algorithm>

#include "castor/chunking/gear_table.h"

namespace castor {
namespace {

// h depends only on the last 64 bytes hashed, and the first allowed cut is at chunk size
// kMinChunkSize. Hashing from chunk offset kSkip = 8192 - 64 - 1 on gives exactly the h of full
// hashing at that cut (the byte at kSkip is shifted out by then; one extra byte of margin
// matches xet-core and the spec's description of its skip-ahead).
constexpr uint64_t kSkip = kMinChunkSize - 64 - 1;
// h < kMatchBelow <=> (h & kGearMask) == 0.
constexpr uint64_t kMatchBelow = uint64_t{1} << 48;

inline uint64_t Roll(uint64_t h, uint8_t b) { return (h << 1) + kGearTable[b]; }

// Bytes per chain in FindMatch: long enough that the 64-byte warm-up of each chain is cheap,
// short enough that the work wasted past a match (in the later chains) stays small.
constexpr size_t kLane = 2048;

// Hashes p[0..n) continuing from *h and returns the index of the first byte after which h
// matches, or n if none does. On return *h is the hash after the returned byte (or after all n
// bytes). Four independent chains cover four consecutive stretches of the input at once: a chain
// started 64 bytes before its stretch has exactly the hash of the sequential scan there, because
// older bytes have been shifted out of the 64-bit word. This breaks the one-cycle-per-byte
// dependency of the single chain.
size_t FindMatch(const uint8_t* p, size_t n, uint64_t* h_io) {
  uint64_t h = *h_io;
  size_t j = 0;
  while (n - j >= 4 * kLane) {
    const uint8_t* q = p + j;
    uint64_t h1 = 0, h2 = 0, h3 = 0;
    for (size_t k = kLane - 64; k < kLane; ++k) {
      h1 = Roll(h1, q[k]);
      h2 = Roll(h2, q[kLane + k]);
      h3 = Roll(h3, q[2 * kLane + k]);
    }
    uint64_t h0 = h;
    size_t m1 = kLane, m2 = kLane, m3 = kLane;
    for (size_t k = 0; k < kLane; ++k) {
      h0 = Roll(h0, q[k]);
      h1 = Roll(h1, q[kLane + k]);
      h2 = Roll(h2, q[2 * kLane + k]);
      h3 = Roll(h3, q[3 * kLane + k]);
      if ((h0 < kMatchBelow) | (h1 < kMatchBelow) | (h2 < kMatchBelow) | (h3 < kMatchBelow))
          [[unlikely]] {
        if (h0 < kMatchBelow) {
          *h_io = h0;
          return j + k;
        }
        if (h1 < kMatchBelow && m1 == kLane) m1 = k;
        if (h2 < kMatchBelow && m2 == kLane) m2 = k;
        if (h3 < kMatchBelow && m3 == kLane) m3 = k;
      }
    }
    // Chains 1..3 start from a warmed-up state; the earliest chain with a match wins. The hash
    // at that byte is below 2^48; its exact value is dropped by the boundary anyway.
    if (m1 != kLane) {
      *h_io = 0;
      return j + kLane + m1;
    }
    if (m2 != kLane) {
      *h_io = 0;
      return j + 2 * kLane + m2;
    }
    if (m3 != kLane) {
      *h_io = 0;
      return j + 3 * kLane + m3;
    }
    h = h3;
    j += 4 * kLane;
  }
  for (; j < n; ++j) {
    h = Roll(h, p[j]);
    if (h < kMatchBelow) {
      *h_io = h;
      return j;
    }
  }
  *h_io = h;
  return n;
}

}  // namespace

void Chunker::Scan(ByteSpan data, std::vector<size_t>* ends) {
  const uint8_t* p = data.data();
  const size_t n = data.size();
  size_t i = 0;
  while (i < n) {
    if (pending_ < kSkip) {
      // Bytes that cannot affect the hash at any allowed cut.
      size_t skip = std::min<uint64_t>(kSkip - pending_, n - i);
      pending_ += skip;
      i += skip;
      hash_ = 0;
      continue;
    }
    if (pending_ < kMinChunkSize - 1) {
      // Warm-up: hashed, but a cut here would make a chunk shorter than the minimum.
      size_t warm = std::min<uint64_t>(kMinChunkSize - 1 - pending_, n - i);
      uint64_t h = hash_;
      for (size_t k = 0; k < warm; ++k) h = Roll(h, p[i + k]);
      hash_ = h;
      pending_ += warm;
      i += warm;
      continue;
    }
    // Every byte from here on may end the chunk: on a match, or at the maximum size.
    size_t limit = std::min<uint64_t>(n - i, kMaxChunkSize - pending_);
    size_t m = FindMatch(p + i, limit, &hash_);
    if (m < limit) {
      i += m + 1;
      ends->push_back(i);
      Reset();
      continue;
    }
    i += limit;
    pending_ += limit;
    if (pending_ == kMaxChunkSize) {
      ends->push_back(i);
      Reset();
    }
  }
}

std::vector<uint32_t> ChunkLengths(ByteSpan data) {
  Chunker chunker;
  std::vector<size_t> ends;
  ends.reserve(data.size() / kTargetChunkSize + 2);
  chunker.Scan(data, &ends);
  std::vector<uint32_t> lengths;
  lengths.reserve(ends.size() + 1);
  size_t start = 0;
  for (size_t e : ends) {
    lengths.push_back(uint32_t(e - start));
    start = e;
  }
  if (chunker.pending() > 0) lengths.push_back(uint32_t(chunker.pending()));
  return lengths;
}

}  // namespace castor
