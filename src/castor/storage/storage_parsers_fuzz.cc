// libFuzzer target for everything in storage/ and http/ that parses untrusted text: object keys,
// s3:// URIs, S3 XML responses, AWS INI files, ISO 8601 times, Content-Range and
// multipart/byteranges bodies, ListMultipartUploads pages (followed to the end). The first byte
// picks the parser. None may crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "castor/http/byteranges.h"
#include "castor/storage/object_store.h"
#include "castor/storage/s3/credentials.h"
#include "castor/storage/s3/s3_store.h"
#include "castor/storage/s3/xml.h"

namespace {

// Answers every request with the same 200 body: a listing whose cursor never advances must end.
class CannedHttp final : public castor::http::HttpClient {
 public:
  std::string body;
  castor::Result<castor::http::Response> Send(const castor::http::Request&) override {
    castor::http::Response r;
    r.status = 200;
    r.body.assign(body.begin(), body.end());
    return r;
  }
  castor::Result<castor::http::Response> Send(const castor::http::Request& req,
                                              const castor::http::BodySink& sink) override {
    auto r = Send(req);
    if (r.ok()) (void)sink(r->body);
    return r;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string s(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      // A key that passes must not be able to leave the root of a directory store.
      if (castor::ValidateKey(s).ok()) {
        if (s.front() == '/' || s.find('\0') != std::string::npos) __builtin_trap();
        size_t start = 0;
        for (;;) {
          size_t end = s.find('/', start);
          std::string seg =
              s.substr(start, end == std::string::npos ? std::string::npos : end - start);
          if (seg.empty() || seg == "." || seg == "..") __builtin_trap();
          if (end == std::string::npos) break;
          start = end + 1;
        }
      }
      break;
    }
    case 1:
      (void)castor::s3::ParseS3Uri("s3://" + s);
      break;
    case 2:
      for (auto& e : castor::s3::XmlElements(s, "Contents")) (void)castor::s3::XmlText(e, "Key");
      (void)castor::s3::XmlUnescape(s);
      break;
    case 3:
      (void)castor::s3::IniValue(s, "default", "aws_access_key_id");
      break;
    case 4:
      (void)castor::s3::ParseIso8601(s);
      break;
    case 5:
      (void)castor::http::ParseContentRange(s);
      break;
    case 6: {
      castor::http::Response r;
      r.status = 206;
      r.headers = {{"Content-Type", "multipart/byteranges; boundary=B"}};
      r.body.assign(s.begin(), s.end());
      (void)castor::http::SplitRangeResponse(r);
      break;
    }
    case 7: {
      auto http = std::make_shared<CannedHttp>();
      http->body = s;
      castor::s3::S3Options o;
      o.bucket = "fuzz";
      o.prefix = "p";
      o.http = http;
      o.credentials = castor::s3::NewStaticCredentials({"AK", "SK", "", {}});
      auto store = castor::s3::NewS3Store(std::move(o));
      if (store.ok()) (void)castor::ListAllIncompleteWrites(**store, "x/", 3);
      break;
    }
  }
  return 0;
}
