// AWS Signature Version 4 for S3: signed request headers and presigned (query-signed) URLs.
// Pure functions of their inputs (the time is a parameter), so they are tested against the
// examples of the AWS documentation. Thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/http/http_client.h"

namespace castor::s3 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty unless temporary credentials
  // When they stop working (epoch = never). Providers refresh ahead of it.
  std::chrono::system_clock::time_point expiration{};

  bool empty() const { return access_key.empty(); }
};

// Payload hash value for bodies that are not hashed (allowed over TLS and by S3 everywhere).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// Lowercase hex SHA-256 of the bytes (the x-amz-content-sha256 of a signed payload).
std::string PayloadHash(ByteSpan body);

struct SigningRequest {
  std::string method;
  std::string host;  // as sent in the Host header, with ":port" when not the default
  std::string path;  // URI-encoded absolute path as sent ("/bucket/a%20b")
  // Query parameters, NOT encoded; the signer encodes and sorts them.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign besides host and the x-amz-* ones the signer adds.
  http::Headers headers;
  std::string payload_hash = std::string(kUnsignedPayload);
};

// "20130524T000000Z".
std::string AmzDate(std::chrono::system_clock::time_point t);

// The headers to add to the request: x-amz-date, x-amz-content-sha256, x-amz-security-token
// (temporary credentials only) and Authorization.
http::Headers SignHeaders(const SigningRequest& request, const Credentials& creds,
                          std::string_view region, std::chrono::system_clock::time_point now);

// The complete query string (encoded, without '?') of a presigned URL for `request` valid for
// `expires` (1 s .. 7 days). The payload is always UNSIGNED-PAYLOAD; only host is signed.
std::string PresignQuery(const SigningRequest& request, const Credentials& creds,
                         std::string_view region, std::chrono::system_clock::time_point now,
                         std::chrono::seconds expires);

// The canonical query string of SigV4: names and values encoded, sorted by name then value.
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> query);

}  // namespace castor::s3
