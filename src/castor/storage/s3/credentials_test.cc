// The parts of the credential chain that need no network: environment, shared files and
// profiles, ISO 8601 expirations. (The container endpoint and IMDSv2 are tested against local
// fakes in tests/s3.)
#include "castor/storage/s3/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace castor::s3 {
namespace {

EnvLookup MapEnv(std::map<std::string, std::string> m) {
  return [m](const std::string& n) -> std::optional<std::string> {
    auto it = m.find(n);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Credentials, EnvironmentWithSessionToken) {
  CredentialChainOptions o;
  o.env = MapEnv({{"AWS_ACCESS_KEY_ID", "AK"},
                  {"AWS_SECRET_ACCESS_KEY", "SK"},
                  {"AWS_SESSION_TOKEN", "TOK"},
                  {"AWS_EC2_METADATA_DISABLED", "true"}});
  auto chain = NewDefaultCredentialChain(o);
  auto c = chain->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key, "AK");
  EXPECT_EQ(c->secret_key, "SK");
  EXPECT_EQ(c->session_token, "TOK");
  EXPECT_EQ(chain->source(), "environment");
}

TEST(Credentials, SharedFilesAndProfiles) {
  auto dir = std::filesystem::temp_directory_path() / ("castor-aws-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "credentials")
      << "[default]\naws_access_key_id = DEF\naws_secret_access_key=defsecret\n"
         "\n# comment\n[work]\naws_access_key_id=WORK\n"
         "aws_secret_access_key = worksecret\naws_session_token = wt\n";
  std::ofstream(dir / "config")
      << "[default]\nregion = eu-central-1\n[profile cfgonly]\n"
         "aws_access_key_id=CFG\naws_secret_access_key=cfgsecret\nregion=ap-south-1\n";
  std::map<std::string, std::string> env = {
      {"AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").string()},
      {"AWS_CONFIG_FILE", (dir / "config").string()},
      {"AWS_EC2_METADATA_DISABLED", "true"}};
  CredentialChainOptions o;
  o.env = MapEnv(env);
  EXPECT_EQ(NewDefaultCredentialChain(o)->Get()->access_key, "DEF");
  o.profile = "work";
  auto work = NewDefaultCredentialChain(o)->Get();
  EXPECT_EQ(work->access_key, "WORK");
  EXPECT_EQ(work->session_token, "wt");
  o.profile = "cfgonly";
  EXPECT_EQ(NewDefaultCredentialChain(o)->Get()->access_key, "CFG");
  env["AWS_PROFILE"] = "work";
  o.profile = "";
  o.env = MapEnv(env);
  EXPECT_EQ(NewDefaultCredentialChain(o)->Get()->access_key, "WORK");
  EXPECT_EQ(ProfileRegion(MapEnv(env), "cfgonly"), "ap-south-1");
  EXPECT_EQ(ProfileRegion(MapEnv(env), "default"), "eu-central-1");
  o.profile = "missing";
  auto none = NewDefaultCredentialChain(o)->Get();
  EXPECT_EQ(none.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(none.status().message().find("profile missing"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Credentials, Iso8601) {
  auto t = ParseIso8601("2026-11-29T10:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1795946400);
  EXPECT_EQ(ParseIso8601("2026-11-29T10:00:00.123Z"), t);
  EXPECT_EQ(ParseIso8601("2026-11-29T12:00:00+02:00"), t);
  EXPECT_FALSE(ParseIso8601("yesterday"));
  EXPECT_FALSE(ParseIso8601("2026-13-01T00:00:00Z"));
}

TEST(Credentials, IniValue) {
  std::string ini = "[a]\nk = 1\n[b]\nk=2\n  [ c ]  \n k =  3 \n";
  EXPECT_EQ(IniValue(ini, "a", "k"), "1");
  EXPECT_EQ(IniValue(ini, "b", "k"), "2");
  EXPECT_EQ(IniValue(ini, "c", "k"), "3");
  EXPECT_FALSE(IniValue(ini, "d", "k"));
  EXPECT_FALSE(IniValue(ini, "a", "x"));
}

}  // namespace
}  // namespace castor::s3
