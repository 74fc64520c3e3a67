// The Xet content-defined chunker: a gear hash over the byte stream cuts chunks of 8 KiB to
// 128 KiB (64 KiB on average) exactly where the specification says (docs/xet-protocol.md §1.3).
// Pure: no I/O, no threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "castor/base/bytes.h"

namespace castor {

inline constexpr size_t kMinChunkSize = 8192, kTargetChunkSize = 65536, kMaxChunkSize = 131072;

// Streaming gear-hash CDC exactly per spec §1.3: after each byte h = (h << 1) + TABLE[byte]; a
// chunk of size >= kMinChunkSize ends where (h & kGearMask) == 0 or where it reaches
// kMaxChunkSize; h restarts at 0 after each boundary. Feeding the same bytes in any split gives
// identical boundaries.
//
// Internally it skips the first 8127 bytes of every chunk (they cannot influence the hash at the
// first allowed cut, since h only depends on the last 64 bytes) and scans the rest with several
// independent hash chains; neither changes a boundary (chunker_test.cc compares it with a literal
// byte-by-byte implementation).
//
// Not safe for concurrent use; independent instances are.
class Chunker {
 public:
  Chunker() = default;

  // Scans `data`, the next bytes of the stream; appends to *ends the end offset (relative to
  // data.data(), exclusive) of every chunk that completes inside `data`, in increasing order.
  void Scan(ByteSpan data, std::vector<size_t>* ends);

  // Bytes since the last boundary: at end of stream, the length of the final chunk if > 0.
  uint64_t pending() const { return pending_; }

  // Forgets all state: the next byte starts a new chunk.
  void Reset() {
    pending_ = 0;
    hash_ = 0;
  }

 private:
  uint64_t pending_ = 0;  // bytes of the current, unfinished chunk
  uint64_t hash_ = 0;     // gear hash; meaningful only once the skipped prefix is behind us
};

// Chunk lengths of a whole buffer (the last chunk may be shorter than kMinChunkSize). An empty
// buffer has no chunk.
std::vector<uint32_t> ChunkLengths(ByteSpan data);

}  // namespace castor
