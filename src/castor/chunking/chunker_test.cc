#include "castor/chunking/chunker.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "castor/base/splitmix64.h"
#include "castor/chunking/gear_table.h"
#include "castor/hash/xet_hash.h"

namespace castor {
namespace {

// A literal, byte-by-byte transcription of spec §1.3: the reference the fast chunker must equal.
std::vector<uint32_t> ReferenceLengths(ByteSpan data) {
  std::vector<uint32_t> out;
  uint64_t h = 0;
  size_t start = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    h = (h << 1) + kGearTable[data[i]];
    size_t size = i + 1 - start;
    if (size < kMinChunkSize) continue;
    if (size >= kMaxChunkSize || (h & kGearMask) == 0) {
      out.push_back(uint32_t(size));
      start = i + 1;
      h = 0;
    }
  }
  if (start < data.size()) out.push_back(uint32_t(data.size() - start));
  return out;
}

std::vector<size_t> Boundaries(const std::vector<uint32_t>& lengths) {
  std::vector<size_t> b;
  size_t end = 0;
  for (uint32_t l : lengths) b.push_back(end += l);
  return b;
}

nlohmann::json LoadJson(const std::string& name) {
  std::ifstream in(std::string(CASTOR_TESTDATA_DIR) + "/xet/" + name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

// Streams `data` through one Chunker in pieces cut at `splits` and returns the chunk lengths.
std::vector<uint32_t> StreamLengths(ByteSpan data, const std::vector<size_t>& splits) {
  Chunker c;
  std::vector<size_t> ends;
  std::vector<uint32_t> lengths;
  size_t pos = 0, last_end = 0;
  auto feed = [&](size_t to) {
    ends.clear();
    c.Scan(data.subspan(pos, to - pos), &ends);
    for (size_t e : ends) {
      lengths.push_back(uint32_t(pos + e - last_end));
      last_end = pos + e;
    }
    pos = to;
  };
  for (size_t s : splits) feed(s);
  feed(data.size());
  EXPECT_EQ(c.pending(), data.size() - last_end);
  if (c.pending() > 0) lengths.push_back(uint32_t(c.pending()));
  return lengths;
}

TEST(Chunker, XetCoreRandom1MB) {
  auto j = LoadJson("xetcore_chunker_vectors.json");
  Bytes data = SplitMix64::Generate(1000000, 0);
  EXPECT_EQ(Boundaries(ChunkLengths(data)),
            j["random_1mb_seed0_boundaries"].get<std::vector<size_t>>());
}

TEST(Chunker, XetCoreConst1MB) {
  auto j = LoadJson("xetcore_chunker_vectors.json");
  Bytes data(1000000, 59);
  EXPECT_EQ(Boundaries(ChunkLengths(data)), j["const59_1mb_boundaries"].get<std::vector<size_t>>());
}

// xet-core's "hitting data": a 128-byte pattern known to trigger the mask, padded with i zeros
// and repeated to 65536 bytes, for i in 0..127. Repeating the padded pattern by doubling, as the
// Rust test does, is the same as taking it periodically.
TEST(Chunker, XetCoreHittingData128Cases) {
  auto j = LoadJson("xetcore_chunker_vectors.json");
  auto base = j["triggering_base"].get<std::vector<uint8_t>>();
  // Both tables are JSON objects keyed by the case number ("0".."127").
  const auto& sample = j["data_sample_at_11111"];
  const auto& ref = j["ref_cb"];
  ASSERT_EQ(base.size(), 128u);
  ASSERT_EQ(ref.size(), 128u);
  for (size_t pad = 0; pad < 128; ++pad) {
    const std::string key = std::to_string(pad);
    Bytes period = base;
    period.resize(base.size() + pad, 0);
    Bytes data(65536);
    for (size_t k = 0; k < data.size(); ++k) data[k] = period[k % period.size()];
    ASSERT_EQ(data[11111], sample[key].get<int>()) << "input construction, case " << pad;
    EXPECT_EQ(Boundaries(ChunkLengths(data)), ref[key].get<std::vector<size_t>>())
        << "case " << pad;
    EXPECT_EQ(ChunkLengths(data), ReferenceLengths(data)) << "case " << pad;
  }
}

TEST(Chunker, GoldenFourMiBChunksAndHashes) {
  auto g = LoadJson("golden_vectors.json")["random_4MiB"];
  Bytes data = SplitMix64::Generate(g["n_bytes"].get<size_t>(), 0);
  auto lengths = ChunkLengths(data);
  ASSERT_EQ(lengths.size(), g["chunks"].size());
  std::vector<HashAndSize> hs;
  size_t off = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    const auto& c = g["chunks"][i];
    EXPECT_EQ(off, c["offset"].get<size_t>()) << i;
    EXPECT_EQ(lengths[i], c["length"].get<uint32_t>()) << i;
    Hash h = ChunkHash(ByteSpan(data).subspan(off, lengths[i]));
    EXPECT_EQ(h.ToXetHex(), c["hash"].get<std::string>()) << i;
    hs.push_back({h, lengths[i]});
    off += lengths[i];
  }
  EXPECT_EQ(XorbHash(hs).ToXetHex(), g["xorb_hash_all_chunks"].get<std::string>());
  EXPECT_EQ(FileHash(hs).ToXetHex(), g["file_hash"].get<std::string>());
}

TEST(Chunker, OtherGoldenInputs) {
  auto g = LoadJson("golden_vectors.json");
  Bytes zeros(1 << 20, 0);
  EXPECT_EQ(ChunkLengths(zeros), std::vector<uint32_t>(8, 131072));
  Bytes ten{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(ChunkLengths(ten), std::vector<uint32_t>{10});
  Bytes s8191 = SplitMix64::Generate(8191, 1);
  EXPECT_EQ(ChunkLengths(s8191), std::vector<uint32_t>{8191});
  EXPECT_EQ(ChunkHash(s8191).ToXetHex(), g["exactly_8191"]["chunks"][0]["hash"].get<std::string>());
  EXPECT_TRUE(ChunkLengths({}).empty());
}

TEST(Chunker, HfJsCaptureInput) {
  std::ifstream in(std::string(CASTOR_TESTDATA_DIR) + "/xet/hfjs-upload/input.bin",
                   std::ios::binary);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(data.size(), 300000u);
  auto lengths = ChunkLengths(data);
  EXPECT_EQ(lengths, (std::vector<uint32_t>{22353, 16397, 131072, 102707, 25081, 2390}));
  std::vector<HashAndSize> hs;
  size_t off = 0;
  for (uint32_t l : lengths) {
    hs.push_back({ChunkHash(ByteSpan(data).subspan(off, l)), l});
    off += l;
  }
  EXPECT_EQ(FileHash(hs).ToXetHex(),
            "df0a04bf088a2bff695b7c87405ea8ed3fa69f1bae205aa447435535794dc832");
}

TEST(Chunker, EdgeSizes) {
  Bytes big = SplitMix64::Generate(3 * kMaxChunkSize + 7, 42);
  Bytes zeros(3 * kMaxChunkSize + 7, 0);
  for (size_t n : {size_t{0}, size_t{1}, size_t{8191}, size_t{8192}, size_t{8193}, size_t{16384},
                   size_t{131071}, size_t{131072}, size_t{131073}, size_t{262144}, size_t{262145},
                   3 * kMaxChunkSize}) {
    for (const Bytes* src : {&big, &zeros}) {
      ByteSpan d(src->data(), n);
      auto lengths = ChunkLengths(d);
      EXPECT_EQ(lengths, ReferenceLengths(d)) << n;
      size_t total = 0;
      for (size_t k = 0; k < lengths.size(); ++k) {
        total += lengths[k];
        EXPECT_LE(lengths[k], kMaxChunkSize);
        if (k + 1 < lengths.size()) {
          EXPECT_GE(lengths[k], kMinChunkSize);
        }
      }
      EXPECT_EQ(total, n);
    }
  }
  // Constant data never matches the mask with this table: every chunk is cut at the maximum.
  Bytes c(262145, 59);
  EXPECT_EQ(ChunkLengths(c), (std::vector<uint32_t>{131072, 131072, 1}));
}

// Data made of the 20 bytes whose table entry alone satisfies the mask: the legacy rule would
// cut at 8128 bytes; the spec rule never cuts below 8192.
TEST(Chunker, MaskHittingBytesNeverCutBelowMinimum) {
  const uint8_t hitters[] = {17, 23, 42, 48, 67, 73, 92, 98, 117, 123};
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    Bytes data = SplitMix64::Generate(600000, round);
    // Sprinkle mask-hitting bytes densely, including right after the skipped prefix.
    for (size_t k = 0; k < data.size(); k += 1 + rng() % 64) data[k] = hitters[rng() % 10];
    auto lengths = ChunkLengths(data);
    EXPECT_EQ(lengths, ReferenceLengths(data)) << round;
    for (size_t k = 0; k + 1 < lengths.size(); ++k) EXPECT_GE(lengths[k], kMinChunkSize);
  }
  Bytes all_hit(200000, 17);
  EXPECT_EQ(ChunkLengths(all_hit), ReferenceLengths(all_hit));
}

TEST(Chunker, FastPathEqualsReferenceOnRandomInputs) {
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 40; ++round) {
    size_t n = rng() % (3 << 20);
    Bytes data = SplitMix64::Generate(n, rng());
    // Low-entropy stretches make short and maximal chunks more likely.
    if (round % 3 == 1) {
      for (size_t k = 0; k < n; ++k) data[k] &= 0x3;
    }
    if (round % 3 == 2) {
      size_t z = n ? rng() % n : 0;
      std::fill(data.begin() + z, data.begin() + std::min(n, z + 300000), 0);
    }
    ASSERT_EQ(ChunkLengths(data), ReferenceLengths(data)) << "round " << round << " n " << n;
  }
}

// A 64-byte string whose gear hash matches the mask, planted at every offset (step 61, so that
// any 64-byte stretch gets one) of a periodic background that never matches on its own. Catches
// a fast path that carries a wrong hash across its internal blocks: that only shows when a match
// falls in the few bytes after a block and the background is not constant.
// `size` bytes of a period-3 pattern whose gear hash never matches.
Bytes NeverMatchingBackground(size_t size) {
  const Bytes pattern = {3, 141, 59};
  Bytes background(size);
  for (size_t k = 0; k < size; ++k) background[k] = pattern[k % 3];
  return background;
}

// 64 random bytes (drawn from `seed`) after which the gear hash matches, whatever came before.
Bytes MatchingNeedle(uint64_t seed) {
  Bytes needle(64);
  SplitMix64 rng(seed);
  for (uint64_t h = ~uint64_t{0}; (h & kGearMask) != 0;) {
    rng.Fill(needle);
    h = 0;
    for (uint8_t b : needle) h = (h << 1) + kGearTable[b];
  }
  return needle;
}

TEST(Chunker, PlantedMatchAtEveryOffset) {
  const Bytes background = NeverMatchingBackground(kMaxChunkSize + 200);
  ASSERT_EQ(ReferenceLengths(background), (std::vector<uint32_t>{131072, 200}));
  const Bytes needle = MatchingNeedle(2024);
  for (size_t end = kMinChunkSize - 64; end < kMaxChunkSize + 64; end += 61) {
    Bytes data(background.begin(), background.begin() + end + 100);
    std::copy(needle.begin(), needle.end(), data.begin() + (end - 64));
    ASSERT_EQ(ChunkLengths(data)[0], ReferenceLengths(data)[0]) << "needle ends at " << end;
  }
}

// Several needles close together, so that more than one of the fast scan's parallel chains
// matches in the same stretch of steps, and a chain that covers later bytes matches at an
// earlier step than one covering earlier bytes: the first match in stream order must win, not
// the first one found. Needle ends are drawn from the 48 KiB after the skipped prefix, where the
// chains of one scan window run side by side.
TEST(Chunker, EarliestOfSeveralNearbyMatchesWins) {
  const Bytes background = NeverMatchingBackground(kMaxChunkSize + 4096);
  const Bytes needle = MatchingNeedle(77);
  std::mt19937_64 pick(5);
  for (int round = 0; round < 3000; ++round) {
    Bytes data = background;
    int needles = 2 + int(pick() % 4);
    for (int k = 0; k < needles; ++k) {
      size_t end = kMinChunkSize + pick() % (48 << 10);
      std::copy(needle.begin(), needle.end(), data.begin() + (end - 64));
    }
    ASSERT_EQ(ChunkLengths(data), ReferenceLengths(data)) << "round " << round;
  }
}

TEST(Chunker, AnySplitGivesIdenticalChunks) {
  std::mt19937_64 rng(99);
  Bytes data = SplitMix64::Generate(2 << 20, 5);
  const auto want = ReferenceLengths(data);
  for (int round = 0; round < 50; ++round) {
    std::vector<size_t> splits;
    size_t pos = 0;
    while (true) {
      // Mix tiny pieces (down to 1 byte) with large ones.
      size_t step = (round % 2) ? 1 + rng() % 300 : 1 + rng() % 200000;
      if (round % 5 == 0) step = 1 + rng() % 9000;
      pos += step;
      if (pos >= data.size()) break;
      splits.push_back(pos);
    }
    ASSERT_EQ(StreamLengths(data, splits), want) << "round " << round;
  }
  // Empty pieces are allowed and change nothing.
  EXPECT_EQ(StreamLengths(data, {0, 0, 100, 100, 8191, 8191}), want);
}

TEST(Chunker, ResetStartsAFreshChunk) {
  Bytes data = SplitMix64::Generate(500000, 3);
  Chunker c;
  std::vector<size_t> ends;
  c.Scan(ByteSpan(data).subspan(0, 5000), &ends);
  EXPECT_EQ(c.pending(), 5000u);
  c.Reset();
  EXPECT_EQ(c.pending(), 0u);
  ends.clear();
  c.Scan(data, &ends);
  auto want = Boundaries(ReferenceLengths(data));
  want.pop_back();  // the final partial chunk is pending, not ended
  EXPECT_EQ(ends, want);
}

}  // namespace
}  // namespace castor
