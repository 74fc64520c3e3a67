#include "castor/protocol/http_range.h"

#include "castor/base/bytes.h"

#include <charconv>

namespace castor::protocol {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only (no sign, no whitespace), no overflow.
bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Status Bad(std::string_view value, std::string_view why) {
  std::string shown(value.substr(0, 80));
  return InvalidArgument("invalid Range header \"" + shown + "\": " + std::string(why));
}

}  // namespace

Result<std::vector<RangeSpec>> ParseRangeHeader(std::string_view value) {
  std::string_view v = Trim(value);
  size_t eq = v.find('=');
  if (eq == std::string_view::npos) return Bad(value, "missing '='");
  if (!EqualsIgnoreCase(Trim(v.substr(0, eq)), "bytes")) return Bad(value, "unit is not bytes");
  v.remove_prefix(eq + 1);
  std::vector<RangeSpec> specs;
  while (true) {
    size_t comma = v.find(',');
    std::string_view spec = Trim(v.substr(0, comma));
    // RFC 9110 allows empty list elements ("bytes=0-1,,2-3"); they carry nothing.
    if (!spec.empty()) {
      if (specs.size() == kMaxRangeSpecs) return Bad(value, "too many ranges");
      size_t dash = spec.find('-');
      if (dash == std::string_view::npos) return Bad(value, "range without '-'");
      std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
      RangeSpec r;
      if (a.empty()) {
        r.kind = RangeSpec::Kind::kSuffix;
        if (!ParseU64(b, r.first)) return Bad(value, "bad suffix length");
      } else if (b.empty()) {
        r.kind = RangeSpec::Kind::kOpen;
        if (!ParseU64(a, r.first)) return Bad(value, "bad first byte");
      } else {
        r.kind = RangeSpec::Kind::kClosed;
        if (!ParseU64(a, r.first) || !ParseU64(b, r.last)) return Bad(value, "bad byte position");
        if (r.last < r.first) return Bad(value, "last byte before first byte");
      }
      specs.push_back(r);
    }
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  if (specs.empty()) return Bad(value, "no ranges");
  return specs;
}

Result<std::vector<ByteRange>> ResolveRanges(const std::vector<RangeSpec>& specs, uint64_t size) {
  std::vector<ByteRange> out;
  out.reserve(specs.size());
  for (const RangeSpec& s : specs) {
    switch (s.kind) {
      case RangeSpec::Kind::kClosed:
        if (s.first < size) out.push_back({s.first, s.last >= size - 1 ? size : s.last + 1});
        break;
      case RangeSpec::Kind::kOpen:
        if (s.first < size) out.push_back({s.first, size});
        break;
      case RangeSpec::Kind::kSuffix:
        // "-0" selects nothing; a suffix longer than the representation selects all of it.
        if (s.first > 0 && size > 0) out.push_back({s.first >= size ? 0 : size - s.first, size});
        break;
    }
  }
  if (out.empty()) {
    return OutOfRange("no requested range is satisfiable for a size of " + std::to_string(size));
  }
  return out;
}

std::string FormatRangeHeader(const std::vector<ByteRange>& ranges) {
  std::string s = "bytes=";
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ranges[i].start);
    s += '-';
    s += std::to_string(ranges[i].last());
  }
  return s;
}

std::string FormatContentRange(const ByteRange& range, uint64_t total) {
  if (range.size() == 0) return "bytes */" + std::to_string(total);
  return "bytes " + std::to_string(range.start) + "-" + std::to_string(range.last()) + "/" +
         std::to_string(total);
}

Result<ContentRange> ParseContentRange(std::string_view value) {
  std::string_view v = Trim(value);
  auto bad = [&](std::string_view why) {
    return InvalidArgument("invalid Content-Range \"" + std::string(value.substr(0, 80)) +
                           "\": " + std::string(why));
  };
  if (v.size() < 6 || !EqualsIgnoreCase(v.substr(0, 6), "bytes ")) return bad("unit is not bytes");
  v.remove_prefix(6);
  v = Trim(v);
  size_t dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return bad("expected S-E/T");
  }
  ContentRange cr;
  uint64_t first = 0, last = 0;
  if (!ParseU64(v.substr(0, dash), first) ||
      !ParseU64(v.substr(dash + 1, slash - dash - 1), last)) {
    return bad("bad byte position");
  }
  if (last < first) return bad("last byte before first byte");
  if (last == UINT64_MAX) return bad("range too large");
  std::string_view total = v.substr(slash + 1);
  if (total == "*") {
    cr.total_known = false;
  } else {
    if (!ParseU64(total, cr.total)) return bad("bad total length");
    if (last >= cr.total) return bad("range past the total length");
  }
  cr.range = {first, last + 1};
  return cr;
}

}  // namespace castor::protocol
