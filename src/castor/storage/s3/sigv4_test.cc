// SigV4 against the worked examples of the AWS S3 documentation ("Examples: Signature
// Calculations in AWS Signature Version 4", examplebucket, 24 May 2013).
#include "castor/storage/s3/sigv4.h"

#include <gtest/gtest.h>

namespace castor::s3 {
namespace {

const Credentials kCreds{
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", {}};
const auto kTime = std::chrono::system_clock::from_time_t(1369353600);  // 2013-05-24T00:00:00Z

TEST(SigV4, AmzDate) { EXPECT_EQ(AmzDate(kTime), "20130524T000000Z"); }

TEST(SigV4, GetObjectWithRangeMatchesAwsExample) {
  SigningRequest r;
  r.method = "GET";
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  r.headers = {{"Range", "bytes=0-9"}};
  r.payload_hash = PayloadHash({});
  http::Headers h = SignHeaders(r, kCreds, "us-east-1", kTime);
  EXPECT_EQ(http::FindHeader(h, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(http::FindHeader(h, "x-amz-date"), "20130524T000000Z");
  EXPECT_TRUE(http::FindHeader(h, "x-amz-security-token").empty());
}

TEST(SigV4, PresignedGetMatchesAwsExample) {
  SigningRequest r;
  r.method = "GET";
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  std::string q = PresignQuery(r, kCreds, "us-east-1", kTime, std::chrono::seconds(86400));
  EXPECT_EQ(q,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4, SessionTokenIsSignedAndSent) {
  SigningRequest r;
  r.method = "GET";
  r.host = "h";
  r.path = "/k";
  Credentials c = kCreds;
  c.session_token = "tok";
  http::Headers h = SignHeaders(r, c, "us-east-1", kTime);
  EXPECT_EQ(http::FindHeader(h, "x-amz-security-token"), "tok");
  EXPECT_NE(http::FindHeader(h, "Authorization").find("x-amz-security-token"), std::string::npos);
  // A different secret gives a different signature.
  Credentials other = c;
  other.secret_key = "x";
  EXPECT_NE(http::FindHeader(SignHeaders(r, other, "us-east-1", kTime), "Authorization"),
            http::FindHeader(h, "Authorization"));
}

TEST(SigV4, CanonicalQueryEncodesAndSorts) {
  EXPECT_EQ(CanonicalQuery({{"prefix", "a b/c"}, {"list-type", "2"}, {"uploads", ""}}),
            "list-type=2&prefix=a%20b%2Fc&uploads=");
}

}  // namespace
}  // namespace castor::s3
