// Where S3 credentials come from, in the order the AWS tools look:
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
//   2. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE
//      (~/.aws/config), profile from the store option, AWS_PROFILE, or "default";
//   3. the container endpoint (ECS, CodeBuild, EKS Pod Identity):
//      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN or
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as the Authorization header;
//   4. EC2 instance metadata, IMDSv2 only (a session token first), at
//      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254) unless
//      AWS_EC2_METADATA_DISABLED=true.
// Temporary credentials are refreshed ahead of their expiry. Secrets never appear in messages.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "castor/base/status.h"
#include "castor/http/http_client.h"
#include "castor/storage/s3/sigv4.h"

namespace castor::s3 {

// Safe for concurrent use.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Current credentials; Unauthenticated when none can be found. `force_refresh` skips the
  // cache (after the server said the token expired).
  virtual Result<Credentials> Get(bool force_refresh = false) = 0;
  // Where the current credentials came from ("environment", "profile default", "container
  // endpoint", "instance metadata"), for messages. Never the secret.
  virtual std::string source() const = 0;
};

// Reads one environment variable; replaceable in tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

struct CredentialChainOptions {
  std::string profile;  // empty = AWS_PROFILE or "default"
  EnvLookup env = ProcessEnv();
  std::shared_ptr<http::HttpClient> http;  // for the container and IMDS endpoints (required)
  // Refresh this long before expiry (the AWS SDKs use 5 to 15 minutes).
  std::chrono::seconds refresh_ahead{300};
  std::chrono::milliseconds metadata_timeout{2000};
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

// The default chain above, with caching and refresh.
std::shared_ptr<CredentialProvider> NewDefaultCredentialChain(CredentialChainOptions options);
// Fixed credentials (tests, tools).
std::shared_ptr<CredentialProvider> NewStaticCredentials(Credentials creds);

// Parses "2026-11-29T10:00:00Z" (also with fractional seconds or "+00:00").
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view s);

// Looks `key` up in section `section` of an AWS INI file's text ("[default]", "[profile x]").
std::optional<std::string> IniValue(std::string_view text, std::string_view section,
                                    std::string_view key);

// The region from the config file of the profile (for s3:// URIs without ?region=).
std::optional<std::string> ProfileRegion(const EnvLookup& env, std::string profile);

}  // namespace castor::s3
