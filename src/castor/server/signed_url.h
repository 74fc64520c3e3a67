// Signed URLs for byte ranges the server serves itself (local-directory stores): the URL carries
// the ranges it authorises, an expiry and an HMAC-SHA256 over both and the path, under a key
// derived from the server secret. Same shape as the Hub's: X-Xet-Signed-Range=bytes%3D…,
// Expires, Signature. A request may read only bytes inside the signed ranges, until expiry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/protocol/http_range.h"
#include "castor/server/hmac.h"

namespace castor::server {

// Immutable after construction; safe for concurrent use.
class UrlSigner {
 public:
  explicit UrlSigner(ByteSpan server_secret);

  // The query string (without '?') authorising GETs of `ranges` (non-empty, each non-empty) of
  // `path` until `expires` (unix seconds): "X-Xet-Signed-Range=…&Expires=…&Signature=…".
  std::string SignUrl(std::string_view path, const std::vector<protocol::ByteRange>& ranges,
                      int64_t expires) const;

  // Checks a request for `path` with raw query `query` that asks for `requested` ranges:
  // PermissionDenied (403, which clients read as "expired, re-query") when a parameter is
  // missing or malformed, the signature does not verify, `now` is at or past the expiry, or a
  // requested range is not inside one signed range. `requested` must not be empty.
  Status VerifyUrl(std::string_view path, std::string_view query,
                   const std::vector<protocol::ByteRange>& requested, int64_t now) const;

 private:
  Mac Sign(std::string_view path, std::string_view range_header, int64_t expires) const;
  Mac key_;
};

}  // namespace castor::server
