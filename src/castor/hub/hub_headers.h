// Parsing of the Hub's response headers that steer a client: `Link` (tree pagination and the
// `xet-auth` token URL) and `RateLimit` (how long to wait after a 429). Pure functions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace castor::hub {

// `Link: <url1>; rel="next", <url2>; rel="xet-auth"` -> {"next": url1, "xet-auth": url2}.
// Malformed entries are skipped; the first URL of a rel wins.
std::map<std::string, std::string> ParseLinkHeader(std::string_view value);

// Seconds until the quota resets, from the IETF draft header the Hub sends:
//   RateLimit: "resolvers";r=0;t=42     (also accepts the older `reset=42` form)
// nullopt when the header carries no usable `t`/`reset`.
std::optional<std::chrono::seconds> ParseRateLimitReset(std::string_view value);

// `Retry-After: 30` (delta seconds only; HTTP dates are ignored) -> 30 s.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value);

// Resolves `location` (absolute, or absolute-path "/x/y") against `base` ("http://h:p/...").
std::string ResolveUrl(std::string_view base, std::string_view location);
// "http://host:port" of an absolute URL (lower-cased host, default port made explicit), for
// deciding whether a redirect leaves the Hub (and must not carry its token).
std::string UrlOrigin(std::string_view url);

}  // namespace castor::hub
