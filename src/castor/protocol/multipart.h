// multipart/byteranges (RFC 9110 §14.6): the body of a 206 answer to a multi-range request.
// The writer lays out part headers around byte ranges without touching the range data, so a server
// can stream each range straight from its store; the parser splits a received body back into parts
// (by their Content-Range, as clients must). Pure code, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/protocol/http_range.h"

namespace castor::protocol {

// Layout of a multipart/byteranges body over ranges of one representation of `total` bytes.
// The body is: for each range i, PartHeader(i) then the range's bytes; then Trailer().
// Immutable after construction; safe for concurrent reads.
class MultipartByteranges {
 public:
  // `boundary` must be 1..70 characters from RFC 2046's bchars without a trailing space
  // (MakeBoundary() gives one); `part_content_type` goes into every part
  // ("application/octet-stream").
  MultipartByteranges(std::string boundary, std::string part_content_type,
                      std::vector<ByteRange> ranges, uint64_t total);

  // "multipart/byteranges; boundary=…", for the response's Content-Type.
  std::string ContentType() const;
  // CRLF "--boundary" CRLF "Content-Type: …" CRLF "Content-Range: bytes s-e/total" CRLF CRLF.
  // (The first part's leading CRLF is omitted.)
  const std::string& PartHeader(size_t i) const { return headers_[i]; }
  // CRLF "--boundary--" CRLF.
  const std::string& Trailer() const { return trailer_; }
  const std::vector<ByteRange>& ranges() const { return ranges_; }
  // Exact length of the whole body, for Content-Length.
  uint64_t BodySize() const { return body_size_; }

  // Builds the whole body in memory from the full representation (small objects, tests).
  // `representation` must be `total` bytes long.
  std::string Render(ByteSpan representation) const;

 private:
  std::string boundary_, part_type_;
  std::vector<ByteRange> ranges_;
  std::vector<std::string> headers_;
  std::string trailer_;
  uint64_t body_size_ = 0;
};

// A boundary string unlikely to occur in binary data: "castor-" plus 32 hex digits derived from
// `seed` (callers pass something unpredictable, e.g. a random or per-request value).
std::string MakeBoundary(uint64_t seed);

// One part of a parsed multipart/byteranges body; `data` points into the parsed body.
struct BytesPart {
  ContentRange content_range;
  std::string_view data;
};

// Extracts the boundary parameter from a Content-Type of "multipart/byteranges; boundary=…"
// (quoted or not). InvalidArgument when it is another type or has no boundary.
Result<std::string> ParseByterangesBoundary(std::string_view content_type);

// Splits a multipart/byteranges body into its parts, in body order. Each part must carry a
// Content-Range whose length matches its data. InvalidArgument on any structural error.
Result<std::vector<BytesPart>> ParseMultipartByteranges(std::string_view content_type,
                                                        std::string_view body);

}  // namespace castor::protocol
