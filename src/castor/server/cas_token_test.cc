#include "castor/server/cas_token.h"

#include <gtest/gtest.h>

namespace castor::server {
namespace {

const Bytes kSecret(32, 7);

CasTokenClaims Claims() {
  return CasTokenClaims{"ci", Scope::kWrite, "models/org/name", "main", 1000};
}

TEST(CasToken, IssueThenVerify) {
  CasTokenSigner s(kSecret);
  std::string t = s.Issue(Claims());
  EXPECT_TRUE(CasTokenSigner::LooksLikeCasToken(t));
  auto c = s.Verify(t, 999);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, Claims());
}

TEST(CasToken, ExpiredAtExp) {
  CasTokenSigner s(kSecret);
  std::string t = s.Issue(Claims());
  auto c = s.Verify(t, 1000);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(c.status().message().find("expired"), std::string::npos);
}

TEST(CasToken, OtherSecretOrTamperingFails) {
  CasTokenSigner s(kSecret);
  CasTokenSigner other(Bytes(32, 8));
  std::string t = s.Issue(Claims());
  EXPECT_FALSE(other.Verify(t, 0).ok());
  // Flip every character of the token in turn: none of the variants may verify.
  for (size_t i = 0; i < t.size(); ++i) {
    std::string m = t;
    m[i] = m[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(s.Verify(m, 0).ok()) << i;
  }
  // A read token cannot be turned into a write token by re-encoding the claims.
  CasTokenClaims read = Claims();
  read.scope = Scope::kRead;
  std::string rt = s.Issue(read);
  std::string wt = s.Issue(Claims());
  std::string spliced = wt.substr(0, wt.rfind('.')) + rt.substr(rt.rfind('.'));
  EXPECT_FALSE(s.Verify(spliced, 0).ok());
  for (const char* junk : {"", "cxt1.", "cxt1..", "cxt1.abc.def", "Bearer x", "cxt1.!!.??"}) {
    EXPECT_FALSE(s.Verify(junk, 0).ok()) << junk;
  }
}

}  // namespace
}  // namespace castor::server
