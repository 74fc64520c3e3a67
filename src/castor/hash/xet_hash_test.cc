#include "castor/hash/xet_hash.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "castor/base/splitmix64.h"
#include "castor/hash/sha256.h"

namespace castor {
namespace {

Hash X(std::string_view xet_hex) {
  auto h = Hash::FromXetHex(xet_hex);
  EXPECT_TRUE(h.has_value()) << xet_hex;
  return h.value_or(Hash{});
}

TEST(XetHex, LaneSwap) {
  Hash h;
  for (int i = 0; i < 32; ++i) h.bytes[i] = uint8_t(i);
  EXPECT_EQ(h.ToXetHex(), "07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918");
  EXPECT_EQ(X(h.ToXetHex()), h);
  EXPECT_EQ(X("07060504030201000F0E0D0C0B0A090817161514131211101F1E1D1C1B1A1918"), h);
  EXPECT_FALSE(Hash::FromXetHex("0706").has_value());
  EXPECT_FALSE(Hash::FromXetHex(std::string(64, 'g')).has_value());
  EXPECT_FALSE(Hash::FromXetHex(std::string(65, '0')).has_value());
}

// IETF draft-denis-xet test vectors.
TEST(XetHash, IetfChunkHash) {
  Hash h = ChunkHash(AsBytes("Hello World!"));
  EXPECT_EQ(h.ToRawHex(), "a29cfb08e608d4d8726dd8659a90b9134b3240d5d8e42d5fcb28e2a6e763a3e8");
  EXPECT_EQ(h.ToXetHex(), "d8d408e608fb9ca213b9909a65d86d725f2de4d8d540324be8a363e7a6e228cb");
}

TEST(XetHash, IetfNodeAndVerificationHash) {
  Hash a = X("c28f58387a60d4aa200c311cda7c7f77f686614864f5869eadebf765d0a14a69");
  Hash b = X("6e4e3263e073ce2c0e78cc770c361e2778db3b054b98ab65e277fc084fa70f22");
  std::vector<HashAndSize> two = {{a, 100}, {b, 200}};
  EXPECT_EQ(AggregateHash(two).ToXetHex(),
            "be64c7003ccd3cf4357364750e04c9592b3c36705dee76a71590c011766b6c14");
  std::vector<Hash> hashes = {a, b};
  EXPECT_EQ(VerificationHash(hashes).ToXetHex(),
            "eb06a8ad81d588ac05d1d9a079232d9c1e7d0b07232fa58091caa7bf333a2768");
}

// xet-core aggregated_hashes.rs test_correctness.
TEST(XetHash, XetCoreAggregatedCases) {
  Hash a = X("cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6");
  Hash b = X("c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72");
  Hash c = X("0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37");
  const std::string zeros(64, '0');

  std::vector<HashAndSize> none;
  EXPECT_EQ(XorbHash(none).ToXetHex(), zeros);
  EXPECT_EQ(FileHash(none).ToXetHex(), zeros);

  std::vector<HashAndSize> one = {{a, 100}};
  EXPECT_EQ(XorbHash(one), a);
  EXPECT_EQ(FileHash(one).ToXetHex(),
            "8e16257caa3fe079d484d872a8975264b2ff683b0d6db9028cc7c0f968a45661");

  std::vector<HashAndSize> three = {{a, 100}, {b, 200}, {c, 300}};
  EXPECT_EQ(XorbHash(three).ToXetHex(),
            "71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc");
  EXPECT_EQ(FileHash(three).ToXetHex(),
            "54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715");

  std::vector<HashAndSize> four(4, {a, 100});
  EXPECT_EQ(XorbHash(four).ToXetHex(),
            "89f2ada89ff8c96763c6b25010e6dd76a4c05b1466207633ea559acf2093211b");
  EXPECT_EQ(FileHash(four).ToXetHex(),
            "2cdba690d0e09563596e0cda626d43eb4c96ef1e994fe72d9b2f5a83cfcd36dd");

  std::vector<HashAndSize> zero_entry = {{Hash::Zero(), 0}};
  EXPECT_EQ(XorbHash(zero_entry).ToXetHex(), zeros);
  EXPECT_EQ(FileHash(zero_entry).ToXetHex(),
            "638a6bc391964a85939d48f008e8bdbae6a7975e7ca2d87a3ce2492f4e4d8a4c");
}

TEST(XetHash, MerkleGroupsHaveThreeToNineMembersExceptTheLast) {
  // 1000 leaves: every level's groups obey the cut rule; a trailing group of 1 is still hashed.
  std::vector<HashAndSize> leaves;
  for (int i = 0; i < 1000; ++i) {
    std::string s = std::to_string(i);
    leaves.push_back({ChunkHash(AsBytes(s)), uint64_t(i + 1)});
  }
  auto up = MerkleLevelUp(leaves);
  uint64_t total = 0;
  for (auto& e : up) total += e.size;
  EXPECT_EQ(total, 1000u * 1001u / 2);
  EXPECT_GE(up.size(), 1000u / 9);
  EXPECT_LE(up.size(), 1000u / 3 + 1);
  std::vector<HashAndSize> single_tail = {leaves[0], leaves[1], leaves[2]};
  // A level of exactly 3 whose cut rule makes one group, versus a trailing single leaf.
  auto three = MerkleLevelUp(single_tail);
  EXPECT_EQ(three.size(), 1u);
}

struct Golden {
  nlohmann::json j;
  Golden() {
    std::ifstream f(std::string(CASTOR_TESTDATA_DIR) + "/xet/golden_vectors.json");
    j = nlohmann::json::parse(f);
  }
};

std::vector<HashAndSize> ChunksOf(const nlohmann::json& v, const Bytes& data) {
  std::vector<HashAndSize> out;
  for (auto& c : v["chunks"]) {
    size_t off = c["offset"], len = c["length"];
    Hash h = ChunkHash(ByteSpan(data).subspan(off, len));
    EXPECT_EQ(h.ToXetHex(), c["hash"].get<std::string>()) << "chunk " << c["index"];
    EXPECT_EQ(h.ToRawHex(), c["hash_raw"].get<std::string>());
    out.push_back({h, len});
  }
  return out;
}

TEST(XetHash, Golden4MiBSplitMix) {
  Golden g;
  auto& v = g.j["random_4MiB"];
  Bytes data = SplitMix64::Generate(4194304, 0);
  EXPECT_EQ(HexEncode(ByteSpan(data).first(16)), g.j["prng"]["first16"].get<std::string>());
  EXPECT_EQ(Sha256::Of(data).ToRawHex(), v["sha256"].get<std::string>());
  EXPECT_EQ(LaneReversed(Sha256::Of(data)).ToRawHex(),
            v["sha256_as_stored_in_FileMetadataExt"].get<std::string>());
  auto chunks = ChunksOf(v, data);
  ASSERT_EQ(chunks.size(), 71u);
  EXPECT_EQ(XorbHash(chunks).ToXetHex(), v["xorb_hash_all_chunks"].get<std::string>());
  EXPECT_EQ(FileHash(chunks).ToXetHex(), v["file_hash"].get<std::string>());
  std::vector<Hash> hashes;
  for (auto& c : chunks) hashes.push_back(c.hash);
  EXPECT_EQ(VerificationHash(hashes).ToXetHex(),
            v["verification_hash_all_chunks"].get<std::string>());
  EXPECT_EQ(VerificationHash(std::span(hashes).subspan(3, 7)).ToXetHex(),
            v["verification_hash_chunks_3_to_10"].get<std::string>());
  auto& hm = v["hmac_example"];
  Hash key = *Hash::FromRawHex(hm["key_raw"].get<std::string>());
  EXPECT_EQ(KeyedChunkHash(key, hashes[0]).ToXetHex(), hm["hmac"].get<std::string>());
  for (size_t i = 0; i < hashes.size(); ++i) {
    EXPECT_EQ(IsGlobalDedupEligible(hashes[i]), (hashes[i].bytes[24] == 0 && (hashes[i].bytes[25] & 3) == 0));
  }
}

TEST(XetHash, GoldenSmallCases) {
  Golden g;
  struct Case { const char* key; Bytes data; };
  Bytes ten(10);
  for (int i = 0; i < 10; ++i) ten[i] = uint8_t(i);
  std::vector<Case> cases = {{"zeros_1MiB", Bytes(1 << 20, 0)},
                             {"small_10_bytes", ten},
                             {"exactly_8191", SplitMix64::Generate(8191, 1)},
                             {"empty", Bytes()}};
  for (auto& c : cases) {
    SCOPED_TRACE(c.key);
    auto& v = g.j[c.key];
    EXPECT_EQ(Sha256::Of(c.data).ToRawHex(), v["sha256"].get<std::string>());
    auto chunks = ChunksOf(v, c.data);
    EXPECT_EQ(XorbHash(chunks).ToXetHex(), v["xorb_hash_all_chunks"].get<std::string>());
    EXPECT_EQ(FileHash(chunks).ToXetHex(), v["file_hash"].get<std::string>());
    std::vector<Hash> hashes;
    for (auto& ch : chunks) hashes.push_back(ch.hash);
    EXPECT_EQ(VerificationHash(hashes).ToXetHex(),
              v["verification_hash_all_chunks"].get<std::string>());
  }
}

TEST(XetHash, DedupEligibility) {
  Hash h;
  EXPECT_TRUE(IsGlobalDedupEligible(h));
  h.bytes[25] = 4;
  EXPECT_TRUE(IsGlobalDedupEligible(h));
  h.bytes[25] = 1;
  EXPECT_FALSE(IsGlobalDedupEligible(h));
  h.bytes[25] = 0;
  h.bytes[24] = 1;
  EXPECT_FALSE(IsGlobalDedupEligible(h));
  // In Xet hex: last two digits 00 and the third-to-last one of 0,4,8,c.
  Hash e = *Hash::FromXetHex(std::string(61, '1') + "c00");
  EXPECT_TRUE(IsGlobalDedupEligible(e));
  EXPECT_FALSE(IsGlobalDedupEligible(*Hash::FromXetHex(std::string(61, '1') + "d00")));
  EXPECT_EQ(TruncatedHash(e), 0x1111111111111111ull);
}

TEST(Sha256, KnownValues) {
  EXPECT_EQ(Sha256::Of(AsBytes("abc")).ToRawHex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 s;
  s.Update(AsBytes("a"));
  s.Update(AsBytes("bc"));
  EXPECT_EQ(s.Finalize(), Sha256::Of(AsBytes("abc")));
}

}  // namespace
}  // namespace castor
