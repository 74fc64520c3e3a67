// libcurl implementation of HttpClient: a pool of easy handles (each keeps its connections alive),
// borrowed by one Send() at a time.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "castor/http/http_client.h"

namespace castor::http {
namespace {

// The prefix of a failed name lookup's error (IsNameResolutionFailure looks for it).
constexpr std::string_view kNameResolutionFailure = "http: cannot resolve host: ";

constexpr size_t kMaxErrorBody = 1 << 20;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// State of one transfer, shared with libcurl's callbacks.
struct Transfer {
  const Request* request = nullptr;
  const BodySink* sink = nullptr;
  Response response;
  uint64_t sent = 0;
  Status callback_error;  // an error from a source or sink, which takes precedence
  bool status_seen = false;
  // Stall detection: the last time the byte counts moved.
  curl_off_t last_bytes = -1;
  std::chrono::steady_clock::time_point last_progress = std::chrono::steady_clock::now();
  bool stalled = false;
};

// libcurl calls this at least once a second, even when nothing moves. (CURLOPT_LOW_SPEED_*
// averages over several seconds, which lets a burst hide a stall.)
int OnProgress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  auto now = std::chrono::steady_clock::now();
  if (dlnow + ulnow != t->last_bytes) {
    t->last_bytes = dlnow + ulnow;
    t->last_progress = now;
    return 0;
  }
  if (now - t->last_progress > t->request->stall_timeout) {
    t->stalled = true;
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new status line (after 100 Continue or a redirect): forget earlier headers.
    t->response.headers.clear();
    auto sp = line.find(' ');
    t->response.status =
        sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    t->status_seen = true;
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                     std::string(Trim(line.substr(colon + 1))));
  }
  return size * n;
}

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  int status = t->response.status;
  if (t->sink != nullptr && status >= 200 && status < 300) {
    Status st = (*t->sink)(ByteSpan(reinterpret_cast<const uint8_t*>(data), len));
    if (!st.ok()) {
      t->callback_error = std::move(st);
      return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
    }
    return len;
  }
  Bytes& body = t->response.body;
  if (t->sink != nullptr && body.size() >= kMaxErrorBody) return len;  // keep the head only
  body.insert(body.end(), data, data + len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t want = size * n;
  const Request& r = *t->request;
  if (r.body_source) {
    uint64_t left = r.body_size - t->sent;
    if (left == 0) return 0;
    want = static_cast<size_t>(std::min<uint64_t>(want, left));
    Result<size_t> got = r.body_source(MutableByteSpan(reinterpret_cast<uint8_t*>(buf), want));
    if (!got.ok()) {
      t->callback_error = got.status();
      return CURL_READFUNC_ABORT;
    }
    if (*got == 0 || *got > want) {
      t->callback_error = Internal("http: body source ended after " + std::to_string(t->sent) +
                                   " of " + std::to_string(r.body_size) + " bytes");
      return CURL_READFUNC_ABORT;
    }
    t->sent += *got;
    return *got;
  }
  size_t left = r.body.size() - t->sent;
  size_t take = std::min(want, left);
  std::memcpy(buf, r.body.data() + t->sent, take);
  t->sent += take;
  return take;
}

// Rewinds an in-memory body when libcurl must resend it (a reused connection that turned out to
// be closed). Streaming bodies cannot be rewound.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->body_source) return CURL_SEEKFUNC_CANTSEEK;
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->request->body.size())
    return CURL_SEEKFUNC_FAIL;
  t->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options) : options_(std::move(options)) { GlobalInitOnce(); }
  ~CurlHttpClient() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Result<Response> Send(const Request& request) override { return Run(request, nullptr); }
  Result<Response> Send(const Request& request, const BodySink& sink) override {
    return Run(request, &sink);
  }

 private:
  CURL* Borrow() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Return(CURL* h) {
    std::lock_guard lock(mu_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_handles) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

  Result<Response> Run(const Request& request, const BodySink* sink);

  CurlOptions options_;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

Result<Response> CurlHttpClient::Run(const Request& request, const BodySink* sink) {
  CURL* h = Borrow();
  if (h == nullptr) return Internal("http: curl_easy_init failed");
  // Options persist on a reused handle; reset them but keep its connections and caches.
  curl_easy_reset(h);

  Transfer t;
  t.request = &request;
  t.sink = sink;
  const bool has_body = request.body_source ? true : !request.body.empty();
  const uint64_t body_size = request.body_source ? request.body_size : request.body.size();

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, options_.receive_buffer_bytes);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, options_.upload_buffer_bytes);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  if (request.timeout.count() > 0)
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  if (request.stall_timeout.count() > 0) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (!options_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (!options_.verify_tls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  const std::string& m = request.method;
  if (m == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (m == "GET" && !has_body) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (m == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
  } else if (has_body || m == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    if (m != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  if (has_body || m == "PUT" || m == "POST") {
    curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
  }

  curl_slist* list = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    list = curl_slist_append(list, line.c_str());
  }
  // libcurl would otherwise add "Expect: 100-continue" (a round trip per upload) and a form
  // Content-Type to POSTs; neither is part of what callers sign.
  list = curl_slist_append(list, "Expect:");
  if (!has_content_type && m == "POST") list = curl_slist_append(list, "Content-Type:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);

  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);

  if (rc != CURLE_OK) {
    // A failed transfer may leave its connection in an unknown state; drop the handle.
    curl_easy_cleanup(h);
    if (!t.callback_error.ok()) return t.callback_error;
    // Never put a presigned URL's signature or token into an error message.
    std::string url = request.url;
    if (url.find("X-Amz-") != std::string::npos) url = url.substr(0, url.find('?')) + "?<signed>";
    std::string what = request.method + " " + url + ": " +
                       (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc));
    if (t.stalled)
      return DeadlineExceeded("http: " + request.method + " " + url + ": no data moved for " +
                              std::to_string(request.stall_timeout.count()) + " ms");
    if (rc == CURLE_OPERATION_TIMEDOUT) return DeadlineExceeded("http: " + what);
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) {
      return Unavailable(std::string(kNameResolutionFailure) + what);
    }
    return Unavailable("http: " + what);
  }
  Return(h);
  return std::move(t.response);
}

}  // namespace

bool IsNameResolutionFailure(const Status& s) {
  return s.code() == StatusCode::kUnavailable &&
         s.message().find(kNameResolutionFailure) != std::string::npos;
}

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (EqualsIgnoreCase(n, name)) return v;
  return {};
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace castor::http
