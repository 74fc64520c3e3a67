#include "castor/hub/hub_headers.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "castor/hub/hub_settings.h"
#include "castor/hub/repo_ref.h"

namespace castor::hub {
namespace {

TEST(LinkHeader, NextAndXetAuth) {
  auto m = ParseLinkHeader(
      R"(<https://huggingface.co/api/models/a/b/xet-read-token/abc>; rel="xet-auth", )"
      R"(<https://cas-server.xethub.hf.co/v1/reconstructions/ff>; rel="xet-reconstruction-info")");
  EXPECT_EQ(m["xet-auth"], "https://huggingface.co/api/models/a/b/xet-read-token/abc");
  EXPECT_EQ(m["xet-reconstruction-info"], "https://cas-server.xethub.hf.co/v1/reconstructions/ff");
  auto n = ParseLinkHeader(R"(<https://h/api/models/x/tree/main?cursor=a,b>; rel=next)");
  EXPECT_EQ(n["next"], "https://h/api/models/x/tree/main?cursor=a,b");  // comma inside the URL
  EXPECT_TRUE(ParseLinkHeader("").empty());
  EXPECT_TRUE(ParseLinkHeader("garbage; rel=next").empty());
  EXPECT_TRUE(ParseLinkHeader("<unterminated; rel=next").empty());
}

TEST(RateLimit, ResetSeconds) {
  EXPECT_EQ(ParseRateLimitReset(R"("resolvers";r=0;t=42)"), std::chrono::seconds(42));
  EXPECT_EQ(ParseRateLimitReset("limit=100, remaining=0, reset=7"), std::chrono::seconds(7));
  EXPECT_EQ(ParseRateLimitReset(R"("api";r=5)"), std::nullopt);
  EXPECT_EQ(ParseRateLimitReset(R"("api";t=-3)"), std::nullopt);
  EXPECT_EQ(ParseRateLimitReset(R"("api";t=x)"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("30"), std::chrono::seconds(30));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
}

TEST(Urls, ResolveAndOrigin) {
  EXPECT_EQ(ResolveUrl("http://h:1/a/b?x=1", "/c/d"), "http://h:1/c/d");
  EXPECT_EQ(ResolveUrl("http://h:1/a/b", "https://cdn/x"), "https://cdn/x");
  EXPECT_EQ(ResolveUrl("http://h:1/a/b", "c"), "http://h:1/a/c");
  EXPECT_EQ(UrlOrigin("https://HuggingFace.co/api/x"), "https://huggingface.co:443");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
  EXPECT_NE(UrlOrigin("http://127.0.0.1:8080/x"), UrlOrigin("http://127.0.0.1:8081/x"));
  // Userinfo does not fool the origin check.
  EXPECT_EQ(UrlOrigin("https://huggingface.co@evil.example/x"), "https://evil.example:443");
}

TEST(RepoRef, Parse) {
  auto r = ParseRepoRef("openai-community/gpt2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, RepoType::kModel);
  EXPECT_EQ(r->path(), "openai-community/gpt2");
  EXPECT_EQ(r->revision_or_main(), "main");
  r = ParseRepoRef("datasets/org/name@refs/pr/3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, RepoType::kDataset);
  EXPECT_EQ(r->path(), "datasets/org/name");
  EXPECT_EQ(r->api_path(), "/api/datasets/org/name");
  EXPECT_EQ(r->revision, "refs/pr/3");
  EXPECT_EQ(EncodeRevision(r->revision), "refs%2Fpr%2F3");
  EXPECT_TRUE(ParseRepoRef("gpt2").ok());
  EXPECT_EQ(ParseRepoRef("spaces/a/b")->type, RepoType::kSpace);
  for (const char* bad : {"", "a/b/c", "a/", "/b", "a/b@", "a/../b", "a/b c", "datasets/x",
                          "../x/y", "a/.b", "a/b@main\n"}) {
    EXPECT_FALSE(ParseRepoRef(bad).ok()) << bad;
  }
}

TEST(HubSettings, Precedence) {
  std::map<std::string, std::string> vars;
  EnvLookup env = [&](const char* n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto s = ResolveHubSettings("", "", env);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->endpoint, "https://huggingface.co");
  EXPECT_EQ(s->token, "");
  EXPECT_EQ(s->token_source, "none");

  std::string dir = ::testing::TempDir() + "/hubsettings";
  std::filesystem::create_directories(dir + "/hfhome");
  { std::ofstream(dir + "/hfhome/token") << "  hf_from_home\n"; }
  { std::ofstream(dir + "/explicit") << "hf_explicit\n"; }
  vars["HF_HOME"] = dir + "/hfhome";
  vars["HF_ENDPOINT"] = "http://mirror.local:8080/";
  s = ResolveHubSettings("", "", env);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->endpoint, "http://mirror.local:8080");
  EXPECT_EQ(s->token, "hf_from_home");
  vars["HF_TOKEN"] = "hf_env";
  EXPECT_EQ(ResolveHubSettings("", "", env)->token, "hf_env");
  EXPECT_EQ(ResolveHubSettings("", "", env)->token_source, "HF_TOKEN");
  s = ResolveHubSettings("https://flag.example", dir + "/explicit", env);
  EXPECT_EQ(s->endpoint, "https://flag.example");
  EXPECT_EQ(s->token, "hf_explicit");
  EXPECT_EQ(s->token_source.find("hf_"), std::string::npos);  // says where, never what
  EXPECT_EQ(ResolveHubSettings("", dir + "/missing", env).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveHubSettings("ftp://x", "", env).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace castor::hub
