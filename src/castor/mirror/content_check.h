// ContentCheck: hashes a file's bytes as they stream past and checks them against what the Hub
// says they are: the LFS sha256 for LFS and Xet files, the git blob id (sha1 of
// "blob <size>\0" + bytes) for small files. SHA-256 is always computed (the manifest records it).
// Not safe for concurrent use.
#pragma once

#include <memory>
#include <string>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/hash/sha256.h"
#include "castor/hub/hub_client.h"

namespace castor::mirror {

class ContentCheck {
 public:
  explicit ContentCheck(const hub::RepoFile& file);
  ~ContentCheck();
  ContentCheck(const ContentCheck&) = delete;
  ContentCheck& operator=(const ContentCheck&) = delete;

  void Update(ByteSpan data);
  // Call once, after the last byte. Corruption ("sha256 mismatch: the Hub says X, the bytes hash
  // to Y") when the bytes are not the file; `sha256_hex()` is valid afterwards either way.
  Status Finish();
  const std::string& sha256_hex() const { return sha256_hex_; }

 private:
  const hub::RepoFile& file_;
  Sha256 sha256_;
  struct Sha1;
  std::unique_ptr<Sha1> sha1_;  // only for non-LFS files
  uint64_t bytes_ = 0;
  std::string sha256_hex_;
};

// The git blob id of `data` (hex sha1 of "blob <size>\0" + data).
std::string GitBlobId(ByteSpan data);

}  // namespace castor::mirror
