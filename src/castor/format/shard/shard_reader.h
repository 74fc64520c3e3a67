// ShardReader parses a shard in any of its forms: the upload form without a footer, an upload
// with a footer whose lookup fields are zero (as the Hugging Face JS client sends it), a stored
// shard and a global-dedup answer (both with lookup tables and a footer). It validates the tag,
// versions, footer size, bookends, file flags, record counts against the bytes left, the footer's
// offsets and lookup tables, and the 64 MiB limit; then it exposes the files and xorbs and finds
// files, xorbs and chunks by hash through the lookup tables (built in memory when the shard has
// none). Pure; the reader copies what it needs, so the bytes need not outlive it. Const methods
// are safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/format/shard/shard_format.h"

namespace castor {

class ShardReader {
 public:
  // Corruption naming the first problem found ("file 2 at byte 480: 4294967295 terms run past
  // the end of the file-info section", "bad shard tag", ...).
  static Result<ShardReader> Parse(ByteSpan shard);

  uint64_t header_version() const { return header_version_; }
  uint64_t footer_size() const { return footer_size_; }
  const std::optional<ShardFooter>& footer() const { return footer_; }
  const std::vector<ShardFile>& files() const { return files_; }
  const std::vector<ShardXorb>& xorbs() const { return xorbs_; }
  uint64_t file_info_offset() const { return kShardHeaderSize; }
  uint64_t cas_info_offset() const { return cas_info_offset_; }

  // Whether chunk hashes are keyed (a global-dedup answer): the footer's key is non-zero.
  bool keyed() const { return footer_ && !footer_->chunk_hash_key.IsZero(); }

  // Ordinal in files() / xorbs() of the entry with this hash.
  std::optional<size_t> FindFile(const Hash& file_hash) const;
  std::optional<size_t> FindXorb(const Hash& xorb_hash) const;
  // Finds a chunk by its plain hash, keying it first when the shard is keyed.
  std::optional<ShardChunkLocation> FindChunk(const Hash& chunk_hash) const;
  // Finds a chunk by the hash exactly as stored (keyed in a keyed shard).
  std::optional<ShardChunkLocation> FindStoredChunkHash(const Hash& stored_hash) const;

  // Whether the lookups use tables read from the shard (rather than built in memory; a table a
  // shard leaves empty is also built in memory).
  bool has_lookup_tables() const { return tables_from_shard_; }

 private:
  struct Entry {
    uint64_t key;
    uint32_t a;  // file / xorb ordinal
    uint32_t b;  // chunk index (chunk table only)
    bool operator<(const Entry& o) const { return key < o.key; }
  };
  Status ReadLookupTables(ByteSpan shard, const std::vector<uint32_t>& file_records,
                          const std::vector<uint32_t>& xorb_records);
  void BuildLookupTables();

  uint64_t header_version_ = 0;
  uint64_t footer_size_ = 0;
  uint64_t cas_info_offset_ = 0;
  uint64_t cas_info_end_ = 0;
  std::optional<ShardFooter> footer_;
  std::vector<ShardFile> files_;
  std::vector<ShardXorb> xorbs_;
  std::vector<Entry> file_lookup_, xorb_lookup_, chunk_lookup_;
  bool tables_from_shard_ = false;
};

}  // namespace castor
