// The shard format's constants and the decoded records a ShardBuilder writes and a ShardReader
// returns (docs/xet-protocol.md §4). All integers are little-endian; every record of the file-info
// and CAS-info sections is 48 bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "castor/hash/blake3.h"
#include "castor/hash/hash.h"
#include "castor/hash/xet_hash.h"

namespace castor {

inline constexpr size_t kShardHeaderSize = 48;
inline constexpr size_t kShardRecordSize = 48;
inline constexpr size_t kShardFooterSize = 200;
inline constexpr uint64_t kShardHeaderVersion = 2;
inline constexpr uint64_t kShardFooterVersion = 1;
inline constexpr size_t kShardMaxBytes = 64 * 1024 * 1024;
inline constexpr size_t kShardFileLookupEntrySize = 12;   // u64 key, u32 record index
inline constexpr size_t kShardXorbLookupEntrySize = 12;   // u64 key, u32 record index
inline constexpr size_t kShardChunkLookupEntrySize = 16;  // u64 key, u32 xorb record, u32 chunk

// "HFRepoMetaData", 0, then 17 fixed magic bytes.
extern const std::array<uint8_t, 32> kShardTag;

inline constexpr uint32_t kFileFlagWithVerification = 0x80000000u;
inline constexpr uint32_t kFileFlagWithMetadataExt = 0x40000000u;
inline constexpr uint32_t kChunkFlagGlobalDedup = 0x80000000u;

// One term of a file: chunks [chunk_begin, chunk_end) of one xorb.
struct ShardTerm {
  Hash xorb_hash;
  uint32_t cas_flags = 0;
  uint32_t unpacked_bytes = 0;  // sum of the term's uncompressed chunk sizes
  uint32_t chunk_begin = 0;
  uint32_t chunk_end = 0;  // exclusive
  bool operator==(const ShardTerm&) const = default;
};

struct ShardFile {
  Hash file_hash;  // the file id
  std::vector<ShardTerm> terms;
  std::vector<Hash> verification;  // empty, or one range hash per term
  // The file's SHA-256 in its ordinary byte order (plain hex = the usual sha256 string); the
  // shard stores it lane-reversed (FileMetadataExt).
  std::optional<Hash> sha256;

  uint32_t flags() const {
    return (verification.empty() ? 0 : kFileFlagWithVerification) |
           (sha256 ? kFileFlagWithMetadataExt : 0);
  }
  uint64_t size() const {
    uint64_t s = 0;
    for (const auto& t : terms) s += t.unpacked_bytes;
    return s;
  }
  bool operator==(const ShardFile&) const = default;
};

struct ShardChunk {
  Hash hash;                      // keyed in a global-dedup shard
  uint32_t byte_range_start = 0;  // cumulative uncompressed offset in the xorb
  uint32_t unpacked_bytes = 0;
  uint32_t flags = 0;  // kChunkFlagGlobalDedup
  bool operator==(const ShardChunk&) const = default;
};

struct ShardXorb {
  Hash xorb_hash;
  uint32_t flags = 0;
  uint32_t num_bytes_in_cas = 0;   // uncompressed bytes
  uint32_t num_bytes_on_disk = 0;  // serialized length (0 from some clients)
  std::vector<ShardChunk> chunks;

  // A CAS block for a xorb's chunks (hash, uncompressed size) in xorb order.
  static ShardXorb FromChunks(const Hash& xorb_hash, const std::vector<HashAndSize>& chunks,
                              uint32_t serialized_size);
  bool operator==(const ShardXorb&) const = default;
};

struct ShardFooter {
  uint64_t version = kShardFooterVersion;
  uint64_t file_info_offset = 0;
  uint64_t cas_info_offset = 0;
  uint64_t file_lookup_offset = 0;
  uint64_t file_lookup_num_entry = 0;
  uint64_t xorb_lookup_offset = 0;
  uint64_t xorb_lookup_num_entry = 0;
  uint64_t chunk_lookup_offset = 0;
  uint64_t chunk_lookup_num_entry = 0;
  HashKey chunk_hash_key;           // all zero: chunk hashes are not keyed
  uint64_t creation_timestamp = 0;  // Unix seconds
  uint64_t key_expiry = 0;          // Unix seconds
  uint64_t stored_bytes_on_disk = 0;
  uint64_t materialized_bytes = 0;
  uint64_t stored_bytes = 0;
  uint64_t footer_offset = 0;
  bool operator==(const ShardFooter&) const = default;
};

// Where a chunk sits: the ordinal of its xorb in the shard's CAS section and its index there.
struct ShardChunkLocation {
  size_t xorb = 0;
  size_t chunk = 0;
  bool operator==(const ShardChunkLocation&) const = default;
};

}  // namespace castor
