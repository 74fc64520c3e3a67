// The credential chain against tiny local fakes of the ECS/EKS container endpoint and EC2 IMDSv2
// (tests/s3/fakes.py metadata), and end to end: a store on Swift whose credentials come from the
// container endpoint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "s3_test_util.h"

namespace castor {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class S3Credentials : public ::testing::Test {
 protected:
  void SetUp() override {
    CASTOR_REQUIRE_SERVER("metadata");
    s3test::Control("metadata", "reset");
    s3test::Control("metadata", "config",
                    R"({"access_key":"AKIDFAKE","secret_key":"fake-secret","token":"fake-session",
                        "ttl":3600,"auth":"Bearer castor-test-token"})");
    token_file_ = std::filesystem::temp_directory_path() /
                  ("castor-token-" + std::to_string(std::random_device{}()));
    std::ofstream(token_file_) << "Bearer castor-test-token\n";
    env_["HOME"] = "/nonexistent";
    env_["AWS_EC2_METADATA_DISABLED"] = "true";
  }
  void TearDown() override { std::filesystem::remove(token_file_); }

  std::shared_ptr<s3::CredentialProvider> Chain() {
    s3::CredentialChainOptions o;
    auto env = env_;
    o.env = [env](const std::string& n) -> std::optional<std::string> {
      auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    o.http = http::NewCurlHttpClient();
    return s3::NewDefaultCredentialChain(std::move(o));
  }
  int Served(const std::string& what) {
    return nlohmann::json::parse(s3test::Control("metadata", "stats"))["served"][what].get<int>();
  }

  std::map<std::string, std::string> env_;
  std::filesystem::path token_file_;
};

TEST_F(S3Credentials, ContainerEndpointWithTokenFile) {
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = s3test::Url("metadata") + "/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = token_file_.string();
  auto chain = Chain();
  auto c = chain->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "AKIDFAKE");
  EXPECT_EQ(c->secret_key, "fake-secret");
  EXPECT_EQ(c->session_token, "fake-session");
  EXPECT_GT(c->expiration, std::chrono::system_clock::now());
  EXPECT_EQ(chain->source(), "container endpoint");
  ASSERT_TRUE(chain->Get().ok());
  EXPECT_EQ(Served("container"), 1);  // cached while far from expiry
}

TEST_F(S3Credentials, ContainerEndpointRejectsWrongToken) {
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = s3test::Url("metadata") + "/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer wrong";
  auto c = Chain()->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(c.status().message(), HasSubstr("401"));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("wrong")));
}

TEST_F(S3Credentials, RefreshesBeforeExpiry) {
  // Credentials that expire in 200 s are inside the 300 s refresh window: every Get refreshes.
  s3test::Control("metadata", "config", R"({"ttl":200})");
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = s3test::Url("metadata") + "/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer castor-test-token";
  auto chain = Chain();
  ASSERT_TRUE(chain->Get().ok());
  s3test::Control("metadata", "config", R"({"access_key":"AKIDROTATED"})");
  auto c = chain->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key, "AKIDROTATED");
  EXPECT_EQ(Served("container"), 2);
}

TEST_F(S3Credentials, ImdsV2) {
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = s3test::Url("metadata") + "/";
  auto chain = Chain();
  auto c = chain->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "AKIDFAKE");
  EXPECT_EQ(c->session_token, "fake-session");
  EXPECT_EQ(chain->source(), "instance metadata");
  EXPECT_EQ(Served("imds_tokens"), 1);  // a session token first: IMDSv2, not v1
  EXPECT_EQ(Served("imds"), 1);
}

TEST_F(S3Credentials, EnvironmentWinsOverEndpoints) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = s3test::Url("metadata") + "/creds";
  auto c = Chain()->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key, "AKIDENV");
  EXPECT_EQ(Served("container"), 0);
}

TEST_F(S3Credentials, StoreOnSwiftWithContainerCredentials) {
  CASTOR_REQUIRE_SERVER("swift");
  s3test::Control("metadata", "config",
                  R"({"access_key":"test:tester","secret_key":"testing","token":""})");
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = s3test::Url("metadata") + "/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer castor-test-token";
  auto o = s3test::Options("swift");
  o.credentials = Chain();
  auto store = s3::NewS3Store(o);
  ASSERT_TRUE(store.ok());
  std::string key = "creds/" + std::to_string(std::random_device{}());
  Status st = (*store)->Put(key, AsBytes("via container credentials"));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(AsString(*(*store)->Get(key)), "via container credentials");
  (void)(*store)->Delete(key);
}

TEST_F(S3Credentials, NothingFoundSaysWhereItLooked) {
  auto c = Chain()->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(c.status().message(), HasSubstr("environment"));
  EXPECT_THAT(c.status().message(), HasSubstr("profile default"));
}

}  // namespace
}  // namespace castor
