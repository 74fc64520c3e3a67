#include "castor/server/hmac.h"

#include <gtest/gtest.h>

namespace castor::server {
namespace {

TEST(Hmac, Rfc4231TestCase2) {
  Mac m = HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"));
  EXPECT_EQ(HexEncode(m), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, Rfc4231TestCase1) {
  Bytes key(20, 0x0b);
  Mac m = HmacSha256(key, AsBytes("Hi There"));
  EXPECT_EQ(HexEncode(m), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals(AsBytes("abc"), AsBytes("abc")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("abc"), AsBytes("abd")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("abc"), AsBytes("abcd")));
  EXPECT_TRUE(ConstantTimeEquals(AsBytes(""), AsBytes("")));
}

TEST(Base64Url, KnownValuesAndRoundTrips) {
  EXPECT_EQ(Base64UrlEncode(AsBytes("")), "");
  EXPECT_EQ(Base64UrlEncode(AsBytes("f")), "Zg");
  EXPECT_EQ(Base64UrlEncode(AsBytes("fo")), "Zm8");
  EXPECT_EQ(Base64UrlEncode(AsBytes("foo")), "Zm9v");
  EXPECT_EQ(Base64UrlEncode(AsBytes("foob")), "Zm9vYg");
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = uint8_t(i);
  for (size_t n = 0; n < all.size(); n += 7) {
    ByteSpan s(all.data(), n);
    auto back = Base64UrlDecode(Base64UrlEncode(s));
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, Bytes(s.begin(), s.end()));
  }
  std::string enc = Base64UrlEncode(Bytes{0xfb, 0xff});
  EXPECT_EQ(enc, "-_8");
  for (const char* bad : {"Zg==", "Z", "Zh", "a+b/", "Zm9v!", "Zm9vYh"}) {
    EXPECT_FALSE(Base64UrlDecode(bad).has_value()) << bad;
  }
}

TEST(RandomBytes, DiffersEachCall) {
  EXPECT_EQ(RandomBytes(32).size(), 32u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

}  // namespace
}  // namespace castor::server
