#include "castor/protocol/multipart.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"

namespace castor::protocol {
namespace {

Bytes RandomBytes(size_t n, uint64_t seed) {
  Bytes b(n);
  SplitMix64(seed).Fill(b);
  return b;
}

TEST(MultipartByteranges, RenderThenParseRoundTrips) {
  Bytes data = RandomBytes(10000, 1);
  std::vector<ByteRange> ranges{{0, 100}, {5000, 5001}, {9000, 10000}, {50, 60}};
  MultipartByteranges mp(MakeBoundary(7), "application/octet-stream", ranges, data.size());
  std::string body = mp.Render(data);
  EXPECT_EQ(body.size(), mp.BodySize());
  EXPECT_EQ(mp.ContentType().rfind("multipart/byteranges; boundary=castor-", 0), 0u);

  auto parts = ParseMultipartByteranges(mp.ContentType(), body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), ranges.size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    const BytesPart& p = (*parts)[i];
    EXPECT_EQ(p.content_range.range, ranges[i]);
    EXPECT_EQ(p.content_range.total, data.size());
    EXPECT_EQ(p.data, AsString(ByteSpan(data).subspan(ranges[i].start, ranges[i].size())));
  }
}

TEST(MultipartByteranges, ExactWireLayout) {
  std::string data = "0123456789";
  MultipartByteranges mp("B", "text/plain", {{0, 2}, {8, 10}}, data.size());
  EXPECT_EQ(mp.Render(AsBytes(data)),
            "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01"
            "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 8-9/10\r\n\r\n89"
            "\r\n--B--\r\n");
}

TEST(MultipartByteranges, ParsesQuotedBoundaryAndPreamble) {
  std::string body = "preamble\r\n--xyz\r\ncontent-range: bytes 3-5/9\r\n\r\nabc\r\n--xyz--\r\n";
  auto parts = ParseMultipartByteranges("multipart/byteranges; charset=x; boundary=\"xyz\"", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].data, "abc");
}

TEST(MultipartByteranges, RejectsMalformedBodies) {
  const std::string ct = "multipart/byteranges; boundary=B";
  for (const char* body : {
           "",
           "no delimiter at all",
           "--B\r\nContent-Range: bytes 0-1/10\r\n\r\n01",               // no close
           "--B\r\nContent-Range: bytes 0-4/10\r\n\r\n01\r\n--B--\r\n",  // short part
           "--B\r\nContent-Range: bytes 0-0/10\r\n\r\n01\r\n--B--\r\n",  // long part
           "--B\r\nContent-Type: x\r\n\r\n01\r\n--B--\r\n",              // no range
           "--B\r\nContent-Range: bytes 0-1/10\r\n01\r\n--B--\r\n",      // no blank line
           "--B\r\nContent-Range: bytes 1-0/10\r\n\r\n\r\n--B--\r\n",    // inverted
           "--B\r\nbroken header\r\n\r\n\r\n--B--\r\n",
           "--B--\r\n",  // no parts
           "--Bjunk\r\n",
       }) {
    EXPECT_FALSE(ParseMultipartByteranges(ct, body).ok()) << body;
  }
  EXPECT_FALSE(ParseMultipartByteranges("text/plain", "--B--").ok());
  EXPECT_FALSE(ParseMultipartByteranges("multipart/byteranges", "--B--").ok());
  EXPECT_FALSE(ParseMultipartByteranges("multipart/byteranges; boundary=", "--B--").ok());
}

TEST(MakeBoundary, DiffersBySeed) {
  EXPECT_NE(MakeBoundary(1), MakeBoundary(2));
  EXPECT_EQ(MakeBoundary(3), MakeBoundary(3));
  EXPECT_LE(MakeBoundary(1).size(), 70u);
}

}  // namespace
}  // namespace castor::protocol
