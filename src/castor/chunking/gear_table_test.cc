#include "castor/chunking/gear_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "castor/base/bytes.h"
#include "castor/hash/hash.h"
#include "castor/hash/sha256.h"

namespace castor {
namespace {

// Fingerprints of the table published in docs/xet-protocol.md §1.2.
TEST(GearTable, MatchesPublishedFingerprints) {
  Bytes le;
  uint64_t x = 0, sum = 0;
  for (uint64_t v : kGearTable) {
    AppendLE64(le, v);
    x ^= v;
    sum += v;
  }
  EXPECT_EQ(Sha256::Of(le).ToRawHex(),
            "e1d3936666d7ae7a977c958e9afcc75f90aaca758ce5fbe4ece61dffefe1912c");
  EXPECT_EQ(x, 0x6aa26c5ca5f6cbfcull);
  EXPECT_EQ(sum, 0xc1acb37ef35c570aull);
  EXPECT_EQ(kGearTable[0], 0xb088d3a9e840f559ull);
  EXPECT_EQ(kGearTable[255], 0x63c7a906c1dd187bull);
}

TEST(GearTable, TwentyEntriesMatchTheMaskAlone) {
  std::vector<int> hits;
  for (int i = 0; i < 256; ++i)
    if ((kGearTable[i] & kGearMask) == 0) hits.push_back(i);
  EXPECT_EQ(hits, (std::vector<int>{17,  23,  42,  48,  67,  73,  92,  98,  117, 123,
                                    142, 148, 167, 173, 192, 198, 217, 223, 242, 248}));
}

}  // namespace
}  // namespace castor
