// XorbBuilder packs chunks into xorbs: it compresses each chunk (ChunkEncoder), cuts a xorb
// before it would pass 64 MiB serialized or 64 MiB uncompressed or 8192 chunks, and returns each
// finished xorb's bytes (the wire form: chunk records only, no footer) with its hash and the
// per-chunk facts a shard and a server footer need. Pure; not safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/hash/xet_hash.h"

namespace castor {

struct XorbBuilderOptions {
  CompressionPolicy compression = CompressionPolicy::kPredict;
  // Limits; the defaults are the protocol's. Smaller values are for tests.
  size_t max_bytes = kXorbMaxBytes;  // both serialized and uncompressed
  size_t max_chunks = kXorbMaxChunks;
};

struct BuiltChunk {
  Hash hash;
  uint32_t uncompressed_size = 0;
  uint32_t physical_offset = 0;  // of the chunk's header in the xorb
  CompressionScheme scheme = CompressionScheme::kNone;
};

struct SerializedXorb {
  Hash hash;
  Bytes bytes;
  std::vector<BuiltChunk> chunks;
  uint64_t uncompressed_bytes = 0;

  std::vector<HashAndSize> HashesAndSizes() const;
};

class XorbBuilder {
 public:
  explicit XorbBuilder(XorbBuilderOptions options = {});

  // Whether a chunk of `size` bytes still fits in the current xorb. The serialized check assumes
  // the worst case (stored raw), so a chunk that Fits never makes the xorb exceed a limit.
  bool Fits(size_t size) const;

  // Appends a chunk whose hash the caller already computed (the chunker's hash). If it does not
  // fit, the current xorb is finished first and returned; the chunk then starts the next one.
  // InvalidArgument for an empty or over-long chunk.
  Result<std::optional<SerializedXorb>> Add(ByteSpan chunk, const Hash& chunk_hash);
  // Same, hashing the chunk itself.
  Result<std::optional<SerializedXorb>> Add(ByteSpan chunk) { return Add(chunk, ChunkHash(chunk)); }

  // Finishes the current xorb; nullopt when it has no chunk (empty xorbs are never produced).
  std::optional<SerializedXorb> Finish();

  // Hands back the bytes of a xorb the caller is done with (uploaded, written), so that the next
  // xorb reuses that memory instead of faulting in fresh pages. One buffer is kept.
  void Recycle(Bytes buffer) { spare_ = std::move(buffer); }

  size_t num_chunks() const { return current_.chunks.size(); }
  size_t serialized_bytes() const { return used_; }

 private:
  XorbBuilderOptions options_;
  ChunkEncoder encoder_;
  SerializedXorb current_;
  // current_.bytes is kept at least as large as needed, without shrinking, so that a recycled
  // buffer is rewritten without being zero-filled again; used_ is the xorb's real length.
  size_t used_ = 0;
  Bytes spare_;
};

}  // namespace castor
