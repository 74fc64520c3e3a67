// What castor writes is ordinary S3: objects castor writes (single PUT and multipart) are read
// back by awscli, and objects awscli writes (single and multipart) are read by castor, byte for
// byte. Runs against Swift's s3api, which also verifies every signature of both clients.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "s3_test_util.h"

namespace castor {
namespace {

class S3Interop : public ::testing::Test {
 protected:
  void SetUp() override {
    CASTOR_REQUIRE_SERVER("swift");
    if (std::system("command -v aws >/dev/null 2>&1") != 0) GTEST_SKIP() << "awscli not installed";
    auto s = s3::NewS3Store(s3test::Options("swift"));
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
    tag_ = std::to_string(std::random_device{}());
    dir_ = std::filesystem::temp_directory_path() / ("castor-interop-" + tag_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    if (!store_) return;
    auto page = store_->List("interop/" + tag_, "", 100);
    if (page.ok())
      for (auto& o : page->objects) (void)store_->Delete(o.key);
  }
  // Runs `aws <args>` against Swift; returns its exit status.
  int Aws(const std::string& args) {
    std::string cmd =
        "env -u AWS_CA_BUNDLE -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=test:tester "
        "AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true "
        "aws --endpoint-url " +
        s3test::Url("swift") + " " + args + " >" + (dir_ / "aws.log").string() + " 2>&1";
    int rc = std::system(cmd.c_str());
    if (rc != 0) {
      std::ifstream log(dir_ / "aws.log");
      std::cerr << log.rdbuf();
    }
    return rc;
  }
  Bytes ReadFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
  void WriteFile(const std::filesystem::path& p, ByteSpan b) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  }

  std::unique_ptr<ObjectStore> store_;
  std::string tag_;
  std::filesystem::path dir_;
};

TEST_F(S3Interop, AwsReadsWhatCastorWrote) {
  std::string single = "interop/" + tag_ + "/single.bin",
              multi = "interop/" + tag_ + "/multi part.bin";
  Bytes small = s3test::TestBytes(300'001, 1);
  ASSERT_TRUE(store_->Put(single, small).ok());
  Bytes big = s3test::TestBytes((12 << 20) + 123, 2);
  WriterOptions wo;
  wo.part_size = 5 << 20;
  auto w = store_->NewWriter(multi, wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(big).ok());
  auto info = (*w)->Commit();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_THAT(info->etag, ::testing::EndsWith("-3"));  // a real 3-part multipart object

  ASSERT_EQ(Aws("s3 cp s3://castor-test/" + single + " " + (dir_ / "a").string()), 0);
  EXPECT_TRUE(ReadFile(dir_ / "a") == small);
  ASSERT_EQ(Aws("s3 cp 's3://castor-test/" + multi + "' " + (dir_ / "b").string()), 0);
  EXPECT_TRUE(ReadFile(dir_ / "b") == big);
}

TEST_F(S3Interop, CastorReadsWhatAwsWrote) {
  Bytes small = s3test::TestBytes(1000, 3);
  Bytes big = s3test::TestBytes(20 << 20, 4);  // above awscli's 8 MiB multipart threshold
  WriteFile(dir_ / "small", small);
  WriteFile(dir_ / "big", big);
  std::string k1 = "interop/" + tag_ + "/aws-small", k2 = "interop/" + tag_ + "/aws-big";
  ASSERT_EQ(Aws("s3 cp " + (dir_ / "small").string() + " s3://castor-test/" + k1), 0);
  ASSERT_EQ(Aws("s3 cp " + (dir_ / "big").string() + " s3://castor-test/" + k2), 0);
  auto a = store_->Get(k1);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(*a == small);
  auto b = store_->Get(k2);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(*b == big);
  auto head = store_->Head(k2);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, big.size());
  EXPECT_THAT(head->etag, ::testing::HasSubstr("-"));  // awscli uploaded it in parts
  auto page = store_->List("interop/" + tag_ + "/", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, k2);
}

}  // namespace
}  // namespace castor
