// ChunkStreamDecoder: splits xorb chunk records out of a byte stream as it arrives (a streamed HTTP
// body), so a download holds one chunk record at a time whatever the range size. It either decodes
// each record itself (OnChunk) or hands the validated header and payload to the caller (OnRecord),
// which then decodes straight into memory of its own choosing. Not safe for concurrent use.
#pragma once

#include <functional>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/format/xorb/chunk_header.h"

namespace castor {

class ChunkStreamDecoder {
 public:
  // Called once per decoded chunk, in order, with its bytes (valid during the call).
  using OnChunk = std::function<Status(ByteSpan chunk)>;
  // Called once per record, in order, with its header (already validated by DecodeChunkHeader)
  // and its header.compressed_size payload bytes (valid during the call).
  using OnRecord = std::function<Status(const ChunkHeader& header, ByteSpan payload)>;

  explicit ChunkStreamDecoder(OnChunk on_chunk) : on_chunk_(std::move(on_chunk)) {}
  explicit ChunkStreamDecoder(OnRecord on_record) : on_record_(std::move(on_record)) {}

  // Feeds the next bytes of the record stream. Corruption names the record that fails.
  Status Feed(ByteSpan data);
  // The stream ended: Corruption if it stopped inside a record.
  Status Finish() const;
  size_t chunks() const { return chunks_; }

 private:
  Status Deliver(const ChunkHeader& h, ByteSpan payload);
  Status DrainBuffer();

  OnChunk on_chunk_;
  OnRecord on_record_;
  ChunkDecoder decoder_;
  Bytes buf_;
  size_t chunks_ = 0;
};

}  // namespace castor
