// Fault injection through tests/s3/fakes.py's proxy in front of moto: castor retries what can
// succeed (5xx, SlowDown, 429, dropped connections), fails fast on errors that cannot, aborts
// multipart uploads it cannot finish, and never leaves a partial object visible.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "s3_test_util.h"

namespace castor {
namespace {

using ::testing::HasSubstr;

class S3Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    CASTOR_REQUIRE_SERVER("proxy");
    s3test::Control("proxy", "reset");
    auto o = s3test::Options("proxy");
    o.max_retries = 3;
    o.stall_timeout = std::chrono::seconds(5);
    auto s = s3::NewS3Store(std::move(o));
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
    key_ = "faults/" + std::to_string(std::random_device{}());
  }
  void TearDown() override {
    if (!store_) return;
    s3test::Control("proxy", "reset");
    (void)store_->Delete(key_);
  }
  void Rules(const std::string& json) { s3test::Control("proxy", "rules", json); }
  // Requests the proxy saw (method and path) that contain `needle`.
  int Seen(const std::string& method, const std::string& needle) {
    auto j = nlohmann::json::parse(s3test::Control("proxy", "stats"));
    int n = 0;
    for (auto& r : j["requests"]) {
      std::string s = r.get<std::string>();
      if (s.starts_with(method + " ") && s.find(needle) != std::string::npos) ++n;
    }
    return n;
  }
  // Multipart uploads moto still holds for the bucket (asked directly, not through the proxy).
  std::string OpenUploads() {
    auto c = http::NewCurlHttpClient();
    http::Request r;
    r.url = s3test::Url("moto") + "/castor-test?uploads";
    auto resp = c->Send(r);
    EXPECT_TRUE(resp.ok());
    return resp.ok() ? std::string(resp->body_text()) : "";
  }

  std::unique_ptr<ObjectStore> store_;
  std::string key_;
};

TEST_F(S3Faults, RetriesSlowDownAndSucceeds) {
  Rules(R"([{"method":"PUT","action":"status","status":503,"code":"SlowDown","count":3}])");
  ASSERT_TRUE(store_->Put(key_, AsBytes("hello")).ok());
  EXPECT_EQ(Seen("PUT", key_), 4);
  EXPECT_EQ(AsString(*store_->Get(key_)), "hello");
}

TEST_F(S3Faults, Retries500And429) {
  Rules(R"([{"method":"GET","action":"status","status":500,"code":"InternalError","count":1},
            {"method":"HEAD","action":"status","status":429,"code":"TooManyRequests","count":2}])");
  ASSERT_TRUE(store_->Put(key_, AsBytes("x")).ok());
  EXPECT_TRUE(store_->Get(key_).ok());
  EXPECT_TRUE(store_->Head(key_).ok());
  EXPECT_EQ(Seen("HEAD", key_), 3);
}

TEST_F(S3Faults, GivesUpAfterMaxRetriesWithAPreciseMessage) {
  Rules(R"([{"method":"PUT","action":"status","status":500,"code":"InternalError","count":-1}])");
  Status st = store_->Put(key_, AsBytes("x"));
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_THAT(st.message(), HasSubstr("s3 put " + key_));
  EXPECT_THAT(st.message(), HasSubstr("InternalError"));
  EXPECT_EQ(Seen("PUT", key_), 4);  // 1 + max_retries
  s3test::Control("proxy", "reset");
  EXPECT_EQ(store_->Head(key_).status().code(), StatusCode::kNotFound);
}

TEST_F(S3Faults, DoesNotRetryErrorsThatCannotSucceed) {
  Rules(R"([{"method":"PUT","action":"status","status":403,"code":"AccessDenied","count":-1}])");
  Status st = store_->Put(key_, AsBytes("x"));
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(st.message(), HasSubstr("AccessDenied"));
  EXPECT_THAT(st.message(), HasSubstr(key_));
  EXPECT_EQ(Seen("PUT", key_), 1);
}

TEST_F(S3Faults, RetriesResetConnections) {
  Rules(R"([{"method":"PUT","action":"reset","count":2}])");
  ASSERT_TRUE(store_->Put(key_, AsBytes("after resets")).ok());
  EXPECT_EQ(Seen("PUT", key_), 3);
  EXPECT_EQ(AsString(*store_->Get(key_)), "after resets");
}

TEST_F(S3Faults, ResumesADownloadCutMidBody) {
  Bytes data = s3test::TestBytes(3 << 20, 42);
  ASSERT_TRUE(store_->Put(key_, data).ok());
  Rules(R"([{"method":"GET","action":"drop_mid_body","count":2}])");
  Bytes got;
  Status st = store_->ReadRange(key_, 0, UINT64_MAX, [&](ByteSpan b) {
    got.insert(got.end(), b.begin(), b.end());
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(got == data);
  EXPECT_EQ(Seen("GET", key_), 3);
  // A cut ranged read resumes too.
  Rules(R"([{"method":"GET","action":"drop_mid_body","count":1}])");
  auto r = store_->GetRange(key_, 1000, 2 << 20);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r == Bytes(data.begin() + 1000, data.begin() + 1000 + (2 << 20)));
}

TEST_F(S3Faults, MultipartPartThatKeepsFailingAbortsTheUpload) {
  Rules(
      R"([{"method":"PUT","match":"partNumber=2","action":"status","status":500,"code":"InternalError","count":-1}])");
  WriterOptions wo;
  wo.part_size = 5 << 20;
  wo.parallelism = 2;
  auto w = store_->NewWriter(key_, wo);
  ASSERT_TRUE(w.ok());
  Bytes data = s3test::TestBytes(12 << 20, 43);
  Status st = (*w)->Write(data);
  Result<ObjectInfo> info = st.ok() ? (*w)->Commit() : Result<ObjectInfo>(st);
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.status().message(), HasSubstr("upload-part 2"));
  EXPECT_THAT(info.status().message(), HasSubstr(key_));
  EXPECT_EQ(Seen("DELETE", "uploadId="), 1);
  EXPECT_EQ(Seen("POST", "uploadId="), 0);  // never completed
  s3test::Control("proxy", "reset");
  EXPECT_EQ(store_->Head(key_).status().code(), StatusCode::kNotFound);
  EXPECT_THAT(OpenUploads(), ::testing::Not(HasSubstr(key_)));
}

TEST_F(S3Faults, ServerGoneDuringMultipartLeavesNothing) {
  // Every part upload finds the connection closed; only the abort gets through.
  Rules(R"([{"method":"PUT","match":"partNumber","action":"reset","count":-1}])");
  WriterOptions wo;
  wo.part_size = 5 << 20;
  auto w = store_->NewWriter(key_, wo);
  ASSERT_TRUE(w.ok());
  Bytes data = s3test::TestBytes(11 << 20, 44);
  Status st = (*w)->Write(data);
  Result<ObjectInfo> info = st.ok() ? (*w)->Commit() : Result<ObjectInfo>(st);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable) << info.status().ToString();
  EXPECT_GE(Seen("DELETE", "uploadId="), 1);
  s3test::Control("proxy", "reset");
  EXPECT_EQ(store_->Head(key_).status().code(), StatusCode::kNotFound);
  EXPECT_THAT(OpenUploads(), ::testing::Not(HasSubstr(key_)));
}

TEST_F(S3Faults, CompletionErrorInA200BodyIsAnError) {
  // S3 can answer CompleteMultipartUpload with 200 and an <Error> document.
  Rules(
      R"([{"method":"POST","match":"uploadId=","action":"status","status":200,"code":"InternalError","count":-1}])");
  WriterOptions wo;
  wo.part_size = 5 << 20;
  auto w = store_->NewWriter(key_, wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(s3test::TestBytes(6 << 20, 45)).ok());
  auto info = (*w)->Commit();
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.status().message(), HasSubstr("complete-multipart"));
  EXPECT_EQ(Seen("DELETE", "uploadId="), 1);
  s3test::Control("proxy", "reset");
  EXPECT_EQ(store_->Head(key_).status().code(), StatusCode::kNotFound);
}

TEST_F(S3Faults, MultipartPartRetriedThenCompletes) {
  Rules(
      R"([{"method":"PUT","match":"partNumber=1","action":"status","status":503,"code":"SlowDown","count":2},
            {"method":"PUT","match":"partNumber=2","action":"reset","count":1}])");
  WriterOptions wo;
  wo.part_size = 5 << 20;
  auto w = store_->NewWriter(key_, wo);
  ASSERT_TRUE(w.ok());
  Bytes data = s3test::TestBytes(12 << 20, 46);
  ASSERT_TRUE((*w)->Write(data).ok());
  auto info = (*w)->Commit();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_TRUE(*store_->Get(key_) == data);
}

}  // namespace
}  // namespace castor
