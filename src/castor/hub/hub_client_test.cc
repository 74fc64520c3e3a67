// HubClient over a scripted HttpClient: what it sends (token only to the Hub's origin, encoded
// revisions), how it reads answers (pagination, errors) and how it survives faults (429 gate,
// 5xx, bodies cut short: the sink sees each byte once).
#include "castor/hub/hub_client.h"

#include <gtest/gtest.h>

#include <functional>
#include <mutex>

namespace castor::hub {
namespace {

using http::Request;
using http::Response;

// Answers each request with `handler`; records every request.
class ScriptedHttp : public http::HttpClient {
 public:
  using Handler = std::function<Result<Response>(const Request&, const http::BodySink*)>;
  explicit ScriptedHttp(Handler h) : handler_(std::move(h)) {}
  Result<Response> Send(const Request& r) override { return Do(r, nullptr); }
  Result<Response> Send(const Request& r, const http::BodySink& sink) override {
    return Do(r, &sink);
  }
  std::vector<Request> requests;

 private:
  Result<Response> Do(const Request& r, const http::BodySink* sink) {
    {
      std::lock_guard lock(mu_);
      requests.push_back(r);
    }
    return handler_(r, sink);
  }
  Handler handler_;
  std::mutex mu_;
};

Response Json(int status, std::string body, http::Headers h = {}) {
  Response r;
  r.status = status;
  r.headers = std::move(h);
  r.body.assign(body.begin(), body.end());
  return r;
}

// Streams `data` to the sink (or the body), like HttpClient does for 2xx answers.
Result<Response> Body(const std::string& data, const http::BodySink* sink,
                      size_t cut = std::string::npos) {
  Response r;
  r.status = 200;
  std::string part = data.substr(0, std::min(cut, data.size()));
  if (sink) {
    CASTOR_RETURN_IF_ERROR((*sink)(AsBytes(part)));
  } else {
    r.body.assign(part.begin(), part.end());
  }
  if (cut != std::string::npos) return Unavailable("connection reset mid-body");
  return r;
}

bool HasAuth(const Request& r) { return !http::FindHeader(r.headers, "Authorization").empty(); }

HubClientOptions Opts() {
  HubClientOptions o;
  o.endpoint = "http://hub.test:1";
  o.token = "hf_secret";
  o.base_backoff = std::chrono::milliseconds(1);
  o.max_backoff = std::chrono::milliseconds(5);
  return o;
}

RepoRef Repo() { return *ParseRepoRef("org/model"); }

TEST(HubClient, ResolveCommitEncodesRevision) {
  ScriptedHttp http([](const Request& r, const http::BodySink*) -> Result<Response> {
    EXPECT_EQ(r.url, "http://hub.test:1/api/models/org/model/revision/refs%2Fpr%2F1");
    EXPECT_EQ(http::FindHeader(r.headers, "Authorization"), "Bearer hf_secret");
    return Json(200, R"({"sha":"0123456789abcdef0123456789abcdef01234567"})");
  });
  HubClient hub(&http, Opts());
  auto c = hub.ResolveCommit(Repo(), "refs/pr/1");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, "0123456789abcdef0123456789abcdef01234567");
}

TEST(HubClient, ErrorsSayWhatToDo) {
  std::string code;
  int status = 0;
  ScriptedHttp http([&](const Request&, const http::BodySink*) -> Result<Response> {
    return Json(status, "{}", {{"X-Error-Code", code}});
  });
  HubClient hub(&http, Opts());
  auto check = [&](int s, std::string c, StatusCode want, std::string text) {
    status = s;
    code = std::move(c);
    auto r = hub.ResolveCommit(Repo(), "main");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), want) << r.status().ToString();
    EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().ToString();
    EXPECT_EQ(r.status().message().find("hf_secret"), std::string::npos);
  };
  check(403, "GatedRepo", StatusCode::kPermissionDenied, "accept its terms");
  check(404, "RepoNotFound", StatusCode::kNotFound, "repository not found");
  check(404, "RevisionNotFound", StatusCode::kNotFound, "revision not found");
  check(401, "", StatusCode::kUnauthenticated, "token was rejected");
  check(403, "", StatusCode::kPermissionDenied, "not allowed");
  check(418, "", StatusCode::kFailedPrecondition, "418");
}

TEST(HubClient, TreeFollowsPagination) {
  ScriptedHttp http([](const Request& r, const http::BodySink*) -> Result<Response> {
    if (r.url.find("cursor=2") != std::string::npos) {
      return Json(200, R"([{"type":"file","path":"b.bin","size":5,"oid":"x",
                            "lfs":{"oid":"aa","size":5},"xetHash":"ff"}])");
    }
    return Json(200, R"([{"type":"directory","path":"d","oid":"y","size":0},
                          {"type":"file","path":"a.json","size":3,"oid":"o1"}])",
                {{"Link", "</api/models/org/model/tree/c?cursor=2>; rel=\"next\""}});
  });
  HubClient hub(&http, Opts());
  auto files = hub.ListFiles(Repo(), "c");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "a.json");
  EXPECT_FALSE((*files)[0].is_lfs());
  EXPECT_EQ((*files)[1].sha256, "aa");
  EXPECT_EQ((*files)[1].xet_hash, "ff");
  EXPECT_EQ(http.requests[1].url, "http://hub.test:1/api/models/org/model/tree/c?cursor=2");

  ScriptedHttp bad([](const Request&, const http::BodySink*) -> Result<Response> {
    return Json(200, R"({"not":"a list"})");
  });
  HubClient hub2(&bad, Opts());
  EXPECT_EQ(hub2.ListFiles(Repo(), "c").status().code(), StatusCode::kCorruption);
}

TEST(HubClient, RedirectToAnotherOriginCarriesNoToken) {
  const std::string data = "0123456789";
  ScriptedHttp http([&](const Request& r, const http::BodySink* sink) -> Result<Response> {
    if (r.url.rfind("http://hub.test:1/org/model/resolve/", 0) == 0) {
      EXPECT_TRUE(HasAuth(r));
      EXPECT_FALSE(r.follow_redirects);
      return Json(302, "", {{"Location", "http://cdn.test:2/blob?sig=1"}});
    }
    EXPECT_EQ(r.url, "http://cdn.test:2/blob?sig=1");
    EXPECT_FALSE(HasAuth(r)) << "Hub token sent to the CDN";
    return Body(data, sink);
  });
  HubClient hub(&http, Opts());
  RepoFile f{"w/a b.bin", data.size(), "", "sha", ""};
  std::string got;
  auto st = hub.Download(Repo(), "c0ffee", f, [&](ByteSpan d) {
    got.append(AsString(d));
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(got, data);
  EXPECT_EQ(st->path, DownloadPath::kRedirect);
  EXPECT_EQ(http.requests[0].url, "http://hub.test:1/org/model/resolve/c0ffee/w/a%20b.bin");
}

TEST(HubClient, DroppedBodiesResumeWithoutRepeatingBytes) {
  const std::string data = "abcdefghijklmnopqrstuvwxyz";
  int calls = 0;
  ScriptedHttp http([&](const Request&, const http::BodySink* sink) -> Result<Response> {
    ++calls;
    if (calls == 1) return Body(data, sink, 10);  // cut after 10 bytes
    if (calls == 2) return Json(503, "busy");
    if (calls == 3) return Body(data, sink, 20);
    return Body(data, sink);
  });
  HubClient hub(&http, Opts());
  RepoFile f{"f", data.size(), "oid", "", ""};
  std::string got;
  auto st = hub.Download(Repo(), "c", f, [&](ByteSpan d) {
    got.append(AsString(d));
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(got, data);
  EXPECT_EQ(st->retries, 3);
}

TEST(HubClient, LongerBodyThanListedIsCorruption) {
  ScriptedHttp http(
      [](const Request&, const http::BodySink* sink) { return Body("toolong", sink); });
  HubClient hub(&http, Opts());
  RepoFile f{"f", 3, "oid", "", ""};
  auto st = hub.Download(Repo(), "c", f, [](ByteSpan) { return Status::OK(); });
  EXPECT_FALSE(st.ok());
}

TEST(HubClient, SinkErrorsAreNotRetried) {
  int calls = 0;
  ScriptedHttp http([&](const Request&, const http::BodySink* sink) {
    ++calls;
    return Body("abc", sink);
  });
  HubClient hub(&http, Opts());
  RepoFile f{"f", 3, "oid", "", ""};
  auto st = hub.Download(Repo(), "c", f, [](ByteSpan) { return Unavailable("disk full"); });
  EXPECT_EQ(st.status().message(), "disk full");
  EXPECT_EQ(calls, 1);
}

TEST(HubClient, RetriesAreReportedAndFailedLookupsGetFew) {
  // A real HTTP client and a name that cannot resolve: two retries, each reported, then an error
  // that says what to check.
  auto curl = http::NewCurlHttpClient();
  HubClientOptions o = Opts();
  o.endpoint = "http://castor-no-such-host.invalid";
  std::vector<std::string> told;
  std::mutex mu;
  o.on_retry = [&](const std::string& line) {
    std::lock_guard lock(mu);
    told.push_back(line);
  };
  HubClient hub(curl.get(), o);
  auto r = hub.ResolveCommit(Repo(), "main");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(http::IsNameResolutionFailure(r.status())) << r.status().ToString();
  EXPECT_NE(r.status().message().find("HF_ENDPOINT"), std::string::npos);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_NE(told[0].find("retry 1 of 2"), std::string::npos) << told[0];
  EXPECT_EQ(hub.counters().retries.load(), 2u);

  // Other transport errors get the full series, each reported.
  told.clear();
  int calls = 0;
  ScriptedHttp flaky([&](const Request&, const http::BodySink*) -> Result<Response> {
    if (++calls <= 3) return Unavailable("connection refused");
    return Json(200, R"({"sha":"0123456789abcdef0123456789abcdef01234567"})");
  });
  HubClient hub2(&flaky, o);
  ASSERT_TRUE(hub2.ResolveCommit(Repo(), "main").ok());
  ASSERT_EQ(told.size(), 3u);
  EXPECT_NE(told[2].find("retry 3 of 8"), std::string::npos) << told[2];
  EXPECT_FALSE(http::IsNameResolutionFailure(Unavailable("connection refused")));
}

TEST(HubClient, RateLimitClosesTheSharedGateForTheAnnouncedTime) {
  int calls = 0;
  ScriptedHttp http([&](const Request&, const http::BodySink*) -> Result<Response> {
    if (++calls == 1) return Json(429, "", {{"RateLimit", "\"resolvers\";r=0;t=1"}});
    return Json(200, R"({"sha":"0123456789abcdef0123456789abcdef01234567"})");
  });
  HubClient hub(&http, Opts());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(hub.ResolveCommit(Repo(), "main").ok());
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(990));
  EXPECT_LT(waited, std::chrono::milliseconds(3000));
  EXPECT_EQ(hub.counters().rate_limited.load(), 1u);
  EXPECT_GE(hub.rate_gate().total_closed(), std::chrono::milliseconds(990));
}

TEST(HubClient, XetFailureFallsBackToTheRedirect) {
  ScriptedHttp http([&](const Request& r, const http::BodySink* sink) -> Result<Response> {
    if (r.url.find("/resolve/") != std::string::npos) {
      return Json(
          302, "",
          {{"Location", "http://cdn.test:2/x"},
           {"X-Xet-Hash", std::string(64, 'a')},
           {"Link",
            "<http://hub.test:1/api/models/org/model/xet-read-token/c>; rel=\"xet-auth\""}});
    }
    if (r.url.find("xet-read-token") != std::string::npos) {
      EXPECT_TRUE(HasAuth(r));  // same origin as the Hub
      return Json(500, "token service down");
    }
    return Body("xyz", sink);
  });
  HubClient hub(&http, Opts());
  RepoFile f{"f", 3, "", "sha", std::string(64, 'a')};
  std::string got;
  auto st = hub.Download(Repo(), "c", f, [&](ByteSpan d) {
    got.append(AsString(d));
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(got, "xyz");
  EXPECT_TRUE(st->xet_fell_back);
  EXPECT_FALSE(st->xet_error.empty());
}

}  // namespace
}  // namespace castor::hub
