// CasClient against a scripted in-process HTTP server: retries, Retry-After, token refresh on 401,
// the v1 fallback, resumed range fetches, and errors that name the call.
#include "castor/client/cas_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "castor/protocol/reconstruction.h"
#include "castor/server/http_server.h"
#include "castor/server/router.h"

namespace castor::client {
namespace {

using server::Request;
using server::Response;

class CountingTokens : public TokenSource {
 public:
  Result<std::string> Token(bool refresh) override {
    if (refresh) ++refreshes;
    return refreshes > 0 ? std::string("fresh") : std::string("stale");
  }
  std::atomic<int> refreshes{0};
};

class CasClientTest : public ::testing::Test {
 protected:
  void Start() {
    server::RouteOptions open;
    open.scope = server::Scope::kNone;
    open.max_body = 1 << 20;
    server_ = std::make_unique<server::HttpServer>(&router_, server::HttpServerOptions{});
    ASSERT_TRUE(server_->Start().ok());
    http_ = http::NewCurlHttpClient();
    CasClientOptions o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(server_->port());
    o.base_backoff = std::chrono::milliseconds(5);
    o.max_retries = 4;
    cas_ = std::make_unique<CasClient>(http_.get(), &tokens_, o);
  }
  void Add(const char* method, const char* pattern, server::Handler h) {
    server::RouteOptions open;
    open.scope = server::Scope::kNone;
    open.max_body = 1 << 20;
    ASSERT_TRUE(router_.Add(method, pattern, std::move(h), open).ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }
  server::Router router_;
  std::unique_ptr<server::HttpServer> server_;
  std::unique_ptr<http::HttpClient> http_;
  CountingTokens tokens_;
  std::unique_ptr<CasClient> cas_;
};

TEST_F(CasClientTest, RetriesServerErrorsAndHonoursRetryAfter) {
  std::atomic<int> calls{0};
  Add("POST", "/v1/xorbs/default/{hash}", [&](Request&) {
    int n = ++calls;
    if (n == 1) return Response::Error(503, "unavailable", "busy");
    if (n == 2) {
      Response r = Response::Error(429, "slow_down", "too many");
      r.headers.Set("Retry-After", "1");
      return r;
    }
    return Response::Json(200, R"({"was_inserted":true})");
  });
  Start();
  auto t0 = std::chrono::steady_clock::now();
  auto r = cas_->UploadXorb(Hash{}, AsBytes("x"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  EXPECT_EQ(calls, 3);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(950));
}

TEST_F(CasClientTest, GivesUpOnPermanentErrorsWithTheServersMessage) {
  std::atomic<int> calls{0};
  Add("POST", "/v1/shards", [&](Request&) {
    ++calls;
    return Response::Error(400, "invalid_argument", "shard file 1: wrong verification hash");
  });
  Start();
  auto r = cas_->UploadShard(AsBytes("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("wrong verification hash"), std::string::npos);
  EXPECT_NE(r.status().message().find("upload shard"), std::string::npos);
  EXPECT_EQ(calls, 1);
}

TEST_F(CasClientTest, RefreshesTheTokenOn401) {
  Add("HEAD", "/v1/xorbs/default/{hash}", [&](Request& q) {
    auto auth = q.headers.Get("Authorization");
    if (!auth || *auth != "Bearer fresh") return Response::Error(401, "unauthenticated", "expired");
    return Response::Streamed(200, 5, [](MutableByteSpan) -> Result<size_t> { return 0; });
  });
  Start();
  auto r = cas_->HasXorb(Hash{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  EXPECT_EQ(tokens_.refreshes, 1);
}

TEST_F(CasClientTest, FallsBackToV1Reconstruction) {
  Hash xorb;
  xorb.bytes[0] = 7;
  Add("GET", "/v2/reconstructions/{id}", [](Request&) {
    return Response::Error(404, "not_found", "no v2 here");
  });
  Add("GET", "/v1/reconstructions/{id}", [&](Request&) {
    protocol::QueryReconstructionResponseV1 v1;
    v1.terms.push_back({xorb, 100, {0, 2}});
    v1.fetch_info[xorb].push_back({{0, 2}, "http://example/x", {0, 119}});
    return Response::Json(200, protocol::ToJson(v1));
  });
  Start();
  auto r = cas_->Reconstruct(Hash{}, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->xorbs[xorb].size(), 1u);
  EXPECT_EQ(r->xorbs[xorb][0].url, "http://example/x");
  EXPECT_EQ(r->xorbs[xorb][0].ranges[0].bytes.end, 119u);
  EXPECT_EQ(r->terms.size(), 1u);
}

TEST_F(CasClientTest, FetchRangeResumesAfterADroppedBody) {
  std::string object(300000, '\0');
  for (size_t i = 0; i < object.size(); ++i) object[i] = char(i * 7);
  std::atomic<int> calls{0};
  Add("GET", "/data", [&](Request& q) {
    int n = ++calls;
    auto range = q.headers.Get("Range");
    size_t start = std::stoul(std::string(range->substr(6)));
    size_t end = std::stoul(std::string(range->substr(range->find('-') + 1))) + 1;
    std::string part = object.substr(start, end - start);
    Response r = Response::Text(206, part, "application/octet-stream");
    if (n == 1) {
      // Promise the whole part, send half, then fail: the connection drops mid-body.
      auto sent = std::make_shared<size_t>(0);
      auto half = part.substr(0, part.size() / 2);
      r = Response::Streamed(206, part.size(), [half, sent](MutableByteSpan out) -> Result<size_t> {
        if (*sent >= half.size()) return IOError("dropped");
        size_t n = std::min(out.size(), half.size() - *sent);
        std::memcpy(out.data(), half.data() + *sent, n);
        *sent += n;
        return n;
      });
    }
    return r;
  });
  Start();
  std::string got;
  Status s = cas_->FetchRange("http://127.0.0.1:" + std::to_string(server_->port()) + "/data",
                              {1000, 250000}, [&](ByteSpan d) {
                                got.append(AsString(d));
                                return Status::OK();
                              });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(got, object.substr(1000, 249000));
  EXPECT_EQ(calls, 2);
}

TEST_F(CasClientTest, ExpiredDataUrlIsPermissionDenied) {
  Add("GET", "/data", [](Request&) { return Response::Error(403, "permission_denied", "expired"); });
  Start();
  Status s = cas_->FetchRange("http://127.0.0.1:" + std::to_string(server_->port()) + "/data",
                              {0, 10}, [](ByteSpan) { return Status::OK(); });
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace castor::client
