#include "castor/server/signed_url.h"

#include <charconv>

#include "castor/server/http_message.h"

namespace castor::server {

UrlSigner::UrlSigner(ByteSpan server_secret)
    : key_(HmacSha256(server_secret, AsBytes("castor signed-url v1"))) {}

Mac UrlSigner::Sign(std::string_view path, std::string_view range_header, int64_t expires) const {
  // Newline-separated: none of the parts can contain one (paths are URL-encoded, the range
  // header is digits and punctuation), so the encoding is unambiguous.
  std::string msg;
  msg.append(path).append("\n").append(range_header).append("\n").append(std::to_string(expires));
  return HmacSha256(key_, AsBytes(msg));
}

std::string UrlSigner::SignUrl(std::string_view path,
                               const std::vector<protocol::ByteRange>& ranges,
                               int64_t expires) const {
  std::string range_header = protocol::FormatRangeHeader(ranges);
  Mac mac = Sign(path, range_header, expires);
  return "X-Xet-Signed-Range=" + PercentEncode(range_header) +
         "&Expires=" + std::to_string(expires) + "&Signature=" + Base64UrlEncode(mac);
}

Status UrlSigner::VerifyUrl(std::string_view path, std::string_view query,
                            const std::vector<protocol::ByteRange>& requested, int64_t now) const {
  Request q;
  q.query = std::string(query);
  auto range_header = q.QueryParam("X-Xet-Signed-Range");
  auto expires_text = q.QueryParam("Expires");
  auto signature = q.QueryParam("Signature");
  if (!range_header || !expires_text || !signature) {
    return PermissionDenied("URL is not signed");
  }
  int64_t expires = 0;
  auto [p, ec] =
      std::from_chars(expires_text->data(), expires_text->data() + expires_text->size(), expires);
  if (ec != std::errc() || p != expires_text->data() + expires_text->size()) {
    return PermissionDenied("malformed URL expiry");
  }
  auto mac = Base64UrlDecode(*signature);
  if (!mac || !ConstantTimeEquals(*mac, Sign(path, *range_header, expires))) {
    return PermissionDenied("bad URL signature");
  }
  if (now >= expires) return PermissionDenied("signed URL expired");
  auto specs = protocol::ParseRangeHeader(*range_header);
  if (!specs.ok()) return PermissionDenied("malformed signed range");
  std::vector<protocol::ByteRange> allowed;
  for (const auto& s : *specs) {
    if (s.kind != protocol::RangeSpec::Kind::kClosed || s.last == UINT64_MAX) {
      return PermissionDenied("open signed range");
    }
    allowed.push_back({s.first, s.last + 1});
  }
  if (requested.empty()) return PermissionDenied("no range requested");
  for (const auto& r : requested) {
    bool inside = false;
    for (const auto& a : allowed) inside |= r.start >= a.start && r.end <= a.end;
    if (!inside) {
      return PermissionDenied("range " + std::to_string(r.start) + "-" + std::to_string(r.end - 1) +
                              " is not covered by the signed URL");
    }
  }
  return Status::OK();
}

}  // namespace castor::server
