// Test-only: a small libcurl wrapper for tests that want a real, independent HTTP client
// (keep-alive reuse, Expect: 100-continue, multi-range). Header-only; used by *_test.cc files.
#pragma once

#include <curl/curl.h>

#include <map>
#include <string>
#include <vector>

namespace castor::server::testing {

struct CurlResult {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased, last value wins
  long new_connections = 0;                    // CURLINFO_NUM_CONNECTS
  CURLcode code = CURLE_OK;
};

// Reusable handle: consecutive Perform() calls share its connection cache (keep-alive).
class CurlClient {
 public:
  CurlClient() { h_ = curl_easy_init(); }
  ~CurlClient() { curl_easy_cleanup(h_); }
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  CurlResult Perform(const std::string& method, const std::string& url,
                     const std::vector<std::string>& headers = {},
                     const std::string* body = nullptr) {
    CurlResult r;
    curl_easy_reset(h_);
    curl_easy_setopt(h_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h_, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, &Write);
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h_, CURLOPT_HEADERFUNCTION, &Header);
    curl_easy_setopt(h_, CURLOPT_HEADERDATA, &r.headers);
    if (method == "HEAD") {
      curl_easy_setopt(h_, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(h_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (body) {
      curl_easy_setopt(h_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(h_, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body->size()));
    }
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(h_, CURLOPT_HTTPHEADER, list);
    r.code = curl_easy_perform(h_);
    curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(h_, CURLINFO_NUM_CONNECTS, &r.new_connections);
    curl_slist_free_all(list);
    return r;
  }

 private:
  static size_t Write(char* p, size_t s, size_t n, void* ud) {
    static_cast<std::string*>(ud)->append(p, s * n);
    return s * n;
  }
  static size_t Header(char* p, size_t s, size_t n, void* ud) {
    std::string line(p, s * n);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = char(tolower(c));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
      (*static_cast<std::map<std::string, std::string>*>(ud))[name] = value;
    }
    return s * n;
  }
  CURL* h_;
};

}  // namespace castor::server::testing
