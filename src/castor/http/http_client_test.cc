// The curl HttpClient against a tiny in-process HTTP/1.1 server (raw sockets, one thread per
// connection), so every byte on the wire is under the test's control.
#include "castor/http/http_client.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace castor::http {
namespace {

struct SeenRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Returns the raw response to write; an empty string closes the connection without answering.
// `stall_after` > 0: write that many bytes of the response, then go silent for 3 s.
struct Reply {
  std::string raw;
  size_t stall_after = 0;
};

class TinyServer {
 public:
  explicit TinyServer(std::function<Reply(const SeenRequest&)> handler)
      : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~TinyServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    for (auto& t : conns_) t.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_; }
  std::vector<SeenRequest> seen() {
    std::lock_guard l(mu_);
    return seen_;
  }

 private:
  void Accept() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      conns_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    std::string buf;
    char tmp[65536];
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return Close(c);
        buf.append(tmp, size_t(n));
      }
      SeenRequest r;
      std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      r.method = first.substr(0, first.find(' '));
      r.target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string h = head.substr(pos, e - pos);
        auto colon = h.find(':');
        std::string name = h.substr(0, colon);
        for (auto& ch : name) ch = char(std::tolower(ch));
        std::string value = h.substr(colon + 1);
        while (!value.empty() && value[0] == ' ') value.erase(0, 1);
        r.headers[name] = value;
        pos = e + 2;
      }
      size_t want = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
      while (buf.size() < want) {
        ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return Close(c);
        buf.append(tmp, size_t(n));
      }
      r.body = buf.substr(0, want);
      buf.erase(0, want);
      {
        std::lock_guard l(mu_);
        seen_.push_back(r);
      }
      Reply reply = handler_(r);
      if (reply.raw.empty()) return Close(c);
      if (reply.stall_after > 0) {
        (void)!::write(c, reply.raw.data(), reply.stall_after);
        std::this_thread::sleep_for(std::chrono::seconds(3));
        return Close(c);
      }
      if (::write(c, reply.raw.data(), reply.raw.size()) < 0) return Close(c);
    }
  }
  void Close(int c) { ::close(c); }

  std::function<Reply(const SeenRequest&)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::vector<std::thread> conns_;
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
};

std::string Ok(const std::string& body, const std::string& extra = "", int status = 200) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

TEST(CurlHttpClient, GetStatusHeadersBody) {
  TinyServer server(
      [](const SeenRequest&) { return Reply{Ok("hello", "ETag: \"abc\"\r\nX-Thing: 1\r\n")}; });
  auto client = NewCurlHttpClient();
  Request r;
  r.url = server.url("/path?q=1");
  r.headers = {{"X-Custom", "v"}};
  auto resp = client->Send(r);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body_text(), "hello");
  EXPECT_EQ(resp->header("etag"), "\"abc\"");
  EXPECT_EQ(resp->header("x-thing"), "1");
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/path?q=1");
  EXPECT_EQ(seen[0].headers["x-custom"], "v");
}

TEST(CurlHttpClient, PutAndPostBodiesArriveExactly) {
  TinyServer server([](const SeenRequest& r) { return Reply{Ok(std::to_string(r.body.size()))}; });
  auto client = NewCurlHttpClient();
  std::string data(300'000, 'x');
  data[12345] = 'y';
  for (std::string method : {"PUT", "POST", "PATCH"}) {
    Request r;
    r.method = method;
    r.url = server.url("/up");
    r.body = AsBytes(data);
    auto resp = client->Send(r);
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(resp->body_text(), "300000");
  }
  for (auto& s : server.seen()) {
    EXPECT_EQ(s.body, data);
    EXPECT_EQ(s.headers.count("expect"), 0u);  // no 100-continue round trip
  }
  EXPECT_EQ(server.seen()[1].method, "POST");
  EXPECT_EQ(server.seen()[2].method, "PATCH");
}

TEST(CurlHttpClient, StreamingUploadFromSource) {
  TinyServer server([](const SeenRequest& r) { return Reply{Ok("ok")}; });
  auto client = NewCurlHttpClient();
  const uint64_t total = 5'000'003;
  uint64_t produced = 0;
  Request r;
  r.method = "PUT";
  r.url = server.url("/stream");
  r.body_size = total;
  r.body_source = [&](MutableByteSpan buf) -> Result<size_t> {
    size_t n = std::min<uint64_t>({buf.size(), 7777, total - produced});
    for (size_t i = 0; i < n; ++i) buf[i] = uint8_t((produced + i) % 251);
    produced += n;
    return n;
  };
  auto resp = client->Send(r);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  auto body = server.seen()[0].body;
  ASSERT_EQ(body.size(), total);
  for (size_t i = 0; i < total; i += 99991) EXPECT_EQ(uint8_t(body[i]), uint8_t(i % 251));
}

TEST(CurlHttpClient, SourceErrorAbortsTheRequest) {
  TinyServer server([](const SeenRequest&) { return Reply{Ok("ok")}; });
  auto client = NewCurlHttpClient();
  Request r;
  r.method = "PUT";
  r.url = server.url("/x");
  r.body_size = 1000;
  r.body_source = [](MutableByteSpan) -> Result<size_t> { return IOError("disk on fire"); };
  auto resp = client->Send(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().message(), "disk on fire");
}

TEST(CurlHttpClient, SinkGetsSuccessBodiesErrorBodiesAreCollected) {
  TinyServer server([](const SeenRequest& r) {
    if (r.target == "/missing") return Reply{Ok("<Error>nope</Error>", "", 404)};
    return Reply{Ok(std::string(1 << 20, 'z'))};
  });
  auto client = NewCurlHttpClient();
  size_t streamed = 0;
  BodySink sink = [&](ByteSpan b) {
    streamed += b.size();
    return Status::OK();
  };
  Request r;
  r.url = server.url("/big");
  auto ok = client->Send(r, sink);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(streamed, 1u << 20);
  EXPECT_TRUE(ok->body.empty());
  streamed = 0;
  r.url = server.url("/missing");
  auto missing = client->Send(r, sink);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(streamed, 0u);
  EXPECT_EQ(missing->body_text(), "<Error>nope</Error>");
  // A sink error stops the transfer and is the result.
  r.url = server.url("/big");
  auto stopped = client->Send(r, [](ByteSpan) { return Cancelled("stop"); });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), StatusCode::kCancelled);
}

TEST(CurlHttpClient, ReusesConnections) {
  TinyServer server([](const SeenRequest&) { return Reply{Ok("k")}; });
  auto client = NewCurlHttpClient();
  for (int i = 0; i < 5; ++i) {
    Request r;
    r.url = server.url("/" + std::to_string(i));
    ASSERT_TRUE(client->Send(r).ok());
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlHttpClient, StallTimeoutFiresWhenNoBytesMove) {
  TinyServer server([](const SeenRequest&) {
    std::string raw = Ok(std::string(100000, 'a'));
    return Reply{raw, 200};  // headers and a little body, then silence
  });
  auto client = NewCurlHttpClient();
  Request r;
  r.url = server.url("/slow");
  r.stall_timeout = std::chrono::milliseconds(1000);
  auto start = std::chrono::steady_clock::now();
  auto resp = client->Send(r);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kDeadlineExceeded) << resp.status().ToString();
  EXPECT_LT(took, std::chrono::milliseconds(2900));
}

TEST(CurlHttpClient, TransportFailuresAreUnavailable) {
  auto client = NewCurlHttpClient();
  Request r;
  {
    TinyServer server([](const SeenRequest&) { return Reply{""}; });  // hang up
    r.url = server.url("/x");
    auto resp = client->Send(r);
    ASSERT_FALSE(resp.ok());
    EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
  }
  r.url = "http://127.0.0.1:1/refused";
  auto refused = client->Send(r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("127.0.0.1:1"));
}

TEST(CurlHttpClient, HeadAndRedirects) {
  TinyServer server([](const SeenRequest& r) {
    if (r.method == "HEAD") return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n"};
    return Reply{Ok("", "Location: /elsewhere\r\n", 302)};
  });
  auto client = NewCurlHttpClient();
  Request r;
  r.method = "HEAD";
  r.url = server.url("/h");
  auto head = client->Send(r);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->header("Content-Length"), "12345");
  r.method = "GET";
  auto redirect = client->Send(r);
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect->status, 302);  // not followed unless asked
  EXPECT_EQ(redirect->header("location"), "/elsewhere");
}

TEST(CurlHttpClient, SignedUrlsStayOutOfErrors) {
  auto client = NewCurlHttpClient();
  Request r;
  r.url = "http://127.0.0.1:1/k?X-Amz-Signature=deadbeef&X-Amz-Security-Token=secret";
  auto resp = client->Send(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.status().message(), ::testing::Not(::testing::HasSubstr("secret")));
  EXPECT_THAT(resp.status().message(), ::testing::Not(::testing::HasSubstr("deadbeef")));
}

TEST(UriEncode, Rfc3986) {
  EXPECT_EQ(UriEncode("a b/c~d_e.f-g+h=é", true), "a%20b/c~d_e.f-g%2Bh%3D%C3%A9");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
}

}  // namespace
}  // namespace castor::http
