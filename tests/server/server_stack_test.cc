// castor's server stack over real loopback HTTP, wired as castor serve wires it: static and CAS
// bearer tokens, the Hub-shaped token endpoint, signed range URLs, /metrics and the audit log.
// The CAS handlers here are stand-ins (an in-memory map); the CAS service itself is tested in its
// own folder.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "castor/protocol/cas_messages.h"
#include "castor/protocol/multipart.h"
#include "castor/server/audit_log.h"
#include "castor/server/auth.h"
#include "castor/server/cas_token.h"
#include "castor/server/curl_test_client.h"
#include "castor/server/http_server.h"
#include "castor/server/log.h"
#include "castor/server/metrics.h"
#include "castor/server/prometheus_text_check.h"
#include "castor/server/range_response.h"
#include "castor/server/request_observer.h"
#include "castor/server/signed_url.h"
#include "castor/server/token_endpoint.h"

namespace castor::server {
namespace {

using testing::CurlClient;
using testing::CurlResult;

const std::string kReadSecret = "read-secret-aaaaaaaaaaaa";
const std::string kWriteSecret = "write-secret-bbbbbbbbbbbb";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServerStack : public ::testing::Test {
 protected:
  void SetUp() override {
    secret_ = RandomBytes(32);
    cas_tokens_ = std::make_unique<CasTokenSigner>(secret_);
    urls_ = std::make_unique<UrlSigner>(secret_);
    auto tokens =
        ParseTokensEnv("reader:" + kReadSecret + ":read,writer:" + kWriteSecret + ":write");
    ASSERT_TRUE(tokens.ok());
    auth_ = std::make_unique<Authenticator>(std::move(*tokens), cas_tokens_.get());
    auto m = ServerMetrics::Create(registry_);
    ASSERT_TRUE(m.ok());
    metrics_ = std::move(*m);
    audit_path_ = ::testing::TempDir() + "/castor_stack_audit_" + std::to_string(getpid());
    log_path_ = ::testing::TempDir() + "/castor_stack_log_" + std::to_string(getpid());
    std::remove(audit_path_.c_str());
    auto audit = AuditLog::Open(audit_path_);
    ASSERT_TRUE(audit.ok());
    audit_ = std::move(*audit);
    log_fd_ = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    ASSERT_GE(log_fd_, 0);
    log_ = std::make_unique<Logger>(log_fd_, LogLevel::kDebug, LogFormat::kJson);

    TokenEndpointOptions token_opt;
    token_opt.cas_url = "http://cas.test";
    ASSERT_TRUE(AddTokenRoutes(router_, cas_tokens_.get(), token_opt).ok());
    ASSERT_TRUE(AddMetricsRoute(router_, &registry_).ok());
    RouteOptions write;
    write.name = "xorb_upload";
    write.scope = Scope::kWrite;
    write.max_body = 1 << 20;
    ASSERT_TRUE(router_
                    .Add(
                        "POST", "/v1/xorbs/{prefix}/{hash}",
                        [this](Request& req) {
                          req.audit_object = "xorb " + req.Param("hash");
                          std::lock_guard lock(mu_);
                          bool inserted = objects_.emplace(req.Param("hash"), req.body).second;
                          metrics_->xorbs->Inc({inserted ? "accepted" : "duplicate"});
                          return Response::Json(
                              200, protocol::ToJson(protocol::XorbUploadResponse{inserted}));
                        },
                        write)
                    .ok());
    RouteOptions read;
    read.name = "xorb_head";
    ASSERT_TRUE(router_
                    .Add(
                        "GET", "/v1/xorbs/{prefix}/{hash}",
                        [this](Request& req) {
                          std::lock_guard lock(mu_);
                          auto it = objects_.find(req.Param("hash"));
                          if (it == objects_.end())
                            return Response::FromStatus(NotFound("xorb " + req.Param("hash")));
                          return Response::Text(200, "", "application/octet-stream");
                        },
                        read)
                    .ok());
    RouteOptions data;
    data.name = "xorb_data";
    data.scope = Scope::kNone;  // the URL signature is the credential
    data.max_body = 0;
    ASSERT_TRUE(
        router_
            .Add(
                "GET", "/data/{hash}", [this](Request& req) { return ServeData(req); }, data)
            .ok());

    HttpServerOptions opt;
    opt.threads = 2;
    server_ = std::make_unique<HttpServer>(
        &router_, opt, auth_.get(), MakeRequestObserver(metrics_.get(), audit_.get(), log_.get()));
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  void TearDown() override {
    server_->Shutdown();
    ::close(log_fd_);
    std::remove(audit_path_.c_str());
    std::remove(log_path_.c_str());
  }

  Response ServeData(Request& req) {
    std::shared_ptr<const std::string> obj;
    {
      std::lock_guard lock(mu_);
      auto it = objects_.find(req.Param("hash"));
      if (it == objects_.end()) return Response::FromStatus(NotFound("xorb"));
      obj = std::make_shared<const std::string>(it->second);
    }
    auto header = req.headers.Get("Range");
    if (!header) return Response::FromStatus(PermissionDenied("a Range header is required"));
    auto specs = protocol::ParseRangeHeader(*header);
    if (!specs.ok()) return Response::FromStatus(specs.status());
    auto ranges = protocol::ResolveRanges(*specs, obj->size());
    if (!ranges.ok()) return Response::FromStatus(ranges.status());
    Status allowed = urls_->VerifyUrl(req.path, req.query, *ranges, UnixNow());
    if (!allowed.ok()) return Response::FromStatus(allowed);
    return RangesResponse(
        *ranges, obj->size(),
        [obj](uint64_t off, MutableByteSpan out) {
          size_t n = std::min<uint64_t>(out.size(), obj->size() - off);
          std::memcpy(out.data(), obj->data() + off, n);
          return Result<size_t>(n);
        },
        99);
  }

  CurlResult Call(const std::string& method, const std::string& path,
                  std::optional<std::string> bearer, const std::string* body = nullptr,
                  std::vector<std::string> headers = {}) {
    if (bearer) headers.push_back("Authorization: Bearer " + *bearer);
    return CurlClient().Perform(method, base_ + path, headers, body);
  }

  Bytes secret_;
  std::unique_ptr<CasTokenSigner> cas_tokens_;
  std::unique_ptr<UrlSigner> urls_;
  std::unique_ptr<Authenticator> auth_;
  MetricsRegistry registry_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::string audit_path_, log_path_;
  std::unique_ptr<AuditLog> audit_;
  int log_fd_ = -1;
  std::unique_ptr<Logger> log_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
};

TEST_F(ServerStack, AuthMatrix) {
  const std::string body = "xorb bytes";
  struct Case {
    std::optional<std::string> token;
    long read_status, write_status;
  } cases[] = {
      {std::nullopt, 401, 401},
      {"not-a-token-at-all", 401, 401},
      {kReadSecret, 404, 403},   // read route reached (unknown object), write refused
      {kWriteSecret, 404, 200},  // write implies read
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string hash = "h" + std::to_string(n++);
    CurlResult r = Call("GET", "/v1/xorbs/default/" + hash, c.token);
    EXPECT_EQ(r.status, c.read_status) << c.token.value_or("(none)");
    if (r.status == 401) {
      EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
    }
    CurlResult w = Call("POST", "/v1/xorbs/default/" + hash, c.token, &body);
    EXPECT_EQ(w.status, c.write_status) << c.token.value_or("(none)");
    if (w.status == 401) {
      EXPECT_EQ(w.headers["www-authenticate"], "Bearer");
    }
    if (w.status >= 400) {
      auto err = protocol::ParseErrorBody(w.body);
      EXPECT_TRUE(err.ok()) << w.body;
    }
  }
  EXPECT_EQ(Call("GET", "/v1/xorbs/default/h3", kReadSecret).status, 200);
  // Bodies of refused writes were never accepted.
  std::lock_guard lock(mu_);
  EXPECT_EQ(objects_.size(), 1u);
}

TEST_F(ServerStack, TokenEndpointIssuesUsableCasTokens) {
  CurlResult w = Call("GET", "/api/models/org/name/xet-write-token/refs%2Fpr%2F1", kWriteSecret);
  ASSERT_EQ(w.status, 200) << w.body;
  auto tok = protocol::ParseCasTokenResponse(w.body);
  ASSERT_TRUE(tok.ok()) << w.body;
  EXPECT_EQ(tok->cas_url, "http://cas.test");
  EXPECT_GT(tok->exp, UnixNow());
  EXPECT_EQ(w.headers["x-xet-access-token"], tok->access_token);
  EXPECT_EQ(w.headers["x-xet-token-expiration"], std::to_string(tok->exp));
  auto claims = cas_tokens_->Verify(tok->access_token, UnixNow());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->repo, "models/org/name");
  EXPECT_EQ(claims->revision, "refs/pr/1");

  const std::string body = "data";
  EXPECT_EQ(Call("POST", "/v1/xorbs/default/abc", tok->access_token, &body).status, 200);

  CurlResult r = Call("GET", "/api/datasets/solo/xet-read-token/main", kReadSecret);
  ASSERT_EQ(r.status, 200);
  auto read_tok = protocol::ParseCasTokenResponse(r.body);
  ASSERT_TRUE(read_tok.ok());
  EXPECT_EQ(Call("GET", "/v1/xorbs/default/abc", read_tok->access_token).status, 200);
  EXPECT_EQ(Call("POST", "/v1/xorbs/default/x", read_tok->access_token, &body).status, 403);

  EXPECT_EQ(Call("GET", "/api/models/org/name/xet-write-token/main", kReadSecret).status, 403);
  EXPECT_EQ(Call("GET", "/api/models/org/name/xet-read-token/main", tok->access_token).status, 403);
  EXPECT_EQ(Call("GET", "/api/models/org/name/xet-read-token/main", std::nullopt).status, 401);
  EXPECT_EQ(Call("GET", "/api/widgets/org/name/xet-read-token/main", kReadSecret).status, 404);
  EXPECT_EQ(Call("GET", "/api/models/org/name/xet-admin-token/main", kWriteSecret).status, 404);
  EXPECT_EQ(Call("GET", "/api/buckets/org/b/xet-read-token", kReadSecret).status, 200);
}

TEST_F(ServerStack, SignedUrlsServeExactlyTheirRanges) {
  std::string object(300000, '\0');
  for (size_t i = 0; i < object.size(); ++i) object[i] = char(i * 7 + i / 251);
  {
    std::lock_guard lock(mu_);
    objects_["obj"] = object;
  }
  std::vector<protocol::ByteRange> ranges{{0, 1000}, {200000, 250000}};
  std::string url = "/data/obj?" + urls_->SignUrl("/data/obj", ranges, UnixNow() + 60);

  CurlResult multi = Call("GET", url, std::nullopt, nullptr, {"Range: bytes=0-999,200000-249999"});
  ASSERT_EQ(multi.status, 206) << multi.body.substr(0, 200);
  auto parts = protocol::ParseMultipartByteranges(multi.headers["content-type"], multi.body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].data, object.substr(0, 1000));
  EXPECT_EQ((*parts)[1].data, object.substr(200000, 50000));

  CurlResult one = Call("GET", url, std::nullopt, nullptr, {"Range: bytes=200000-249999"});
  EXPECT_EQ(one.status, 206);
  EXPECT_EQ(one.body, object.substr(200000, 50000));

  EXPECT_EQ(Call("GET", url, std::nullopt, nullptr, {"Range: bytes=0-1000"}).status, 403);
  EXPECT_EQ(Call("GET", url, std::nullopt).status, 403);
  EXPECT_EQ(Call("GET", "/data/obj", std::nullopt, nullptr, {"Range: bytes=0-9"}).status, 403);
  std::string expired = "/data/obj?" + urls_->SignUrl("/data/obj", ranges, UnixNow() - 1);
  EXPECT_EQ(Call("GET", expired, std::nullopt, nullptr, {"Range: bytes=0-9"}).status, 403);
  // A URL signed for one object does not open another.
  {
    std::lock_guard lock(mu_);
    objects_["other"] = object;
  }
  std::string moved = "/data/other?" + url.substr(url.find('?') + 1);
  EXPECT_EQ(Call("GET", moved, std::nullopt, nullptr, {"Range: bytes=0-9"}).status, 403);
}

TEST_F(ServerStack, MetricsAuditAndLogsRecordWithoutSecrets) {
  const std::string body(5000, 'x');
  ASSERT_EQ(Call("POST", "/v1/xorbs/default/aa", kWriteSecret, &body).status, 200);
  ASSERT_EQ(Call("POST", "/v1/xorbs/default/aa", kWriteSecret, &body).status, 200);
  ASSERT_EQ(Call("POST", "/v1/xorbs/default/bb", kReadSecret, &body).status, 403);
  ASSERT_EQ(Call("GET", "/v1/xorbs/default/aa", "wrong-" + kWriteSecret).status, 401);
  ASSERT_EQ(Call("GET", "/v1/xorbs/default/aa", kReadSecret).status, 200);
  ASSERT_EQ(Call("GET", "/no/such/route", std::nullopt).status, 404);

  std::vector<testing::PromSample> samples;
  auto value = [&](const std::string& name, std::map<std::string, std::string> labels) {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return -1.0;
  };
  // An exchange is counted just after its response is written, so the last one may race this
  // scrape: scrape until it shows up.
  for (int attempt = 0; attempt < 100; ++attempt) {
    CurlResult m = Call("GET", "/metrics", std::nullopt);
    ASSERT_EQ(m.status, 200);
    ASSERT_EQ(testing::CheckPrometheusText(m.body, &samples), "") << m.body;
    if (value("castor_http_requests_total",
              {{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}}) == 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(value("castor_http_requests_total",
                  {{"route", "xorb_upload"}, {"method", "POST"}, {"status", "200"}}),
            2);
  EXPECT_EQ(value("castor_http_requests_total",
                  {{"route", "xorb_upload"}, {"method", "POST"}, {"status", "403"}}),
            1);
  EXPECT_EQ(value("castor_http_requests_total",
                  {{"route", "xorb_head"}, {"method", "GET"}, {"status", "401"}}),
            1);
  EXPECT_EQ(value("castor_http_requests_total",
                  {{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}}),
            1);
  EXPECT_EQ(value("castor_http_received_bytes_total", {{"route", "xorb_upload"}}), 10000);
  EXPECT_EQ(value("castor_xorbs_total", {{"result", "accepted"}}), 1);
  EXPECT_EQ(value("castor_xorbs_total", {{"result", "duplicate"}}), 1);

  server_->Shutdown();  // every observer call has returned once the server is down
  std::string audit = ReadFile(audit_path_);
  std::istringstream lines(audit);
  std::string line;
  int writes = 0, rejected = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    for (const char* key : {"time", "token_id", "route", "object", "size", "status", "result"}) {
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << line;
    }
    EXPECT_TRUE(j["remote"].get<std::string>().starts_with("127.0.0.1:")) << line;
    EXPECT_EQ(j["request_id"].get<std::string>().size(), 16u) << line;
    if (j["route"] == "xorb_upload" && j["status"] == 200) {
      ++writes;
      EXPECT_EQ(j["token_id"], "writer");
      EXPECT_EQ(j["object"], "xorb aa");
      EXPECT_EQ(j["size"], 5000);
    }
    if (j["result"] == "rejected") ++rejected;
  }
  EXPECT_EQ(writes, 2);
  EXPECT_EQ(rejected, 3);  // 403, 401, 404; the successful read is not audited
  std::string log = ReadFile(log_path_);
  EXPECT_NE(log.find("\"msg\":\"request\""), std::string::npos);
  for (const std::string* text : {&audit, &log}) {
    EXPECT_EQ(text->find(kReadSecret), std::string::npos);
    EXPECT_EQ(text->find(kWriteSecret), std::string::npos);
  }
}

}  // namespace
}  // namespace castor::server
