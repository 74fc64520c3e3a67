#include "castor/server/router.h"

#include <gtest/gtest.h>

namespace castor::server {
namespace {

Handler Named(std::string name) {
  return [name](Request&) { return Response::Text(200, name); };
}

RouteOptions Public() {
  RouteOptions o;
  o.scope = Scope::kNone;
  return o;
}

std::string Call(const Router::Match& m) {
  Request req;
  return m.route->handler(req).body;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(r.Add("GET", "/v1/xorbs/{prefix}/{hash}", Named("head-xorb")).ok());
    ASSERT_TRUE(r.Add("POST", "/v1/xorbs/{prefix}/{hash}", Named("post-xorb")).ok());
    ASSERT_TRUE(r.Add("GET", "/api/{type}s/{repo...}/xet-{kind}-token/{rev}", Named("token")).ok());
    ASSERT_TRUE(r.Add("GET", "/v1/reconstructions/{file_id}", Named("recon")).ok());
    ASSERT_TRUE(r.Add("POST", "/v1/reconstructions", Named("batch")).ok());
    ASSERT_TRUE(r.Add("GET", "/metrics", Named("metrics"), Public()).ok());
  }
  Router r;
};

TEST_F(RouterTest, MatchesParameters) {
  auto m = r.Find("POST", "/v1/xorbs/default/abc123");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(Call(m), "post-xorb");
  EXPECT_EQ(m.params["prefix"], "default");
  EXPECT_EQ(m.params["hash"], "abc123");
  EXPECT_EQ(m.route->options.name, "/v1/xorbs/{prefix}/{hash}");
}

TEST_F(RouterTest, RepoWithSlashAndAffixedSegments) {
  auto m = r.Find("GET", "/api/models/org/name/xet-write-token/refs%2Fpr%2F1");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.params["type"], "model");
  EXPECT_EQ(m.params["repo"], "org/name");
  EXPECT_EQ(m.params["kind"], "write");
  EXPECT_EQ(m.params["rev"], "refs/pr/1");
  auto single = r.Find("GET", "/api/datasets/solo/xet-read-token/main");
  ASSERT_EQ(single.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(single.params["repo"], "solo");
  EXPECT_EQ(single.params["type"], "dataset");
  // "s" suffix with nothing before it, and a missing repo, do not match.
  EXPECT_EQ(r.Find("GET", "/api/s/org/x/xet-read-token/main").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/api/models/xet-read-token/main").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/api/models/a//b/xet-read-token/main").kind,
            Router::Match::Kind::kNotFound);
}

TEST_F(RouterTest, NotFoundAndMethodNotAllowed) {
  EXPECT_EQ(r.Find("GET", "/nope").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/v1/xorbs/default").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/v1/xorbs/default/h/extra").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/v1/xorbs//h").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/metrics/").kind, Router::Match::Kind::kNotFound);
  auto m = r.Find("DELETE", "/v1/xorbs/default/h");
  ASSERT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  auto m2 = r.Find("GET", "/v1/reconstructions");
  ASSERT_EQ(m2.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m2.allow, "POST");
}

TEST_F(RouterTest, HeadFallsBackToGetUnlessRegistered) {
  auto m = r.Find("HEAD", "/v1/reconstructions/abc");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(Call(m), "recon");
  ASSERT_TRUE(r.Add("HEAD", "/v1/reconstructions/{file_id}", Named("explicit-head")).ok());
  EXPECT_EQ(Call(r.Find("HEAD", "/v1/reconstructions/abc")), "explicit-head");
}

TEST_F(RouterTest, BadEscapeInParameter) {
  EXPECT_EQ(r.Find("GET", "/v1/reconstructions/%zz").kind, Router::Match::Kind::kBadPath);
  EXPECT_EQ(r.Find("GET", "/v1/reconstructions/%4").kind, Router::Match::Kind::kBadPath);
  auto ok = r.Find("GET", "/v1/reconstructions/a%20b");
  ASSERT_EQ(ok.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(ok.params["file_id"], "a b");
}

TEST(Router, RejectsBadPatterns) {
  Router r;
  EXPECT_FALSE(r.Add("GET", "no-slash", Named("x")).ok());
  EXPECT_FALSE(r.Add("GET", "/a/{b", Named("x")).ok());
  EXPECT_FALSE(r.Add("GET", "/a/b}", Named("x")).ok());
  EXPECT_FALSE(r.Add("GET", "/a/{}", Named("x")).ok());
  EXPECT_FALSE(r.Add("GET", "/a/{x}{y}", Named("x")).ok());
  EXPECT_FALSE(r.Add("GET", "/a/{x}/{x}", Named("x")).ok());
  EXPECT_FALSE(r.Add("GET", "/a/p{x...}", Named("x")).ok());
  EXPECT_TRUE(r.Add("GET", "/a/{x}", Named("x")).ok());
  EXPECT_FALSE(r.Add("GET", "/a/{x}", Named("x")).ok());  // duplicate
  EXPECT_TRUE(r.Add("POST", "/a/{x}", Named("x")).ok());
}

TEST(HttpMessage, QueryParamsAndEscapes) {
  Request req;
  req.query = "file_id=a&file_id=b%2Fc&x=&y";
  EXPECT_EQ(req.QueryParams("file_id"), (std::vector<std::string>{"a", "b/c"}));
  EXPECT_EQ(req.QueryParam("x"), "");
  EXPECT_EQ(req.QueryParam("y"), "");
  EXPECT_EQ(req.QueryParam("z"), std::nullopt);
  EXPECT_EQ(PercentEncode("bytes=0-9,20-29"), "bytes%3D0-9%2C20-29");
  EXPECT_EQ(PercentDecode(PercentEncode("a/b c~\xff")), "a/b c~\xff");
  EXPECT_EQ(PercentDecode("%"), std::nullopt);
}

TEST(HttpMessage, StatusMapping) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kOutOfRange), 416);
  EXPECT_EQ(HttpStatusFor(StatusCode::kIOError), 500);
  Response r = Response::FromStatus(NotFound("xorb x"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "{\"error\":\"not_found\",\"message\":\"xorb x\"}");
  EXPECT_EQ(r.headers.Get("content-type"), "application/json");
}

}  // namespace
}  // namespace castor::server
