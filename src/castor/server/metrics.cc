#include "castor/server/metrics.h"

#include <charconv>
#include <cmath>

#include "castor/server/http_server.h"
#include "castor/server/router.h"

namespace castor::server {
namespace {

// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendNumber(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, p);
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    AppendEscaped(out, values[i], true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out.append(extra_name).append("=\"").append(extra_value).append("\"");
  }
  out += '}';
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP " + name + " ";
  AppendEscaped(out, help, false);
  out += "\n# TYPE " + name + " ";
  out.append(type);
  out += '\n';
}

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

CounterVec::CounterVec(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void CounterVec::Inc(const std::vector<std::string>& labels, double by) {
  if (labels.size() != label_names_.size() || !(by >= 0)) return;
  std::lock_guard lock(mu_);
  values_[labels] += by;
}

double CounterVec::Value(const std::vector<std::string>& labels) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void CounterVec::Render(std::string& out) const {
  AppendHeader(out, name_, help_, "counter");
  std::lock_guard lock(mu_);
  if (values_.empty() && label_names_.empty()) {
    out += name_ + " 0\n";  // an unlabelled counter exists from the start
  }
  for (const auto& [labels, v] : values_) {
    out += name_;
    AppendLabels(out, label_names_, labels);
    out += ' ';
    AppendNumber(out, v);
    out += '\n';
  }
}

HistogramVec::HistogramVec(std::string name, std::string help, std::vector<std::string> label_names,
                           std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

void HistogramVec::Observe(const std::vector<std::string>& labels, double value) {
  if (labels.size() != label_names_.size() || std::isnan(value)) return;
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  std::lock_guard lock(mu_);
  Series& s = series_[labels];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size() + 1, 0);
  s.buckets[i]++;
  s.sum += value;
  s.count++;
}

uint64_t HistogramVec::Count(const std::vector<std::string>& labels) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second.count;
}

void HistogramVec::Render(std::string& out) const {
  AppendHeader(out, name_, help_, "histogram");
  std::lock_guard lock(mu_);
  for (const auto& [labels, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      std::string le;
      if (i < bounds_.size()) {
        AppendNumber(le, bounds_[i]);
      } else {
        le = "+Inf";
      }
      out += name_ + "_bucket";
      AppendLabels(out, label_names_, labels, "le", le);
      out += ' ' + std::to_string(cumulative) + '\n';
    }
    out += name_ + "_sum";
    AppendLabels(out, label_names_, labels);
    out += ' ';
    AppendNumber(out, s.sum);
    out += '\n' + name_ + "_count";
    AppendLabels(out, label_names_, labels);
    out += ' ' + std::to_string(s.count) + '\n';
  }
}

Status MetricsRegistry::CheckName(const std::string& name) {
  if (!ValidName(name)) return InvalidArgument("bad metric name \"" + name + "\"");
  for (const auto& c : counters_) {
    if (c->name_ == name) return InvalidArgument("metric \"" + name + "\" already registered");
  }
  for (const auto& h : histograms_) {
    if (h->name_ == name) return InvalidArgument("metric \"" + name + "\" already registered");
  }
  return Status::OK();
}

Result<CounterVec*> MetricsRegistry::AddCounter(std::string name, std::string help,
                                                std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  CASTOR_RETURN_IF_ERROR(CheckName(name));
  for (const auto& l : label_names) {
    if (!ValidName(l) || l == "le") return InvalidArgument("bad label name \"" + l + "\"");
  }
  counters_.emplace_back(new CounterVec(std::move(name), std::move(help), std::move(label_names)));
  order_.emplace_back(false, counters_.size() - 1);
  return counters_.back().get();
}

Result<HistogramVec*> MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                    std::vector<std::string> label_names,
                                                    std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  CASTOR_RETURN_IF_ERROR(CheckName(name));
  for (const auto& l : label_names) {
    if (!ValidName(l) || l == "le") return InvalidArgument("bad label name \"" + l + "\"");
  }
  for (size_t i = 1; i < bounds.size(); ++i) {
    if (!(bounds[i - 1] < bounds[i])) return InvalidArgument("histogram bounds must ascend");
  }
  histograms_.emplace_back(new HistogramVec(std::move(name), std::move(help),
                                            std::move(label_names), std::move(bounds)));
  order_.emplace_back(true, histograms_.size() - 1);
  return histograms_.back().get();
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (auto [is_hist, i] : order_) {
    if (is_hist) {
      histograms_[i]->Render(out);
    } else {
      counters_[i]->Render(out);
    }
  }
  return out;
}

Result<std::unique_ptr<ServerMetrics>> ServerMetrics::Create(MetricsRegistry& r) {
  std::unique_ptr<ServerMetrics> m(new ServerMetrics());
  CASTOR_ASSIGN_OR_RETURN(m->requests,
                          r.AddCounter("castor_http_requests_total",
                                       "HTTP requests answered, by route, method and status.",
                                       {"route", "method", "status"}));
  CASTOR_ASSIGN_OR_RETURN(
      m->latency,
      r.AddHistogram(
          "castor_http_request_duration_seconds",
          "Time from a request's header to the end of its response, by route and method.",
          {"route", "method"},
          {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}));
  CASTOR_ASSIGN_OR_RETURN(m->bytes_in,
                          r.AddCounter("castor_http_received_bytes_total",
                                       "Request body bytes received, by route.", {"route"}));
  CASTOR_ASSIGN_OR_RETURN(m->bytes_out,
                          r.AddCounter("castor_http_sent_bytes_total",
                                       "Response body bytes sent, by route.", {"route"}));
  CASTOR_ASSIGN_OR_RETURN(
      m->xorbs,
      r.AddCounter("castor_xorbs_total", "Xorb uploads by outcome (accepted, duplicate, rejected).",
                   {"result"}));
  CASTOR_ASSIGN_OR_RETURN(
      m->shards,
      r.AddCounter("castor_shards_total",
                   "Shard uploads by outcome (accepted, duplicate, rejected).", {"result"}));
  CASTOR_ASSIGN_OR_RETURN(
      m->dedup_queries,
      r.AddCounter("castor_dedup_queries_total", "Global dedup queries (GET /v1/chunks).", {}));
  CASTOR_ASSIGN_OR_RETURN(
      m->dedup_hits,
      r.AddCounter("castor_dedup_hits_total", "Global dedup queries that found a shard.", {}));
  CASTOR_ASSIGN_OR_RETURN(
      m->store_errors, r.AddCounter("castor_store_errors_total",
                                    "Object store operations that failed, by operation.", {"op"}));
  return m;
}

void ServerMetrics::ObserveRequest(const RequestRecord& rec) {
  const std::string route = rec.route.empty() ? "unmatched" : rec.route;
  // Clients choose the method string; only known ones become label values, to bound cardinality.
  static const char* const kMethods[] = {"GET",    "HEAD",    "POST", "PUT",
                                         "DELETE", "OPTIONS", "PATCH"};
  std::string method = "other";
  for (const char* m : kMethods) {
    if (rec.method == m) method = m;
  }
  requests->Inc({route, method, std::to_string(rec.status)});
  latency->Observe({route, method}, std::chrono::duration<double>(rec.duration).count());
  if (rec.bytes_in) bytes_in->Inc({route}, double(rec.bytes_in));
  if (rec.bytes_out) bytes_out->Inc({route}, double(rec.bytes_out));
}

Status AddMetricsRoute(Router& router, const MetricsRegistry* registry) {
  RouteOptions ro;
  ro.name = "metrics";
  ro.scope = Scope::kNone;
  ro.max_body = 0;
  return router.Add(
      "GET", "/metrics",
      [registry](Request&) {
        return Response::Text(200, registry->Render(), "text/plain; version=0.0.4; charset=utf-8");
      },
      ro);
}

}  // namespace castor::server
