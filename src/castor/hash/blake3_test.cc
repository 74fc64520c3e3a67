// BLAKE3 against the reference `b3sum` tool (Debian package b3sum), keyed and unkeyed, on lengths
// around the 64-byte block and 1024-byte chunk edges of the BLAKE3 tree.
#include "castor/hash/blake3.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "castor/base/splitmix64.h"

namespace castor {
namespace {

std::string Shell(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

class Blake3VsB3sum : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(system("b3sum --version >/dev/null 2>&1"), 0)
        << "b3sum is missing: run scripts/install-deps.sh";
    char tmpl[] = "/tmp/castor-b3-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { Shell("rm -rf '" + dir_ + "'"); }
  std::string dir_;
};

TEST_F(Blake3VsB3sum, ManyLengthsKeyedAndUnkeyed) {
  std::vector<size_t> lengths;
  for (size_t edge : {0, 64, 128, 1024, 2048, 3072, 4096, 8192, 16384, 65536, 131072}) {
    for (int d = -2; d <= 2; ++d) {
      if (int64_t(edge) + d >= 0) lengths.push_back(edge + d);
    }
  }
  lengths.push_back(1000003);
  Bytes all = SplitMix64::Generate(1000003, 42);
  Hash key = Hash::FromBytes(SplitMix64::Generate(32, 7).data());
  std::string key_path = dir_ + "/key";
  std::ofstream(key_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(key.bytes.data()), 32);

  std::string files;
  for (size_t n : lengths) {
    std::string path = dir_ + "/in" + std::to_string(n);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(all.data()), n);
    files += " '" + path + "'";
  }
  std::string plain = Shell("b3sum --no-names" + files);
  std::string keyed = Shell("b3sum --no-names --keyed" + files + " < '" + key_path + "'");
  size_t p = 0, k = 0;
  for (size_t n : lengths) {
    SCOPED_TRACE(n);
    ByteSpan data(all.data(), n);
    ASSERT_LE(p + 64, plain.size());
    ASSERT_LE(k + 64, keyed.size());
    EXPECT_EQ(Blake3(data).ToRawHex(), plain.substr(p, 64));
    EXPECT_EQ(Blake3Keyed(key, data).ToRawHex(), keyed.substr(k, 64));
    // The incremental hasher in odd-sized pieces gives the same digest.
    Blake3Hasher inc(key);
    for (size_t off = 0; off < n; off += 1000) inc.Update(data.subspan(off, std::min<size_t>(1000, n - off)));
    EXPECT_EQ(inc.Finalize(), Blake3Keyed(key, data));
    p = plain.find('\n', p) + 1;
    k = keyed.find('\n', k) + 1;
  }
}

}  // namespace
}  // namespace castor
