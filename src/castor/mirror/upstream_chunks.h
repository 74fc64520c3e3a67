// UpstreamChunks: what a castor store knows about the Hub's xorbs, so a castor:// mirror does not
// download chunks it already holds.
//
// When the mirror fetches a term of a Xet-backed file (chunks [a, b) of an upstream xorb X), it
// learns each chunk's hash and size, and once the file is stored (castor file id F) where those
// bytes live: F at the term's file offset. Recorded per upstream xorb, a later file whose
// reconstruction names chunks of X already recorded (a fine-tune sharing its base's tensors: the
// Hub's reconstruction points into the base's xorbs) reads those bytes from the store instead of
// the network. Chunk boundaries need not match castor's own chunking: the record is by upstream
// chunk index and file byte offset.
//
// Store key (docs/store-layout.md): mirrors/.xorbs/<upstream xorb id>, JSON
//   {"version": 1, "xorb": "<id>", "chunks": [[index, size, "<chunk hash>", "<file id>",
//   offset]...]}
// Records only ever gain entries; two mirrors writing one record at once may lose the other's
// additions (which costs a later download, never correctness).
//
// Bytes read back are checked against the recorded chunk hashes, and the mirror still checks the
// whole file's SHA-256 against the Hub's, so a stale or wrong record costs a download, not a bad
// file. Safe for concurrent use.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "castor/base/status.h"
#include "castor/cas/cas_service.h"
#include "castor/hash/xet_hash.h"
#include "castor/protocol/reconstruction.h"

namespace castor::mirror {

std::string UpstreamXorbKey(const Hash& upstream_xorb);

class UpstreamChunks {
 public:
  struct Where {
    Hash hash;  // the chunk's hash
    uint32_t size = 0;
    Hash file;            // a castor file id holding the chunk's bytes...
    uint64_t offset = 0;  // ...at this offset
  };

  explicit UpstreamChunks(cas::CasService& cas) : cas_(cas) {}

  // Where each chunk of `range` of `xorb` is, or nullopt if any of them is unknown.
  std::optional<std::vector<Where>> Lookup(const Hash& xorb, protocol::ChunkRange range);

  // The bytes of chunks `range` of `xorb` (`length` bytes in all), read from the store and
  // checked chunk by chunk against the recorded hashes; nullopt if unknown or any check fails.
  std::optional<Bytes> Read(const Hash& xorb, protocol::ChunkRange range, uint32_t length);

  // A fetched term: chunks `first_chunk`... of upstream xorb `xorb`, at `file_offset` of a file.
  struct Term {
    Hash xorb;
    uint32_t first_chunk = 0;
    std::vector<HashAndSize> chunks;
    uint64_t file_offset = 0;
  };

  // Records `terms`, now stored in castor file `file`, and writes the record of each xorb they
  // touch to the store once.
  Status Record(const Hash& file, const std::vector<Term>& terms);

  // Bytes [offset, offset + length) of a stored castor file, decoded from the store's xorbs.
  static Result<Bytes> ReadFileRange(cas::CasService& cas, const Hash& file, uint64_t offset,
                                     uint64_t length);

 private:
  using Chunks = std::map<uint32_t, Where>;
  // The xorb's record, loaded from the store the first time (empty if none). Needs mu_.
  Chunks& LoadLocked(const Hash& xorb);

  cas::CasService& cas_;
  std::mutex mu_;
  std::unordered_map<Hash, Chunks, HashHasher> xorbs_;
};

}  // namespace castor::mirror
