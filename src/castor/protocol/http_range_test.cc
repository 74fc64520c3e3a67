#include "castor/protocol/http_range.h"

#include <gtest/gtest.h>

namespace castor::protocol {
namespace {

using K = RangeSpec::Kind;

TEST(ParseRangeHeader, AcceptsTheThreeFormsAndLists) {
  struct Case {
    const char* header;
    std::vector<RangeSpec> want;
  } cases[] = {
      {"bytes=0-99", {{K::kClosed, 0, 99}}},
      {"bytes=100-", {{K::kOpen, 100, 0}}},
      {"bytes=-50", {{K::kSuffix, 50, 0}}},
      {"bytes=0-0", {{K::kClosed, 0, 0}}},
      {"bytes=0-1,5-9,-3", {{K::kClosed, 0, 1}, {K::kClosed, 5, 9}, {K::kSuffix, 3, 0}}},
      {"Bytes = 1-2 , 4-", {{K::kClosed, 1, 2}, {K::kOpen, 4, 0}}},
      {"bytes=1-2,,3-4", {{K::kClosed, 1, 2}, {K::kClosed, 3, 4}}},
      {"bytes=18446744073709551614-18446744073709551615",
       {{K::kClosed, 18446744073709551614ull, 18446744073709551615ull}}},
  };
  for (const Case& c : cases) {
    auto r = ParseRangeHeader(c.header);
    ASSERT_TRUE(r.ok()) << c.header << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.header;
  }
}

TEST(ParseRangeHeader, RejectsInvalidForms) {
  for (const char* h :
       {"", "bytes", "bytes=", "bytes=,", "items=0-1", "bytes=a-b", "bytes=5-4", "bytes=-",
        "bytes=1", "bytes=+1-2", "bytes=1-+2", "bytes=0x1-2", "bytes=18446744073709551616-",
        "bytes=1-2-3", "bytes=--1", "bytes= 1 2-3"}) {
    auto r = ParseRangeHeader(h);
    EXPECT_FALSE(r.ok()) << "accepted: \"" << h << "\"";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << h;
    }
  }
}

TEST(ParseRangeHeader, LimitsTheNumberOfRanges) {
  std::string h = "bytes=0-0";
  for (size_t i = 1; i < kMaxRangeSpecs; ++i) h += ",0-0";
  EXPECT_TRUE(ParseRangeHeader(h).ok());
  h += ",0-0";
  EXPECT_FALSE(ParseRangeHeader(h).ok());
}

TEST(ResolveRanges, ClampsDropsAndKeepsOrder) {
  struct Case {
    const char* header;
    uint64_t size;
    std::vector<ByteRange> want;
  } cases[] = {
      {"bytes=0-99", 1000, {{0, 100}}},        {"bytes=0-99", 50, {{0, 50}}},
      {"bytes=990-", 1000, {{990, 1000}}},     {"bytes=-10", 1000, {{990, 1000}}},
      {"bytes=-5000", 1000, {{0, 1000}}},      {"bytes=500-600,0-9", 1000, {{500, 601}, {0, 10}}},
      {"bytes=2000-3000,0-0", 1000, {{0, 1}}}, {"bytes=0-18446744073709551615", 7, {{0, 7}}},
  };
  for (const Case& c : cases) {
    auto specs = ParseRangeHeader(c.header);
    ASSERT_TRUE(specs.ok());
    auto r = ResolveRanges(*specs, c.size);
    ASSERT_TRUE(r.ok()) << c.header << " size " << c.size;
    EXPECT_EQ(*r, c.want) << c.header;
  }
}

TEST(ResolveRanges, UnsatisfiableIsOutOfRange) {
  for (auto [h, size] : std::vector<std::pair<const char*, uint64_t>>{{"bytes=1000-", 1000},
                                                                      {"bytes=1000-2000", 1000},
                                                                      {"bytes=0-", 0},
                                                                      {"bytes=-0", 10},
                                                                      {"bytes=-5", 0},
                                                                      {"bytes=5-9,10-", 5}}) {
    auto specs = ParseRangeHeader(h);
    ASSERT_TRUE(specs.ok()) << h;
    auto r = ResolveRanges(*specs, size);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  }
}

TEST(FormatRange, RoundTripsThroughTheParser) {
  std::vector<ByteRange> ranges{{0, 100}, {200, 201}, {5000, 9000}};
  std::string h = FormatRangeHeader(ranges);
  EXPECT_EQ(h, "bytes=0-99,200-200,5000-8999");
  auto specs = ParseRangeHeader(h);
  ASSERT_TRUE(specs.ok());
  auto back = ResolveRanges(*specs, 10000);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, ranges);
}

TEST(ContentRange, FormatsAndParses) {
  EXPECT_EQ(FormatContentRange({10, 20}, 100), "bytes 10-19/100");
  EXPECT_EQ(FormatContentRange({0, 0}, 100), "bytes */100");
  auto cr = ParseContentRange("bytes 10-19/100");
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(cr->range, (ByteRange{10, 20}));
  EXPECT_EQ(cr->total, 100u);
  EXPECT_TRUE(cr->total_known);
  auto star = ParseContentRange("bytes 0-4/*");
  ASSERT_TRUE(star.ok());
  EXPECT_FALSE(star->total_known);
  for (const char* bad : {"bytes 10-9/100", "bytes 0-100/100", "items 0-1/2", "bytes 0-1",
                          "bytes */100", "bytes a-b/c", "", "bytes 0-18446744073709551615/*"}) {
    EXPECT_FALSE(ParseContentRange(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace castor::protocol
