// Runs the kept fuzz corpora (tests/fuzz/corpus/<target>/) through the fuzz targets' bodies in
// the ordinary unit-test build, so every input the fuzzers once found stays a regression test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "castor/format/fuzz_targets.h"

namespace castor {
namespace {

namespace fs = std::filesystem;

size_t RunCorpus(const std::string& target, Status (*fn)(ByteSpan)) {
  fs::path dir = fs::path(CASTOR_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / target;
  size_t n = 0, ok = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Status s = fn(data);
    EXPECT_NE(s.code(), StatusCode::kInternal) << e.path() << ": " << s.ToString();
    ++n;
    if (s.ok()) ++ok;
  }
  // The seeds include valid inputs, so some must pass: this also guards against an empty dir.
  EXPECT_GT(ok, 0u) << target;
  return n;
}

TEST(FuzzCorpus, XorbReader) { EXPECT_GE(RunCorpus("xorb_reader_fuzz", FuzzXorbReader), 5u); }
TEST(FuzzCorpus, ShardReader) { EXPECT_GE(RunCorpus("shard_reader_fuzz", FuzzShardReader), 5u); }
TEST(FuzzCorpus, ChunkDecoders) {
  EXPECT_GE(RunCorpus("chunk_decoder_fuzz", FuzzChunkDecoders), 5u);
}

}  // namespace
}  // namespace castor
