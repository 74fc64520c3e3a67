#include "castor/server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "castor/base/splitmix64.h"
#include "castor/protocol/http_range.h"
#include "castor/protocol/multipart.h"
#include "castor/server/curl_test_client.h"
#include "castor/server/http_test_client.h"

namespace castor::server {
namespace {

using testing::CurlClient;
using testing::RawConnection;
using testing::RoundTrip;

std::string Blob(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  SplitMix64(seed).Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(s.data()), n));
  return s;
}

// Pieces of streamed bodies pulled so far, and how many of them into a buffer that does not
// start on a page (the server promises page-aligned buffers: see Session::Pump).
std::atomic<int> g_stream_pieces{0}, g_unaligned_stream_pieces{0};

// Serves `data` honouring Range (single range raw, several as multipart/byteranges), streamed.
Response ServeBlob(const Request& req, std::shared_ptr<const std::string> data) {
  auto range = req.headers.Get("Range");
  if (!range) {
    size_t pos = 0;
    return Response::Streamed(200, data->size(), [data, pos](MutableByteSpan out) mutable {
      ++g_stream_pieces;
      if (reinterpret_cast<uintptr_t>(out.data()) % 4096 != 0) ++g_unaligned_stream_pieces;
      size_t n = std::min(out.size(), data->size() - pos);
      std::memcpy(out.data(), data->data() + pos, n);
      pos += n;
      return Result<size_t>(n);
    });
  }
  auto specs = protocol::ParseRangeHeader(*range);
  if (!specs.ok()) return Response::FromStatus(specs.status());
  auto ranges = protocol::ResolveRanges(*specs, data->size());
  if (!ranges.ok()) return Response::FromStatus(ranges.status());
  if (ranges->size() == 1) {
    Response r = Response::Text(206, data->substr((*ranges)[0].start, (*ranges)[0].size()),
                                "application/octet-stream");
    r.headers.Set("Content-Range", protocol::FormatContentRange((*ranges)[0], data->size()));
    return r;
  }
  protocol::MultipartByteranges mp(protocol::MakeBoundary(42), "application/octet-stream", *ranges,
                                   data->size());
  Response r = Response::Text(206, mp.Render(AsBytes(*data)), mp.ContentType());
  return r;
}

RouteOptions Opts(std::string name, Scope scope, uint64_t max_body) {
  RouteOptions o;
  o.name = std::move(name);
  o.scope = scope;
  o.max_body = max_body;
  return o;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions opt = {}) {
    if (opt.threads == 0) opt.threads = 2;
    server_ = std::make_unique<HttpServer>(&router_, opt, nullptr, [this](const RequestRecord& r) {
      std::lock_guard lock(mu_);
      records_.push_back(r);
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void SetUp() override {
    data_ = std::make_shared<const std::string>(Blob(8 << 20, 5));
    RouteOptions none;
    none.scope = Scope::kNone;
    ASSERT_TRUE(router_
                    .Add(
                        "GET", "/hello/{name}",
                        [](Request& r) { return Response::Text(200, "hello " + r.Param("name")); },
                        none)
                    .ok());
    ASSERT_TRUE(router_
                    .Add(
                        "POST", "/echo",
                        [](Request& r) {
                          r.audit_object = "echo";
                          return Response::Text(200, r.body);
                        },
                        Opts("echo", Scope::kNone, 4 << 20))
                    .ok());
    ASSERT_TRUE(router_
                    .Add(
                        "POST", "/small", [](Request& r) { return Response::Text(200, "ok"); },
                        Opts("", Scope::kNone, 100))
                    .ok());
    auto data = data_;
    ASSERT_TRUE(router_
                    .Add(
                        "GET", "/blob", [data](Request& r) { return ServeBlob(r, data); }, none)
                    .ok());
    ASSERT_TRUE(router_
                    .Add(
                        "GET", "/broken-stream",
                        [](Request&) {
                          return Response::Streamed(200, 1000,
                                                    [](MutableByteSpan out) -> Result<size_t> {
                                                      return IOError("store went away");
                                                    });
                        },
                        none)
                    .ok());
    ASSERT_TRUE(router_
                    .Add(
                        "GET", "/throws",
                        [](Request&) -> Response { throw std::runtime_error("boom"); }, none)
                    .ok());
    ASSERT_TRUE(router_
                    .Add(
                        "GET", "/slow",
                        [this](Request&) {
                          {
                            std::unique_lock lock(mu_);
                            in_slow_ = true;
                            cv_.notify_all();
                            cv_.wait(lock, [this] { return release_slow_; });
                          }
                          return Response::Text(200, "finished");
                        },
                        none)
                    .ok());
    ASSERT_TRUE(
        router_.Add("GET", "/secure", [](Request&) { return Response::Text(200, "x"); }).ok());
    RouteOptions pre;
    pre.name = "precheck";
    pre.scope = Scope::kNone;
    pre.max_body = 8 << 20;
    pre.before_body = [](Request& r) -> std::optional<Response> {
      if (r.headers.Get("X-Exists") == "1") {
        r.audit_object = "known";
        return Response::Json(200, "{\"was_inserted\":false}");
      }
      return std::nullopt;
    };
    ASSERT_TRUE(router_
                    .Add(
                        "POST", "/precheck",
                        [this](Request& r) {
                          handler_calls_++;
                          return Response::Text(200, "read " + std::to_string(r.body.size()));
                        },
                        pre)
                    .ok());
  }
  void TearDown() override {
    {
      std::lock_guard lock(mu_);
      release_slow_ = true;
      cv_.notify_all();
    }
    if (server_) server_->Shutdown();
  }

  std::vector<RequestRecord> Records() {
    std::lock_guard lock(mu_);
    return records_;
  }

  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
  std::shared_ptr<const std::string> data_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool in_slow_ = false, release_slow_ = false;
  std::atomic<int> handler_calls_{0};
  std::vector<RequestRecord> records_;
};

TEST_F(HttpServerTest, RoutesAndReportsErrorsAsJson) {
  StartServer();
  CurlClient c;
  auto r = c.Perform("GET", base_ + "/hello/world");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.headers["server"], "castor");
  EXPECT_TRUE(r.headers["date"].ends_with(" GMT")) << r.headers["date"];

  auto nf = c.Perform("GET", base_ + "/nothing/here");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.headers["content-type"], "application/json");
  EXPECT_NE(nf.body.find("\"error\":\"not_found\""), std::string::npos);

  auto na = c.Perform("DELETE", base_ + "/hello/x");
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(na.headers["allow"], "GET, HEAD");

  auto th = c.Perform("GET", base_ + "/throws");
  EXPECT_EQ(th.status, 500);
}

TEST_F(HttpServerTest, RequiresScopeWithoutAuthorizer) {
  StartServer();
  auto r = CurlClient().Perform("GET", base_ + "/secure");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
}

TEST_F(HttpServerTest, KeepAliveReusesTheConnection) {
  StartServer();
  CurlClient c;
  auto a = c.Perform("GET", base_ + "/hello/a");
  auto b = c.Perform("GET", base_ + "/hello/b");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(b.body, "hello b");
  EXPECT_EQ(a.new_connections, 1);
  EXPECT_EQ(b.new_connections, 0);  // reused

  // Pipelined on one raw connection, too.
  RawConnection raw(server_->port());
  ASSERT_TRUE(
      raw.Send("GET /hello/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r1 = raw.Read();
  auto r2 = raw.Read();
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->body, "hello 1");
  EXPECT_EQ(r2->body, "hello 2");
  // Connection: close is honoured.
  ASSERT_TRUE(raw.Send("GET /hello/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto r3 = raw.Read();
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->Header("connection"), "close");
  EXPECT_TRUE(raw.ClosedByPeer());
}

TEST_F(HttpServerTest, HeadGivesLengthWithoutBody) {
  StartServer();
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send("HEAD /hello/abc HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = raw.Read(/*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-length"), "9");
  // The next response on the connection starts right away: no body bytes were sent.
  ASSERT_TRUE(raw.Send("HEAD /blob HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto b = raw.Read(true);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->Header("content-length"), std::to_string(8 << 20));
  ASSERT_TRUE(raw.Send("GET /hello/z HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto z = raw.Read();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->body, "hello z");
}

TEST_F(HttpServerTest, StreamsLargeBodies) {
  StartServer();
  const int pieces = g_stream_pieces, unaligned = g_unaligned_stream_pieces;
  auto r = CurlClient().Perform("GET", base_ + "/blob");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), data_->size());
  EXPECT_TRUE(r.body == *data_);
  // In pieces, each into a page-aligned buffer (kernel copies into it stay fast: a file read
  // from a page boundary lands on one).
  EXPECT_GT(g_stream_pieces - pieces, 1);
  EXPECT_EQ(g_unaligned_stream_pieces - unaligned, 0);
  auto recs = Records();
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs.back().bytes_out, data_->size());
}

TEST_F(HttpServerTest, FailedStreamClosesTheConnection) {
  StartServer();
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send("GET /broken-stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(raw.Read().has_value());  // header arrives, then the body is cut short
  auto r = RoundTrip(server_->port(), "GET /hello/again HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, SingleAndMultiRangeResponses) {
  StartServer();
  CurlClient c;
  auto one = c.Perform("GET", base_ + "/blob", {"Range: bytes=100-199"});
  EXPECT_EQ(one.status, 206);
  EXPECT_EQ(one.body, data_->substr(100, 100));
  EXPECT_EQ(one.headers["content-range"], "bytes 100-199/" + std::to_string(data_->size()));

  auto multi = c.Perform("GET", base_ + "/blob", {"Range: bytes=0-9,5000000-5000099,-7"});
  ASSERT_EQ(multi.status, 206);
  auto parts = protocol::ParseMultipartByteranges(multi.headers["content-type"], multi.body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].data, data_->substr(0, 10));
  EXPECT_EQ((*parts)[1].data, data_->substr(5000000, 100));
  EXPECT_EQ((*parts)[2].data, data_->substr(data_->size() - 7));

  auto bad = c.Perform("GET", base_ + "/blob", {"Range: bytes=99999999-"});
  EXPECT_EQ(bad.status, 416);
  auto garbage = c.Perform("GET", base_ + "/blob", {"Range: bytes=z"});
  EXPECT_EQ(garbage.status, 400);
}

TEST_F(HttpServerTest, BodyLimitsGive413) {
  StartServer();
  CurlClient c;
  std::string ok_body(100, 'a'), big(101, 'b');
  auto okr = c.Perform("POST", base_ + "/small", {}, &ok_body);
  EXPECT_EQ(okr.status, 200) << okr.body;
  EXPECT_EQ(c.Perform("POST", base_ + "/small", {}, &big).status, 413);
  // Declared length over the limit: rejected before any body byte is sent.
  auto r = RoundTrip(server_->port(),
                     "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // Chunked bodies are counted while reading.
  std::string chunked = "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) chunked += "20\r\n" + std::string(32, 'c') + "\r\n";
  chunked += "0\r\n\r\n";
  auto ch = RoundTrip(server_->port(), chunked);
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->status, 413);
}

TEST_F(HttpServerTest, LargeUploadWithExpectContinue) {
  StartServer();
  std::string body = Blob(3 << 20, 9);
  // libcurl sends "Expect: 100-continue" for bodies this large and waits for the 100.
  auto r = CurlClient().Perform("POST", base_ + "/echo", {}, &body);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body == body);
  auto recs = Records();
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs.back().route, "echo");
  EXPECT_EQ(recs.back().bytes_in, body.size());
  EXPECT_EQ(recs.back().object, "echo");
}

TEST_F(HttpServerTest, BeforeBodyAnswersWithoutReadingTheBody) {
  StartServer();
  std::string body = Blob(3 << 20, 4);
  CurlClient c;
  // libcurl waits for "100 Continue" before sending a body this large; the early answer means the
  // body is never sent.
  auto known = c.Perform("POST", base_ + "/precheck", {"X-Exists: 1"}, &body);
  EXPECT_EQ(known.status, 200);
  EXPECT_EQ(known.body, "{\"was_inserted\":false}");
  EXPECT_EQ(handler_calls_.load(), 0);
  auto fresh = c.Perform("POST", base_ + "/precheck", {}, &body);
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.body, "read " + std::to_string(body.size()));
  EXPECT_EQ(handler_calls_.load(), 1);
  // A client that sends the body anyway gets the early answer and a closed connection.
  RawConnection raw(server_->port());
  ASSERT_TRUE(
      raw.Send("POST /precheck HTTP/1.1\r\nHost: x\r\nX-Exists: 1\r\n"
               "Content-Length: 5\r\n\r\nhello"));
  auto r = raw.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(raw.ClosedByPeer());
  bool found = false;
  for (int i = 0; i < 200 && !found; ++i) {
    for (const auto& rec : Records()) found |= rec.route == "precheck" && rec.object == "known";
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(found);
}

TEST_F(HttpServerTest, EveryResponseCarriesARequestId) {
  StartServer();
  CurlClient c;
  auto a = c.Perform("GET", base_ + "/hello/a");
  auto b = c.Perform("GET", base_ + "/nothing");
  EXPECT_EQ(a.headers["x-request-id"].size(), 16u);
  EXPECT_EQ(b.headers["x-request-id"].size(), 16u);
  EXPECT_NE(a.headers["x-request-id"], b.headers["x-request-id"]);
}

TEST_F(HttpServerTest, GarbageGets400AndNeverCrashes) {
  StartServer();
  const std::vector<std::string> garbage = {
      "GARBAGE\r\n\r\n",
      "GET /hello/x HTTP/9.9\r\n\r\n",
      "GET /hello/x HTTP/1.1\r\nNo colon here\r\n\r\n",
      "GET  HTTP/1.1\r\n\r\n",
      "GET http://example.com/x HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      std::string("\x00\x01\x02\xff\r\n\r\n", 8),
  };
  for (const auto& g : garbage) {
    auto r = RoundTrip(server_->port(), g);
    ASSERT_TRUE(r) << "no answer to: " << g;
    EXPECT_EQ(r->status, 400) << g;
  }
  std::string huge = "GET /hello/x HTTP/1.1\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n";
  auto h = RoundTrip(server_->port(), huge);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 431);
  auto alive = RoundTrip(server_->port(), "GET /hello/still HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->body, "hello still");
}

TEST_F(HttpServerTest, SlowClientsTimeOutWithoutPinningThreads) {
  HttpServerOptions opt;
  opt.threads = 1;
  opt.header_timeout = std::chrono::milliseconds(300);
  opt.body_timeout = std::chrono::milliseconds(300);
  StartServer(opt);
  RawConnection slow(server_->port(), /*timeout_ms=*/5000);
  ASSERT_TRUE(slow.Send("GET /hello/x HTTP/1.1\r\nHo"));
  // With one thread, another client is still served while the slow one dribbles.
  auto other = RoundTrip(server_->port(), "GET /hello/other HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));

  RawConnection slow_body(server_->port(), 5000);
  ASSERT_TRUE(slow_body.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"));
  t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow_body.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  // The stream closes the socket from its timer; the read completes (and is recorded) just after.
  bool recorded = false;
  for (int i = 0; i < 200 && !recorded; ++i) {
    for (const auto& rec : Records()) recorded |= rec.status == 408 && rec.path == "/echo";
    if (!recorded) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(recorded);

  // An idle keep-alive connection is closed after the header timeout too.
  RawConnection idle(server_->port(), 5000);
  ASSERT_TRUE(idle.Send("GET /hello/i HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.Read());
  EXPECT_TRUE(idle.ClosedByPeer());
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosed) {
  HttpServerOptions opt;
  opt.max_connections = 2;
  StartServer(opt);
  RawConnection a(server_->port()), b(server_->port());
  ASSERT_TRUE(a.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(b.Send("GET /hello/b HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(a.Read() && b.Read());  // both held open (keep-alive)
  RawConnection c(server_->port(), 5000);
  c.Send("GET /hello/c HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(c.Read().has_value());
  // Room again once one closes.
  ASSERT_TRUE(a.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(a.Read());
  EXPECT_TRUE(a.ClosedByPeer());
  std::optional<testing::RawResponse> d;
  for (int i = 0; i < 100 && !d; ++i) {  // the closed session unregisters asynchronously
    d = RoundTrip(server_->port(), "GET /hello/d HTTP/1.1\r\nHost: x\r\n\r\n");
    if (!d) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(d);
  EXPECT_EQ(d->body, "hello d");
}

TEST_F(HttpServerTest, GracefulShutdownFinishesInFlightRequests) {
  StartServer();
  RawConnection idle(server_->port());
  ASSERT_TRUE(idle.Send("GET /hello/i HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.Read());  // now idle in keep-alive

  auto inflight = std::async(std::launch::async, [port = server_->port()] {
    return RoundTrip(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [this] { return in_slow_; }));
  }
  auto shutdown = std::async(std::launch::async, [this] { server_->Shutdown(); });
  // The idle connection is closed promptly; the server no longer accepts.
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_EQ(shutdown.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  {
    std::lock_guard lock(mu_);
    release_slow_ = true;
    cv_.notify_all();
  }
  auto r = inflight.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(shutdown.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(RoundTrip(server_->port(), "GET /hello/x HTTP/1.1\r\n\r\n").has_value());
}

TEST_F(HttpServerTest, BindFailureIsAnError) {
  StartServer();
  HttpServerOptions opt;
  opt.port = server_->port();
  HttpServer second(&router_, opt);
  Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kIOError) << s.ToString();
  HttpServerOptions bad;
  bad.host = "not an address";
  EXPECT_EQ(HttpServer(&router_, bad).Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace castor::server
