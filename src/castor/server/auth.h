// Bearer-token authentication and authorisation for castor serve.
//  - Static tokens (id, secret, scope) come from the config file ([[auth.tokens]], TOML) or the
//    environment (CASTOR_TOKENS="id:secret:scope,..."). Only SHA-256 digests of secrets are kept,
//    and presented tokens are compared digest to digest in constant time, so neither the content
//    nor the length of a secret leaks through timing.
//  - Short-lived CAS tokens (cas_token.h) issued by the token endpoint are accepted too.
//  - Scope: write implies read. No or unknown token: 401; read token on a write route: 403.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/server/cas_token.h"
#include "castor/server/http_message.h"
#include "castor/server/http_server.h"

namespace castor::server {

// SHA-256 of a token secret. Deliberately has no operator==: the only comparison is
// DigestEquals, which is constant-time.
struct TokenDigest {
  std::array<uint8_t, 32> bytes{};
  static TokenDigest Of(std::string_view secret);
};
bool DigestEquals(const TokenDigest& a, const TokenDigest& b);

struct StaticToken {
  std::string id;  // [A-Za-z0-9._-]{1,64}; appears in logs and the audit log
  TokenDigest digest;
  Scope scope = Scope::kRead;
};

struct AuthConfig {
  std::vector<StaticToken> tokens;
  // Signs CAS tokens and URLs; empty when the configuration names none (the app then makes a
  // random one, valid for this process only).
  Bytes server_secret;
};

// Parses the [auth] table of a castor TOML config:
//   [auth]
//   secret = "<64+ hex digits>"           # server secret (optional)
//   [[auth.tokens]]
//   id = "ci"
//   secret = "<token, 16+ characters>"    # or: sha256 = "<64 hex digits of SHA-256(token)>"
//   scope = "write"                       # "read" or "write"
// A file without [auth] yields an empty config. InvalidArgument naming the entry on any error
// (bad scope, duplicate id, short secret, unknown key in a token entry).
Result<AuthConfig> ParseAuthToml(std::string_view toml_text);
Result<AuthConfig> LoadAuthToml(const std::string& path);

// Parses CASTOR_TOKENS: comma-separated "id:secret:scope" entries (whitespace around entries is
// ignored). Same rules as the TOML entries.
Result<std::vector<StaticToken>> ParseTokensEnv(std::string_view value);

// The safety rule for serving without tokens: OK when tokens are configured or `host` is a
// loopback address ("localhost", 127.0.0.0/8, "::1"); FailedPrecondition otherwise.
Status CheckListenAllowed(std::string_view host, bool have_tokens);

// Authorizer over static tokens and CAS tokens. Immutable after construction; safe for concurrent
// use.
class Authenticator : public Authorizer {
 public:
  // `cas_tokens` may be null (CAS tokens are then rejected). `now` returns unix seconds; the
  // default reads the system clock.
  Authenticator(std::vector<StaticToken> tokens, const CasTokenSigner* cas_tokens,
                std::function<int64_t()> now = {});

  // Identifies the bearer of an Authorization header value ("Bearer <token>").
  // Unauthenticated when it is missing, not a bearer token, or unknown/expired.
  Result<Principal> Authenticate(std::optional<std::string_view> authorization) const;

  // Authenticate, then PermissionDenied unless the principal's scope covers `required`.
  Result<Principal> Authorize(const Request& request, Scope required) const override;

  bool has_tokens() const { return !tokens_.empty(); }

 private:
  std::vector<StaticToken> tokens_;
  const CasTokenSigner* cas_tokens_;
  std::function<int64_t()> now_;
};

// Unix seconds from the system clock.
int64_t UnixNow();

}  // namespace castor::server
