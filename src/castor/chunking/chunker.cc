#include "castor/chunking/chunker.h"

#include <algorithm>
#include <cstdint>

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

// Bytes per chain in the four-chain scan: long enough that the 64-byte warm-up of each chain
// is cheap, short enough that the work wasted past a match (in the later chains) stays small.
constexpr size_t kLane = 4096;
static_assert(kLane % 2 == 0 && kLane >= 64);

// Continues the single chain from *h over p[0..n); returns the index of the first byte after
// which h matches, or n. *h is left at the hash after the returned byte (or after all n bytes).
inline size_t ScanSingle(const uint8_t* p, size_t n, uint64_t* h_io) {
  uint64_t h = *h_io;
  for (size_t j = 0; j < n; ++j) {
    h = Roll(h, p[j]);
    if (h < kMatchBelow) {
      *h_io = h;
      return j;
    }
  }
  *h_io = h;
  return n;
}

// Four-chain scanning: four independent chains cover four consecutive stretches of kLane bytes
// (a window) at once. A chain started 64 bytes before its stretch has exactly the hash of the
// sequential scan there, because older bytes have been shifted out of the 64-bit word; this
// breaks the one-cycle-per-byte dependency of a single chain.

// Scans one window exactly from step k0 (position k0 of each chain's stretch), given that no
// chain matches before it. h_before is the sequential hash before the window. The chains are
// re-derived at step k0 from the 64 bytes before it. Returns the index in the window of the
// first matching byte in stream order (every match of chain 0 precedes every match of chain 1,
// and so on), with *h_out the hash there; or kWindow with *h_out the hash after the window.
constexpr size_t kWindow = 4 * kLane;

size_t ScanWindowExact(const uint8_t* q, uint64_t h_before, size_t k0, uint64_t* h_out) {
  uint64_t h[4] = {h_before, 0, 0, 0};
  if (k0 >= 64) {
    h[0] = 0;
    for (size_t k = k0 - 64; k < k0; ++k) h[0] = Roll(h[0], q[k]);
  } else {
    for (size_t k = 0; k < k0; ++k) h[0] = Roll(h[0], q[k]);
  }
  for (int lane = 1; lane < 4; ++lane) {
    const uint8_t* r = q + lane * kLane + k0 - 64;
    for (size_t k = 0; k < 64; ++k) h[lane] = Roll(h[lane], r[k]);
  }
  size_t first[4] = {kLane, kLane, kLane, kLane};
  for (size_t k = k0; k < kLane; ++k) {
    h[0] = Roll(h[0], q[k]);
    h[1] = Roll(h[1], q[kLane + k]);
    h[2] = Roll(h[2], q[2 * kLane + k]);
    h[3] = Roll(h[3], q[3 * kLane + k]);
    if (h[0] < kMatchBelow) {
      *h_out = h[0];
      return k;
    }
    if (h[1] < kMatchBelow && first[1] == kLane) first[1] = k;
    if (h[2] < kMatchBelow && first[2] == kLane) first[2] = k;
    if (h[3] < kMatchBelow && first[3] == kLane) first[3] = k;
  }
  for (int lane = 1; lane < 4; ++lane) {
    if (first[lane] != kLane) {
      *h_out = 0;  // below 2^48 at the match; the boundary drops it anyway
      return lane * kLane + first[lane];
    }
  }
  *h_out = h[3];
  return kWindow;
}

// Hashes p[0..n) continuing from *h_io and returns the index of the first byte after which h
// matches, or n if none does; *h_io is left at the hash after the returned byte (or after all n
// bytes). Testing each hash as it is computed costs about as much as computing it, so the fast
// loop only tracks the minimum hash over two steps of the four chains (a match is a hash below
// 2^48); when it falls below 2^48 (once per chunk, near the boundary), the rest of that window is
// rescanned exactly from those two steps on.
size_t FindMatch(const uint8_t* p, size_t n, uint64_t* h_io) {
  uint64_t h = *h_io;
  size_t j = 0;
  for (; n - j >= kWindow; j += kWindow) {
    const uint8_t* q = p + j;
    uint64_t h0 = h, h1 = 0, h2 = 0, h3 = 0;
    for (size_t k = kLane - 64; k < kLane; ++k) {
      h1 = Roll(h1, q[k]);
      h2 = Roll(h2, q[kLane + k]);
      h3 = Roll(h3, q[2 * kLane + k]);
    }
    size_t hit = kLane;
    for (size_t k = 0; k < kLane; k += 2) {
      h0 = Roll(h0, q[k]);
      h1 = Roll(h1, q[kLane + k]);
      h2 = Roll(h2, q[2 * kLane + k]);
      h3 = Roll(h3, q[3 * kLane + k]);
      uint64_t m = std::min(std::min(h0, h1), std::min(h2, h3));
      h0 = Roll(h0, q[k + 1]);
      h1 = Roll(h1, q[kLane + k + 1]);
      h2 = Roll(h2, q[2 * kLane + k + 1]);
      h3 = Roll(h3, q[3 * kLane + k + 1]);
      m = std::min(m, std::min(std::min(h0, h1), std::min(h2, h3)));
      if (m < kMatchBelow) [[unlikely]] {
        hit = k;
        break;
      }
    }
    if (hit != kLane) {
      size_t m = ScanWindowExact(q, h, hit, h_io);
      if (m != kWindow) return j + m;
      h = *h_io;  // unreachable in practice: a hit is a real match
      continue;
    }
    h = h3;
  }
  *h_io = h;
  return j + ScanSingle(p + j, n - j, h_io);
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
