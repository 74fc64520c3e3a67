// Request and Response: the server's view of one HTTP exchange, free of any HTTP library type, so
// handlers (the CAS service, the token endpoint, /metrics) can be written and tested without Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"

namespace castor::server {

// Header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every field of that name with one.
  void Set(std::string name, std::string value);
  // The first value of `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

using ::castor::EqualsIgnoreCase;

// Access granted to a request, filled in by the Authorizer before the handler runs.
enum class Scope { kNone = 0, kRead = 1, kWrite = 2 };
std::string_view ScopeName(Scope s);  // "none", "read", "write"

struct Principal {
  std::string token_id;  // for logs and the audit trail; never the secret
  Scope scope = Scope::kNone;
  std::string repo;  // CAS tokens: the repository they were issued for; empty otherwise
};

// One request, headers and (buffered) body. Handlers may read everything and write `audit_object`.
struct Request {
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // as received: path plus optional "?query"
  std::string path;    // the target before '?', still percent-encoded
  std::string query;   // the target after '?', without it ("" when none)
  Headers headers;
  std::string body;        // at most the route's body limit
  std::string remote;      // peer "ip:port"
  std::string route;       // the matched route's name (for metrics), "" when none matched
  std::string request_id;  // unique per request; also sent back as X-Request-Id
  std::map<std::string, std::string> params;  // path parameters, percent-decoded
  Principal principal;
  // Set by handlers to name the object a request touched ("xorb <hash>"), for the audit log.
  std::string audit_object;

  // The first value of query parameter `name`, percent-decoded.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // Every value of query parameter `name`, percent-decoded, in order.
  std::vector<std::string> QueryParams(std::string_view name) const;
  const std::string& Param(const std::string& name) const;
};

// Pulls the next bytes of a streamed response body into `out`; returns how many were written
// (0 < n <= out.size()), or 0 at the end, or an error (the connection is then closed, as the
// status line is already sent). Called on one server thread at a time, in order.
using BodySource = std::function<Result<size_t>(MutableByteSpan out)>;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;  // used unless `source` is set
  // Streamed body of exactly `content_length` bytes (large objects, byte ranges).
  BodySource source;
  uint64_t content_length = 0;
  // Close the connection after this response (set by the server on errors and during shutdown).
  bool close = false;

  static Response Text(int status, std::string body, std::string content_type = "text/plain");
  static Response Json(int status, std::string json);
  // {"error": "...", "message": "..."} with the given status.
  static Response Error(int status, std::string_view error, std::string_view message);
  // The error body for a Status, with the HTTP status it maps to (HttpStatusFor).
  static Response FromStatus(const Status& status);
  static Response Streamed(int status, uint64_t content_length, BodySource source,
                           std::string content_type = "application/octet-stream");
};

// The HTTP status for a non-OK Status: InvalidArgument/Corruption 400, Unauthenticated 401,
// PermissionDenied 403, NotFound 404, AlreadyExists/FailedPrecondition 409, OutOfRange 416,
// ResourceExhausted 429, Unimplemented 501, Unavailable 503, DeadlineExceeded 504, else 500.
int HttpStatusFor(StatusCode code);

// Percent-decodes `s` ("%2F" -> "/"; '+' is kept). nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s);
// Percent-encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view s);

}  // namespace castor::server
