#include "castor/server/signed_url.h"

#include <gtest/gtest.h>

#include "castor/server/http_message.h"

namespace castor::server {
namespace {

using protocol::ByteRange;

const Bytes kSecret(32, 1);
const std::string kPath = "/v1/xorb-data/default/abcd";

TEST(SignedUrl, AllowsExactlyTheSignedRangesUntilExpiry) {
  UrlSigner s(kSecret);
  std::vector<ByteRange> ranges{{0, 100}, {500, 1000}};
  std::string q = s.SignUrl(kPath, ranges, 2000);
  EXPECT_EQ(q.rfind("X-Xet-Signed-Range=bytes%3D0-99%2C500-999&Expires=2000&Signature=", 0), 0u)
      << q;
  EXPECT_TRUE(s.VerifyUrl(kPath, q, ranges, 1999).ok());
  EXPECT_TRUE(s.VerifyUrl(kPath, q, {{500, 1000}}, 0).ok());
  EXPECT_TRUE(s.VerifyUrl(kPath, q, {{10, 20}, {600, 700}}, 0).ok());  // inside signed ranges

  auto denied = [&](const std::vector<ByteRange>& req, int64_t now, std::string_view path,
                    std::string_view query) {
    Status st = s.VerifyUrl(path, query, req, now);
    return st.code() == StatusCode::kPermissionDenied;
  };
  EXPECT_TRUE(denied(ranges, 2000, kPath, q));                      // expired
  EXPECT_TRUE(denied({{0, 101}}, 0, kPath, q));                     // one byte too many
  EXPECT_TRUE(denied({{99, 501}}, 0, kPath, q));                    // spans the gap
  EXPECT_TRUE(denied({{1000, 1001}}, 0, kPath, q));                 // after
  EXPECT_TRUE(denied({}, 0, kPath, q));                             // nothing requested
  EXPECT_TRUE(denied(ranges, 0, "/v1/xorb-data/default/abce", q));  // other object
  EXPECT_TRUE(denied(ranges, 0, kPath, ""));                        // unsigned
}

TEST(SignedUrl, TamperedParametersFail) {
  UrlSigner s(kSecret);
  std::string q = s.SignUrl(kPath, {{0, 100}}, 2000);
  std::string later = q;
  later.replace(later.find("Expires=2000"), 12, "Expires=9000");
  EXPECT_FALSE(s.VerifyUrl(kPath, later, {{0, 100}}, 0).ok());
  std::string wider = q;
  wider.replace(wider.find("0-99"), 4, "0-999");
  EXPECT_FALSE(s.VerifyUrl(kPath, wider, {{0, 1000}}, 0).ok());
  EXPECT_FALSE(UrlSigner(Bytes(32, 2)).VerifyUrl(kPath, q, {{0, 100}}, 0).ok());
  std::string bad_sig = q.substr(0, q.size() - 2) + "zz";
  EXPECT_FALSE(s.VerifyUrl(kPath, bad_sig, {{0, 100}}, 0).ok());
  EXPECT_FALSE(s.VerifyUrl(kPath, "X-Xet-Signed-Range=x&Expires=x&Signature=x", {{0, 1}}, 0).ok());
}

}  // namespace
}  // namespace castor::server
