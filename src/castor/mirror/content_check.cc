#include "castor/mirror/content_check.h"

#include <openssl/evp.h>

namespace castor::mirror {

namespace {
struct Sha1Ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha1Ctx() { EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr); }
  ~Sha1Ctx() { EVP_MD_CTX_free(ctx); }
  void Update(ByteSpan d) { EVP_DigestUpdate(ctx, d.data(), d.size()); }
  std::string HexFinal() {
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    return HexEncode(ByteSpan(md, len));
  }
};
}  // namespace

struct ContentCheck::Sha1 : Sha1Ctx {};

ContentCheck::ContentCheck(const hub::RepoFile& file) : file_(file) {
  if (!file.is_lfs()) {
    sha1_ = std::make_unique<Sha1>();
    std::string header = "blob " + std::to_string(file.size);
    header.push_back('\0');
    sha1_->Update(AsBytes(header));
  }
}

ContentCheck::~ContentCheck() = default;

void ContentCheck::Update(ByteSpan data) {
  sha256_.Update(data);
  if (sha1_) sha1_->Update(data);
  bytes_ += data.size();
}

Status ContentCheck::Finish() {
  sha256_hex_ = HexEncode(sha256_.Finalize().bytes);
  if (bytes_ != file_.size) {
    return Corruption("size mismatch: the Hub says " + std::to_string(file_.size) + " bytes, got " +
                      std::to_string(bytes_));
  }
  if (file_.is_lfs()) {
    if (sha256_hex_ != file_.sha256) {
      return Corruption("sha256 mismatch: the Hub says " + file_.sha256 + ", the bytes hash to " +
                        sha256_hex_);
    }
    return Status::OK();
  }
  std::string blob = sha1_->HexFinal();
  if (!file_.git_oid.empty() && blob != file_.git_oid) {
    return Corruption("git blob id mismatch: the Hub says " + file_.git_oid +
                      ", the bytes hash to " + blob);
  }
  return Status::OK();
}

std::string GitBlobId(ByteSpan data) {
  Sha1Ctx s;
  std::string header = "blob " + std::to_string(data.size());
  header.push_back('\0');
  s.Update(AsBytes(header));
  s.Update(data);
  return s.HexFinal();
}

}  // namespace castor::mirror
