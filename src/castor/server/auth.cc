#include "castor/server/auth.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "castor/hash/sha256.h"

namespace castor::server {
namespace {

constexpr size_t kMinSecretChars = 16;

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<Scope> ParseScope(std::string_view s, std::string_view where) {
  if (s == "read") return Scope::kRead;
  if (s == "write") return Scope::kWrite;
  return InvalidArgument(std::string(where) + ": scope must be \"read\" or \"write\", not \"" +
                         std::string(s.substr(0, 20)) + "\"");
}

// Checks id syntax, secret length and id uniqueness; `where` prefixes messages (never a secret).
Status CheckToken(const StaticToken& t, std::set<std::string>& seen, std::string_view where) {
  if (!ValidId(t.id)) {
    return InvalidArgument(std::string(where) + ": token id must be 1-64 of [A-Za-z0-9._-]");
  }
  if (!seen.insert(t.id).second) {
    return InvalidArgument(std::string(where) + ": duplicate token id \"" + t.id + "\"");
  }
  return Status::OK();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

TokenDigest TokenDigest::Of(std::string_view secret) {
  TokenDigest d;
  d.bytes = Sha256::Of(AsBytes(secret)).bytes;
  return d;
}

bool DigestEquals(const TokenDigest& a, const TokenDigest& b) {
  return ConstantTimeEquals(ByteSpan(a.bytes), ByteSpan(b.bytes));
}

Result<AuthConfig> ParseAuthToml(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config: " << e.description() << " at line " << e.source().begin.line;
    return InvalidArgument(os.str());
  }
  AuthConfig cfg;
  const toml::table* auth = root["auth"].as_table();
  if (!auth) return cfg;
  if (const toml::node* s = auth->get("secret")) {
    auto hex = s->value<std::string>();
    auto bytes = hex ? HexDecode(*hex) : std::nullopt;
    if (!bytes || bytes->size() < 32) {
      return InvalidArgument("config: auth.secret must be at least 64 hex digits (32 bytes)");
    }
    cfg.server_secret = std::move(*bytes);
  }
  const toml::node* tokens_node = auth->get("tokens");
  if (!tokens_node) return cfg;
  const toml::array* tokens = tokens_node->as_array();
  if (!tokens) return InvalidArgument("config: auth.tokens must be an array of tables");
  std::set<std::string> seen;
  for (size_t i = 0; i < tokens->size(); ++i) {
    std::string where = "config: auth.tokens[" + std::to_string(i) + "]";
    const toml::table* t = (*tokens)[i].as_table();
    if (!t) return InvalidArgument(where + ": expected a table");
    for (const auto& [key, value] : *t) {
      if (key != "id" && key != "secret" && key != "sha256" && key != "scope") {
        return InvalidArgument(where + ": unknown key \"" + std::string(key.str()) + "\"");
      }
    }
    StaticToken tok;
    auto id = (*t)["id"].value<std::string>();
    auto scope = (*t)["scope"].value<std::string>();
    auto secret = (*t)["secret"].value<std::string>();
    auto sha = (*t)["sha256"].value<std::string>();
    if (!id) return InvalidArgument(where + ": missing id");
    tok.id = *id;
    where += " (" + tok.id.substr(0, 64) + ")";
    if (!scope) return InvalidArgument(where + ": missing scope");
    CASTOR_ASSIGN_OR_RETURN(tok.scope, ParseScope(*scope, where));
    if (secret.has_value() == sha.has_value()) {
      return InvalidArgument(where + ": give exactly one of secret or sha256");
    }
    if (secret) {
      if (secret->size() < kMinSecretChars) {
        return InvalidArgument(where + ": secret shorter than " + std::to_string(kMinSecretChars) +
                               " characters");
      }
      tok.digest = TokenDigest::Of(*secret);
    } else {
      auto d = HexDecode(*sha);
      if (!d || d->size() != 32) return InvalidArgument(where + ": sha256 must be 64 hex digits");
      std::copy(d->begin(), d->end(), tok.digest.bytes.begin());
    }
    CASTOR_RETURN_IF_ERROR(CheckToken(tok, seen, where));
    cfg.tokens.push_back(std::move(tok));
  }
  return cfg;
}

Result<AuthConfig> LoadAuthToml(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IOError("cannot read config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = ParseAuthToml(ss.str());
  if (!cfg.ok()) return cfg.status().WithContext(path);
  return cfg;
}

Result<std::vector<StaticToken>> ParseTokensEnv(std::string_view value) {
  std::vector<StaticToken> out;
  std::set<std::string> seen;
  size_t index = 0;
  while (true) {
    size_t comma = value.find(',');
    std::string_view entry = Trim(value.substr(0, comma));
    if (!entry.empty()) {
      std::string where = "CASTOR_TOKENS entry " + std::to_string(index);
      size_t c1 = entry.find(':');
      size_t c2 = entry.rfind(':');
      if (c1 == std::string_view::npos || c1 == c2) {
        return InvalidArgument(where + ": expected id:secret:scope");
      }
      StaticToken tok;
      tok.id = std::string(entry.substr(0, c1));
      std::string_view secret = entry.substr(c1 + 1, c2 - c1 - 1);
      CASTOR_ASSIGN_OR_RETURN(tok.scope, ParseScope(entry.substr(c2 + 1), where));
      if (secret.size() < kMinSecretChars) {
        return InvalidArgument(where + ": secret shorter than " + std::to_string(kMinSecretChars) +
                               " characters");
      }
      tok.digest = TokenDigest::Of(secret);
      CASTOR_RETURN_IF_ERROR(CheckToken(tok, seen, where));
      out.push_back(std::move(tok));
    }
    ++index;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

Status CheckListenAllowed(std::string_view host, bool have_tokens) {
  if (have_tokens) return Status::OK();
  std::string h(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  bool loopback = h == "localhost";
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  }
  if (loopback) return Status::OK();
  return FailedPrecondition("refusing to listen on " + std::string(host) +
                            " without access tokens: configure [[auth.tokens]] or CASTOR_TOKENS, "
                            "or listen on a loopback address");
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Authenticator::Authenticator(std::vector<StaticToken> tokens, const CasTokenSigner* cas_tokens,
                             std::function<int64_t()> now)
    : tokens_(std::move(tokens)),
      cas_tokens_(cas_tokens),
      now_(now ? std::move(now) : std::function<int64_t()>(UnixNow)) {}

Result<Principal> Authenticator::Authenticate(std::optional<std::string_view> authorization) const {
  if (!authorization) return Unauthenticated("missing bearer token");
  std::string_view v = Trim(*authorization);
  if (v.size() < 7 || !EqualsIgnoreCase(v.substr(0, 7), "Bearer ")) {
    return Unauthenticated("Authorization is not a bearer token");
  }
  std::string_view token = Trim(v.substr(7));
  if (token.empty()) return Unauthenticated("empty bearer token");
  if (cas_tokens_ && CasTokenSigner::LooksLikeCasToken(token)) {
    CASTOR_ASSIGN_OR_RETURN(CasTokenClaims c, cas_tokens_->Verify(token, now_()));
    return Principal{"cas:" + c.issuer_id, c.scope, c.repo};
  }
  // Fixed-length digests compared in constant time; every entry is examined, so the position of
  // a match does not show either.
  TokenDigest presented = TokenDigest::Of(token);
  const StaticToken* match = nullptr;
  for (const StaticToken& t : tokens_) {
    if (DigestEquals(t.digest, presented) && !match) match = &t;
  }
  if (!match) return Unauthenticated("unknown bearer token");
  return Principal{match->id, match->scope, ""};
}

Result<Principal> Authenticator::Authorize(const Request& request, Scope required) const {
  CASTOR_ASSIGN_OR_RETURN(Principal p, Authenticate(request.headers.Get("Authorization")));
  if (static_cast<int>(p.scope) < static_cast<int>(required)) {
    return PermissionDenied("token \"" + p.token_id + "\" has " + std::string(ScopeName(p.scope)) +
                            " scope; this route needs " + std::string(ScopeName(required)));
  }
  return p;
}

}  // namespace castor::server
