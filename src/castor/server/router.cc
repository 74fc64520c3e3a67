#include "castor/server/router.h"

#include <set>

namespace castor::server {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

Status Router::Add(std::string method, std::string_view pattern, Handler handler,
                   RouteOptions options) {
  auto bad = [&](std::string why) {
    return InvalidArgument("route pattern \"" + std::string(pattern) + "\": " + why);
  };
  if (pattern.empty() || pattern.front() != '/') return bad("must start with '/'");
  auto e = std::make_unique<Entry>();
  std::set<std::string> names;
  for (std::string_view seg : SplitPath(pattern)) {
    Segment s;
    size_t open = seg.find('{');
    size_t close = seg.find('}');
    if (open == std::string_view::npos && close == std::string_view::npos) {
      s.prefix = std::string(seg);
    } else {
      if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
        return bad("unbalanced braces");
      }
      if (seg.find('{', open + 1) != std::string_view::npos ||
          seg.find('}', close + 1) != std::string_view::npos) {
        return bad("one parameter per segment");
      }
      s.is_param = true;
      s.prefix = std::string(seg.substr(0, open));
      s.suffix = std::string(seg.substr(close + 1));
      std::string_view name = seg.substr(open + 1, close - open - 1);
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        s.rest = true;
        name.remove_suffix(3);
        if (!s.prefix.empty() || !s.suffix.empty()) return bad("{name...} must be a whole segment");
      }
      if (name.empty()) return bad("empty parameter name");
      s.name = std::string(name);
      if (!names.insert(s.name).second) return bad("duplicate parameter " + s.name);
    }
    e->segments.push_back(std::move(s));
  }
  for (const auto& other : entries_) {
    if (other->route.method == method && other->route.pattern == pattern) {
      return bad("already registered for " + method);
    }
  }
  if (options.name.empty()) options.name = std::string(pattern);
  e->route = Route{std::move(method), std::string(pattern), std::move(handler), std::move(options)};
  entries_.push_back(std::move(e));
  return Status::OK();
}

bool Router::MatchSegments(const std::vector<Segment>& pattern, size_t pi,
                           const std::vector<std::string_view>& path, size_t si,
                           std::map<std::string, std::string>& raw) {
  if (pi == pattern.size()) return si == path.size();
  if (si == path.size()) return false;
  const Segment& p = pattern[pi];
  if (!p.is_param) {
    return path[si] == p.prefix && MatchSegments(pattern, pi + 1, path, si + 1, raw);
  }
  if (p.rest) {
    // Try the longest run first; routes are short, so backtracking stays cheap.
    size_t remaining = pattern.size() - pi - 1;
    if (path.size() - si < remaining + 1) return false;
    for (size_t n = path.size() - si - remaining; n >= 1; --n) {
      bool nonempty = true;
      std::string value;
      for (size_t k = 0; k < n; ++k) {
        if (path[si + k].empty()) nonempty = false;
        if (k) value += '/';
        value += path[si + k];
      }
      if (nonempty && MatchSegments(pattern, pi + 1, path, si + n, raw)) {
        raw[p.name] = std::move(value);
        return true;
      }
    }
    return false;
  }
  std::string_view seg = path[si];
  if (seg.size() <= p.prefix.size() + p.suffix.size()) return false;  // value must be non-empty
  if (seg.substr(0, p.prefix.size()) != p.prefix) return false;
  if (seg.substr(seg.size() - p.suffix.size()) != p.suffix) return false;
  if (!MatchSegments(pattern, pi + 1, path, si + 1, raw)) return false;
  raw[p.name] =
      std::string(seg.substr(p.prefix.size(), seg.size() - p.prefix.size() - p.suffix.size()));
  return true;
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  std::vector<std::string_view> segs = SplitPath(path);
  std::set<std::string> allowed;
  const Entry* found = nullptr;
  const Entry* get_for_head = nullptr;
  std::map<std::string, std::string> found_raw, get_raw;
  for (const auto& e : entries_) {
    std::map<std::string, std::string> raw;
    if (!MatchSegments(e->segments, 0, segs, 0, raw)) continue;
    allowed.insert(e->route.method);
    if (e->route.method == "GET") allowed.insert("HEAD");
    if (e->route.method == method && !found) {
      found = e.get();
      found_raw = std::move(raw);
    } else if (method == "HEAD" && e->route.method == "GET" && !get_for_head) {
      get_for_head = e.get();
      get_raw = std::move(raw);
    }
  }
  if (!found && get_for_head) {
    found = get_for_head;
    found_raw = std::move(get_raw);
  }
  if (!found) {
    if (allowed.empty()) return m;
    m.kind = Match::Kind::kMethodNotAllowed;
    for (const std::string& a : allowed) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += a;
    }
    return m;
  }
  for (auto& [name, value] : found_raw) {
    auto decoded = PercentDecode(value);
    if (!decoded) {
      m.kind = Match::Kind::kBadPath;
      return m;
    }
    m.params[name] = std::move(*decoded);
  }
  m.kind = Match::Kind::kFound;
  m.route = &found->route;
  return m;
}

}  // namespace castor::server
