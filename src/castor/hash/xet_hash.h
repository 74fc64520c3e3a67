// The Xet protocol's hash functions: chunk hash, Merkle aggregation (xorb hash, file hash), term
// verification hash, the keyed "HMAC" of global dedup, and the dedup eligibility rule.
// All functions are pure and safe for concurrent use.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/hash/blake3.h"
#include "castor/hash/hash.h"

namespace castor {

// A chunk's hash and its uncompressed length: the leaves of the Merkle aggregation.
struct HashAndSize {
  Hash hash;
  uint64_t size = 0;
  bool operator==(const HashAndSize&) const = default;
};

// BLAKE3_keyed(DATA_KEY, chunk bytes).
inline Hash ChunkHash(ByteSpan chunk) { return Blake3Keyed(kDataKey, chunk); }

// The Merkle aggregation of the spec (§2.3 of docs/xet-protocol.md): zeros for no entries, the
// entry itself for one, else levels of variable-size groups hashed with INTERNAL_NODE_KEY.
Hash AggregateHash(std::span<const HashAndSize> entries);

// Xorb hash: the aggregation over the xorb's chunks.
inline Hash XorbHash(std::span<const HashAndSize> chunks) { return AggregateHash(chunks); }

// File hash (the Xet file id): BLAKE3_keyed(salt, aggregation root), with a zero salt on the Hub;
// 32 zero bytes for an empty file.
Hash FileHash(std::span<const HashAndSize> chunks, const HashKey& salt = HashKey::Zero());

// Term verification hash: BLAKE3_keyed(VERIFICATION_KEY, raw chunk hashes concatenated).
Hash VerificationHash(std::span<const Hash> chunk_hashes);

// The global-dedup "HMAC": BLAKE3_keyed(key, raw 32-byte hash). Not RFC 2104.
inline Hash KeyedChunkHash(const HashKey& key, const Hash& h) { return Blake3Keyed(key, h.span()); }

// A chunk hash the global dedup index tracks: u64_le(hash[24..32]) % 1024 == 0.
inline bool IsGlobalDedupEligible(const Hash& h) { return h.Lane(3) % 1024 == 0; }

// Shard lookup-table key: u64_le(hash[0..8]).
inline uint64_t TruncatedHash(const Hash& h) { return h.Lane(0); }

// Builds the next Merkle level incrementally: used by AggregateHash and by code that aggregates
// hashes as they stream in (exposed for tests).
std::vector<HashAndSize> MerkleLevelUp(std::span<const HashAndSize> level);

}  // namespace castor
