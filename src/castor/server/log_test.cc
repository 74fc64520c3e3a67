#include "castor/server/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace castor::server {
namespace {

TEST(Logger, JsonLines) {
  Logger log(-1, LogLevel::kInfo, LogFormat::kJson);
  std::string line = log.Format(LogLevel::kWarn, "slow \"store\"",
                                {{"route", "/v1/xorbs"},
                                 {"status", 503},
                                 {"bytes", uint64_t{7}},
                                 {"ms", 1.5},
                                 {"retry", true},
                                 {"bad", "\xff\xfe"}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "slow \"store\"");
  EXPECT_EQ(j["status"], 503);
  EXPECT_EQ(j["bytes"], 7);
  EXPECT_EQ(j["ms"], 1.5);
  EXPECT_EQ(j["retry"], true);
  EXPECT_TRUE(j.contains("ts"));
}

TEST(Logger, KeyValueQuotesWhatNeedsIt) {
  Logger log(-1, LogLevel::kDebug, LogFormat::kKeyValue);
  std::string line = log.Format(LogLevel::kInfo, "request", {{"path", "/a b"}, {"status", 200}});
  EXPECT_NE(line.find(" level=info msg=request path=\"/a b\" status=200\n"), std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("ts=", 0), 0u);
}

TEST(Logger, FiltersByLevelAndWritesOneLinePerRecord) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Logger log(fds[1], LogLevel::kWarn, LogFormat::kJson);
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  log.Info("hidden");
  log.Error("shown", {{"k", "v"}});
  close(fds[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) got.append(buf, size_t(n));
  close(fds[0]);
  EXPECT_EQ(got.find("hidden"), std::string::npos);
  EXPECT_NE(got.find("\"msg\":\"shown\""), std::string::npos);
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 1);
}

TEST(Logger, ParseLevel) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_FALSE(ParseLogLevel("loud").ok());
}

}  // namespace
}  // namespace castor::server
