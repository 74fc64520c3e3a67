// SHA-256 through OpenSSL (SHA-NI where the CPU has it). Not safe for concurrent use.
#pragma once

#include "castor/base/bytes.h"
#include "castor/hash/hash.h"

namespace castor {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(ByteSpan data);
  // The digest in its ordinary byte order (plain hex = the usual sha256 string). Call once.
  Hash Finalize();

  static Hash Of(ByteSpan data);

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace castor
