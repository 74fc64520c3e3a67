// Keyed BLAKE3 (the official C implementation, SIMD with run-time dispatch) and the three keys
// the Xet protocol fixes.
#pragma once

#include "castor/base/bytes.h"
#include "castor/hash/hash.h"

namespace castor {

using HashKey = Hash;  // a 32-byte BLAKE3 key

// DATA_KEY: chunk hashes.
extern const HashKey kDataKey;
// INTERNAL_NODE_KEY: Merkle internal nodes (xorb hashes, file-hash roots).
extern const HashKey kInternalNodeKey;
// VERIFICATION_KEY: term verification hashes.
extern const HashKey kVerificationKey;

// BLAKE3 keyed_hash of `data`, 32-byte output.
Hash Blake3Keyed(const HashKey& key, ByteSpan data);
// Plain (unkeyed) BLAKE3, 32-byte output.
Hash Blake3(ByteSpan data);

// Incremental keyed or unkeyed BLAKE3. Not safe for concurrent use; cheap to create.
class Blake3Hasher {
 public:
  Blake3Hasher();                            // unkeyed
  explicit Blake3Hasher(const HashKey& key);  // keyed
  ~Blake3Hasher();
  Blake3Hasher(const Blake3Hasher&) = delete;
  Blake3Hasher& operator=(const Blake3Hasher&) = delete;

  void Update(ByteSpan data);
  Hash Finalize() const;

 private:
  struct State;
  State* state_;
};

}  // namespace castor
