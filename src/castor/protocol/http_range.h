// HTTP byte ranges (RFC 9110 §14): parsing `Range: bytes=…` headers, resolving them against a
// representation size, and formatting `Range` / `Content-Range` values. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/status.h"

namespace castor::protocol {

// A half-open byte interval [start, end) of a representation. Empty when start == end.
struct ByteRange {
  uint64_t start = 0;
  uint64_t end = 0;

  uint64_t size() const { return end - start; }
  // The inclusive last byte, as HTTP writes it. Only meaningful when size() > 0.
  uint64_t last() const { return end - 1; }
  bool operator==(const ByteRange&) const = default;
};

// One range-spec of a `Range` header, before the representation size is known.
struct RangeSpec {
  enum class Kind {
    kClosed,  // "S-E": bytes S..E inclusive
    kOpen,    // "S-": from S to the end
    kSuffix,  // "-N": the last N bytes
  };
  Kind kind = Kind::kClosed;
  uint64_t first = 0;  // S (kClosed, kOpen) or N (kSuffix)
  uint64_t last = 0;   // E (kClosed only)
  bool operator==(const RangeSpec&) const = default;
};

// Upper bound on the range-specs one header may carry; more is treated as abuse (InvalidArgument).
inline constexpr size_t kMaxRangeSpecs = 10000;

// Parses a `Range` header value such as "bytes=0-99,200-,-50" (whitespace around specs allowed).
// InvalidArgument for any other unit, an empty list, a malformed spec, E < S, numbers that
// overflow 64 bits, or more than kMaxRangeSpecs specs.
Result<std::vector<RangeSpec>> ParseRangeHeader(std::string_view value);

// Resolves specs against a representation of `size` bytes, in request order: closed ranges are
// clamped to the end, suffixes longer than the representation cover all of it, and specs that
// start at or past the end are dropped. OutOfRange ("416") when no spec is satisfiable. Overlapping
// ranges are kept as given (callers that must coalesce do so themselves).
Result<std::vector<ByteRange>> ResolveRanges(const std::vector<RangeSpec>& specs, uint64_t size);

// "bytes=0-99,200-299". Every range must be non-empty.
std::string FormatRangeHeader(const std::vector<ByteRange>& ranges);

// "bytes 0-99/1000" for a non-empty range; "bytes */1000" (the 416 form) when range is empty.
std::string FormatContentRange(const ByteRange& range, uint64_t total);

// A parsed `Content-Range` header of a 206 part.
struct ContentRange {
  ByteRange range;
  uint64_t total = 0;
  bool total_known = true;  // false for "bytes 0-99/*"
};

// Parses "bytes S-E/T" or "bytes S-E/*". InvalidArgument otherwise, or when E < S or E >= T.
Result<ContentRange> ParseContentRange(std::string_view value);

}  // namespace castor::protocol
