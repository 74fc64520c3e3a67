// UploadBuilder: the I/O-free heart of an upload. Files' chunks go in, in order; out come the
// xorbs to upload (new chunks packed from several files, cut at the protocol's limits) and, at the
// end, the upload-form shard describing every file as terms over new and already-stored xorbs.
//
// Dedup happens at three levels, all through the same index of known xorbs:
//   - within the session: a chunk seen earlier in this upload is referenced, not stored again;
//   - against xorbs the caller adds from earlier uploads (a local cache of shards);
//   - against global-dedup answers from the server (keyed shards: matched through the keyed hash).
// A term extends while consecutive chunks of the file are consecutive chunks of one xorb.
// Not safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "castor/base/status.h"
#include "castor/format/shard/shard_builder.h"
#include "castor/format/shard/shard_format.h"
#include "castor/format/xorb/xorb_builder.h"
#include "castor/hash/xet_hash.h"

namespace castor {

struct UploadStats {
  uint64_t files = 0;
  uint64_t bytes_read = 0;        // every chunk added
  uint64_t bytes_new = 0;         // chunks packed into new xorbs (uncompressed)
  uint64_t bytes_serialized = 0;  // the new xorbs' serialized size (after compression)
  uint64_t chunks = 0;
  uint64_t chunks_new = 0;
  uint64_t chunks_deduped_session = 0;
  uint64_t chunks_deduped_known = 0;  // from added xorbs (local cache, global dedup)
  uint64_t xorbs_new = 0;
};

class UploadBuilder {
 public:
  explicit UploadBuilder(XorbBuilderOptions options = {});

  // Makes a stored xorb's chunks available for dedup. With a non-zero `key`, `chunk_hashes` are
  // keyed hashes (a global-dedup answer) and are matched as KeyedChunkHash(key, chunk hash).
  void AddKnownXorb(const ShardXorb& xorb, const HashKey& key = HashKey::Zero());
  // Adds every xorb of a shard (keyed or not, as its footer says).
  void AddKnownShard(const std::vector<ShardXorb>& xorbs, const HashKey& key);

  // Whether the chunk would be deduplicated right now (it is in the index).
  bool IsKnown(const Hash& chunk_hash) const;

  void BeginFile();
  // The next chunk of the current file. Returns a xorb when adding this chunk completed one; it
  // must be uploaded before the shard.
  Result<std::optional<SerializedXorb>> AddChunk(ByteSpan chunk, const Hash& chunk_hash);
  // Ends the current file. `file_id` and `sha256` are what the scan computed; the file id is
  // checked against the chunks seen (Internal on mismatch: a bug, never silent corruption).
  Status EndFile(const Hash& file_id, const std::optional<Hash>& sha256);

  // Cuts the last partial xorb (if any). Call once, after the last file.
  std::optional<SerializedXorb> Finish();

  // Whether adding a new chunk of `size` bytes now would complete the current xorb (and start the
  // next one, in the buffer given to Recycle() if any).
  bool WouldCut(size_t size) const { return builder_.num_chunks() > 0 && !builder_.Fits(size); }

  // Hands back the buffer of a xorb returned earlier, once the caller is done with it, so the next
  // xorb is packed into memory that is already resident (see XorbBuilder::Recycle).
  void Recycle(Bytes buffer) { builder_.Recycle(std::move(buffer)); }

  // Records the serialized size of a new xorb that the caller re-encoded (compressed on another
  // thread): the shard's num_bytes_on_disk and the stats follow it.
  void SetSerializedSize(const Hash& xorb, uint32_t size);

  // The upload-form shard: every file (except empty ones, whose id is all zeros) and every new
  // xorb. Only after Finish().
  Result<Bytes> BuildShard() const;

  const UploadStats& stats() const { return stats_; }
  const std::vector<ShardFile>& files() const { return files_; }

 private:
  // A xorb terms can point at: stored (hash known) or being built in this session.
  struct Slot {
    Hash hash;            // zero until known
    bool pending = false;  // the xorb being built now
    bool session = false;  // built in this session (not a known, stored xorb)
    std::vector<Hash> plain;  // plain chunk hashes where known (all for session xorbs)
    std::vector<Hash> keyed;  // as listed, for keyed known xorbs
    std::vector<uint32_t> sizes;
    HashKey key;
  };
  struct Location {
    uint32_t slot;
    uint32_t chunk;
  };
  struct OpenTerm {
    uint32_t slot;
    uint32_t begin, end;
    uint32_t bytes;
    std::vector<Hash> hashes;  // plain hashes of chunks [begin, end)
  };

  std::optional<Location> Lookup(const Hash& h) const;
  bool Continues(const Hash& h) const;
  void CloseTerm();
  void OnXorbCut(SerializedXorb& x);

  XorbBuilder builder_;
  std::vector<Slot> slots_;
  uint32_t pending_slot_;
  std::unordered_map<Hash, Location, HashHasher> plain_index_;
  // Keyed indexes: one per key, keyed hash -> location.
  std::vector<std::pair<HashKey, std::unordered_map<Hash, Location, HashHasher>>> keyed_index_;

  bool in_file_ = false;
  std::vector<HashAndSize> file_chunks_;
  std::optional<OpenTerm> term_;
  // Terms of the current file; terms in a pending slot get their xorb hash when it is cut.
  struct DraftTerm {
    uint32_t slot;
    uint32_t begin, end, bytes;
    Hash verification;
  };
  std::vector<DraftTerm> draft_;
  struct DraftFile {
    Hash file_id;
    std::optional<Hash> sha256;
    std::vector<DraftTerm> terms;
  };
  std::vector<DraftFile> drafts_;
  std::unordered_set<Hash, HashHasher> described_;  // file ids in drafts_
  std::vector<ShardFile> files_;
  std::vector<ShardXorb> new_xorbs_;
  bool finished_ = false;
  UploadStats stats_;
};

}  // namespace castor
