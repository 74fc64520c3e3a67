// LZ4 frames written by the lz4 command line tool (several blocks, linked blocks, block and
// content checksums, content size, stored blocks) decode correctly through castor's decoder and
// as xorb chunk payloads. The frames are generated here by running `lz4` (Debian package lz4).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "castor/base/splitmix64.h"
#include "castor/format/testing/synthetic_data.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/format/xorb/lz4_frame.h"

namespace castor {
namespace {

namespace fs = std::filesystem;

class Lz4Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("lz4 --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "lz4 not installed";
    dir_ = fs::temp_directory_path() / ("castor-lz4cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // Runs `lz4 <options>` on `data`; returns the frame.
  Bytes Frame(ByteSpan data, const std::string& options) {
    fs::path in = dir_ / "in", out = dir_ / "out";
    std::ofstream(in, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), data.size());
    std::string cmd = "lz4 -q -f " + options + " " + in.string() + " " + out.string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream f(out, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  fs::path dir_;
};

// Half random (stored blocks), half text: 128 KiB, a maximal chunk.
Bytes Mixed(size_t n) {
  Bytes d = SplitMix64::Generate(n / 2, 1);
  Bytes t = SyntheticText(n - n / 2, 2);
  d.insert(d.end(), t.begin(), t.end());
  return d;
}

TEST_F(Lz4Cli, DecodesFramesWithEveryOption) {
  const Bytes data = Mixed(131072);
  const char* options[] = {
      "-B4",                           // 64 KiB blocks: 2+ blocks per chunk
      "-B4 -BD",                       // linked blocks
      "-B4 --content-size",            // content size in the header
      "-B4 -BD --content-size -BX",    // + block checksums
      "-B4 --no-frame-crc",            // no content checksum
      "-B7 -BX --content-size",        // one 4 MiB block, checksums
      "-9 -B4 -BD",                    // high compression, linked
      "-B5 --favor-decSpeed -12 -BX",  // LZ4 HC with decode-speed bias
  };
  Lz4FrameDecoder dec;
  for (const char* opt : options) {
    Bytes frame = Frame(data, opt);
    ASSERT_GT(frame.size(), 11u) << opt;
    Bytes out(data.size());
    Status s = dec.Decompress(frame, out);
    ASSERT_TRUE(s.ok()) << opt << ": " << s.ToString();
    EXPECT_EQ(out, data) << opt;
    // The same frame as the payload of an LZ4 chunk record.
    ChunkDecoder cd;
    ChunkHeader h{0, uint32_t(frame.size()), CompressionScheme::kLz4, uint32_t(data.size())};
    auto view = cd.View(h, frame);
    ASSERT_TRUE(view.ok()) << opt;
    EXPECT_TRUE(std::equal(view->begin(), view->end(), data.begin(), data.end())) << opt;
    // A checksummed frame with a flipped byte in its last block is caught.
    if (std::string(opt).find("-BX") != std::string::npos) {
      Bytes bad = frame;
      bad[bad.size() - 12] ^= 0x40;
      EXPECT_EQ(dec.Decompress(bad, out).code(), StatusCode::kCorruption) << opt;
    }
    // Declared content size or real length differing from the header's is an error.
    Bytes shorter(data.size() - 1);
    EXPECT_EQ(dec.Decompress(frame, shorter).code(), StatusCode::kCorruption) << opt;
  }
}

TEST_F(Lz4Cli, BytesGroupedThenCompressedByTheToolDecodeAsBg4) {
  const Bytes weights = SyntheticBf16Weights(100002, 3);  // n mod 4 = 2: uneven groups
  Bytes grouped(weights.size());
  // The grouped form, by the definition (not castor's Bg4Split).
  size_t pos = 0;
  for (size_t k = 0; k < 4; ++k) {
    for (size_t i = k; i < weights.size(); i += 4) grouped[pos++] = weights[i];
  }
  Bytes frame = Frame(grouped, "-B4 -BD --content-size");
  ChunkDecoder cd;
  ChunkHeader h{0, uint32_t(frame.size()), CompressionScheme::kBg4Lz4, uint32_t(weights.size())};
  auto view = cd.View(h, frame);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_TRUE(std::equal(view->begin(), view->end(), weights.begin(), weights.end()));
}

TEST_F(Lz4Cli, RejectsTheLegacyFormat) {
  const Bytes data = Mixed(50000);
  Bytes legacy = Frame(data, "-l");
  ASSERT_EQ(LoadLE32(legacy.data()), 0x184C2102u);
  Lz4FrameDecoder dec;
  Bytes out(data.size());
  EXPECT_EQ(dec.Decompress(legacy, out).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace castor
