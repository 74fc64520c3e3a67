// Short-lived CAS access tokens, as the token endpoint hands them out: HMAC-SHA256-signed claims
// (scope, repository, revision, expiry, issuing token id) under a key derived from the server
// secret, so every castor serve process sharing the secret accepts every other's tokens.
// Wire form: "cxt1.<base64url(JSON claims)>.<base64url(MAC)>". Opaque to clients.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/server/hmac.h"
#include "castor/server/http_message.h"

namespace castor::server {

struct CasTokenClaims {
  std::string issuer_id;  // the id of the static token that asked for it (for logs)
  Scope scope = Scope::kRead;
  std::string repo;  // "models/org/name"
  std::string revision;
  int64_t exp = 0;  // unix seconds
  bool operator==(const CasTokenClaims&) const = default;
};

// Immutable after construction; safe for concurrent use.
class CasTokenSigner {
 public:
  // `server_secret` should hold at least 32 random bytes.
  explicit CasTokenSigner(ByteSpan server_secret);

  std::string Issue(const CasTokenClaims& claims) const;

  // Unauthenticated when the token is malformed, its MAC does not verify, or `now` (unix
  // seconds) is at or past its expiry.
  Result<CasTokenClaims> Verify(std::string_view token, int64_t now) const;

  // True when `token` has this signer's wire prefix (so it is not a static token).
  static bool LooksLikeCasToken(std::string_view token);

 private:
  Mac key_;
};

}  // namespace castor::server
