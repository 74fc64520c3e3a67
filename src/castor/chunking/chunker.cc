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
static_assert(kLane % 8 == 0 && kLane >= 64);

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
// breaks the dependency of a single chain from one byte to the next.
constexpr size_t kWindow = 4 * kLane;

// The fast pass over one window: advances the four chains h[0..3] (chain i covers q[i * kLane,
// (i + 1) * kLane)) step by step and stops at the first group of steps in which any chain
// matches. Returns the first step of that group, so that no chain matches at any earlier step,
// or kLane when none matches; h[] then holds the hashes after the window (and is unspecified
// after a hit).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(CASTOR_PORTABLE_CHUNKER)
// Eight steps per iteration, one compare-and-branch per hash: per byte that is two loads, one lea
// and one fused compare-branch, which leaves the loop bound by loads. Chains 2 and 3 therefore
// load eight bytes at once and pick them apart in registers (%b/%h of a legacy register, then a
// 16-bit shift), trading two loads per step for three register operations per two steps.
// Compilers turn the same loop in C++ into min/cmov chains or set/or sequences; with this loop
// and ResolveEarlierLanes chunking went from 2.5 to 3.4-3.7 GB/s on Zen 4 (bench/compare.sh).
// clang-format off
#define CASTOR_GEAR_STEP(U, PICK2, PICK3, SHIFT)              \
  "movzbl " #U "(%[c]), %k[t0]\n\t"                           \
  "movzbl %c[l1]+" #U "(%[c]), %k[t1]\n\t"                    \
  "movzbl " PICK2 "[d2], %k[t2]\n\t"                          \
  "movzbl " PICK3 "[d3], %k[t3]\n\t" SHIFT                    \
  "mov (%[g],%[t0],8), %[t0]\n\t"                             \
  "mov (%[g],%[t1],8), %[t1]\n\t"                             \
  "mov (%[g],%[t2],8), %[t2]\n\t"                             \
  "mov (%[g],%[t3],8), %[t3]\n\t"                             \
  "lea (%[t0],%[h0],2), %[h0]\n\t"                            \
  "lea (%[t1],%[h1],2), %[h1]\n\t"                            \
  "lea (%[t2],%[h2],2), %[h2]\n\t"                            \
  "lea (%[t3],%[h3],2), %[h3]\n\t"                            \
  "cmp %[m], %[h0]\n\t"                                       \
  "jb 2f\n\t"                                                 \
  "cmp %[m], %[h1]\n\t"                                       \
  "jb 2f\n\t"                                                 \
  "cmp %[m], %[h2]\n\t"                                       \
  "jb 2f\n\t"                                                 \
  "cmp %[m], %[h3]\n\t"                                       \
  "jb 2f\n\t"
#define CASTOR_GEAR_SHIFT "shr $16, %[d2]\n\tshr $16, %[d3]\n\t"

size_t FastScanWindow(const uint8_t* q, uint64_t h[4]) {
  const uint8_t* c = q;
  const uint8_t* const end = q + kLane;
  uint64_t h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
  uint64_t t0, t1, t2, t3, d2, d3;
  asm("1:\n\t"
      "mov %c[l2](%[c]), %[d2]\n\t"
      "mov %c[l3](%[c]), %[d3]\n\t"
      CASTOR_GEAR_STEP(0, "%b", "%b", "")
      CASTOR_GEAR_STEP(1, "%h", "%h", CASTOR_GEAR_SHIFT)
      CASTOR_GEAR_STEP(2, "%b", "%b", "")
      CASTOR_GEAR_STEP(3, "%h", "%h", CASTOR_GEAR_SHIFT)
      CASTOR_GEAR_STEP(4, "%b", "%b", "")
      CASTOR_GEAR_STEP(5, "%h", "%h", CASTOR_GEAR_SHIFT)
      CASTOR_GEAR_STEP(6, "%b", "%b", "")
      CASTOR_GEAR_STEP(7, "%h", "%h", "")
      "add $8, %[c]\n\t"
      "cmp %[e], %[c]\n\t"
      "jne 1b\n"
      "2:\n"
      : [h0] "+r"(h0), [h1] "+r"(h1), [h2] "+r"(h2), [h3] "+r"(h3), [c] "+r"(c),
        [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&Q"(t2), [t3] "=&Q"(t3), [d2] "=&Q"(d2),
        [d3] "=&Q"(d3)
      : [g] "r"(kGearTable), [m] "r"(kMatchBelow), [e] "r"(end), [l1] "i"(kLane),
        [l2] "i"(2 * kLane), [l3] "i"(3 * kLane)
      : "cc", "memory");
  // clang-format on
  h[0] = h0, h[1] = h1, h[2] = h2, h[3] = h3;
  return size_t(c - q);
}
#undef CASTOR_GEAR_STEP
#undef CASTOR_GEAR_SHIFT
#else
// Portable: tracks the minimum hash over two steps of the four chains (a match is a hash below
// 2^48), one branch per eight hashes.
size_t FastScanWindow(const uint8_t* q, uint64_t h[4]) {
  uint64_t h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
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
    if (m < kMatchBelow) [[unlikely]]
      return k;
  }
  h[0] = h0, h[1] = h1, h[2] = h2, h[3] = h3;
  return kLane;
}
#endif

// Chain kLanes matched at step k, the first step at which any chain matched, and no chain
// before it matched at step k. A chain before it may still match later in its stretch, which
// comes earlier in the stream; this runs those chains (in step, from their hashes h_at_k[] at
// step k) to the end of their stretches. Returns the window index of the first match in stream
// order, with *h_out the hash there.
template <int kLanes>
size_t ResolveEarlierLanes(const uint8_t* q, const uint64_t* h_at_k, size_t k, uint64_t* h_out) {
  static_assert(kLanes >= 1 && kLanes <= 3);
  uint64_t h[kLanes];
  size_t first[kLanes];
  for (int i = 0; i < kLanes; ++i) h[i] = h_at_k[i], first[i] = kLane;
  for (size_t s = k + 1; s < kLane; ++s) {
    for (int i = 0; i < kLanes; ++i) h[i] = Roll(h[i], q[i * kLane + s]);
    if (h[0] < kMatchBelow) {  // chain 0's stretch comes first: nothing can precede it
      *h_out = h[0];
      return s;
    }
    for (int i = 1; i < kLanes; ++i) {
      if (h[i] < kMatchBelow && first[i] == kLane) first[i] = s;
    }
  }
  for (int i = 1; i < kLanes; ++i) {
    if (first[i] != kLane) {
      *h_out = 0;  // below 2^48 at the match; the boundary drops it anyway
      return i * kLane + first[i];
    }
  }
  *h_out = h_at_k[kLanes];
  return kLanes * kLane + k;
}

// Scans one window exactly from step k0, given that no chain matches before it. h_before is the
// sequential hash before the window. The chains are re-derived at step k0 from the 64 bytes
// before it. Returns the index in the window of the first matching byte in stream order (every
// match of chain 0 precedes every match of chain 1, and so on), with *h_out the hash there; or
// kWindow with *h_out the hash after the window.
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
  for (size_t k = k0; k < kLane; ++k) {
    for (int lane = 0; lane < 4; ++lane) h[lane] = Roll(h[lane], q[lane * kLane + k]);
    if (h[0] < kMatchBelow) {
      *h_out = h[0];
      return k;
    }
    if (h[1] < kMatchBelow) return ResolveEarlierLanes<1>(q, h, k, h_out);
    if (h[2] < kMatchBelow) return ResolveEarlierLanes<2>(q, h, k, h_out);
    if (h[3] < kMatchBelow) return ResolveEarlierLanes<3>(q, h, k, h_out);
  }
  *h_out = h[3];
  return kWindow;
}

// Hashes p[0..n) continuing from *h_io and returns the index of the first byte after which h
// matches, or n if none does; *h_io is left at the hash after the returned byte (or after all n
// bytes). The fast pass finds the few steps where some chain first matches (once per chunk,
// near the boundary); the exact pass settles which byte that is.
size_t FindMatch(const uint8_t* p, size_t n, uint64_t* h_io) {
  uint64_t h = *h_io;
  size_t j = 0;
  for (; n - j >= kWindow; j += kWindow) {
    const uint8_t* q = p + j;
    uint64_t chains[4] = {h, 0, 0, 0};
    for (size_t k = kLane - 64; k < kLane; ++k) {
      chains[1] = Roll(chains[1], q[k]);
      chains[2] = Roll(chains[2], q[kLane + k]);
      chains[3] = Roll(chains[3], q[2 * kLane + k]);
    }
    size_t hit = FastScanWindow(q, chains);
    if (hit != kLane) {
      size_t m = ScanWindowExact(q, h, hit, h_io);
      if (m != kWindow) return j + m;
      h = *h_io;  // unreachable in practice: a hit is a real match
      continue;
    }
    h = chains[3];
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
