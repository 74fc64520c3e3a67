#include "castor/server/audit_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace castor::server {
namespace {

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string TempPath(const char* name) {
  std::string p = ::testing::TempDir() + "/" + name + std::to_string(::getpid());
  std::remove(p.c_str());
  return p;
}

TEST(AuditLog, WhatGetsAudited) {
  auto rec = [](std::string method, int status, Scope scope) {
    RequestRecord r;
    r.method = std::move(method);
    r.status = status;
    r.route_scope = scope;
    return r;
  };
  RequestRecord read_ok = rec("GET", 200, Scope::kRead);
  RequestRecord read_denied = rec("GET", 401, Scope::kRead);
  RequestRecord write_ok = rec("POST", 200, Scope::kWrite);
  RequestRecord write_bad = rec("POST", 400, Scope::kWrite);
  RequestRecord unmatched = rec("GET", 404, Scope::kNone);
  EXPECT_FALSE(ShouldAudit(read_ok));
  EXPECT_TRUE(ShouldAudit(read_denied));
  EXPECT_TRUE(ShouldAudit(write_ok));
  EXPECT_TRUE(ShouldAudit(write_bad));
  EXPECT_TRUE(ShouldAudit(unmatched));
  EXPECT_EQ(AuditEventFromRecord(write_ok).result, "ok");
  EXPECT_EQ(AuditEventFromRecord(write_bad).result, "rejected");
  RequestRecord err = rec("GET", 503, Scope::kRead);
  EXPECT_EQ(AuditEventFromRecord(err).result, "error");
}

TEST(AuditLog, LinesAreJsonWithTheFields) {
  std::string path = TempPath("audit_fields");
  {
    auto log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    RequestRecord r;
    r.method = "POST";
    r.route = "/v1/xorbs/{prefix}/{hash}";
    r.path = "/v1/xorbs/default/ab";
    r.status = 400;
    r.bytes_in = 77;
    r.token_id = "ci";
    r.object = "xorb ab";
    r.remote = "127.0.0.1:5";
    r.error = "{\"error\":\"invalid_argument\",\"message\":\"hash mismatch \xff\"}";
    ASSERT_TRUE((*log)->Append(AuditEventFromRecord(r)).ok());
  }
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0], nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << lines[0];
  EXPECT_EQ(j["token_id"], "ci");
  EXPECT_EQ(j["route"], "/v1/xorbs/{prefix}/{hash}");
  EXPECT_EQ(j["object"], "xorb ab");
  EXPECT_EQ(j["size"], 77);
  EXPECT_EQ(j["status"], 400);
  EXPECT_EQ(j["result"], "rejected");
  EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z"));
  std::remove(path.c_str());
}

TEST(AuditLog, ConcurrentWritersNeverInterleave) {
  std::string path = TempPath("audit_concurrent");
  // Two independent opens of one file, as two server processes would have.
  auto a = AuditLog::Open(path);
  auto b = AuditLog::Open(path);
  ASSERT_TRUE(a.ok() && b.ok());
  constexpr int kThreads = 4, kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AuditLog* log = (t % 2 ? *a : *b).get();
      for (int i = 0; i < kPerThread; ++i) {
        AuditEvent e;
        e.token_id = "t" + std::to_string(t);
        e.object = std::string(200 + i % 300, char('a' + t));  // lines of varying length
        e.size = uint64_t(i);
        ASSERT_TRUE(log->Append(e).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), size_t(kThreads * kPerThread));
  std::map<std::string, int> per_token;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << l;
    std::string tok = j["token_id"];
    std::string obj = j["object"];
    EXPECT_EQ(obj, std::string(obj.size(), char('a' + (tok[1] - '0'))));
    per_token[tok]++;
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(per_token["t" + std::to_string(t)], kPerThread);
  std::remove(path.c_str());
}

TEST(AuditLog, OpenFailureIsAnError) {
  auto log = AuditLog::Open("/nonexistent-dir/audit.log");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("/nonexistent-dir/audit.log"), std::string::npos);
}

}  // namespace
}  // namespace castor::server
