#include "castor/hash/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace castor {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    std::abort();  // allocation failure or a broken OpenSSL: nothing sensible to return
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Update(ByteSpan data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

Hash Sha256::Finalize() {
  Hash out;
  unsigned int len = 32;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.bytes.data(), &len);
  return out;
}

Hash Sha256::Of(ByteSpan data) {
  Sha256 s;
  s.Update(data);
  return s.Finalize();
}

}  // namespace castor
