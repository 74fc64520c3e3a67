#include "castor/server/token_endpoint.h"

#include "castor/protocol/cas_messages.h"
#include "castor/server/auth.h"

namespace castor::server {
namespace {

Response Issue(Request& req, const CasTokenSigner& signer, const TokenEndpointOptions& opt,
               const std::string& type, const std::string& revision) {
  if (type != "model" && type != "dataset" && type != "space" && type != "bucket") {
    return Response::Error(404, "not_found", "unknown repository type \"" + type + "s\"");
  }
  const std::string& kind = req.Param("kind");
  Scope scope;
  if (kind == "read") {
    scope = Scope::kRead;
  } else if (kind == "write") {
    scope = Scope::kWrite;
  } else {
    return Response::Error(404, "not_found", "unknown token kind \"" + kind + "\"");
  }
  if (!req.principal.repo.empty()) {
    // A CAS token may not mint further tokens, or it could renew itself forever.
    return Response::Error(403, "permission_denied", "CAS tokens cannot request tokens");
  }
  if (static_cast<int>(req.principal.scope) < static_cast<int>(scope)) {
    return Response::Error(
        403, "permission_denied",
        "token \"" + req.principal.token_id + "\" may not obtain a " + kind + " token");
  }
  CasTokenClaims claims;
  claims.issuer_id = req.principal.token_id;
  claims.scope = scope;
  claims.repo = type + "s/" + req.Param("repo");
  claims.revision = revision;
  claims.exp = (opt.now ? opt.now() : UnixNow()) + opt.lifetime.count();
  req.audit_object = kind + " token for " + claims.repo + "@" + revision;
  protocol::CasTokenResponse body{signer.Issue(claims), claims.exp, opt.cas_url};
  Response r = Response::Json(200, protocol::ToJson(body));
  r.headers.Set("X-Xet-Access-Token", body.access_token);
  r.headers.Set("X-Xet-Token-Expiration", std::to_string(body.exp));
  r.headers.Set("X-Xet-Cas-Url", body.cas_url);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace

Status AddTokenRoutes(Router& router, const CasTokenSigner* signer, TokenEndpointOptions options) {
  auto opt = std::make_shared<const TokenEndpointOptions>(std::move(options));
  RouteOptions ro;
  ro.name = "token";
  ro.scope = Scope::kRead;
  ro.max_body = 0;
  CASTOR_RETURN_IF_ERROR(router.Add(
      "GET", "/api/{type}s/{repo...}/xet-{kind}-token/{rev}",
      [signer, opt](Request& req) {
        return Issue(req, *signer, *opt, req.Param("type"), req.Param("rev"));
      },
      ro));
  return router.Add(
      "GET", "/api/buckets/{repo...}/xet-{kind}-token",
      [signer, opt](Request& req) { return Issue(req, *signer, *opt, "bucket", ""); }, ro);
}

}  // namespace castor::server
