// LZ4 frames (the payload of schemes 1 and 2, docs/xet-protocol.md §3.3) through liblz4's LZ4F
// API. The encoder writes one independent block per chunk with no checksums; the decoder accepts
// any valid frame (several blocks, linked or independent, stored blocks, block and content
// checksums, a content size) and insists it decodes to exactly the expected length.
// Neither class is safe for concurrent use; each holds a reusable liblz4 context.
#pragma once

#include <cstddef>
#include <cstdint>

#include "castor/base/bytes.h"
#include "castor/base/status.h"

namespace castor {

class Lz4FrameEncoder {
 public:
  Lz4FrameEncoder();
  ~Lz4FrameEncoder();
  Lz4FrameEncoder(const Lz4FrameEncoder&) = delete;
  Lz4FrameEncoder& operator=(const Lz4FrameEncoder&) = delete;

  // Capacity the destination of Compress must have for an input of `n` bytes (n <= 256 KiB).
  static size_t Bound(size_t n);

  // Compresses `in` into one frame at `dst` (capacity >= Bound(in.size())); returns the frame's
  // length. Never fails for inputs within the bound (liblz4 errors are reported as Internal).
  Result<size_t> Compress(ByteSpan in, uint8_t* dst, size_t capacity);

 private:
  void* cctx_;  // LZ4F_cctx*
};

class Lz4FrameDecoder {
 public:
  Lz4FrameDecoder();
  ~Lz4FrameDecoder();
  Lz4FrameDecoder(const Lz4FrameDecoder&) = delete;
  Lz4FrameDecoder& operator=(const Lz4FrameDecoder&) = delete;

  // Decodes the single frame `frame` into `out`, which must come out exactly full: a frame that
  // is malformed, truncated, followed by extra bytes, or that decodes to a different length is
  // Corruption naming the problem. `out` may hold garbage on error.
  Status Decompress(ByteSpan frame, MutableByteSpan out);

  // Same checks, decoding into an internal buffer; the span stays valid until the next call.
  // Faster when the frame's blocks may be larger than the output (liblz4 then decodes straight
  // into the buffer instead of staging each block and copying it).
  Result<ByteSpan> DecompressToBuffer(ByteSpan frame, size_t expected_size);

 private:
  Status Run(ByteSpan frame, MutableByteSpan dst, size_t expected_size);
  Status RunFrame(ByteSpan frame, MutableByteSpan dst, size_t expected_size);

  void* dctx_;  // LZ4F_dctx*
  Bytes buffer_;
};

}  // namespace castor
