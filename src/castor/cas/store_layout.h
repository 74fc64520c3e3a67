// Where the CAS keeps its state in an object store (documented in docs/store-layout.md). Every key
// is content-addressed, so objects are immutable and concurrent writers of one key write the same
// bytes: any number of `castor serve` processes can share one store.
//
//   xorbs/default/<xorb id>   the xorb's chunk records as uploaded, then castor's server footer
//                             (chunk hashes, physical and uncompressed boundaries)
//   shards/<shard digest>     every accepted shard, in the stored form (with lookup tables)
//   files/<file id>           one stored-form shard holding just that file's block (terms,
//                             verification hashes, sha256): the reconstruction record
//   dedup/<chunk hash>        64 bytes: the raw hash of a xorb holding this chunk, then the digest
//                             of the shard that brought it (global dedup answers cover both)
// Ids are Xet hex.
#pragma once

#include <string>

#include "castor/hash/hash.h"

namespace castor::cas {

inline std::string XorbKey(const Hash& xorb) { return "xorbs/default/" + xorb.ToXetHex(); }
inline std::string ShardKey(const Hash& digest) { return "shards/" + digest.ToXetHex(); }
inline std::string FileKey(const Hash& file_id) { return "files/" + file_id.ToXetHex(); }
inline std::string DedupKey(const Hash& chunk) { return "dedup/" + chunk.ToXetHex(); }

}  // namespace castor::cas
