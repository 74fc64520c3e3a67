#include "castor/server/range_response.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/protocol/multipart.h"

namespace castor::server {
namespace {

std::shared_ptr<std::string> Object(size_t n) {
  auto s = std::make_shared<std::string>(n, '\0');
  SplitMix64(11).Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(s->data()), n));
  return s;
}

// A reader that returns short reads (at most 1000 bytes), to exercise the piece loop.
RangeReader ShortReader(std::shared_ptr<std::string> obj) {
  return [obj](uint64_t off, MutableByteSpan out) -> Result<size_t> {
    if (off >= obj->size()) return size_t{0};
    size_t n = std::min<size_t>({out.size(), obj->size() - off, 1000});
    std::memcpy(out.data(), obj->data() + off, n);
    return n;
  };
}

// Drains a streamed response with a buffer of `chunk` bytes.
Result<std::string> Drain(Response& r, size_t chunk) {
  std::string out;
  std::vector<uint8_t> buf(chunk);
  while (out.size() < r.content_length) {
    size_t want = std::min<size_t>(chunk, r.content_length - out.size());
    CASTOR_ASSIGN_OR_RETURN(size_t n, r.source(MutableByteSpan(buf.data(), want)));
    if (n == 0) return IOError("ended early");
    out.append(reinterpret_cast<char*>(buf.data()), n);
  }
  return out;
}

TEST(RangeResponse, WholeSingleAndMulti) {
  auto obj = Object(100000);
  for (size_t chunk : {size_t(7), size_t(4096), size_t(1 << 20)}) {
    Response all = ServeByteRanges(std::nullopt, obj->size(), ShortReader(obj), 1);
    EXPECT_EQ(all.status, 200);
    EXPECT_EQ(*Drain(all, chunk), *obj);

    Response one = ServeByteRanges("bytes=10-19", obj->size(), ShortReader(obj), 1);
    EXPECT_EQ(one.status, 206);
    EXPECT_EQ(one.headers.Get("Content-Range"), "bytes 10-19/100000");
    EXPECT_EQ(*Drain(one, chunk), obj->substr(10, 10));

    Response multi = ServeByteRanges("bytes=0-0,50000-59999,-5", obj->size(), ShortReader(obj), 1);
    EXPECT_EQ(multi.status, 206);
    auto body = Drain(multi, chunk);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(body->size(), multi.content_length);
    auto parts = protocol::ParseMultipartByteranges(*multi.headers.Get("Content-Type"), *body);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    ASSERT_EQ(parts->size(), 3u);
    EXPECT_EQ((*parts)[0].data, obj->substr(0, 1));
    EXPECT_EQ((*parts)[1].data, obj->substr(50000, 10000));
    EXPECT_EQ((*parts)[2].data, obj->substr(obj->size() - 5));
  }
}

TEST(RangeResponse, ErrorsAndEmptyObjects) {
  auto obj = Object(10);
  Response r416 = ServeByteRanges("bytes=10-", 10, ShortReader(obj), 1);
  EXPECT_EQ(r416.status, 416);
  EXPECT_EQ(r416.headers.Get("Content-Range"), "bytes */10");
  EXPECT_EQ(ServeByteRanges("bytes=x", 10, ShortReader(obj), 1).status, 400);
  Response empty = ServeByteRanges(std::nullopt, 0, ShortReader(obj), 1);
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.content_length, 0u);
}

TEST(RangeResponse, ObjectShorterThanPromisedIsAnError) {
  auto obj = Object(10);
  Response r = ServeByteRanges("bytes=0-99", 100, ShortReader(obj), 1);  // claims 100 bytes
  EXPECT_FALSE(Drain(r, 64).ok());
}

}  // namespace
}  // namespace castor::server
