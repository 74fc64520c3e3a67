#include "castor/format/xorb/bg4.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"

namespace castor {
namespace {

// The definition, byte by byte.
Bytes ReferenceSplit(ByteSpan in) {
  Bytes out;
  for (size_t k = 0; k < 4; ++k) {
    for (size_t i = k; i < in.size(); i += 4) out.push_back(in[i]);
  }
  return out;
}

TEST(Bg4, SpecExampleGroupSizes) {
  Bytes in = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};  // groups of 3, 3, 2, 2
  Bytes out(in.size());
  Bg4Split(in, out.data());
  EXPECT_EQ(out, (Bytes{0, 4, 8, 1, 5, 9, 2, 6, 3, 7}));
  Bytes back(in.size());
  Bg4Join(out, back.data());
  EXPECT_EQ(back, in);
}

TEST(Bg4, MatchesDefinitionAndInvertsForEverySizeClass) {
  for (size_t n : {0,  1,   2,   3,   4,    5,    63,     64,     65,     66,
                   67, 127, 128, 129, 1000, 4099, 131072, 131071, 131070, 131069}) {
    Bytes in = SplitMix64::Generate(n, n + 1);
    Bytes grouped(n), back(n);
    Bg4Split(in, grouped.data());
    ASSERT_EQ(grouped, ReferenceSplit(in)) << n;
    Bg4Join(grouped, back.data());
    ASSERT_EQ(back, in) << n;
    // The SSE2 code too (what CPUs without AVX2 run).
    Bytes grouped_sse2(n), back_sse2(n);
    bg4_internal::Split(in, grouped_sse2.data(), false);
    ASSERT_EQ(grouped_sse2, grouped) << n;
    bg4_internal::Join(grouped, back_sse2.data(), false);
    ASSERT_EQ(back_sse2, in) << n;
  }
}

}  // namespace
}  // namespace castor
