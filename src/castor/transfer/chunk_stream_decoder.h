// ChunkStreamDecoder: decodes xorb chunk records as their bytes arrive (a streamed HTTP body), so a
// download holds one chunk record at a time whatever the range size. Not safe for concurrent use.
#pragma once

#include <functional>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/format/xorb/chunk_codec.h"

namespace castor {

class ChunkStreamDecoder {
 public:
  // Called once per decoded chunk, in order, with its bytes (valid during the call).
  using OnChunk = std::function<Status(ByteSpan chunk)>;
  explicit ChunkStreamDecoder(OnChunk on_chunk) : on_chunk_(std::move(on_chunk)) {}

  // Feeds the next bytes of the record stream. Corruption names the record that fails.
  Status Feed(ByteSpan data);
  // The stream ended: Corruption if it stopped inside a record.
  Status Finish() const;
  size_t chunks() const { return chunks_; }

 private:
  Status DrainBuffer();

  OnChunk on_chunk_;
  ChunkDecoder decoder_;
  Bytes buf_;
  size_t chunks_ = 0;
};

}  // namespace castor
