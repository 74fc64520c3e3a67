// Metrics in the Prometheus text exposition format (version 0.0.4): labelled counters and
// histograms in a registry that renders them for GET /metrics, plus ServerMetrics, the fixed set
// castor serve exports (requests and latency by route and status, bytes in and out, xorbs and
// shards accepted and rejected, dedup queries and hits, store errors).
// All types are safe for concurrent use; families live as long as their registry.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/status.h"

namespace castor::server {

class Router;
struct RequestRecord;

// A counter family: one monotonically increasing value per label-value tuple.
class CounterVec {
 public:
  // `labels` values must match the family's label names in number (extra or missing values are
  // a programming error: the sample is dropped).
  void Inc(const std::vector<std::string>& labels, double by = 1);
  double Value(const std::vector<std::string>& labels) const;

 private:
  friend class MetricsRegistry;
  CounterVec(std::string name, std::string help, std::vector<std::string> label_names);
  void Render(std::string& out) const;

  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, double> values_;
};

// A histogram family with fixed upper bounds (seconds, bytes...).
class HistogramVec {
 public:
  void Observe(const std::vector<std::string>& labels, double value);
  uint64_t Count(const std::vector<std::string>& labels) const;

 private:
  friend class MetricsRegistry;
  HistogramVec(std::string name, std::string help, std::vector<std::string> label_names,
               std::vector<double> bounds);
  void Render(std::string& out) const;

  struct Series {
    std::vector<uint64_t> buckets;  // non-cumulative counts per bound, then one for +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // ascending
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, Series> series_;
};

class MetricsRegistry {
 public:
  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be unique (InvalidArgument otherwise).
  Result<CounterVec*> AddCounter(std::string name, std::string help,
                                 std::vector<std::string> label_names);
  Result<HistogramVec*> AddHistogram(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bounds);
  // The whole exposition, families in registration order, series in label order.
  std::string Render() const;

 private:
  Status CheckName(const std::string& name);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<CounterVec>> counters_;
  std::vector<std::unique_ptr<HistogramVec>> histograms_;
  std::vector<std::pair<bool, size_t>> order_;  // (is_histogram, index)
};

// The metrics castor serve exports, registered in a registry that must outlive this.
class ServerMetrics {
 public:
  // AlreadyExists-style InvalidArgument when `registry` already holds these families.
  static Result<std::unique_ptr<ServerMetrics>> Create(MetricsRegistry& registry);

  // Counts one finished exchange: requests, latency, bytes in and out.
  void ObserveRequest(const RequestRecord& record);

  CounterVec* requests = nullptr;       // castor_http_requests_total{route,method,status}
  HistogramVec* latency = nullptr;      // castor_http_request_duration_seconds{route,method}
  CounterVec* bytes_in = nullptr;       // castor_http_received_bytes_total{route}
  CounterVec* bytes_out = nullptr;      // castor_http_sent_bytes_total{route}
  CounterVec* xorbs = nullptr;          // castor_xorbs_total{result}: accepted|duplicate|rejected
  CounterVec* shards = nullptr;         // castor_shards_total{result}: accepted|duplicate|rejected
  CounterVec* dedup_queries = nullptr;  // castor_dedup_queries_total
  CounterVec* dedup_hits = nullptr;     // castor_dedup_hits_total
  CounterVec* store_errors = nullptr;   // castor_store_errors_total{op}

 private:
  ServerMetrics() = default;
};

// Registers GET /metrics (no authentication, as scrapers expect; put it behind the network's
// own controls) rendering `registry`.
Status AddMetricsRoute(Router& router, const MetricsRegistry* registry);

}  // namespace castor::server
