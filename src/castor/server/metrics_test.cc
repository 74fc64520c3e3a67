#include "castor/server/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "castor/server/http_server.h"
#include "castor/server/prometheus_text_check.h"
#include "castor/server/router.h"

namespace castor::server {
namespace {

using testing::CheckPrometheusText;

TEST(Metrics, RendersValidExposition) {
  MetricsRegistry reg;
  auto m = ServerMetrics::Create(reg);
  ASSERT_TRUE(m.ok());
  RequestRecord r;
  r.method = "POST";
  r.route = "/v1/xorbs/{prefix}/{hash}";
  r.status = 200;
  r.bytes_in = 1000;
  r.duration = std::chrono::milliseconds(3);
  (*m)->ObserveRequest(r);
  r.status = 400;
  r.duration = std::chrono::seconds(100);
  (*m)->ObserveRequest(r);
  r.method = "BREW";  // arbitrary methods collapse into "other"
  r.route = "";
  (*m)->ObserveRequest(r);
  (*m)->xorbs->Inc({"accepted"});
  (*m)->dedup_queries->Inc({}, 3);
  (*m)->store_errors->Inc({"put \"quoted\"\\path\nnewline"});

  std::string text = reg.Render();
  std::vector<testing::PromSample> samples;
  std::string problem = CheckPrometheusText(text, &samples);
  EXPECT_EQ(problem, "") << text;
  EXPECT_NE(text.find("castor_http_requests_total{route=\"/v1/xorbs/{prefix}/{hash}\","
                      "method=\"POST\",status=\"200\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("method=\"other\""), std::string::npos);
  EXPECT_NE(text.find("route=\"unmatched\""), std::string::npos);
  EXPECT_NE(text.find("castor_dedup_queries_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("castor_dedup_hits_total 0\n"), std::string::npos);
  EXPECT_NE(text.find("op=\"put \\\"quoted\\\"\\\\path\\nnewline\""), std::string::npos) << text;
  EXPECT_NE(
      text.find("castor_http_received_bytes_total{route=\"/v1/xorbs/{prefix}/{hash}\"} 2000\n"),
      std::string::npos);
  // The 3 ms request falls in le=0.005 and above; the 100 s one only in +Inf.
  EXPECT_NE(
      text.find("castor_http_request_duration_seconds_bucket{route=\"/v1/xorbs/{prefix}/{hash}\","
                "method=\"POST\",le=\"0.005\"} 1\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("castor_http_request_duration_seconds_bucket{route=\"/v1/xorbs/{prefix}/{hash}\","
                "method=\"POST\",le=\"+Inf\"} 2\n"),
      std::string::npos);
}

TEST(Metrics, CheckerCatchesBrokenText) {
  // The checker itself must be able to fail, or the test above proves nothing.
  EXPECT_NE(CheckPrometheusText("x 1\n"), "");                           // no TYPE
  EXPECT_NE(CheckPrometheusText("# TYPE x counter\nx{a=\"b} 1\n"), "");  // bad quote
  EXPECT_NE(CheckPrometheusText("# TYPE x counter\nx -1\n"), "");        // negative
  EXPECT_NE(CheckPrometheusText("# TYPE x counter\nx 1"), "");           // no newline
  EXPECT_NE(CheckPrometheusText("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
            "");
  EXPECT_NE(CheckPrometheusText("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n"), "");
  EXPECT_EQ(CheckPrometheusText("# HELP x y\n# TYPE x counter\nx{a=\"q\\\"\"} 1.5e3\n"), "");
}

TEST(Metrics, RegistryRejectsBadNames) {
  MetricsRegistry reg;
  EXPECT_FALSE(reg.AddCounter("9bad", "h", {}).ok());
  EXPECT_FALSE(reg.AddCounter("ok", "h", {"le"}).ok());
  EXPECT_FALSE(reg.AddCounter("ok", "h", {"bad-label"}).ok());
  EXPECT_TRUE(reg.AddCounter("ok", "h", {}).ok());
  EXPECT_FALSE(reg.AddCounter("ok", "h", {}).ok());
  EXPECT_FALSE(reg.AddHistogram("hist", "h", {}, {2, 1}).ok());
  EXPECT_FALSE(ServerMetrics::Create(reg).ok() && ServerMetrics::Create(reg).ok());
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry reg;
  auto c = reg.AddCounter("c_total", "h", {"k"});
  auto h = reg.AddHistogram("h_seconds", "h", {"k"}, {0.5, 1});
  ASSERT_TRUE(c.ok() && h.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        (*c)->Inc({t % 2 ? "a" : "b"});
        (*h)->Observe({"x"}, 0.75);
      }
    });
  }
  std::string during;
  for (int i = 0; i < 20; ++i) during = reg.Render();  // rendering while others write
  for (auto& t : threads) t.join();
  EXPECT_EQ(CheckPrometheusText(during), "");
  EXPECT_EQ((*c)->Value({"a"}) + (*c)->Value({"b"}), 40000);
  EXPECT_EQ((*h)->Count({"x"}), 40000u);
  EXPECT_EQ(CheckPrometheusText(reg.Render()), "");
}

TEST(Metrics, MetricsRouteServesTheText) {
  MetricsRegistry reg;
  ASSERT_TRUE(reg.AddCounter("x_total", "help", {}).ok());
  Router router;
  ASSERT_TRUE(AddMetricsRoute(router, &reg).ok());
  auto m = router.Find("GET", "/metrics");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.route->options.scope, Scope::kNone);
  Request req;
  Response r = m.route->handler(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "# HELP x_total help\n# TYPE x_total counter\nx_total 0\n");
  EXPECT_EQ(r.headers.Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace castor::server
