#include "castor/http/byteranges.h"

#include <charconv>

namespace castor::http {
namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The boundary parameter of a multipart Content-Type, unquoted.
std::string Boundary(std::string_view content_type) {
  std::string lower = Lower(content_type);
  auto pos = lower.find("boundary=");
  if (pos == std::string::npos) return "";
  std::string_view b = content_type.substr(pos + 9);
  if (auto semi = b.find(';'); semi != std::string_view::npos) b = b.substr(0, semi);
  while (!b.empty() && b.back() == ' ') b.remove_suffix(1);
  if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
  return std::string(b);
}

}  // namespace

std::string RangeHeader(const std::vector<ByteRange>& ranges) {
  std::string h = "bytes=";
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i) h += ",";
    h += std::to_string(ranges[i].first) + "-" + std::to_string(ranges[i].last);
  }
  return h;
}

Result<RangePart> ParseContentRange(std::string_view v) {
  auto bad = [&] {
    return Corruption("http: malformed Content-Range '" + std::string(v.substr(0, 100)) + "'");
  };
  if (!v.starts_with("bytes ")) return bad();
  v.remove_prefix(6);
  auto dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash)
    return bad();
  RangePart p;
  if (!ParseU64(v.substr(0, dash), &p.range.first) ||
      !ParseU64(v.substr(dash + 1, slash - dash - 1), &p.range.last) ||
      p.range.last < p.range.first)
    return bad();
  std::string_view total = v.substr(slash + 1);
  if (total != "*") {
    if (!ParseU64(total, &p.total) || p.range.last >= p.total) return bad();
  }
  return p;
}

Result<std::vector<RangePart>> SplitRangeResponse(const Response& response) {
  if (response.status != 206)
    return FailedPrecondition("http: expected 206 Partial Content, got " +
                              std::to_string(response.status));
  std::string_view ctype = response.header("Content-Type");
  std::vector<RangePart> parts;
  if (!Lower(ctype).starts_with("multipart/byteranges")) {
    CASTOR_ASSIGN_OR_RETURN(RangePart p, ParseContentRange(response.header("Content-Range")));
    if (response.body.size() != p.range.last - p.range.first + 1)
      return Corruption("http: 206 body has " + std::to_string(response.body.size()) +
                        " bytes, Content-Range says " +
                        std::to_string(p.range.last - p.range.first + 1));
    p.data = response.body;
    parts.push_back(p);
    return parts;
  }
  std::string boundary = Boundary(ctype);
  if (boundary.empty()) return Corruption("http: multipart/byteranges without a boundary");
  std::string_view body = response.body_text();
  const std::string delim = "--" + boundary;
  size_t pos = body.find(delim);
  while (pos != std::string_view::npos) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    // Part headers end at an empty line.
    size_t hdr_end = body.find("\r\n\r\n", pos);
    if (hdr_end == std::string_view::npos)
      return Corruption("http: truncated multipart part headers");
    std::string_view headers = body.substr(pos, hdr_end - pos);
    std::string_view content_range;
    size_t line = 0;
    while (line < headers.size()) {
      size_t e = headers.find("\r\n", line);
      if (e == std::string_view::npos) e = headers.size();
      std::string_view h = headers.substr(line, e - line);
      if (Lower(h.substr(0, 14)) == "content-range:") {
        content_range = h.substr(14);
        while (!content_range.empty() && content_range.front() == ' ')
          content_range.remove_prefix(1);
      }
      line = e + 2;
    }
    CASTOR_ASSIGN_OR_RETURN(RangePart p, ParseContentRange(content_range));
    size_t data_start = hdr_end + 4;
    uint64_t len = p.range.last - p.range.first + 1;
    if (data_start + len > body.size())
      return Corruption("http: multipart part shorter than its Content-Range");
    p.data = ByteSpan(response.body).subspan(data_start, size_t(len));
    parts.push_back(p);
    pos = body.find(delim, data_start + len);
  }
  return Corruption("http: multipart/byteranges body without a closing boundary");
}

}  // namespace castor::http
