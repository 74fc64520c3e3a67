// Test-only: a strict checker of the Prometheus text exposition format (0.0.4), independent of
// metrics.cc's writer: line grammar, label escaping, HELP/TYPE placement, and histogram
// consistency (cumulative buckets ending in +Inf equal to _count). Header-only.
#pragma once

#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace castor::server::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Returns "" when `text` is valid, else a description of the first problem. Fills `samples`.
inline std::string CheckPrometheusText(const std::string& text,
                                       std::vector<PromSample>* samples = nullptr) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex kType(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? ([^ ]+))");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)\")");
  if (!text.empty() && text.back() != '\n') return "does not end with a newline";
  std::map<std::string, std::string> types;
  std::set<std::string> sampled;
  std::map<std::string, std::pair<double, std::string>> last_bucket;  // series -> (count, le)
  std::map<std::string, double> inf_bucket;
  std::vector<PromSample> all;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string where = "line " + std::to_string(n) + " \"" + line + "\": ";
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      if (!std::regex_match(line, m, kHelp)) return where + "bad HELP";
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, kType)) return where + "bad TYPE";
      if (types.count(m[1]) || sampled.count(m[1])) return where + "TYPE repeated or after samples";
      types[m[1]] = m[2];
      continue;
    }
    if (line.empty() || line[0] == '#') return where + "unexpected comment or blank";
    if (!std::regex_match(line, m, kSample)) return where + "bad sample";
    PromSample s;
    s.name = m[1];
    std::string labels = m[3];
    for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
      if (s.labels.count((*it)[1])) return where + "duplicate label";
      s.labels[(*it)[1]] = (*it)[2];
    }
    std::string v = m[4];
    if (v == "+Inf" || v == "-Inf" || v == "NaN") {
      s.value = v == "NaN" ? 0 : (v[0] == '+' ? 1e308 : -1e308);
    } else {
      char* endp = nullptr;
      s.value = std::strtod(v.c_str(), &endp);
      if (endp != v.c_str() + v.size()) return where + "bad value";
    }
    std::string family = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string sf(suffix);
      if (family.size() > sf.size() &&
          family.compare(family.size() - sf.size(), sf.size(), sf) == 0 &&
          types.count(family.substr(0, family.size() - sf.size())) &&
          types[family.substr(0, family.size() - sf.size())] == "histogram") {
        family = family.substr(0, family.size() - sf.size());
      }
    }
    if (!types.count(family)) return where + "sample without TYPE";
    sampled.insert(family);
    if (types[family] == "counter" && s.value < 0) return where + "negative counter";
    if (types[family] == "histogram") {
      std::map<std::string, std::string> base = s.labels;
      base.erase("le");
      std::string key = family;
      for (auto& [k, val] : base) key += "," + k + "=" + val;
      if (s.name == family + "_bucket") {
        if (!s.labels.count("le")) return where + "bucket without le";
        double prev = last_bucket.count(key) ? last_bucket[key].first : 0;
        if (s.value < prev) return where + "buckets not cumulative";
        last_bucket[key] = {s.value, s.labels["le"]};
        if (s.labels["le"] == "+Inf") inf_bucket[key] = s.value;
      } else if (s.name == family + "_count") {
        if (!inf_bucket.count(key)) return where + "_count before the +Inf bucket";
        if (inf_bucket[key] != s.value) return where + "+Inf bucket differs from _count";
      }
    }
    all.push_back(std::move(s));
  }
  if (samples) *samples = std::move(all);
  return "";
}

}  // namespace castor::server::testing
