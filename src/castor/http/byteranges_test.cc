#include "castor/http/byteranges.h"

#include <gtest/gtest.h>

namespace castor::http {
namespace {

Response Make(int status, Headers h, std::string body) {
  Response r;
  r.status = status;
  r.headers = std::move(h);
  r.body.assign(body.begin(), body.end());
  return r;
}

TEST(ByteRanges, Header) {
  EXPECT_EQ(RangeHeader({{0, 99}}), "bytes=0-99");
  EXPECT_EQ(RangeHeader({{0, 9}, {20, 29}}), "bytes=0-9,20-29");
}

TEST(ByteRanges, ContentRange) {
  auto p = ParseContentRange("bytes 10-19/100");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->range.first, 10u);
  EXPECT_EQ(p->range.last, 19u);
  EXPECT_EQ(p->total, 100u);
  EXPECT_EQ(ParseContentRange("bytes 0-0/*")->total, 0u);
  for (const char* bad :
       {"bytes 5-4/10", "bytes 0-10/10", "items 0-1/2", "bytes -1/2", "bytes 0-1", ""})
    EXPECT_FALSE(ParseContentRange(bad).ok()) << bad;
}

TEST(ByteRanges, SinglePart) {
  Response resp = Make(206, {{"Content-Range", "bytes 2-5/10"}}, "cdef");  // spans point into it
  auto parts = SplitRangeResponse(resp);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ(AsString((*parts)[0].data), "cdef");
  EXPECT_FALSE(SplitRangeResponse(Make(206, {{"Content-Range", "bytes 2-5/10"}}, "cde")).ok());
  EXPECT_FALSE(SplitRangeResponse(Make(200, {}, "abc")).ok());
}

TEST(ByteRanges, Multipart) {
  std::string body =
      "--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-3/20\r\n\r\n"
      "ab\r\n\r\n--XYZ\r\ncontent-range: bytes 10-12/20\r\n\r\nxyz\r\n--XYZ--\r\n";
  Response resp = Make(206, {{"Content-Type", "multipart/byteranges; boundary=\"XYZ\""}}, body);
  auto parts = SplitRangeResponse(resp);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(AsString((*parts)[0].data),
            "ab\r\n");  // a part may contain CRLF and look like a boundary
  EXPECT_EQ((*parts)[1].range.first, 10u);
  EXPECT_EQ(AsString((*parts)[1].data), "xyz");
  // Truncated body, missing boundary.
  EXPECT_FALSE(
      SplitRangeResponse(
          Make(206, {{"Content-Type", "multipart/byteranges; boundary=XYZ"}}, body.substr(0, 60)))
          .ok());
  EXPECT_FALSE(
      SplitRangeResponse(Make(206, {{"Content-Type", "multipart/byteranges"}}, body)).ok());
}

}  // namespace
}  // namespace castor::http
