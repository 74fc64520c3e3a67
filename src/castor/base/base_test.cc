#include <gtest/gtest.h>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/base/time_format.h"

namespace castor {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  CASTOR_ASSIGN_OR_RETURN(int h, Half(x));
  CASTOR_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, PropagatesAndAddsContext) {
  EXPECT_EQ(*Quarter(12), 3);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().ToString(), "invalid_argument: odd: 3");
  EXPECT_EQ(r.status().WithContext("quarter").message(), "quarter: odd: 3");
  EXPECT_TRUE(Status::OK().WithContext("x").ok());
}

TEST(Status, ErrnoMapsCommonCodes) {
  EXPECT_EQ(ErrnoError("open f", ENOENT).code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoError("open f", EACCES).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoError("write f", ENOSPC).code(), StatusCode::kResourceExhausted);
  EXPECT_NE(ErrnoError("open f", ENOENT).message().find("open f: "), std::string::npos);
}

TEST(Bytes, LittleEndianRoundTrip) {
  uint8_t b[8];
  StoreLE24(b, 0x01d03c);
  EXPECT_EQ(b[0], 0x3c);
  EXPECT_EQ(b[2], 0x01);
  EXPECT_EQ(LoadLE24(b), 0x01d03cu);
  StoreLE64(b, 0x0102030405060708ull);
  EXPECT_EQ(b[0], 8);
  EXPECT_EQ(LoadLE64(b), 0x0102030405060708ull);
  EXPECT_EQ(LoadLE32(b), 0x05060708u);
}

TEST(Bytes, AllocateAlignedRoundsUpToTheAlignment) {
  for (size_t size : {size_t{1}, size_t{4095}, size_t{4096}, size_t{(1 << 20) + 3}}) {
    AlignedBuffer b = AllocateAligned(4096, size);
    ASSERT_NE(b, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.get()) % 4096, 0u) << size;
    std::memset(b.get(), 0x5a, (size + 4095) / 4096 * 4096);  // all of it is ours (ASan checks)
  }
  AlignedBuffer small = AllocateAligned(64, 100);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.get()) % 64, 0u);
}

TEST(Bytes, Hex) {
  Bytes b = {0x00, 0xab, 0xff};
  EXPECT_EQ(HexEncode(b), "00abff");
  EXPECT_EQ(*HexDecode("00ABff"), b);
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(TimeFormat, UtcWithAndWithoutMilliseconds) {
  using namespace std::chrono;
  system_clock::time_point t{milliseconds(1795938108123)};
  EXPECT_EQ(FormatUtc(t), "2026-11-29T07:41:48Z");
  EXPECT_EQ(FormatUtc(t, true), "2026-11-29T07:41:48.123Z");
  EXPECT_EQ(FormatUtc(system_clock::time_point{}, true), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtc(system_clock::time_point{milliseconds(-1)}, true),
            "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace castor
