#include "castor/server/cas_token.h"

#include <nlohmann/json.hpp>

namespace castor::server {
namespace {

constexpr std::string_view kPrefix = "cxt1.";

}  // namespace

CasTokenSigner::CasTokenSigner(ByteSpan server_secret)
    // A key of its own, so that no other signature made with the server secret (signed URLs)
    // can ever be replayed as a token.
    : key_(HmacSha256(server_secret, AsBytes("castor cas-token v1"))) {}

bool CasTokenSigner::LooksLikeCasToken(std::string_view token) {
  return token.substr(0, kPrefix.size()) == kPrefix;
}

std::string CasTokenSigner::Issue(const CasTokenClaims& c) const {
  nlohmann::ordered_json j{{"iss", c.issuer_id},
                           {"scope", std::string(ScopeName(c.scope))},
                           {"repo", c.repo},
                           {"rev", c.revision},
                           {"exp", c.exp}};
  std::string payload =
      Base64UrlEncode(AsBytes(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  std::string signed_part = std::string(kPrefix) + payload;
  Mac mac = HmacSha256(key_, AsBytes(signed_part));
  return signed_part + "." + Base64UrlEncode(mac);
}

Result<CasTokenClaims> CasTokenSigner::Verify(std::string_view token, int64_t now) const {
  auto bad = [] { return Unauthenticated("invalid CAS token"); };
  if (!LooksLikeCasToken(token)) return bad();
  size_t dot = token.rfind('.');
  if (dot < kPrefix.size()) return bad();
  std::string_view signed_part = token.substr(0, dot);
  auto mac = Base64UrlDecode(token.substr(dot + 1));
  if (!mac) return bad();
  Mac want = HmacSha256(key_, AsBytes(signed_part));
  if (!ConstantTimeEquals(*mac, want)) return bad();
  // Only now, with the MAC verified, is the payload trusted enough to parse.
  auto payload = Base64UrlDecode(signed_part.substr(kPrefix.size()));
  if (!payload) return bad();
  auto j = nlohmann::json::parse(payload->begin(), payload->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad();
  CasTokenClaims c;
  auto str = [&](const char* k, std::string& out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  std::string scope;
  if (!str("iss", c.issuer_id) || !str("scope", scope) || !str("repo", c.repo) ||
      !str("rev", c.revision)) {
    return bad();
  }
  if (scope == "read") {
    c.scope = Scope::kRead;
  } else if (scope == "write") {
    c.scope = Scope::kWrite;
  } else {
    return bad();
  }
  auto exp = j.find("exp");
  if (exp == j.end() || !exp->is_number_integer()) return bad();
  c.exp = exp->get<int64_t>();
  if (now >= c.exp) return Unauthenticated("CAS token expired");
  return c;
}

}  // namespace castor::server
