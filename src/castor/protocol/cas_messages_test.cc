#include "castor/protocol/cas_messages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace castor::protocol {
namespace {

TEST(CasMessages, ExactJson) {
  EXPECT_EQ(ToJson(XorbUploadResponse{true}), "{\"was_inserted\":true}");
  EXPECT_EQ(ToJson(XorbUploadResponse{false}), "{\"was_inserted\":false}");
  EXPECT_EQ(ToJson(ShardUploadResponse{1}), "{\"result\":1}");
  EXPECT_EQ(ToJson(CasTokenResponse{"tok", 1700000000, "http://127.0.0.1:8080"}),
            "{\"accessToken\":\"tok\",\"exp\":1700000000,\"casUrl\":\"http://127.0.0.1:8080\"}");
  EXPECT_EQ(ToJson(ErrorBody{"invalid_argument", "xorb: bad"}),
            "{\"error\":\"invalid_argument\",\"message\":\"xorb: bad\"}");
}

TEST(CasMessages, RoundTrips) {
  EXPECT_EQ(*ParseXorbUploadResponse(ToJson(XorbUploadResponse{true})), XorbUploadResponse{true});
  EXPECT_EQ(*ParseShardUploadResponse(ToJson(ShardUploadResponse{0})), ShardUploadResponse{0});
  CasTokenResponse t{std::string(64000, 'a'), 42, "u"};
  EXPECT_EQ(*ParseCasTokenResponse(ToJson(t)), t);
  ErrorBody e{"not_found", "xorb abc"};
  EXPECT_EQ(*ParseErrorBody(ToJson(e)), e);
}

TEST(CasMessages, Rejections) {
  for (const char* s :
       {"", "{", "[]", "{\"was_inserted\":1}", "{\"was_inserted\":\"true\"}", "{}"}) {
    EXPECT_FALSE(ParseXorbUploadResponse(s).ok()) << s;
  }
  for (const char* s : {"{\"result\":2}", "{\"result\":-1}", "{\"result\":true}", "{}"}) {
    EXPECT_FALSE(ParseShardUploadResponse(s).ok()) << s;
  }
  for (const char* s : {"{\"accessToken\":1,\"exp\":1,\"casUrl\":\"u\"}",
                        "{\"accessToken\":\"t\",\"exp\":\"1\",\"casUrl\":\"u\"}",
                        "{\"accessToken\":\"t\",\"exp\":1}",
                        "{\"accessToken\":\"t\",\"exp\":18446744073709551615,\"casUrl\":\"u\"}"}) {
    EXPECT_FALSE(ParseCasTokenResponse(s).ok()) << s;
  }
  EXPECT_FALSE(ParseErrorBody("{\"message\":\"m\"}").ok());
  EXPECT_TRUE(ParseErrorBody("{\"error\":\"e\"}").ok());
}

TEST(CasMessages, ErrorBodyFromStatusUsesTheCodeName) {
  ErrorBody b = ErrorBodyFromStatus(NotFound("xorb 12"));
  EXPECT_EQ(b.error, "not_found");
  EXPECT_EQ(b.message, "xorb 12");
}

TEST(CasMessages, InvalidUtf8IsReplacedNotThrown) {
  std::string msg = "bad byte \xff here";
  std::string json = ToJson(ErrorBody{"invalid_argument", msg});
  EXPECT_TRUE(nlohmann::json::accept(json));
}

TEST(ShardStream, LinesRoundTrip) {
  std::vector<ShardStreamEvent> events = {ShardValidating{3, 10}, ShardCommitting{"uploading"},
                                          ShardCommitting{"syncing"}, ShardResult{1},
                                          ShardError{"missing xorb"}};
  for (const auto& e : events) {
    std::string line = ToNdjsonLine(e);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    auto back = ParseShardStreamEvent(line);
    ASSERT_TRUE(back.ok()) << line;
    EXPECT_EQ(*back, e);
  }
  EXPECT_EQ(ToNdjsonLine(ShardValidating{1, 2}),
            "{\"type\":\"validating\",\"verified\":1,\"total\":2}\n");
  EXPECT_EQ(ToNdjsonLine(ShardResult{0}), "{\"type\":\"result\",\"result\":0}\n");
  EXPECT_TRUE(IsTerminal(ShardResult{0}));
  EXPECT_TRUE(IsTerminal(ShardError{"x"}));
  EXPECT_FALSE(IsTerminal(ShardValidating{}));
  EXPECT_FALSE(IsTerminal(ShardCommitting{}));
}

TEST(ShardStream, RejectsUnknownOrMalformed) {
  for (const char* s :
       {"", "{}", "{\"type\":\"nope\"}", "{\"type\":\"validating\",\"verified\":1}",
        "{\"type\":\"result\",\"result\":7}", "{\"type\":\"error\"}", "[1]", "{\"type\":3}"}) {
    EXPECT_FALSE(ParseShardStreamEvent(s).ok()) << s;
  }
}

}  // namespace
}  // namespace castor::protocol
