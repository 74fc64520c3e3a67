// HttpServer: castor's HTTP/1.1 server (Boost.Beast on Asio, confined to http_server.cc). It routes
// requests through a Router, authorises them before their body is read, buffers bodies up to the
// route's limit (413 beyond, enforced while reading), runs handlers on a fixed thread pool, writes
// in-memory or streamed responses with keep-alive, times out slow clients, and shuts down
// gracefully. Every finished exchange is reported to a RequestObserver (metrics, audit, logs).
//
// Thread model: `threads` Asio threads run all I/O; a handler runs on one of them and may block
// (store I/O), which occupies that thread for the duration. Slow clients cost no thread while they
// dribble bytes: reads are asynchronous and bounded by timeouts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "castor/base/status.h"
#include "castor/server/http_message.h"
#include "castor/server/router.h"

namespace castor::server {

struct HttpServerOptions {
  // Address to bind: an IP literal or "localhost". Port 0 picks an ephemeral port (see port()).
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // I/O and handler threads; 0 = the number of cores.
  int threads = 0;
  // Time allowed to receive a request's header, counted from the moment the server starts waiting
  // for it (so it is also the keep-alive idle limit). Bounds slowloris-style clients.
  std::chrono::milliseconds header_timeout{30'000};
  // Time allowed to receive a whole request body.
  std::chrono::milliseconds body_timeout{300'000};
  // Time allowed for each write of a response piece to make progress.
  std::chrono::milliseconds write_timeout{60'000};
  // Shutdown() waits this long for in-flight requests before closing their connections.
  std::chrono::milliseconds shutdown_grace{30'000};
  // Largest request header (request line plus fields); 431 beyond.
  uint32_t max_header_bytes = 64 * 1024;
  // Open connections beyond this are closed as soon as they are accepted, so that many idle or
  // slow clients cannot exhaust file descriptors.
  size_t max_connections = 4096;
  // Size of each piece pulled from a streamed response's BodySource.
  size_t stream_buffer_bytes = 1 << 20;
};

// Decides whether a request (headers only; the body is not read yet) may use a route needing
// `required`. Returns the Principal on success, Unauthenticated (401, with WWW-Authenticate:
// Bearer) or PermissionDenied (403) otherwise. Must be safe for concurrent use.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Result<Principal> Authorize(const Request& request, Scope required) const = 0;
};

// What the server knows about one finished exchange.
struct RequestRecord {
  std::string method;
  std::string route;  // the route's name; "" when none matched
  std::string path;   // raw path, without the query (signed-URL secrets live in the query)
  int status = 0;
  uint64_t bytes_in = 0;   // request body bytes
  uint64_t bytes_out = 0;  // response body bytes actually written
  std::chrono::nanoseconds duration{0};
  std::string token_id;  // "" when unauthenticated
  Scope route_scope = Scope::kNone;
  std::string object;  // Request::audit_object
  std::string remote;
  std::string request_id;  // as sent in X-Request-Id
  std::string error;       // for rejections: the error message sent, if any
};
// Called once per exchange, on a server thread, after the response was written (or failed).
// Must be safe for concurrent use.
using RequestObserver = std::function<void(const RequestRecord&)>;

class HttpServer {
 public:
  // `router` (and `authorizer`, which may be null when no route needs a scope) must outlive the
  // server and not change after Start().
  HttpServer(const Router* router, HttpServerOptions options,
             const Authorizer* authorizer = nullptr, RequestObserver observer = {});
  ~HttpServer();  // calls Shutdown()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. IOError when the address cannot be bound.
  // Call once.
  Status Start();
  // The bound port (the ephemeral one when options.port was 0). Valid after Start().
  uint16_t port() const;

  // Stops accepting, closes idle connections, lets in-flight requests finish (up to
  // shutdown_grace), then stops the threads and returns. Idempotent; safe from any thread except a
  // handler's own.
  void Shutdown();

 private:
  friend class Session;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace castor::server
