// Byte ranges on the wire: building a Range header for one or several ranges, and reading the
// answer, which is either one 206 body (Content-Range) or a multipart/byteranges body holding one
// part per range (RFC 9110, section 14.6). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/http/http_client.h"

namespace castor::http {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive, as in HTTP
};

// "bytes=0-99,200-299". Ranges must be non-empty (first <= last).
std::string RangeHeader(const std::vector<ByteRange>& ranges);

struct RangePart {
  ByteRange range;
  uint64_t total = 0;  // the full object size from Content-Range (0 if the server sent "*")
  ByteSpan data;       // points into the response body
};

// Parses "bytes 0-99/1234" (total "*" allowed).
Result<RangePart> ParseContentRange(std::string_view value);

// The ranges of a 206 response: one part from Content-Range, or every part of a
// multipart/byteranges body. Each part's length must match its Content-Range. The returned spans
// point into response.body, which must outlive them.
Result<std::vector<RangePart>> SplitRangeResponse(const Response& response);

}  // namespace castor::http
