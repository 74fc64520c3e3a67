#include "castor/protocol/multipart.h"

#include <cstdio>

#include "castor/base/splitmix64.h"

namespace castor::protocol {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

MultipartByteranges::MultipartByteranges(std::string boundary, std::string part_content_type,
                                         std::vector<ByteRange> ranges, uint64_t total)
    : boundary_(std::move(boundary)),
      part_type_(std::move(part_content_type)),
      ranges_(std::move(ranges)) {
  headers_.reserve(ranges_.size());
  for (size_t i = 0; i < ranges_.size(); ++i) {
    std::string h = i == 0 ? "" : "\r\n";
    h += "--" + boundary_ + "\r\nContent-Type: " + part_type_ +
         "\r\nContent-Range: " + FormatContentRange(ranges_[i], total) + "\r\n\r\n";
    body_size_ += h.size() + ranges_[i].size();
    headers_.push_back(std::move(h));
  }
  trailer_ = "\r\n--" + boundary_ + "--\r\n";
  body_size_ += trailer_.size();
}

std::string MultipartByteranges::ContentType() const {
  return "multipart/byteranges; boundary=" + boundary_;
}

std::string MultipartByteranges::Render(ByteSpan representation) const {
  std::string out;
  out.reserve(body_size_);
  for (size_t i = 0; i < ranges_.size(); ++i) {
    out += headers_[i];
    out.append(reinterpret_cast<const char*>(representation.data()) + ranges_[i].start,
               ranges_[i].size());
  }
  out += trailer_;
  return out;
}

std::string MakeBoundary(uint64_t seed) {
  SplitMix64 rng(seed);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "castor-%016llx%016llx",
                static_cast<unsigned long long>(rng.Next()),
                static_cast<unsigned long long>(rng.Next()));
  return buf;
}

Result<std::string> ParseByterangesBoundary(std::string_view content_type) {
  size_t semi = content_type.find(';');
  if (Lower(Trim(content_type.substr(0, semi))) != "multipart/byteranges") {
    return InvalidArgument("not a multipart/byteranges content type: " +
                           std::string(content_type.substr(0, 100)));
  }
  while (semi != std::string_view::npos) {
    content_type.remove_prefix(semi + 1);
    semi = content_type.find(';');
    std::string_view param = Trim(content_type.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(param.substr(0, eq))) != "boundary") continue;
    std::string_view b = Trim(param.substr(eq + 1));
    if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
    if (b.empty() || b.size() > 70) return InvalidArgument("bad multipart boundary length");
    return std::string(b);
  }
  return InvalidArgument("multipart/byteranges without a boundary parameter");
}

Result<std::vector<BytesPart>> ParseMultipartByteranges(std::string_view content_type,
                                                        std::string_view body) {
  CASTOR_ASSIGN_OR_RETURN(std::string boundary, ParseByterangesBoundary(content_type));
  const std::string delim = "--" + boundary;
  auto bad = [](std::string why) { return InvalidArgument("multipart/byteranges: " + why); };

  // The body starts with the first delimiter (a preamble is allowed by RFC 2046; skip it).
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return bad("no boundary delimiter");
  pos += delim.size();
  std::vector<BytesPart> parts;
  while (true) {
    if (body.substr(pos, 2) == "--") break;  // close delimiter
    // Transport padding after the delimiter, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return bad("delimiter not followed by CRLF");
    pos += 2;
    // Part headers until an empty line.
    BytesPart part;
    bool have_range = false;
    while (true) {
      size_t eol = body.find("\r\n", pos);
      if (eol == std::string_view::npos) return bad("unterminated part header");
      std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.empty()) break;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return bad("malformed part header");
      if (Lower(Trim(line.substr(0, colon))) == "content-range") {
        CASTOR_ASSIGN_OR_RETURN(part.content_range, ParseContentRange(line.substr(colon + 1)));
        have_range = true;
      }
    }
    if (!have_range) return bad("part without Content-Range");
    // The data length is known from Content-Range; check the delimiter follows it exactly,
    // which also proves the boundary did not occur inside the data.
    uint64_t len = part.content_range.range.size();
    if (len > body.size() - pos) return bad("part shorter than its Content-Range");
    part.data = body.substr(pos, len);
    pos += len;
    if (body.substr(pos, 2 + delim.size()) != "\r\n" + delim) {
      return bad("part data not followed by a boundary delimiter");
    }
    pos += 2 + delim.size();
    parts.push_back(part);
  }
  if (parts.empty()) return bad("no parts");
  return parts;
}

}  // namespace castor::protocol
