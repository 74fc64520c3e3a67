#include "castor/storage/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

#include "castor/hash/sha256.h"

namespace castor::s3 {
namespace {

using http::UriEncode;

Bytes Hmac(ByteSpan key, std::string_view data) {
  Bytes out(32);
  unsigned int len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string Sha256Hex(std::string_view s) { return Sha256::Of(AsBytes(s)).ToRawHex(); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims and collapses runs of spaces, as the canonical header form requires.
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string DateOf(std::string_view amz_date) { return std::string(amz_date.substr(0, 8)); }

std::string Scope(std::string_view amz_date, std::string_view region) {
  return DateOf(amz_date) + "/" + std::string(region) + "/s3/aws4_request";
}

// Returns (canonical headers block, signed header names).
std::pair<std::string, std::string> CanonicalHeaders(const http::Headers& headers) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [n, v] : headers) h.emplace_back(Lower(n), CanonicalValue(v));
  std::sort(h.begin(), h.end());
  std::string block, names;
  for (size_t i = 0; i < h.size(); ++i) {
    // Repeated names fold into one line, values comma-separated.
    if (i > 0 && h[i].first == h[i - 1].first) {
      block.back() = ',';
      block += h[i].second + "\n";
      continue;
    }
    block += h[i].first + ":" + h[i].second + "\n";
    if (!names.empty()) names += ";";
    names += h[i].first;
  }
  return {block, names};
}

std::string Signature(const Credentials& creds, std::string_view region, std::string_view amz_date,
                      std::string_view canonical_request) {
  std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" +
                        Scope(amz_date, region) + "\n" + Sha256Hex(canonical_request);
  std::string k = "AWS4" + creds.secret_key;
  Bytes key = Hmac(AsBytes(k), DateOf(amz_date));
  key = Hmac(key, region);
  key = Hmac(key, "s3");
  key = Hmac(key, "aws4_request");
  return HexEncode(Hmac(key, to_sign));
}

}  // namespace

std::string PayloadHash(ByteSpan body) { return Sha256::Of(body).ToRawHex(); }

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm;
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [n, v] : query) {
    n = UriEncode(n, false);
    v = UriEncode(v, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [n, v] : query) {
    if (!out.empty()) out += "&";
    out += n + "=" + v;
  }
  return out;
}

http::Headers SignHeaders(const SigningRequest& request, const Credentials& creds,
                          std::string_view region, std::chrono::system_clock::time_point now) {
  std::string amz_date = AmzDate(now);
  http::Headers added = {{"x-amz-date", amz_date}, {"x-amz-content-sha256", request.payload_hash}};
  if (!creds.session_token.empty()) added.emplace_back("x-amz-security-token", creds.session_token);

  http::Headers all = request.headers;
  all.emplace_back("host", request.host);
  all.insert(all.end(), added.begin(), added.end());
  auto [block, names] = CanonicalHeaders(all);
  std::string canonical = request.method + "\n" + request.path + "\n" +
                          CanonicalQuery(request.query) + "\n" + block + "\n" + names + "\n" +
                          request.payload_hash;
  std::string sig = Signature(creds, region, amz_date, canonical);
  added.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key + "/" +
                                          Scope(amz_date, region) + ",SignedHeaders=" + names +
                                          ",Signature=" + sig);
  return added;
}

std::string PresignQuery(const SigningRequest& request, const Credentials& creds,
                         std::string_view region, std::chrono::system_clock::time_point now,
                         std::chrono::seconds expires) {
  std::string amz_date = AmzDate(now);
  auto query = request.query;
  query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  query.emplace_back("X-Amz-Credential", creds.access_key + "/" + Scope(amz_date, region));
  query.emplace_back("X-Amz-Date", amz_date);
  query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  if (!creds.session_token.empty()) query.emplace_back("X-Amz-Security-Token", creds.session_token);
  query.emplace_back("X-Amz-SignedHeaders", "host");
  std::string cq = CanonicalQuery(query);
  std::string canonical = request.method + "\n" + request.path + "\n" + cq +
                          "\nhost:" + request.host + "\n\nhost\n" + std::string(kUnsignedPayload);
  return cq + "&X-Amz-Signature=" + Signature(creds, region, amz_date, canonical);
}

}  // namespace castor::s3
