// The conformance suite on the memory and local-directory stores, plus key validation and URIs.
#include "castor/storage/object_store.h"

#include <unistd.h>

#include <filesystem>

#include "castor/storage/conformance_test.h"
#include "castor/storage/local_store.h"
#include "castor/storage/memory_store.h"
#include "castor/storage/s3/s3_store.h"

namespace castor {
namespace {

using storetest::StoreConformance;
using storetest::StoreFactory;

std::string TempDir(const std::string& tag) {
  auto base =
      std::filesystem::temp_directory_path() /
      ("castor-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(base);
  return base.string();
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformance,
    ::testing::Values(
        StoreFactory{"Memory",
                     [] { return Result<std::unique_ptr<ObjectStore>>(NewMemoryStore()); }},
        StoreFactory{"Local", [] { return OpenStore(TempDir("conf")); }},
        StoreFactory{
            "LocalNoSync",
            [] { return OpenLocalStore(TempDir("conf"), LocalStoreOptions{.sync = false}); }}),
    storetest::PrintStoreName);

TEST(ValidateKey, AcceptsOrdinaryKeys) {
  for (const char* k : {"a", "xorbs/default/ab12", "a.b", "..a", "a..", "x y", "é"})
    EXPECT_TRUE(ValidateKey(k).ok()) << k;
}

TEST(ValidateKey, RejectsWithReason) {
  EXPECT_THAT(ValidateKey("../etc/passwd").message(), ::testing::HasSubstr("'..'"));
  EXPECT_THAT(ValidateKey("/abs").message(), ::testing::HasSubstr("absolute"));
  EXPECT_THAT(ValidateKey(std::string("a\0b", 3)).message(), ::testing::HasSubstr("NUL"));
  EXPECT_THAT(ValidateKey("a\nb").message(), ::testing::HasSubstr("control"));
  EXPECT_THAT(ValidateKey("a//b").message(), ::testing::HasSubstr("empty path segment"));
  EXPECT_EQ(ValidateKey(std::string(1025, 'a')).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateKey(std::string(1024, 'a')).ok());
}

TEST(OpenStore, PicksBackendFromUri) {
  EXPECT_EQ((*OpenStore("mem://x"))->uri(), "mem://x");
  std::string dir = TempDir("uri");
  auto local = OpenStore("file://" + dir);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_TRUE((*local)->capabilities().durable);
  EXPECT_TRUE(OpenStore(dir).ok());
  EXPECT_EQ(OpenStore("file://relative").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("ftp://x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("").status().code(), StatusCode::kInvalidArgument);
  auto s3 = OpenStore(
      "s3://my-bucket/some/prefix?region=eu-west-1&endpoint=http://127.0.0.1:1&path_style=1");
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  EXPECT_EQ((*s3)->uri(), "s3://my-bucket/some/prefix?endpoint=http://127.0.0.1:1");
  EXPECT_TRUE((*s3)->capabilities().presigned_urls);
}

TEST(ParseS3Uri, OptionsAndErrors) {
  auto o = s3::ParseS3Uri(
      "s3://bkt/p/q/?region=us-west-2&endpoint=http%3A%2F%2Fh%3A9&path_style=true&part_size=6291456"
      "&parallelism=8&conditional_put=emulate&unsigned_payload=0");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->bucket, "bkt");
  EXPECT_EQ(o->prefix, "p/q");
  EXPECT_EQ(o->region, "us-west-2");
  EXPECT_EQ(o->endpoint, "http://h:9");
  EXPECT_TRUE(o->path_style);
  EXPECT_EQ(o->part_size, 6291456u);
  EXPECT_EQ(o->parallelism, 8);
  EXPECT_EQ(o->conditional_put, s3::ConditionalPutMode::kEmulate);
  EXPECT_FALSE(o->unsigned_payload);
  EXPECT_FALSE(s3::ParseS3Uri("s3://ab").ok());  // bucket too short
  EXPECT_FALSE(s3::ParseS3Uri("s3://Bad_Bucket").ok());
  EXPECT_FALSE(s3::ParseS3Uri("s3://bkt/../x").ok());
  EXPECT_FALSE(s3::ParseS3Uri("s3://bkt?part_size=10").ok());  // below 5 MiB
  EXPECT_FALSE(s3::ParseS3Uri("s3://bkt?bogus=1").ok());
  EXPECT_FALSE(s3::ParseS3Uri("s3://bkt?endpoint=ftp://x").ok());
}

}  // namespace
}  // namespace castor
