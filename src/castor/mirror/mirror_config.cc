#include "castor/mirror/mirror_config.h"

#include <fnmatch.h>
#include <toml++/toml.h>

#include <charconv>

namespace castor::mirror {

uint64_t MirrorConfig::MemoryBound() const {
  return uint64_t(jobs) * part_size * uint64_t(part_parallelism + 1);
}

Result<Layout> ParseLayout(std::string_view s) {
  if (s == "files") return Layout::kFiles;
  if (s == "snapshots") return Layout::kSnapshots;
  return InvalidArgument("layout '" + std::string(s) + "': expected 'files' or 'snapshots'");
}

bool Selected(const std::string& path, const std::vector<std::string>& include,
              const std::vector<std::string>& exclude) {
  auto any = [&](const std::vector<std::string>& globs) {
    for (const auto& g : globs) {
      if (fnmatch(g.c_str(), path.c_str(), 0) == 0) return true;
    }
    return false;
  };
  if (!include.empty() && !any(include)) return false;
  return !any(exclude);
}

namespace {

Result<std::vector<std::string>> StringList(const toml::node& n, std::string_view key) {
  std::vector<std::string> out;
  if (auto s = n.value<std::string>()) {
    out.push_back(*s);
    return out;
  }
  const toml::array* a = n.as_array();
  if (a == nullptr)
    return InvalidArgument("config: '" + std::string(key) +
                           "' must be a string or a list of strings");
  for (const auto& e : *a) {
    auto s = e.value<std::string>();
    if (!s) return InvalidArgument("config: '" + std::string(key) + "' must hold only strings");
    out.push_back(*s);
  }
  return out;
}

Result<std::string> String(const toml::node& n, std::string_view key) {
  auto s = n.value<std::string>();
  if (!s) return InvalidArgument("config: '" + std::string(key) + "' must be a string");
  return *s;
}

Result<int64_t> Int(const toml::node& n, std::string_view key, int64_t lo, int64_t hi) {
  auto v = n.value<int64_t>();
  if (!v || *v < lo || *v > hi) {
    return InvalidArgument("config: '" + std::string(key) + "' must be an integer in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return *v;
}

Result<RepoSpec> RepoFromTable(const toml::table& t, size_t index) {
  RepoSpec spec;
  std::string name, revision, type;
  const std::string where = "config: repos[" + std::to_string(index) + "]";
  for (const auto& [k, v] : t) {
    std::string key(k.str());
    if (key == "name" || key == "repo") {
      CASTOR_ASSIGN_OR_RETURN(name, String(v, key));
    } else if (key == "revision") {
      CASTOR_ASSIGN_OR_RETURN(revision, String(v, key));
    } else if (key == "include") {
      CASTOR_ASSIGN_OR_RETURN(spec.include, StringList(v, key));
    } else if (key == "exclude") {
      CASTOR_ASSIGN_OR_RETURN(spec.exclude, StringList(v, key));
    } else if (key == "type") {
      CASTOR_ASSIGN_OR_RETURN(type, String(v, key));
      if (type != "model" && type != "dataset" && type != "space") {
        return InvalidArgument(where + ": type must be model, dataset or space");
      }
    } else {
      return InvalidArgument(where + ": unknown key '" + key + "'");
    }
  }
  if (name.empty()) return InvalidArgument(where + ": 'name' is required");
  if (!type.empty() && type != "model" && name.rfind(type + "s/", 0) != 0)
    name = type + "s/" + name;
  auto ref = hub::ParseRepoRef(name);
  if (!ref.ok()) return ref.status().WithContext(where);
  spec.repo = *ref;
  if (!revision.empty()) {
    if (!spec.repo.revision.empty()) return InvalidArgument(where + ": revision given twice");
    spec.repo.revision = revision;
  }
  return spec;
}

}  // namespace

Status ApplyToml(std::string_view toml_text, MirrorConfig& c) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return InvalidArgument("config: " + std::string(e.description()) + " at line " +
                           std::to_string(e.source().begin.line));
  }
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    if (key == "to" || key == "destination") {
      CASTOR_ASSIGN_OR_RETURN(c.destination, String(v, key));
    } else if (key == "layout") {
      CASTOR_ASSIGN_OR_RETURN(auto s, String(v, key));
      CASTOR_ASSIGN_OR_RETURN(c.layout, ParseLayout(s));
    } else if (key == "include") {
      CASTOR_ASSIGN_OR_RETURN(c.include, StringList(v, key));
    } else if (key == "exclude") {
      CASTOR_ASSIGN_OR_RETURN(c.exclude, StringList(v, key));
    } else if (key == "jobs") {
      CASTOR_ASSIGN_OR_RETURN(c.jobs, Int(v, key, 1, 256));
    } else if (key == "part_parallelism") {
      CASTOR_ASSIGN_OR_RETURN(c.part_parallelism, Int(v, key, 1, 64));
    } else if (key == "part_size_mib") {
      CASTOR_ASSIGN_OR_RETURN(auto mib, Int(v, key, 5, 5120));
      c.part_size = uint64_t(mib) << 20;
    } else if (key == "report") {
      CASTOR_ASSIGN_OR_RETURN(c.report_path, String(v, key));
    } else if (key == "endpoint") {
      CASTOR_ASSIGN_OR_RETURN(c.endpoint, String(v, key));
    } else if (key == "token_file") {
      CASTOR_ASSIGN_OR_RETURN(c.token_file, String(v, key));
    } else if (key == "xet") {
      auto b = v.value<bool>();
      if (!b) return InvalidArgument("config: 'xet' must be true or false");
      c.use_xet = *b;
    } else if (key == "retries") {
      CASTOR_ASSIGN_OR_RETURN(c.retries, Int(v, key, 0, 100));
    } else if (key == "stall_timeout_s") {
      CASTOR_ASSIGN_OR_RETURN(c.stall_timeout_s, Int(v, key, 1, 3600));
    } else if (key == "progress_interval_s") {
      CASTOR_ASSIGN_OR_RETURN(c.progress_interval_s, Int(v, key, 1, 86400));
    } else if (key == "repos") {
      const toml::array* a = v.as_array();
      if (a == nullptr)
        return InvalidArgument("config: 'repos' must be a list ([[repos]] tables or strings)");
      for (size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        if (auto s = e.value<std::string>()) {
          auto ref = hub::ParseRepoRef(*s);
          if (!ref.ok())
            return ref.status().WithContext("config: repos[" + std::to_string(i) + "]");
          c.repos.push_back(RepoSpec{*ref, {}, {}});
        } else if (const toml::table* t = e.as_table()) {
          CASTOR_ASSIGN_OR_RETURN(auto spec, RepoFromTable(*t, i));
          c.repos.push_back(std::move(spec));
        } else {
          return InvalidArgument("config: repos[" + std::to_string(i) +
                                 "] must be a string or a table");
        }
      }
    } else {
      return InvalidArgument("config: unknown key '" + key + "'");
    }
  }
  return Status::OK();
}

namespace {

std::vector<std::string> SplitList(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find_first_of(seps, i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

Status ApplyEnv(const hub::EnvLookup& env, MirrorConfig& c) {
  if (auto v = env("CASTOR_MIRROR_REPOS"); v && !v->empty()) {
    c.repos.clear();
    for (const auto& r : SplitList(*v, " ,\n\t")) {
      auto ref = hub::ParseRepoRef(r);
      if (!ref.ok()) return ref.status().WithContext("CASTOR_MIRROR_REPOS");
      c.repos.push_back(RepoSpec{*ref, {}, {}});
    }
  }
  if (auto v = env("CASTOR_MIRROR_TO"); v && !v->empty()) c.destination = *v;
  if (auto v = env("CASTOR_MIRROR_INCLUDE"); v && !v->empty()) c.include = SplitList(*v, ",");
  if (auto v = env("CASTOR_MIRROR_EXCLUDE"); v && !v->empty()) c.exclude = SplitList(*v, ",");
  if (auto v = env("CASTOR_MIRROR_LAYOUT"); v && !v->empty()) {
    CASTOR_ASSIGN_OR_RETURN(c.layout, ParseLayout(*v));
  }
  if (auto v = env("CASTOR_MIRROR_REPORT"); v && !v->empty()) c.report_path = *v;
  if (auto v = env("CASTOR_MIRROR_DRY_RUN"); v && (*v == "1" || *v == "true")) c.dry_run = true;
  if (auto v = env("CASTOR_MIRROR_JOBS"); v && !v->empty()) {
    int n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > 256) {
      return InvalidArgument("CASTOR_MIRROR_JOBS must be an integer in [1, 256]");
    }
    c.jobs = n;
  }
  return Status::OK();
}

Status Validate(const MirrorConfig& c) {
  if (c.repos.empty())
    return InvalidArgument(
        "no repository to mirror (arguments, CASTOR_MIRROR_REPOS or 'repos' in the config)");
  if (c.destination.empty())
    return InvalidArgument("no destination (--to, CASTOR_MIRROR_TO or 'to' in the config)");
  if (c.jobs < 1 || c.jobs > 256) return InvalidArgument("--jobs must be in [1, 256]");
  if (c.part_size < (5ull << 20)) return InvalidArgument("part size must be at least 5 MiB");
  return Status::OK();
}

}  // namespace castor::mirror
