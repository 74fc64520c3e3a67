#include "castor/client/token_source.h"

#include "castor/protocol/cas_messages.h"

namespace castor::client {

namespace {

class Static : public TokenSource {
 public:
  explicit Static(std::string t) : token_(std::move(t)) {}
  Result<std::string> Token(bool) override { return token_; }

 private:
  std::string token_;
};

class Endpoint : public TokenSource {
 public:
  Endpoint(http::HttpClient* http, std::string url, std::string hub_token,
           std::chrono::seconds margin)
      : http_(http), url_(std::move(url)), hub_token_(std::move(hub_token)), margin_(margin) {}

  Result<std::string> Token(bool refresh) override {
    std::lock_guard lock(mu_);
    return TokenLocked(refresh);
  }

  std::string cas_url() override {
    std::lock_guard lock(mu_);
    if (cas_url_.empty()) (void)TokenLocked(false);
    return cas_url_;
  }

 private:
  Result<std::string> TokenLocked(bool refresh) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    if (!refresh && !token_.empty() && now + margin_.count() < exp_) return token_;
    http::Request req;
    req.url = url_;
    req.timeout = std::chrono::seconds(30);
    if (!hub_token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + hub_token_);
    auto resp = http_->Send(req);
    if (!resp.ok()) return resp.status().WithContext("token endpoint");
    if (resp->status == 401) return Unauthenticated("token endpoint: 401 (missing or invalid token)");
    if (resp->status == 403) return PermissionDenied("token endpoint: 403 (token lacks permission)");
    if (resp->status == 404) return NotFound("token endpoint: 404 (no such repository or revision)");
    if (resp->status != 200) {
      return Unavailable("token endpoint: HTTP " + std::to_string(resp->status));
    }
    auto parsed = protocol::ParseCasTokenResponse(resp->body_text());
    if (!parsed.ok()) return parsed.status().WithContext("token endpoint");
    token_ = parsed->access_token;
    exp_ = parsed->exp;
    cas_url_ = parsed->cas_url;
    return token_;
  }

  http::HttpClient* http_;
  std::string url_, hub_token_;
  std::chrono::seconds margin_;
  std::mutex mu_;
  std::string token_, cas_url_;
  int64_t exp_ = 0;
};

}  // namespace

std::unique_ptr<TokenSource> StaticToken(std::string token) {
  return std::make_unique<Static>(std::move(token));
}

std::unique_ptr<TokenSource> EndpointToken(http::HttpClient* http, std::string url,
                                           std::string hub_token, std::chrono::seconds margin) {
  return std::make_unique<Endpoint>(http, std::move(url), std::move(hub_token), margin);
}

}  // namespace castor::client
