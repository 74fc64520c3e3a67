// The token endpoint with the Hub's shape, so standard Xet clients can get short-lived CAS tokens
// from castor serve: GET /api/{type}s/{repo}/xet-{read|write}-token/{rev} (and the revision-less
// /api/buckets/{repo}/xet-{kind}-token) -> {"accessToken", "exp", "casUrl"}, also sent as the
// X-Xet-Access-Token / X-Xet-Token-Expiration / X-Xet-Cas-Url headers.
// The caller authenticates with a static token; a write CAS token needs a write static token.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "castor/base/status.h"
#include "castor/server/cas_token.h"
#include "castor/server/router.h"

namespace castor::server {

struct TokenEndpointOptions {
  // The casUrl handed to clients: this server's externally visible base URL.
  std::string cas_url;
  // How long issued tokens stay valid.
  std::chrono::seconds lifetime{3600};
  // Unix seconds; default: the system clock.
  std::function<int64_t()> now;
};

// Registers the token routes (scope read) on `router`. `signer` must outlive the router.
Status AddTokenRoutes(Router& router, const CasTokenSigner* signer, TokenEndpointOptions options);

}  // namespace castor::server
