#include "castor/protocol/reconstruction.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace castor::protocol {
namespace {

Hash H(uint8_t seed) {
  Hash h;
  for (size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = uint8_t(seed * 31 + i);
  return h;
}

QueryReconstructionResponseV1 SampleV1() {
  QueryReconstructionResponseV1 r;
  r.offset_into_first_range = 1234;
  r.terms = {{H(1), 263873, {0, 4}}, {H(2), 100, {7, 9}}, {H(1), 5, {4, 5}}};
  r.fetch_info[H(1)] = {{{0, 5}, "http://x/a?sig=1", {0, 131071}}};
  r.fetch_info[H(2)] = {{{7, 9}, "http://x/b", {500, 999}}, {{0, 1}, "http://x/c", {0, 0}}};
  return r;
}

TEST(ReconstructionV1, RoundTrips) {
  auto r = SampleV1();
  auto back = ParseReconstructionV1(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
}

TEST(ReconstructionV1, ExactShape) {
  QueryReconstructionResponseV1 r;
  r.terms = {{H(1), 10, {0, 4}}};
  r.fetch_info[H(1)] = {{{0, 4}, "u", {0, 9}}};
  std::string x = H(1).ToXetHex();
  EXPECT_EQ(ToJson(r), "{\"offset_into_first_range\":0,\"terms\":[{\"hash\":\"" + x +
                           "\",\"unpacked_length\":10,\"range\":{\"start\":0,\"end\":4}}],"
                           "\"fetch_info\":{\"" +
                           x +
                           "\":[{\"range\":{\"start\":0,\"end\":4},\"url\":\"u\","
                           "\"url_range\":{\"start\":0,\"end\":9}}]}}");
}

TEST(ReconstructionV2, RoundTripsAndHasExactShape) {
  QueryReconstructionResponseV2 r;
  r.offset_into_first_range = 7;
  r.terms = {{H(3), 263873, {0, 4}}};
  r.xorbs[H(3)] = {{"https://s/x?X-Xet-Signed-Range=bytes%3D0-131071",
                    {{{0, 4}, {0, 131071}}, {{6, 8}, {200000, 300000}}}}};
  auto back = ParseReconstructionV2(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  auto j = nlohmann::json::parse(ToJson(r));
  EXPECT_EQ(j["xorbs"][H(3).ToXetHex()][0]["ranges"][1]["bytes"]["end"], 300000);
  EXPECT_EQ(j["xorbs"][H(3).ToXetHex()][0]["ranges"][0]["chunks"]["end"], 4);
}

TEST(ReconstructionV2, EmptyFile) {
  QueryReconstructionResponseV2 r;
  EXPECT_EQ(ToJson(r), "{\"offset_into_first_range\":0,\"terms\":[],\"xorbs\":{}}");
  auto back = ParseReconstructionV2(ToJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->terms.empty());
}

TEST(BatchReconstruction, RoundTrips) {
  BatchReconstructionResponse b;
  b.files[H(9)] = {{H(1), 10, {0, 2}}};
  b.files[H(8)] = {};
  b.fetch_info[H(1)] = {{{0, 2}, "u", {0, 99}}};
  auto back = ParseBatchReconstruction(ToJson(b));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, b);
}

TEST(FileKeys, RoundTripsAndRejects) {
  std::vector<FileKey> keys{{"default", H(1)}, {"default", H(2)}};
  auto back = ParseFileKeys(ToJson(keys));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, keys);
  EXPECT_FALSE(ParseFileKeys("{}").ok());
  EXPECT_FALSE(ParseFileKeys("[{\"prefix\":\"default\"}]").ok());
  EXPECT_FALSE(ParseFileKeys("[{\"prefix\":1,\"hash\":\"" + H(1).ToXetHex() + "\"}]").ok());
}

TEST(ReconstructionV1, RejectsBadInputWithoutThrowing) {
  std::string x = H(1).ToXetHex();
  std::string term =
      "{\"hash\":\"" + x + "\",\"unpacked_length\":1,\"range\":{\"start\":0,\"end\":1}}";
  auto doc = [&](std::string terms, std::string fetch) {
    return "{\"offset_into_first_range\":0,\"terms\":" + terms + ",\"fetch_info\":" + fetch + "}";
  };
  ASSERT_TRUE(ParseReconstructionV1(doc("[" + term + "]", "{}")).ok());
  const std::vector<std::string> bad = {
      "",
      "{",
      "null",
      "[]",
      "{\"terms\":[],\"fetch_info\":{}}",                                 // no offset
      "{\"offset_into_first_range\":-1,\"terms\":[],\"fetch_info\":{}}",  // negative
      "{\"offset_into_first_range\":1.5,\"terms\":[],\"fetch_info\":{}}",
      "{\"offset_into_first_range\":\"0\",\"terms\":[],\"fetch_info\":{}}",
      doc("{}", "{}"),
      doc("[1]", "{}"),
      doc("[{\"hash\":\"zz\",\"unpacked_length\":1,\"range\":{\"start\":0,\"end\":1}}]", "{}"),
      doc("[{\"hash\":\"" + x +
              "\",\"unpacked_length\":4294967296,\"range\":{\"start\":0,\"end\":1}}]",
          "{}"),
      doc("[{\"hash\":\"" + x + "\",\"unpacked_length\":1,\"range\":{\"start\":1,\"end\":1}}]",
          "{}"),
      doc("[{\"hash\":\"" + x + "\",\"unpacked_length\":1,\"range\":{\"start\":0}}]", "{}"),
      doc("[]", "[]"),
      doc("[]", "{\"nothex\":[]}"),
      doc("[]", "{\"" + x + "\":{}}"),
      doc("[]", "{\"" + x +
                    "\":[{\"range\":{\"start\":0,\"end\":1},\"url\":5,\"url_range\":{\"start\":0,"
                    "\"end\":1}}]}"),
      doc("[]", "{\"" + x +
                    "\":[{\"range\":{\"start\":0,\"end\":1},\"url\":\"u\",\"url_range\":{\"start\":"
                    "9,\"end\":1}}]}"),
  };
  for (const std::string& s : bad) {
    auto r = ParseReconstructionV1(s);
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << s;
    }
  }
}

TEST(ReconstructionV2, ErrorsNameTheField) {
  std::string x = H(1).ToXetHex();
  auto r = ParseReconstructionV2(
      "{\"offset_into_first_range\":0,\"terms\":[],\"xorbs\":{\"" + x +
      "\":[{\"url\":\"u\",\"ranges\":[{\"chunks\":{\"start\":0,\"end\":1}}]}]}}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ranges[0].bytes"), std::string::npos)
      << r.status().message();
}

TEST(ReconstructionV1, UnknownFieldsAreIgnored) {
  auto r = ParseReconstructionV1(
      "{\"offset_into_first_range\":0,\"terms\":[],\"fetch_info\":{},\"extra\":[1,2]}");
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace castor::protocol
