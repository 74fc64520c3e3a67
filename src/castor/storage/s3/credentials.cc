#include "castor/storage/s3/credentials.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace castor::s3 {
namespace {

using Clock = std::chrono::system_clock;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string HomeFile(const EnvLookup& env, const char* var, const char* rel) {
  if (auto v = env(var); v && !v->empty()) return *v;
  auto home = env("HOME");
  return (home ? *home : std::string("")) + rel;
}

std::string ProfileName(const EnvLookup& env, const std::string& profile) {
  if (!profile.empty()) return profile;
  if (auto p = env("AWS_PROFILE"); p && !p->empty()) return *p;
  return "default";
}

// Parses the JSON that both the container endpoint and IMDS return.
Result<Credentials> ParseCredentialJson(std::string_view what, std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("AccessKeyId") || !j.contains("SecretAccessKey") ||
      !j["AccessKeyId"].is_string() || !j["SecretAccessKey"].is_string())
    return Unauthenticated(std::string(what) + ": response is not a credentials document");
  if (j.contains("Code") && j["Code"].is_string() && j["Code"] != "Success")
    return Unauthenticated(std::string(what) + ": code " + j["Code"].get<std::string>());
  Credentials c;
  c.access_key = j["AccessKeyId"].get<std::string>();
  c.secret_key = j["SecretAccessKey"].get<std::string>();
  if (j.contains("Token") && j["Token"].is_string())
    c.session_token = j["Token"].get<std::string>();
  if (j.contains("Expiration") && j["Expiration"].is_string()) {
    auto t = ParseIso8601(j["Expiration"].get<std::string>());
    if (!t) return Unauthenticated(std::string(what) + ": unparseable Expiration");
    c.expiration = *t;
  }
  return c;
}

class StaticProvider final : public CredentialProvider {
 public:
  explicit StaticProvider(Credentials c) : c_(std::move(c)) {}
  Result<Credentials> Get(bool) override { return c_; }
  std::string source() const override { return "static"; }

 private:
  Credentials c_;
};

class ChainProvider final : public CredentialProvider {
 public:
  explicit ChainProvider(CredentialChainOptions o) : o_(std::move(o)) {}

  Result<Credentials> Get(bool force_refresh) override {
    std::lock_guard lock(mu_);
    if (cached_ && !force_refresh) {
      bool expires = cached_->expiration != Clock::time_point{};
      if (!expires || o_.now() + o_.refresh_ahead < cached_->expiration) return *cached_;
    }
    Result<Credentials> fresh = Resolve();
    if (!fresh.ok()) {
      // A failed refresh keeps using credentials that are still valid.
      if (cached_ && cached_->expiration > o_.now()) return *cached_;
      return fresh.status();
    }
    cached_ = *fresh;
    return *cached_;
  }

  std::string source() const override {
    std::lock_guard lock(mu_);
    return source_;
  }

 private:
  Result<Credentials> Resolve() {
    std::string tried;
    // 1. Environment.
    auto ak = o_.env("AWS_ACCESS_KEY_ID"), sk = o_.env("AWS_SECRET_ACCESS_KEY");
    if (ak && sk && !ak->empty() && !sk->empty()) {
      Credentials c{*ak, *sk, o_.env("AWS_SESSION_TOKEN").value_or(""), {}};
      source_ = "environment";
      return c;
    }
    tried += "environment";
    // 2. Shared files.
    std::string profile = ProfileName(o_.env, o_.profile);
    std::string cred_file = HomeFile(o_.env, "AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials");
    std::string conf_file = HomeFile(o_.env, "AWS_CONFIG_FILE", "/.aws/config");
    for (auto [file, section] :
         {std::pair{cred_file, profile},
          std::pair{conf_file, profile == "default" ? profile : "profile " + profile}}) {
      auto text = ReadFile(file);
      if (!text) continue;
      auto a = IniValue(*text, section, "aws_access_key_id");
      auto s = IniValue(*text, section, "aws_secret_access_key");
      if (a && s) {
        source_ = "profile " + profile + " (" + file + ")";
        return Credentials{*a, *s, IniValue(*text, section, "aws_session_token").value_or(""), {}};
      }
    }
    tried += ", profile " + profile;
    // 3. Container endpoint.
    std::string url;
    if (auto rel = o_.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel && !rel->empty())
      url = "http://169.254.170.2" + *rel;
    else if (auto full = o_.env("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full && !full->empty())
      url = *full;
    if (!url.empty()) {
      if (!o_.http) return Internal("credentials: no HTTP client for the container endpoint");
      http::Request r;
      r.url = url;
      r.timeout = o_.metadata_timeout * 2;
      r.connect_timeout = o_.metadata_timeout;
      std::optional<std::string> token = o_.env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
      if (auto tf = o_.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); tf && !tf->empty()) {
        token = ReadFile(*tf);
        if (!token)
          return Unauthenticated(
              "credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *tf);
      }
      if (token && !Trim(*token).empty())
        r.headers.emplace_back("Authorization", std::string(Trim(*token)));
      CASTOR_ASSIGN_OR_RETURN(http::Response resp, o_.http->Send(r));
      if (resp.status != 200)
        return Unauthenticated("credentials: container endpoint answered HTTP " +
                               std::to_string(resp.status));
      source_ = "container endpoint";
      return ParseCredentialJson("credentials: container endpoint", resp.body_text());
    }
    tried += ", container endpoint (AWS_CONTAINER_CREDENTIALS_* unset)";
    // 4. IMDSv2.
    auto disabled = o_.env("AWS_EC2_METADATA_DISABLED");
    if (!(disabled && (*disabled == "true" || *disabled == "1"))) {
      Result<Credentials> c = FromImds();
      if (c.ok()) {
        source_ = "instance metadata";
        return c;
      }
      tried += ", instance metadata (" + c.status().message() + ")";
    }
    return Unauthenticated("no S3 credentials found; tried " + tried);
  }

  Result<Credentials> FromImds() {
    if (!o_.http) return Internal("no HTTP client");
    std::string base =
        o_.env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto send = [&](std::string method, std::string path,
                    http::Headers h) -> Result<http::Response> {
      http::Request r;
      r.method = std::move(method);
      r.url = base + path;
      r.headers = std::move(h);
      r.timeout = o_.metadata_timeout;
      r.connect_timeout = o_.metadata_timeout;
      return o_.http->Send(r);
    };
    CASTOR_ASSIGN_OR_RETURN(auto tok, send("PUT", "/latest/api/token",
                                           {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}));
    if (tok.status != 200) return Unauthenticated("IMDS token: HTTP " + std::to_string(tok.status));
    std::string token(Trim(tok.body_text()));
    http::Headers auth = {{"X-aws-ec2-metadata-token", token}};
    const std::string dir = "/latest/meta-data/iam/security-credentials/";
    CASTOR_ASSIGN_OR_RETURN(auto role, send("GET", dir, auth));
    if (role.status != 200)
      return Unauthenticated("IMDS role: HTTP " + std::to_string(role.status));
    std::string name(Trim(role.body_text()));
    if (auto nl = name.find('\n'); nl != std::string::npos) name.resize(nl);
    if (name.empty()) return Unauthenticated("IMDS: no instance role");
    CASTOR_ASSIGN_OR_RETURN(auto creds, send("GET", dir + http::UriEncode(name, false), auth));
    if (creds.status != 200)
      return Unauthenticated("IMDS credentials: HTTP " + std::to_string(creds.status));
    return ParseCredentialJson("IMDS", creds.body_text());
  }

  CredentialChainOptions o_;
  mutable std::mutex mu_;
  std::optional<Credentials> cached_;
  std::string source_ = "none";
};

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::shared_ptr<CredentialProvider> NewDefaultCredentialChain(CredentialChainOptions options) {
  return std::make_shared<ChainProvider>(std::move(options));
}

std::shared_ptr<CredentialProvider> NewStaticCredentials(Credentials creds) {
  return std::make_shared<StaticProvider>(std::move(creds));
}

std::optional<Clock::time_point> ParseIso8601(std::string_view s) {
  int y, mo, d, h, mi, sec;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  // A numeric offset ("+02:00") shifts to UTC; "Z" or nothing is UTC already.
  size_t pos = 19;
  while (pos < str.size() &&
         (str[pos] == '.' || std::isdigit(static_cast<unsigned char>(str[pos]))))
    ++pos;
  if (pos < str.size() && (str[pos] == '+' || str[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) >= 1) {
      int off = oh * 3600 + om * 60;
      t += str[pos] == '+' ? -off : off;
    }
  }
  return Clock::from_time_t(t);
}

std::optional<std::string> IniValue(std::string_view text, std::string_view section,
                                    std::string_view key) {
  bool in = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in = Trim(line.substr(1, line.size() - 2)) == section;
      continue;
    }
    if (!in) continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(line.substr(0, eq)) == key) return std::string(Trim(line.substr(eq + 1)));
  }
  return std::nullopt;
}

std::optional<std::string> ProfileRegion(const EnvLookup& env, std::string profile) {
  profile = ProfileName(env, profile);
  auto text = ReadFile(HomeFile(env, "AWS_CONFIG_FILE", "/.aws/config"));
  if (!text) return std::nullopt;
  return IniValue(*text, profile == "default" ? profile : "profile " + profile, "region");
}

}  // namespace castor::s3
