// What the S3 tests share: where the fixture servers listen (tests/s3/servers.sh writes
// $CASTOR_S3_STATE/<name>.port) and store options for each of them.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "castor/base/splitmix64.h"
#include "castor/http/http_client.h"
#include "castor/storage/s3/s3_store.h"

namespace castor::s3test {

// n deterministic pseudo-random bytes.
inline Bytes TestBytes(size_t n, uint64_t seed) {
  Bytes b(n);
  SplitMix64 rng(seed);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng.Next();
    for (size_t j = 0; j < 8 && i + j < n; ++j) b[i + j] = uint8_t(v >> (8 * j));
  }
  return b;
}

inline std::string StateDir() {
  const char* d = std::getenv("CASTOR_S3_STATE");
  return d ? d : "";
}

// The port of a fixture server, or "" when it is not running.
inline std::string Port(const std::string& name) {
  std::ifstream in(StateDir() + "/" + name + ".port");
  std::string p;
  in >> p;
  return p;
}

inline std::string Url(const std::string& name) { return "http://127.0.0.1:" + Port(name); }

#define CASTOR_REQUIRE_SERVER(name)         \
  if (::castor::s3test::Port(name).empty()) \
  GTEST_SKIP() << name << " is not running (start tests/s3/servers.sh, set CASTOR_S3_STATE)"

inline s3::S3Options Options(const std::string& server) {
  s3::S3Options o;
  o.bucket = "castor-test";
  o.endpoint = Url(server);
  o.path_style = true;
  o.region = "us-east-1";
  o.retry_base_delay = std::chrono::milliseconds(10);
  o.retry_max_delay = std::chrono::milliseconds(200);
  o.request_timeout = std::chrono::seconds(60);
  o.stall_timeout = std::chrono::seconds(20);
  bool swift = server == "swift";
  o.credentials = s3::NewStaticCredentials(
      {swift ? "test:tester" : "test", swift ? "testing" : "test", "", {}});
  return o;
}

// The fault proxy's control API (tests/s3/fakes.py).
inline std::string Control(const std::string& server, const std::string& path,
                           const std::string& json = "") {
  auto client = http::NewCurlHttpClient();
  http::Request r;
  r.method = path == "stats" ? "GET" : "POST";
  r.url = Url(server) + "/__fault__/" + path;
  r.body = AsBytes(json);
  auto resp = client->Send(r);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  return resp.ok() ? std::string(resp->body_text()) : "";
}

}  // namespace castor::s3test
