#include "castor/server/auth.h"

#include <gtest/gtest.h>

#include <concepts>
#include <cstdio>
#include <fstream>

namespace castor::server {
namespace {

// Secrets can only be compared through DigestEquals (CRYPTO_memcmp over fixed-length digests):
// there is no operator== that could short-circuit on the first differing byte.
static_assert(!std::equality_comparable<TokenDigest>);

StaticToken Tok(std::string id, std::string secret, Scope scope) {
  return StaticToken{std::move(id), TokenDigest::Of(secret), scope};
}

Request WithAuth(std::string value) {
  Request r;
  r.headers.Add("Authorization", std::move(value));
  return r;
}

class AuthTest : public ::testing::Test {
 protected:
  AuthTest()
      : signer_(Bytes(32, 3)),
        auth_({Tok("reader", "read-secret-0123456789", Scope::kRead),
               Tok("writer", "write-secret-0123456789", Scope::kWrite)},
              &signer_, [this] { return now_; }) {}
  CasTokenSigner signer_;
  int64_t now_ = 1000;
  Authenticator auth_;
};

TEST_F(AuthTest, Matrix) {
  struct Case {
    std::optional<std::string> header;
    Scope route;
    StatusCode want;
  } cases[] = {
      {std::nullopt, Scope::kRead, StatusCode::kUnauthenticated},
      {std::nullopt, Scope::kWrite, StatusCode::kUnauthenticated},
      {"Bearer nope-nope-nope-nope", Scope::kRead, StatusCode::kUnauthenticated},
      {"Bearer nope-nope-nope-nope", Scope::kWrite, StatusCode::kUnauthenticated},
      {"Basic cmVhZGVyOng=", Scope::kRead, StatusCode::kUnauthenticated},
      {"Bearer ", Scope::kRead, StatusCode::kUnauthenticated},
      {"Bearer read-secret-0123456789", Scope::kRead, StatusCode::kOk},
      {"Bearer read-secret-0123456789", Scope::kWrite, StatusCode::kPermissionDenied},
      {"bearer write-secret-0123456789", Scope::kRead, StatusCode::kOk},  // write implies read
      {"Bearer write-secret-0123456789", Scope::kWrite, StatusCode::kOk},
      {"Bearer read-secret-012345678", Scope::kRead, StatusCode::kUnauthenticated},    // prefix
      {"Bearer read-secret-01234567890", Scope::kRead, StatusCode::kUnauthenticated},  // longer
  };
  for (const Case& c : cases) {
    Request r;
    if (c.header) r.headers.Add("Authorization", *c.header);
    auto p = auth_.Authorize(r, c.route);
    EXPECT_EQ(p.status().code(), c.want)
        << c.header.value_or("(none)") << " route " << ScopeName(c.route);
  }
  auto p = auth_.Authorize(WithAuth("Bearer write-secret-0123456789"), Scope::kWrite);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->token_id, "writer");
  EXPECT_EQ(p->scope, Scope::kWrite);
}

TEST_F(AuthTest, CasTokens) {
  std::string read = signer_.Issue({"reader", Scope::kRead, "models/a/b", "main", 2000});
  std::string write = signer_.Issue({"writer", Scope::kWrite, "models/a/b", "main", 2000});
  auto r = auth_.Authorize(WithAuth("Bearer " + read), Scope::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->token_id, "cas:reader");
  EXPECT_EQ(r->repo, "models/a/b");
  EXPECT_EQ(auth_.Authorize(WithAuth("Bearer " + read), Scope::kWrite).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(auth_.Authorize(WithAuth("Bearer " + write), Scope::kWrite).ok());
  now_ = 2000;
  EXPECT_EQ(auth_.Authorize(WithAuth("Bearer " + write), Scope::kRead).status().code(),
            StatusCode::kUnauthenticated);
  Authenticator no_cas({}, nullptr);
  EXPECT_FALSE(no_cas.Authorize(WithAuth("Bearer " + read), Scope::kRead).ok());
}

TEST(TokenDigest, FixedLengthWhateverTheSecret) {
  TokenDigest a = TokenDigest::Of("x");
  TokenDigest b = TokenDigest::Of(std::string(10000, 'y'));
  EXPECT_EQ(a.bytes.size(), b.bytes.size());
  EXPECT_FALSE(DigestEquals(a, b));
  EXPECT_TRUE(DigestEquals(a, TokenDigest::Of("x")));
}

TEST(ParseTokensEnv, ParsesAndValidates) {
  auto t = ParseTokensEnv(" ci:0123456789abcdef:write , ro:fedcba9876543210:read,");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].id, "ci");
  EXPECT_EQ((*t)[0].scope, Scope::kWrite);
  EXPECT_TRUE(DigestEquals((*t)[0].digest, TokenDigest::Of("0123456789abcdef")));
  EXPECT_EQ((*t)[1].scope, Scope::kRead);
  EXPECT_TRUE(ParseTokensEnv("").ok());
  for (const char* bad : {"ci:short:write", "ci:0123456789abcdef:admin", "ci:0123456789abcdef",
                          "c i:0123456789abcdef:read", ":0123456789abcdef:read",
                          "a:0123456789abcdef:read,a:0123456789abcdeg:read"}) {
    auto r = ParseTokensEnv(bad);
    EXPECT_FALSE(r.ok()) << bad;
    // Error messages never echo a secret.
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().find("0123456789abcde"), std::string::npos) << bad;
    }
  }
}

TEST(ParseAuthToml, ParsesTokensAndSecret) {
  std::string sha = HexEncode(TokenDigest::Of("hashed-secret-0123").bytes);
  auto cfg = ParseAuthToml(R"(
[server]
listen = "0.0.0.0:8080"

[auth]
secret = ")" + std::string(64, 'a') +
                           R"("

[[auth.tokens]]
id = "ci"
secret = "0123456789abcdef-ci"
scope = "write"

[[auth.tokens]]
id = "reader"
sha256 = ")" + sha + R"("
scope = "read"
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->server_secret, Bytes(32, 0xaa));
  ASSERT_EQ(cfg->tokens.size(), 2u);
  EXPECT_EQ(cfg->tokens[0].id, "ci");
  EXPECT_TRUE(DigestEquals(cfg->tokens[1].digest, TokenDigest::Of("hashed-secret-0123")));
  Authenticator a(cfg->tokens, nullptr);
  EXPECT_TRUE(a.Authorize(WithAuth("Bearer hashed-secret-0123"), Scope::kRead).ok());
}

TEST(ParseAuthToml, Rejections) {
  EXPECT_TRUE(ParseAuthToml("").ok());
  EXPECT_TRUE(ParseAuthToml("[other]\nx = 1\n").ok());
  for (std::string bad : {
           std::string("[auth\n"),
           std::string("[auth]\nsecret = \"abc\"\n"),
           std::string("[auth]\ntokens = 5\n"),
           std::string("[[auth.tokens]]\nid = \"a\"\nscope = \"read\"\n"),
           std::string(
               "[[auth.tokens]]\nid = \"a\"\nsecret = \"0123456789abcdef\"\nscope = \"root\"\n"),
           std::string("[[auth.tokens]]\nid = \"a\"\nsecret = \"short\"\nscope = \"read\"\n"),
           std::string("[[auth.tokens]]\nid = \"a\"\nsecret = \"0123456789abcdef\"\nsha256 = "
                       "\"00\"\nscope = \"read\"\n"),
           std::string("[[auth.tokens]]\nid = \"a\"\nsecret = \"0123456789abcdef\"\nscope = "
                       "\"read\"\nextra = 1\n"),
           std::string("[[auth.tokens]]\nsecret = \"0123456789abcdef\"\nscope = \"read\"\n"),
       }) {
    auto r = ParseAuthToml(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().find("0123456789abcdef"), std::string::npos);
    }
  }
}

TEST(LoadAuthToml, ReadsAFileOrSaysWhy) {
  std::string path = ::testing::TempDir() + "/castor_auth_test.toml";
  {
    std::ofstream f(path);
    f << "[[auth.tokens]]\nid = \"x\"\nsecret = \"0123456789abcdef\"\nscope = \"read\"\n";
  }
  auto cfg = LoadAuthToml(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->tokens.size(), 1u);
  std::remove(path.c_str());
  EXPECT_EQ(LoadAuthToml(path).status().code(), StatusCode::kIOError);
}

TEST(CheckListenAllowed, LoopbackOnlyWithoutTokens) {
  for (const char* ok : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    EXPECT_TRUE(CheckListenAllowed(ok, false).ok()) << ok;
  }
  for (const char* no : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "example.com", ""}) {
    EXPECT_EQ(CheckListenAllowed(no, false).code(), StatusCode::kFailedPrecondition) << no;
    EXPECT_TRUE(CheckListenAllowed(no, true).ok()) << no;
  }
}

}  // namespace
}  // namespace castor::server
