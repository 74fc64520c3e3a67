#include "castor/hub/hub_headers.h"

#include <cctype>
#include <charconv>

namespace castor::hub {

namespace {

std::string_view TrimWs(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  s = TrimWs(s);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::map<std::string, std::string> ParseLinkHeader(std::string_view value) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < value.size()) {
    size_t lt = value.find('<', i);
    if (lt == std::string_view::npos) break;
    size_t gt = value.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string url(value.substr(lt + 1, gt - lt - 1));
    // Parameters run until the next ",<" (a comma followed by the next entry's '<').
    size_t end = gt + 1;
    while (end < value.size()) {
      if (value[end] == ',') {
        size_t k = end + 1;
        while (k < value.size() && value[k] == ' ') ++k;
        if (k < value.size() && value[k] == '<') break;
      }
      ++end;
    }
    std::string_view params = value.substr(gt + 1, end - gt - 1);
    size_t pos = 0;
    while (pos < params.size()) {
      size_t semi = params.find(';', pos);
      std::string_view p = TrimWs(
          params.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
      pos = semi == std::string_view::npos ? params.size() : semi + 1;
      if (p.size() > 4 && (p.substr(0, 4) == "rel=" || p.substr(0, 4) == "REL=")) {
        std::string_view rels = p.substr(4);
        if (!rels.empty() && rels.front() == '"') rels.remove_prefix(1);
        if (!rels.empty() && rels.back() == '"') rels.remove_suffix(1);
        // rel may hold several space-separated relation types.
        size_t r = 0;
        while (r < rels.size()) {
          size_t sp = rels.find(' ', r);
          std::string_view one =
              rels.substr(r, sp == std::string_view::npos ? std::string_view::npos : sp - r);
          if (!one.empty()) out.emplace(std::string(one), url);
          r = sp == std::string_view::npos ? rels.size() : sp + 1;
        }
      }
    }
    i = end + 1;
  }
  return out;
}

std::optional<std::chrono::seconds> ParseRateLimitReset(std::string_view value) {
  // Parameters are separated by ';' (draft-ietf-httpapi-ratelimit-headers-08) or ',' (older).
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t sep = value.find_first_of(";,", pos);
    std::string_view p = TrimWs(
        value.substr(pos, sep == std::string_view::npos ? std::string_view::npos : sep - pos));
    size_t eq = p.find('=');
    if (eq != std::string_view::npos) {
      std::string_view k = TrimWs(p.substr(0, eq));
      if (k == "t" || k == "reset") {
        if (auto v = ParseInt(p.substr(eq + 1))) return std::chrono::seconds(*v);
      }
    }
    if (sep == std::string_view::npos) break;
    pos = sep + 1;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) {
  if (auto v = ParseInt(value)) return std::chrono::seconds(*v);
  return std::nullopt;
}

std::string ResolveUrl(std::string_view base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  std::string origin;
  size_t scheme = base.find("://");
  size_t path =
      scheme == std::string_view::npos ? std::string_view::npos : base.find('/', scheme + 3);
  origin = std::string(path == std::string_view::npos ? base : base.substr(0, path));
  if (location.rfind("//", 0) == 0) {
    return std::string(base.substr(0, scheme + 1)) + std::string(location);
  }
  if (!location.empty() && location.front() == '/') return origin + std::string(location);
  // Relative path: replace the last segment of the base path.
  std::string b(path == std::string_view::npos ? origin + "/" : std::string(base));
  size_t q = b.find('?');
  if (q != std::string::npos) b.resize(q);
  b.resize(b.rfind('/') + 1);
  return b + std::string(location);
}

std::string UrlOrigin(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string s(url.substr(0, scheme));
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = url.substr(scheme + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view hostport = rest.substr(0, end);
  if (size_t at = hostport.rfind('@'); at != std::string_view::npos) hostport.remove_prefix(at + 1);
  std::string hp(hostport);
  for (auto& c : hp) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool has_port = false;
  if (size_t colon = hp.rfind(':');
      colon != std::string::npos && hp.find(']', colon) == std::string::npos) {
    has_port = true;
  }
  if (!has_port) hp += (s == "https" ? ":443" : ":80");
  return s + "://" + hp;
}

}  // namespace castor::hub
