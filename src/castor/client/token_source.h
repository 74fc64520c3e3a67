// TokenSource: where a CAS client gets its bearer token. A fixed token (or none), or a Hub-shaped
// token endpoint (`GET …/xet-read-token/{rev}` -> {accessToken, exp, casUrl}) refreshed shortly
// before it expires and whenever the CAS answers 401. Implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "castor/base/status.h"
#include "castor/http/http_client.h"

namespace castor::client {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The token to send ("" = send no Authorization header). With `refresh`, a cached token is
  // known to be rejected: fetch a new one.
  virtual Result<std::string> Token(bool refresh) = 0;
  // The CAS base URL the token is for, when the source says (token endpoints do); "" otherwise.
  virtual std::string cas_url() { return ""; }
};

std::unique_ptr<TokenSource> StaticToken(std::string token);

// Calls `url` with `Authorization: Bearer <hub_token>` (none if empty); caches the answer until
// `refresh_margin` before its `exp`.
std::unique_ptr<TokenSource> EndpointToken(http::HttpClient* http, std::string url,
                                           std::string hub_token,
                                           std::chrono::seconds refresh_margin = std::chrono::seconds(30));

}  // namespace castor::client
