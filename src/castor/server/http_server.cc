#include "castor/server/http_server.h"

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

namespace castor::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Handlers control header names and values; CR, LF and NUL are replaced so that no value can
// inject a header or split the response.
void AppendHeaderField(std::string& out, std::string_view name, std::string_view value) {
  auto put = [&out](std::string_view s) {
    for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  };
  put(name);
  out += ": ";
  put(value);
  out += "\r\n";
}

// The IMF-fixdate for the Date header (RFC 9110 §6.6.1), formatted at most once a second per
// thread.
std::string HttpDate() {
  thread_local time_t cached_second = 0;
  thread_local std::string cached;
  time_t now = time(nullptr);
  if (now != cached_second) {
    static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    tm utc{};
    gmtime_r(&now, &utc);
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday % 7],
                  utc.tm_mday, kMonths[utc.tm_mon % 12], utc.tm_year + 1900, utc.tm_hour,
                  utc.tm_min, utc.tm_sec);
    cached = buf;
    cached_second = now;
  }
  return cached;
}

}  // namespace

class Session;

class HttpServer::Impl {
 public:
  Impl(const Router* router, HttpServerOptions options, const Authorizer* authorizer,
       RequestObserver observer)
      : router_(router),
        opt_(std::move(options)),
        authorizer_(authorizer),
        observer_(std::move(observer)),
        ioc_(opt_.threads > 0 ? opt_.threads
                              : int(std::max(1u, std::thread::hardware_concurrency()))),
        acceptor_(asio::make_strand(ioc_)) {}

  Status Start();
  void Shutdown();
  uint16_t port() const { return port_; }

  void Accept();
  void Register(Session* s, const std::shared_ptr<Session>& sp);
  bool HasRoom() {
    std::lock_guard lock(mu_);
    return sessions_.size() < opt_.max_connections;
  }
  // 16 hex digits: a random per-server prefix (so ids from several processes sharing logs do not
  // collide) plus a counter.
  std::string NextRequestId() {
    uint64_t n = request_counter_.fetch_add(1, std::memory_order_relaxed);
    char buf[24];
    std::snprintf(buf, sizeof(buf), "%06x%010llx", unsigned(id_prefix_ & 0xffffff),
                  static_cast<unsigned long long>(n & 0xffffffffffull));
    return buf;
  }
  void Unregister(Session* s);

  // Buffers for large request bodies, reused between requests: a fresh 64 MiB string per xorb
  // upload costs a page fault per 4 KiB (and, in VMs that hand freed memory back to the host,
  // far more), while a reused one is already resident. At most one buffer per handler thread is
  // kept, so the pool holds at most threads x the largest body limit.
  std::string TakeBodyBuffer() {
    std::lock_guard lock(pool_mu_);
    if (body_pool_.empty()) return {};
    std::string b = std::move(body_pool_.back());
    body_pool_.pop_back();
    return b;
  }
  // The buffer keeps its size: the next body resizes it to its own length, and clearing it here
  // would make that resize zero-fill the whole body first (4% of the server's CPU on a push).
  // Every byte a body exposes is overwritten by the socket read before use.
  void ReturnBodyBuffer(std::string b) {
    if (b.capacity() < kPooledBodyMin) return;
    std::lock_guard lock(pool_mu_);
    if (body_pool_.size() < pool_limit_) body_pool_.push_back(std::move(b));
  }
  static constexpr size_t kPooledBodyMin = 1 << 20;

  const Router* router_;
  const HttpServerOptions opt_;
  const Authorizer* authorizer_;
  const RequestObserver observer_;
  std::atomic<bool> stopping_{false};

 private:
  std::atomic<uint64_t> request_counter_{0};
  std::mutex pool_mu_;
  std::vector<std::string> body_pool_;
  const size_t pool_limit_ = size_t(
      opt_.threads > 0 ? opt_.threads : int(std::max(1u, std::thread::hardware_concurrency())));
  const uint32_t id_prefix_ = uint32_t(std::random_device{}());

  // Declared before ioc_ so that they outlive it: destroying ioc_ destroys pending handlers, which
  // may hold the last reference to a Session, whose destructor unregisters itself.
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  bool started_ = false, shut_down_ = false;
  std::mutex shutdown_mu_;  // serialises Shutdown()
};

// One connection: reads requests one after another, all on its own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `server` outlives every session: Shutdown() waits for them, and ~Impl destroys leftovers
  // before the registry they unregister from.
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {}
  ~Session() { server_->Unregister(this); }

  void Begin() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    stream_.socket().set_option(tcp::no_delay(true), ec);
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Posted by Shutdown(): closes the connection unless a request is being served.
  void StopIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      // The error_code overload: the socket may already be closed (by a timeout), and the
      // throwing one would then escape into the event loop.
      beast::error_code ec;
      if (self->idle_) self->stream_.socket().cancel(ec);
    });
  }
  void ForceClose() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.socket().close(ec);
    });
  }

 private:
  void ReadHeader() {
    if (server_->stopping_) return Close();
    idle_ = true;
    parser_.emplace();
    parser_->header_limit(server_->opt_.max_header_bytes);
    // The route's limit is applied once the header is known. (Not boost::none: Boost 1.74 compares
    // `len > optional` and so treats "no limit" as a limit of zero.)
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    stream_.expires_after(server_->opt_.header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    idle_ = false;
    start_ = Clock::now();
    req_ = Request{};
    req_.remote = remote_;
    req_.request_id = server_->NextRequestId();
    record_ = RequestRecord{};
    record_.remote = remote_;
    record_.request_id = req_.request_id;
    if (ec) {
      // A client that goes away or times out between requests gets no answer; a client that sent
      // something unparseable gets a 400 (431 for an oversized header) and the connection closes.
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::error::eof || ec == http::error::partial_message) {
        return Close();
      }
      int status = ec == http::error::header_limit ? 431 : 400;
      return SendEarly(Response::Error(status, "bad_request", "malformed request: " + ec.message()),
                       /*close=*/true);
    }
    const auto& h = parser_->get();
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    size_t q = req_.target.find('?');
    req_.path = req_.target.substr(0, q);
    if (q != std::string::npos) req_.query = req_.target.substr(q + 1);
    for (const auto& f : h) req_.headers.Add(std::string(f.name_string()), std::string(f.value()));
    keep_alive_ = h.keep_alive();
    head_ = h.method() == http::verb::head;
    record_.method = req_.method;
    record_.path = req_.path;
    bool has_body = !parser_->is_done();

    if (req_.path.empty() || req_.path.front() != '/') {
      return SendEarly(Response::Error(400, "bad_request", "request target must be a path"),
                       has_body);
    }
    Router::Match m = server_->router_->Find(req_.method, req_.path);
    switch (m.kind) {
      case Router::Match::Kind::kNotFound:
        return SendEarly(Response::Error(404, "not_found", "no route for " + req_.path), has_body);
      case Router::Match::Kind::kBadPath:
        return SendEarly(Response::Error(400, "bad_request", "malformed percent escape in path"),
                         has_body);
      case Router::Match::Kind::kMethodNotAllowed: {
        Response r = Response::Error(405, "method_not_allowed",
                                     req_.method + " is not allowed on " + req_.path);
        r.headers.Set("Allow", m.allow);
        return SendEarly(std::move(r), has_body);
      }
      case Router::Match::Kind::kFound:
        break;
    }
    route_ = m.route;
    req_.route = route_->options.name;
    req_.params = std::move(m.params);
    record_.route = req_.route;
    record_.route_scope = route_->options.scope;

    if (route_->options.scope != Scope::kNone) {
      Result<Principal> p = server_->authorizer_
                                ? server_->authorizer_->Authorize(req_, route_->options.scope)
                                : Result<Principal>(Unauthenticated("no authorizer configured"));
      if (!p.ok()) {
        Response r = Response::FromStatus(p.status());
        if (r.status == 401) r.headers.Set("WWW-Authenticate", "Bearer");
        return SendEarly(std::move(r), has_body);
      }
      req_.principal = std::move(*p);
      record_.token_id = req_.principal.token_id;
    }

    if (route_->options.before_body) {
      std::optional<Response> early;
      try {
        early = route_->options.before_body(req_);
      } catch (...) {
        early = Response::Error(500, "internal", "before_body hook threw");
      }
      if (early) {
        record_.object = req_.audit_object;
        return SendEarly(std::move(*early), has_body);
      }
    }
    if (!has_body) return Dispatch();
    const uint64_t limit = route_->options.max_body;
    if (auto len = parser_->content_length(); len && *len > limit) {
      return SendEarly(TooLarge(limit), /*close=*/true);
    }
    parser_->body_limit(limit);
    auto expect = req_.headers.Get("Expect");
    if (expect && EqualsIgnoreCase(*expect, "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(server_->opt_.write_timeout);
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(server_->opt_.body_timeout);
    // Large bodies of known length (xorbs, shards) are read straight into the request, in reads
    // as large as the socket offers, rather than through the parser's 64 KiB steps: on loopback
    // that is the difference between tens and hundreds of MB/s per connection.
    auto len = parser_->content_length();
    if (len && *len >= kDirectBodyBytes && !parser_->chunked()) {
      std::string& body = req_.body;
      body = server_->TakeBodyBuffer();
      body.resize(size_t(*len));
      size_t have = std::min<size_t>(buffer_.size(), body.size());
      asio::buffer_copy(asio::buffer(body.data(), have), buffer_.data());
      buffer_.consume(have);
      asio::async_read(stream_, asio::buffer(body.data() + have, body.size() - have),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) return self->OnBody(ec);
                         self->record_.bytes_in = self->req_.body.size();
                         self->Dispatch();
                       });
      return;
    }
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  static constexpr uint64_t kDirectBodyBytes = 256 * 1024;

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) return SendEarly(TooLarge(route_->options.max_body), true);
    if (ec == beast::error::timeout) {
      // tcp_stream has already closed the socket, so no 408 can be sent; still report it.
      record_.status = 408;
      record_.error = "request body not received within the body timeout";
      record_.duration = Clock::now() - start_;
      if (server_->observer_) server_->observer_(record_);
      return Close();
    }
    if (ec) {
      if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
          ec == asio::error::connection_reset || ec == asio::error::eof) {
        return Close();
      }
      return SendEarly(Response::Error(400, "bad_request", "malformed body: " + ec.message()),
                       true);
    }
    req_.body = std::move(parser_->get().body());
    record_.bytes_in = req_.body.size();
    Dispatch();
  }

  Response TooLarge(uint64_t limit) {
    return Response::Error(
        413, "payload_too_large",
        "request body exceeds " + std::to_string(limit) + " bytes for " + req_.route);
  }

  void Dispatch() {
    Response r;
    try {
      r = route_->handler(req_);
    } catch (const std::exception& e) {
      // Handlers return errors as values; this only guards the server against a broken one.
      r = Response::Error(500, "internal", std::string("handler threw: ") + e.what());
    } catch (...) {
      r = Response::Error(500, "internal", "handler threw");
    }
    record_.object = req_.audit_object;
    Send(std::move(r));
  }

  // A response sent before the body was read: the connection closes if a body may be pending.
  void SendEarly(Response r, bool close) {
    if (close) r.close = true;
    if (r.status >= 400) {
      auto body = r.body.size() < 400 ? r.body : r.body.substr(0, 400);
      record_.error = std::move(body);
    }
    Send(std::move(r));
  }

  void Send(Response r) {
    res_ = std::move(r);
    record_.status = res_.status;
    if (res_.status >= 400 && record_.error.empty()) {
      record_.error = res_.body.size() < 400 ? res_.body : res_.body.substr(0, 400);
    }
    close_after_ = res_.close || !keep_alive_ || server_->stopping_;
    const bool streamed = static_cast<bool>(res_.source);
    const uint64_t length = streamed ? res_.content_length : res_.body.size();
    head_bytes_ = "HTTP/1.1 " + std::to_string(res_.status) + " " +
                  std::string(http::obsolete_reason(static_cast<http::status>(res_.status))) +
                  "\r\nServer: castor\r\nDate: " + HttpDate() +
                  "\r\nContent-Length: " + std::to_string(length) + "\r\n";
    if (close_after_) head_bytes_ += "Connection: close\r\n";
    if (!req_.request_id.empty()) head_bytes_ += "X-Request-Id: " + req_.request_id + "\r\n";
    for (const auto& [n, v] : res_.headers.fields()) {
      // Framing is the server's business: a handler's own framing headers would contradict it.
      if (EqualsIgnoreCase(n, "Content-Length") || EqualsIgnoreCase(n, "Connection") ||
          EqualsIgnoreCase(n, "Transfer-Encoding")) {
        continue;
      }
      AppendHeaderField(head_bytes_, n, v);
    }
    head_bytes_ += "\r\n";
    remaining_ = head_ ? 0 : length;

    stream_.expires_after(server_->opt_.write_timeout);
    if (!streamed && !head_) {
      std::vector<asio::const_buffer> bufs{asio::buffer(head_bytes_), asio::buffer(res_.body)};
      record_.bytes_out = res_.body.size();
      asio::async_write(stream_, bufs, [self = shared_from_this()](beast::error_code ec, size_t) {
        self->Finish(ec);
      });
      return;
    }
    asio::async_write(stream_, asio::buffer(head_bytes_),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Finish(ec);
                        self->Pump();
                      });
  }

  // Pulls the next piece of a streamed body and writes it; the source runs on this strand.
  void Pump() {
    if (remaining_ == 0) return Finish({});
    if (!chunk_) {
      // Page-aligned. A source reading a file (a xorb's byte range) has the kernel copy out of
      // page-cache pages, and on some x86 CPUs that copy is several times slower when the
      // destination sits a few bytes past the source's offset within a page (4 KiB store/load
      // aliasing in the copy loop). malloc puts a large buffer 16 bytes past a page boundary:
      // exactly that against a read from a page boundary, such as a whole xorb. On the
      // project's AMD EPYC VM pread ran at 2 GB/s into such a buffer and at 12 GB/s into an
      // aligned one (bench/storage_bench, BM_Peer_PreadReusedBuffer).
      chunk_ = AllocateAligned(4096, server_->opt_.stream_buffer_bytes);
      if (!chunk_) {
        record_.error = "no memory for the response buffer";
        close_after_ = true;
        return Finish(asio::error::no_memory);
      }
    }
    size_t want = size_t(std::min<uint64_t>(remaining_, server_->opt_.stream_buffer_bytes));
    Result<size_t> n = Result<size_t>(size_t{0});
    try {
      n = res_.source(MutableByteSpan(chunk_.get(), want));
    } catch (...) {
      n = Internal("body source threw");
    }
    if (!n.ok() || *n == 0 || *n > want) {
      // The status line is gone: the only honest signal left is a truncated body.
      record_.error = n.ok() ? "body source ended early" : n.status().ToString();
      close_after_ = true;
      return Finish(asio::error::broken_pipe);
    }
    remaining_ -= *n;
    stream_.expires_after(server_->opt_.write_timeout);
    asio::async_write(stream_, asio::buffer(chunk_.get(), *n),
                      [self = shared_from_this()](beast::error_code ec, size_t written) {
                        self->record_.bytes_out += written;
                        if (ec) return self->Finish(ec);
                        self->Pump();
                      });
  }

  void Finish(beast::error_code ec) {
    record_.duration = Clock::now() - start_;
    if (server_->observer_) server_->observer_(record_);
    res_ = Response{};
    server_->ReturnBodyBuffer(std::move(req_.body));
    req_ = Request{};
    if (ec || close_after_) return Close();
    ReadHeader();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  Request req_;
  Response res_;
  RequestRecord record_;
  const Router::Route* route_ = nullptr;
  Clock::time_point start_;
  std::string head_bytes_;
  AlignedBuffer chunk_;  // streamed body pieces (stream_buffer_bytes), page-aligned
  uint64_t remaining_ = 0;
  bool keep_alive_ = false, head_ = false, close_after_ = false;
  bool idle_ = false;  // waiting for a request's header; touched only on the strand
};

Status HttpServer::Impl::Start() {
  if (started_) return FailedPrecondition("HttpServer::Start called twice");
  beast::error_code ec;
  std::string host = opt_.host == "localhost" ? "127.0.0.1" : opt_.host;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("listen address \"" + opt_.host + "\" is not an IP address");
  tcp::endpoint ep(addr, opt_.port);
  std::string where = opt_.host + ":" + std::to_string(opt_.port);
  acceptor_.open(ep.protocol(), ec);
  if (ec) return IOError("open socket for " + where + ": " + ec.message());
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(ep, ec);
  if (ec) return IOError("bind " + where + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return IOError("listen on " + where + ": " + ec.message());
  port_ = acceptor_.local_endpoint(ec).port();
  started_ = true;
  work_.emplace(ioc_.get_executor());
  Accept();
  int n = opt_.threads > 0 ? opt_.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this] {
      // Handlers use error codes throughout; should a library call still throw, the exception
      // leaves run() and this thread goes back to serving rather than taking the process down.
      while (true) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "castor: http server: unexpected exception: %s\n", e.what());
        }
      }
    });
  }
  return Status::OK();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_),
                         [self = this](beast::error_code ec, tcp::socket socket) {
                           if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) {
                             return;
                           }
                           if (!ec && !self->stopping_ && self->HasRoom()) {
                             auto s = std::make_shared<Session>(std::move(socket), self);
                             self->Register(s.get(), s);
                             s->Begin();
                           } else if (!ec) {
                             beast::error_code ignored;
                             socket.close(ignored);
                           }
                           self->Accept();
                         });
}

void HttpServer::Impl::Register(Session* s, const std::shared_ptr<Session>& sp) {
  std::lock_guard lock(mu_);
  sessions_[s] = sp;
}

void HttpServer::Impl::Unregister(Session* s) {
  std::lock_guard lock(mu_);
  sessions_.erase(s);
  cv_.notify_all();
}

void HttpServer::Impl::Shutdown() {
  std::lock_guard guard(shutdown_mu_);
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  stopping_ = true;
  // Close the acceptor on its strand (Asio objects are not thread-safe).
  std::promise<void> closed;
  asio::post(acceptor_.get_executor(), [this, &closed] {
    beast::error_code ec;
    acceptor_.close(ec);
    closed.set_value();
  });
  closed.get_future().wait();

  auto for_each_session = [this](auto fn) {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(mu_);
      for (auto& [p, w] : sessions_) {
        if (auto s = w.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) fn(*s);
  };
  for_each_session([](Session& s) { s.StopIfIdle(); });
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, opt_.shutdown_grace, [this] { return sessions_.empty(); });
  }
  for_each_session([](Session& s) { s.ForceClose(); });
  work_.reset();
  {
    // Force-closed sessions finish quickly; give them a moment before stopping the loop.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [this] { return sessions_.empty(); });
  }
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

HttpServer::HttpServer(const Router* router, HttpServerOptions options,
                       const Authorizer* authorizer, RequestObserver observer)
    : impl_(std::make_unique<Impl>(router, std::move(options), authorizer, std::move(observer))) {}

HttpServer::~HttpServer() { Shutdown(); }

Status HttpServer::Start() { return impl_->Start(); }
uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace castor::server
