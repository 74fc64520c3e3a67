// Test-only: a minimal blocking HTTP/1.1 client over a raw loopback socket, for tests that must
// control the bytes on the wire (garbage, slow clients, pipelining, connection reuse). Not part of
// the castor_server library (header-only, included by *_test.cc files only).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace castor::server::testing {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class RawConnection {
 public:
  explicit RawConnection(uint16_t port, int timeout_ms = 10000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += size_t(n);
    }
    return true;
  }

  // Reads one response (Content-Length framed; `head` = no body expected). nullopt when the
  // connection closed or timed out before a complete response.
  std::optional<RawResponse> Read(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse r;
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
    while (pos < head_text.size()) {
      size_t e = head_text.find("\r\n", pos);
      if (e == std::string::npos) e = head_text.size();
      std::string line = head_text.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = char(tolower(c));
        size_t v = line.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : line.substr(v);
      }
      pos = e + 2;
    }
    if (r.status == 100) return Read(head);
    size_t len = head ? 0
                      : size_t(std::stoull(
                            r.headers.count("content-length") ? r.headers["content-length"] : "0"));
    while (buf_.size() < len) {
      if (!Fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  // True when the peer closed the connection (reads EOF) within the receive timeout.
  bool ClosedByPeer() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool Fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, size_t(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// One request on a fresh connection.
inline std::optional<RawResponse> RoundTrip(uint16_t port, const std::string& request,
                                            bool head = false) {
  RawConnection c(port);
  if (!c.connected() || !c.Send(request)) return std::nullopt;
  return c.Read(head);
}

}  // namespace castor::server::testing
