// ShardBuilder writes shards in the three forms the protocol uses:
//   - upload: header (footer_size 0), file-info and CAS-info sections with their bookends; what a
//     client POSTs to /v1/shards;
//   - stored: the same plus the sorted lookup tables (files, xorbs, chunks by truncated hash) and
//     the 200-byte footer; what a CAS keeps;
//   - global dedup: no files, every chunk hash keyed with a 32-byte key, lookup tables over the
//     keyed hashes, and the key and its expiry in the footer; the answer to GET /v1/chunks.
// Records are written in the order they were added. Pure: the creation time and expiry are
// arguments. Not safe for concurrent use.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/format/shard/shard_format.h"

namespace castor {

class ShardBuilder {
 public:
  void AddFile(ShardFile file) { files_.push_back(std::move(file)); }
  void AddXorb(ShardXorb xorb) { xorbs_.push_back(std::move(xorb)); }

  const std::vector<ShardFile>& files() const { return files_; }
  const std::vector<ShardXorb>& xorbs() const { return xorbs_; }

  // InvalidArgument when a file has verification entries for some terms but not all, when some
  // files carry verification and others not, for an empty term range, or when the shard would
  // pass 64 MiB.
  Result<Bytes> BuildUpload() const;
  Result<Bytes> BuildStored(uint64_t creation_timestamp,
                            uint64_t key_expiry = std::numeric_limits<uint64_t>::max()) const;
  // Files are left out, as in the protocol's dedup answers.
  Result<Bytes> BuildGlobalDedup(const HashKey& key, uint64_t creation_timestamp,
                                 uint64_t key_expiry) const;

 private:
  enum class Form { kUpload, kStored, kGlobalDedup };
  Result<Bytes> Build(Form form, const HashKey& key, uint64_t creation_timestamp,
                      uint64_t key_expiry) const;

  std::vector<ShardFile> files_;
  std::vector<ShardXorb> xorbs_;
};

// Serializes a footer (200 bytes) onto *out.
void AppendShardFooter(const ShardFooter& f, Bytes* out);

}  // namespace castor
