// HttpClient: castor's interface for outgoing HTTP requests (S3, the CAS API, the Hub), with
// streaming bodies in both directions, and NewCurlHttpClient(), its libcurl implementation.
//
// The interface reports transport failures as errors (Unavailable: refused, reset, closed early;
// DeadlineExceeded: a timeout or a stall) and hands every HTTP status, including 4xx/5xx, back as a
// Response: deciding what a status means (and whether to retry) is the caller's job.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"

namespace castor::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Whether a transport error is a failed host name lookup (no network, no DNS, a wrong host):
// worth a retry or two, not a long backoff series.
bool IsNameResolutionFailure(const Status& s);

// Case-insensitive header lookup; empty if absent (first match wins).
std::string_view FindHeader(const Headers& headers, std::string_view name);

// Produces an upload body piece by piece: fills a prefix of `buf` and returns how many bytes it
// wrote (0 = end of body). Called on the sending thread.
using BodySource = std::function<Result<size_t>(MutableByteSpan buf)>;
// Receives a response body piece by piece, in order. A non-OK Status aborts the transfer and
// becomes the result of Send().
using BodySink = std::function<Status(ByteSpan data)>;

struct Request {
  std::string method = "GET";  // any token: GET, HEAD, PUT, POST, DELETE, ...
  std::string url;             // absolute http:// or https:// URL, already percent-encoded
  Headers headers;

  // The body: either `body` (borrowed; must outlive Send) or a streaming `body_source` of exactly
  // `body_size` bytes. Neither = no body.
  ByteSpan body;
  BodySource body_source;
  uint64_t body_size = 0;

  // Whole-request limit (0 = none); use for small requests only, since large transfers are
  // policed by the stall timeout instead.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds connect_timeout{10'000};
  // Fails the request when no byte moves in either direction for this long (0 = never).
  std::chrono::milliseconds stall_timeout{30'000};
  bool follow_redirects = false;
};

struct Response {
  int status = 0;
  Headers headers;  // in arrival order; names as sent by the server
  // The body when Send() had no sink, or when the status is not 2xx (error bodies are always
  // collected, up to 1 MiB, so callers can report the server's error code).
  Bytes body;

  std::string_view header(std::string_view name) const { return FindHeader(headers, name); }
  std::string_view body_text() const { return AsString(body); }
};

// Safe for concurrent use: any number of threads may call Send() at once. Connections are kept
// alive and reused between requests to the same host.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends the request and collects the response body in Response::body.
  virtual Result<Response> Send(const Request& request) = 0;
  // Sends the request; a 2xx response body goes to `sink` (Response::body stays empty), any
  // other status's body is collected in Response::body.
  virtual Result<Response> Send(const Request& request, const BodySink& sink) = 0;
};

struct CurlOptions {
  // Idle easy handles (each with its own connection cache) kept for reuse.
  int max_idle_handles = 64;
  // Receive buffer per transfer; larger buffers mean fewer callbacks on fast links.
  long receive_buffer_bytes = 512 * 1024;
  long upload_buffer_bytes = 2 * 1024 * 1024;
  // CA bundle path for https (empty = libcurl's default).
  std::string ca_bundle;
  bool verify_tls = true;
};

// A libcurl-backed client. libcurl is initialised once per process on first use.
std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlOptions& options = {});

// RFC 3986 percent-encoding of everything but unreserved characters; with keep_slash, '/' stays
// (S3 object paths). Used for URLs and for SigV4 canonical requests alike.
std::string UriEncode(std::string_view s, bool keep_slash);

}  // namespace castor::http
