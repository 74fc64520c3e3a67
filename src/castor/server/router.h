// Router: maps (method, path) to a handler through path patterns, with per-route options (name for
// metrics, required scope, body limit). The CAS service, the token endpoint and /metrics register
// their handlers here; HttpServer consults it before reading a request body.
//
// Patterns are '/'-separated segments. A segment is a literal ("v1"), or one parameter with an
// optional literal prefix and suffix ("{hash}", "xet-{kind}-token", "{type}s"); "{name...}" matches
// one or more whole segments (a repository id "org/name"). Matching is on the raw (encoded) path,
// so "%2F" never splits a segment; parameter values are percent-decoded afterwards.
//
// Thread safety: Add() must all happen before the server starts; Match() is then safe from any
// number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "castor/server/http_message.h"

namespace castor::server {

using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  // Label for metrics and logs; defaults to the pattern.
  std::string name;
  // Scope the bearer token must grant; kNone = no authentication.
  Scope scope = Scope::kRead;
  // Largest request body accepted (413 beyond), checked against Content-Length before reading and
  // enforced while reading. Default 1 MiB; xorb uploads set 64 MiB and more.
  uint64_t max_body = 1 << 20;
  // Optional: runs after authorisation and before any body byte is read (Request::body is still
  // empty). Returning a Response answers the request without reading the body (the connection
  // then closes if a body was announced, and a client waiting on "Expect: 100-continue" never
  // sends it): e.g. a xorb upload whose xorb already exists, or a request invalid from its path.
  std::function<std::optional<Response>(Request&)> before_body;
};

class Router {
 public:
  // Registers `handler` for `method` on `pattern`. InvalidArgument on a malformed pattern
  // (unbalanced braces, two parameters in one segment, an empty name, a duplicate route).
  // A GET route also answers HEAD (the server drops the body) unless HEAD is registered itself.
  Status Add(std::string method, std::string_view pattern, Handler handler,
             RouteOptions options = {});

  struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    RouteOptions options;
  };

  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed, kBadPath };
    Kind kind = Kind::kNotFound;
    const Route* route = nullptr;               // kFound
    std::map<std::string, std::string> params;  // kFound, percent-decoded
    std::string allow;                          // kMethodNotAllowed: "GET, HEAD, POST"
  };

  // Finds the route for `method` and the raw `path` (no query). kBadPath when a matched
  // parameter holds a malformed percent escape.
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    bool is_param = false;
    bool rest = false;  // "{name...}"
    std::string prefix, name, suffix;
  };
  struct Entry {
    Route route;
    std::vector<Segment> segments;
  };
  static bool MatchSegments(const std::vector<Segment>& pattern, size_t pi,
                            const std::vector<std::string_view>& path, size_t si,
                            std::map<std::string, std::string>& raw);

  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace castor::server
