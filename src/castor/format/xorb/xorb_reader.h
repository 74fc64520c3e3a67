// XorbReader parses a serialized xorb (chunk records, optionally followed by the server footer
// of xorb_footer.h), validating every chunk header as it walks them, and then decodes chunks,
// extracts chunk ranges, recomputes chunk hashes and the xorb hash, and maps chunk ranges to
// physical byte ranges. It also parses any run of consecutive chunk records, such as the bytes of
// a ranged read. Pure. The reader does not own the bytes: they must outlive it. Const methods are
// safe for concurrent use (each call uses its own decoder).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/format/xorb/chunk_header.h"
#include "castor/format/xorb/xorb_footer.h"
#include "castor/hash/xet_hash.h"

namespace castor {

struct XorbChunkRecord {
  ChunkHeader header;
  uint64_t offset = 0;               // of the header within the xorb
  uint64_t uncompressed_offset = 0;  // of the chunk's first byte in the decoded xorb
  ByteSpan payload;                  // header.compressed_size bytes after the header
};

class XorbReader {
 public:
  // Walks and validates all chunk headers. Corruption (with the chunk index and offset) for an
  // invalid header, a payload running past the end, no chunk at all, more than 8192 chunks, more
  // than 64 MiB + 8 bytes per chunk of records, or a footer that is malformed or disagrees with
  // the records. The uncompressed size is not limited beyond 8192 x 128 KiB: the JS client cuts
  // xorbs on serialized bytes only.
  static Result<XorbReader> Parse(ByteSpan xorb);

  size_t num_chunks() const { return chunks_.size(); }
  const XorbChunkRecord& chunk(size_t i) const { return chunks_[i]; }
  const std::vector<XorbChunkRecord>& chunks() const { return chunks_; }
  const std::optional<XorbFooter>& footer() const { return footer_; }
  // Bytes of the chunk records (the footer excluded) and of the decoded xorb.
  uint64_t records_size() const { return records_size_; }
  uint64_t uncompressed_size() const { return uncompressed_size_; }

  // Physical byte range [begin, end) of chunks [first, last); OutOfRange for a bad range.
  Result<XorbByteRange> PhysicalRange(size_t first, size_t last) const;

  // Decodes chunk i with `decoder` into *out (resized to the chunk's size).
  Status DecodeChunk(size_t i, ChunkDecoder& decoder, Bytes* out) const;

  // The decoded bytes of chunks [first, last), appended to *out.
  Status ExtractRange(size_t first, size_t last, Bytes* out) const;

  // Decodes every chunk and hashes it. Corruption names the first chunk that fails to decode.
  Result<std::vector<HashAndSize>> ComputeChunkHashes() const;

  // Decodes and hashes every chunk, then checks the xorb hash equals `expected` and, when a
  // footer is present, that its xorb hash and chunk hashes match. Corruption names the mismatch.
  Status Verify(const Hash& expected) const;

  // The server footer for these chunk records (decodes and hashes every chunk).
  Result<XorbFooter> BuildFooter() const;

 private:
  std::vector<XorbChunkRecord> chunks_;
  std::optional<XorbFooter> footer_;
  uint64_t records_size_ = 0;
  uint64_t uncompressed_size_ = 0;
};

// XorbFooter for chunks already hashed (as the builder returns them): no decoding needed.
XorbFooter MakeXorbFooter(const Hash& xorb_hash, const std::vector<HashAndSize>& chunks,
                          const std::vector<uint32_t>& physical_ends);

}  // namespace castor
