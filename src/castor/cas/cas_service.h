// CasService: the Xet CAS over an ObjectStore, without HTTP. It validates uploads before anything
// becomes visible (xorb hashes and every chunk recomputed; shards checked against the stored xorbs:
// verification hashes, term sizes, file ids), records files for reconstruction, answers global
// dedup queries with keyed shards, and plans reconstructions (terms plus the byte ranges of xorbs
// to fetch). All state lives in the store (store_layout.h); the service holds only caches.
// Safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "castor/base/status.h"
#include "castor/cas/xorb_index.h"
#include "castor/format/shard/shard_format.h"
#include "castor/hash/hash.h"
#include "castor/protocol/http_range.h"
#include "castor/protocol/reconstruction.h"
#include "castor/storage/object_store.h"

namespace castor::cas {

struct CasOptions {
  // Key used to answer global dedup queries (chunk hashes are keyed with it). Zero = a fresh
  // random key per process; servers sharing a store should share the key only if they want
  // identical answers, which the protocol does not require.
  HashKey dedup_key;
  // How long a dedup answer may be used by a client.
  std::chrono::seconds dedup_key_ttl{7 * 24 * 3600};
  size_t xorb_cache_entries = 4096;
};

// What a file id reconstructs to (files/<id>).
struct FileRecord {
  ShardFile file;
  uint64_t size() const { return file.size(); }
};

// One merged fetch from one xorb: chunks [chunks.start, chunks.end) at stored bytes [bytes).
struct PlannedFetch {
  protocol::ChunkRange chunks;
  protocol::ByteRange bytes;  // half-open, within the stored xorb object
};

struct ReconstructionPlan {
  uint64_t file_size = 0;
  uint64_t offset_into_first_range = 0;
  std::vector<protocol::Term> terms;
  std::map<Hash, std::vector<PlannedFetch>> fetches;  // per xorb, ascending, non-overlapping
};

struct ShardUploadResult {
  bool registered_new = false;  // some file was not known before (protocol "result": 1)
  size_t files = 0;
  size_t xorbs = 0;
};

class CasService {
 public:
  CasService(ObjectStore* store, CasOptions options = {});

  ObjectStore* store() const { return store_; }

  // Validates and stores a xorb. true if stored now, false if it already existed.
  // InvalidArgument (-> 400) naming the problem when the bytes are malformed or the hash differs.
  Result<bool> PutXorb(const Hash& xorb_hash, ByteSpan body);

  // Stored size of a xorb's chunk records (what HEAD reports). NotFound if absent.
  Result<uint64_t> XorbSize(const Hash& xorb_hash);

  // Validates a shard against the stored xorbs and registers its files. InvalidArgument naming
  // the problem for anything the protocol rejects; nothing is written unless all of it is valid.
  Result<ShardUploadResult> PutShard(ByteSpan body, uint64_t now_unix);

  // The reconstruction record of a file. NotFound if unknown.
  Result<FileRecord> GetFile(const Hash& file_id);

  // Terms and fetch ranges for bytes [range.start, range.end) of the file (whole file if nullopt;
  // range.end is clamped to the size). OutOfRange (-> 416) when range.start >= size, except for an
  // empty file asked from 0.
  Result<ReconstructionPlan> PlanReconstruction(const Hash& file_id,
                                                std::optional<protocol::ByteRange> range);

  // The same for a record already read with GetFile.
  Result<ReconstructionPlan> PlanReconstruction(const FileRecord& record,
                                                std::optional<protocol::ByteRange> range);

  // The keyed shard answering a global dedup query for `chunk_hash`, or NotFound.
  Result<Bytes> GlobalDedupShard(const Hash& chunk_hash, uint64_t now_unix);

  XorbIndex& xorbs() { return xorbs_; }

 private:
  ObjectStore* store_;
  CasOptions options_;
  XorbIndex xorbs_;
};

}  // namespace castor::cas
