// Swift-specific behaviour: it verifies SigV4 (a wrong secret or a tampered presigned URL fails
// with a clear error) and has no conditional PUT (501), which castor's auto mode falls back from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "s3_test_util.h"

namespace castor {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class S3Swift : public ::testing::Test {
 protected:
  void SetUp() override {
    CASTOR_REQUIRE_SERVER("swift");
    key_ = "swift/" + std::to_string(std::random_device{}());
  }
  std::string key_;
};

TEST_F(S3Swift, WrongSecretFailsClearlyWithoutLeakingIt) {
  auto o = s3test::Options("swift");
  o.credentials = s3::NewStaticCredentials({"test:tester", "not-the-secret-xyz", "", {}});
  o.max_retries = 1;
  auto store = s3::NewS3Store(std::move(o));
  ASSERT_TRUE(store.ok());
  Status st = (*store)->Put(key_, AsBytes("x"));
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(st.message(), HasSubstr(key_));
  EXPECT_THAT(st.message(), Not(HasSubstr("not-the-secret-xyz")));
  auto head = (*store)->Head(key_);
  EXPECT_FALSE(head.ok());
}

// Flips the last byte of every request body after it was signed: bytes corrupted in transit.
class TamperingClient final : public http::HttpClient {
 public:
  Result<http::Response> Send(const http::Request& request) override {
    http::Request r = request;
    Bytes body(request.body.begin(), request.body.end());
    if (!body.empty()) body.back() ^= 1;
    r.body = body;
    return inner_->Send(r);
  }
  Result<http::Response> Send(const http::Request& request, const http::BodySink& sink) override {
    return inner_->Send(request, sink);
  }

 private:
  std::unique_ptr<http::HttpClient> inner_ = http::NewCurlHttpClient();
};

TEST_F(S3Swift, SignedPayloadCatchesBodyCorruptedInTransit) {
  auto o = s3test::Options("swift");
  o.unsigned_payload = false;
  o.max_retries = 0;
  o.http = std::make_shared<TamperingClient>();
  auto store = s3::NewS3Store(o);
  ASSERT_TRUE(store.ok());
  Status st = (*store)->Put(key_, AsBytes("signed body"));
  EXPECT_FALSE(st.ok());
  // AWS says XAmzContentSHA256Mismatch; Swift says BadDigest.
  EXPECT_THAT(st.message(),
              ::testing::AnyOf(HasSubstr("XAmzContentSHA256Mismatch"), HasSubstr("BadDigest")));
  auto plain = s3::NewS3Store(s3test::Options("swift"));
  EXPECT_EQ((*plain)->Head(key_).status().code(), StatusCode::kNotFound);
}

TEST_F(S3Swift, TamperedPresignedUrlIsRefused) {
  auto store = s3::NewS3Store(s3test::Options("swift"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put(key_, AsBytes("presigned")).ok());
  auto url = (*store)->PresignGet(key_, std::chrono::seconds(60));
  ASSERT_TRUE(url.ok());
  auto client = http::NewCurlHttpClient();
  http::Request r;
  r.url = *url;
  auto ok = client->Send(r);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body_text(), "presigned");
  std::string bad = *url;
  bad.back() = bad.back() == 'a' ? 'b' : 'a';
  r.url = bad;
  auto refused = client->Send(r);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 403);
  (void)(*store)->Delete(key_);
}

TEST_F(S3Swift, ConditionalPutFallsBackWhenNotImplemented) {
  auto store = s3::NewS3Store(s3test::Options("swift"));
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->capabilities().atomic_conditional_put);  // not known yet
  auto a = (*store)->PutIfAbsent(key_, AsBytes("one"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, PutOutcome::kCreated);
  EXPECT_FALSE((*store)->capabilities().atomic_conditional_put);  // learned from the 501
  auto b = (*store)->PutIfAbsent(key_, AsBytes("two"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, PutOutcome::kAlreadyExisted);
  EXPECT_EQ(AsString(*(*store)->Get(key_)), "one");
  // Insisting on native conditional writes reports the server's answer.
  auto o = s3test::Options("swift");
  o.conditional_put = s3::ConditionalPutMode::kNative;
  auto strict = s3::NewS3Store(o);
  auto c = (*strict)->PutIfAbsent(key_ + "-n", AsBytes("x"));
  EXPECT_EQ(c.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(c.status().message(), HasSubstr("NotImplemented"));
  (void)(*store)->Delete(key_);
}

TEST_F(S3Swift, MissingBucketIsNamed) {
  auto o = s3test::Options("swift");
  o.bucket = "no-such-bucket-castor";
  auto store = s3::NewS3Store(o);
  auto r = (*store)->Put("k", AsBytes("x"));
  EXPECT_EQ(r.code(), StatusCode::kNotFound) << r.ToString();
  EXPECT_THAT(r.message(), HasSubstr("NoSuchBucket"));
}

}  // namespace
}  // namespace castor
