// Mirroring into a castor store (`castor mirror ... --to castor://STORE-URI`): every file is
// stored deduplicated as a Xet file id, so a fine-tune that shares most chunks with a model
// already in the store costs only its new chunks.
//
// Per file, while its bytes stream from the Hub: content-defined chunking and chunk hashing
// (bounded memory: one pending chunk plus the xorb being packed), global-dedup queries against
// the store for the file's first chunk and every dedup-eligible chunk (CasService answers with
// keyed shards, exactly what a remote push would get), new chunks packed by an UploadBuilder and
// each xorb stored with CasService::PutXorb as soon as it is cut. The file's shard is registered
// (CasService::PutShard) only after its SHA-256 matched the Hub's: a corrupt file registers
// nothing (xorbs stored before the mismatch was known stay, unreferenced, like an interrupted
// push's).
//
// Store keys written besides the CAS's own (docs/store-layout.md):
//   mirrors/.state/{repo}/{commit}/{path}.json  per file, after its shard: size, sha256, file id
//   mirrors/{repo}/{commit}.json                the revision's file list, when every file is in
//   mirrors/{repo}/refs/{revision}              the commit, written last
// A re-run skips files whose state record matches the Hub's size and hash and whose file id the
// CAS knows.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "castor/base/status.h"
#include "castor/cas/cas_service.h"
#include "castor/chunking/chunker.h"
#include "castor/dedup/upload_builder.h"
#include "castor/hub/hub_client.h"
#include "castor/hub/xet_stream.h"
#include "castor/mirror/mirror.h"
#include "castor/mirror/upstream_chunks.h"

namespace castor::mirror {

// Whether `destination` names a castor store ("castor://" prefix).
bool IsCastorDestination(std::string_view destination);
// The store URI after "castor://" (a path or any URI OpenStore takes); InvalidArgument if empty.
Result<std::string> CastorStoreUri(std::string_view destination);

std::string CasManifestKey(const std::string& repo_path, const std::string& commit);
std::string CasRefKey(const std::string& repo_path, const std::string& revision);
std::string CasStateKey(const std::string& repo_path, const std::string& commit,
                        const std::string& file_path);

// Xorbs known to be in the store, gathered during a run (global-dedup answers and the shards the
// run registered), so each file's UploadBuilder starts knowing them. Thread-safe.
class KnownXorbs {
 public:
  void Add(std::vector<ShardXorb> xorbs, const HashKey& key);
  // Adds everything gathered so far to `builder`.
  void Teach(UploadBuilder& builder) const;
  // Records that the answer for `chunk` is being added; false if it already was.
  bool MarkQueried(const Hash& chunk);

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::vector<ShardXorb>, HashKey>> shards_;
  std::unordered_set<Hash, HashHasher> queried_;
};

struct CasFileResult {
  Hash file_id;
  uint64_t xorb_bytes_new = 0;  // serialized bytes of xorbs this file added to the store
  uint64_t chunks = 0, chunks_deduped = 0;
};

// One file's way into the CAS. Feed its bytes in order with Write, then Commit once they are
// verified; destroying it without Commit registers nothing. Not safe for concurrent use.
class CasFileWriter {
 public:
  CasFileWriter(cas::CasService& cas, KnownXorbs& known, uint64_t now_unix,
                XorbBuilderOptions xorb_options = {});
  Status Write(ByteSpan data);
  // Ends the file (its last chunk), stores the last xorb, registers the file's shard.
  Result<CasFileResult> Commit(const Hash& sha256);
  // The file's chunks so far (all of them after Commit), in order.
  const std::vector<HashAndSize>& chunks() const { return chunks_; }

 private:
  Status AddChunk(ByteSpan chunk);
  Status MaybeQuery(const Hash& chunk);
  Status Store(SerializedXorb x);

  cas::CasService& cas_;
  KnownXorbs& known_;
  uint64_t now_;
  UploadBuilder builder_;
  Chunker chunker_;
  Bytes carry_;  // bytes of the chunk not yet complete
  std::vector<size_t> ends_;
  std::vector<HashAndSize> chunks_;
  CasFileResult result_;
  bool committed_ = false;
};

// One Xet-backed file's term source for a castor:// mirror: terms whose upstream chunks the
// store already holds are read from it (UpstreamChunks); the fetched ones are remembered and,
// once the file is stored, recorded so that later files read them from the store.
class StoreTermSource final : public hub::XetTermSource {
 public:
  explicit StoreTermSource(UpstreamChunks& upstream) : upstream_(upstream) {}

  std::optional<Bytes> Find(const Hash& xorb, protocol::ChunkRange chunks,
                            uint32_t length) override;
  void Fetched(const Hash& xorb, uint32_t first_chunk, std::vector<uint32_t> chunk_sizes,
               uint64_t file_offset) override;
  // The fetched terms are now stored as castor file `file`, cut into `stored` (castor's chunks,
  // in file order). Castor chunks a file exactly as the Hub's Xet clients do, so each fetched
  // upstream chunk is one of castor's chunks and takes its hash from there: the fetch path does
  // not hash the bytes a second time. A term whose chunks do not line up with castor's (an
  // upstream that chunked differently) is recorded up to its first mismatch; the rest only
  // costs a later download.
  Status Commit(const Hash& file, const std::vector<HashAndSize>& stored);

 private:
  struct FetchedTerm {
    Hash xorb;
    uint32_t first_chunk = 0;
    std::vector<uint32_t> chunk_sizes;
    uint64_t file_offset = 0;
  };
  UpstreamChunks& upstream_;
  std::mutex mu_;
  std::vector<FetchedTerm> fetched_;
};

// RunMirror for a castor store: the same selection, verification, report and publication
// rules, with files stored as Xet file ids (FileOutcome::key = "xet:<file id>").
Result<MirrorReport> RunCasMirror(const MirrorConfig& config, hub::HubClient& hub,
                                  cas::CasService& cas, ProgressCounters* progress,
                                  const LogFn& log);

}  // namespace castor::mirror
