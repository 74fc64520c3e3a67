#include "castor/storage/s3/s3_store.h"

#include <atomic>
#include <charconv>

#include "castor/storage/s3/multipart_writer.h"
#include "castor/storage/s3/s3_client.h"
#include "castor/storage/s3/xml.h"

namespace castor::s3 {
namespace {

std::string Unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The ListMultipartUploads answer, with keys relative to the store's prefix.
Result<IncompleteWritePage> ParseUploads(std::string_view xml, std::string_view prefix,
                                         const S3Client& c) {
  auto bad = [&](std::string why) {
    return IOError("s3 list-multipart " + std::string(prefix) + ": " + why);
  };
  if (xml.find("<ListMultipartUploadsResult") == std::string_view::npos)
    return bad("response is not a ListMultipartUploadsResult");
  IncompleteWritePage page;
  for (std::string_view item : XmlElements(xml, "Upload")) {
    auto key = XmlText(item, "Key");
    auto id = XmlText(item, "UploadId");
    if (!key || !id || key->empty() || id->empty()) return bad("malformed <Upload> in response");
    // (credentials.h's parser: whole seconds, as some servers report anyway.)
    auto initiated = ParseIso8601(XmlText(item, "Initiated").value_or(""));
    page.writes.push_back({std::string(c.StoreKey(*key)), *id,
                           initiated.value_or(std::chrono::system_clock::time_point::max())});
  }
  if (XmlText(xml, "IsTruncated").value_or("false") == "true") {
    auto next_key = XmlText(xml, "NextKeyMarker").value_or("");
    auto next_id = XmlText(xml, "NextUploadIdMarker").value_or("");
    if (next_key.empty() && !page.writes.empty()) {
      // Not every server sends the Next*Marker elements: the last entry is the cursor.
      page.next_key = page.writes.back().key;
      page.next_id = page.writes.back().id;
    } else if (next_key.empty()) {
      return bad("truncated page without uploads or a NextKeyMarker");
    } else {
      page.next_key = std::string(c.StoreKey(next_key));
      page.next_id = next_id;
    }
  }
  return page;
}

class S3Store final : public ObjectStore {
 public:
  explicit S3Store(S3Options o) : c_(std::make_shared<S3Client>(std::move(o))) {
    mode_ = c_->options().conditional_put;
  }

  std::string uri() const override { return c_->Describe(); }
  StoreCapabilities capabilities() const override {
    return {.atomic_conditional_put = mode_.load() != ConditionalPutMode::kEmulate,
            .presigned_urls = true,
            .multipart = true,
            .durable = true};
  }

  Status Put(std::string_view key, ByteSpan data) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 put"));
    return PutObject("put", key, data, false).status();
  }

  Result<PutOutcome> PutIfAbsent(std::string_view key, ByteSpan data) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 put-if-absent"));
    if (mode_.load() == ConditionalPutMode::kEmulate) return EmulatedPutIfAbsent(key, data);
    Result<PutOutcome> r = PutObject("put-if-absent", key, data, true);
    if (!r.ok() && r.status().code() == StatusCode::kUnimplemented &&
        c_->options().conditional_put == ConditionalPutMode::kAuto) {
      // The server has no conditional writes (Swift s3api answers 501): from now on, check first.
      mode_.store(ConditionalPutMode::kEmulate);
      return EmulatedPutIfAbsent(key, data);
    }
    return r;
  }

  Result<Bytes> Get(std::string_view key) override {
    Bytes out;
    CASTOR_RETURN_IF_ERROR(ReadRangeImpl("get", key, 0, UINT64_MAX, [&](ByteSpan b) {
      out.insert(out.end(), b.begin(), b.end());
      return Status::OK();
    }));
    return out;
  }

  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    Bytes out;
    CASTOR_RETURN_IF_ERROR(ReadRangeImpl("get-range", key, offset, length, [&](ByteSpan b) {
      out.insert(out.end(), b.begin(), b.end());
      return Status::OK();
    }));
    return out;
  }

  Status ReadRange(std::string_view key, uint64_t offset, uint64_t length,
                   const ByteSink& sink) override {
    return ReadRangeImpl("read", key, offset, length, sink);
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 head"));
    S3Call call("head", std::string(key), "HEAD");
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status != 200) return c_->Error(call, r);
    auto size = ParseU64(r.header("Content-Length"));
    if (!size) return IOError("s3 head " + std::string(key) + ": response has no Content-Length");
    return ObjectInfo{std::string(key), *size, Unquote(r.header("ETag"))};
  }

  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t max) override {
    if (max == 0) return InvalidArgument("s3 list: max must be at least 1");
    S3Call call("list", "", "GET");
    call.bucket_level = true;
    call.query = {{"list-type", "2"},
                  {"prefix", c_->ObjectKey(prefix)},
                  {"max-keys", std::to_string(std::min<size_t>(max, 1000))}};
    if (!start_after.empty()) call.query.emplace_back("start-after", c_->ObjectKey(start_after));
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status != 200) return c_->Error(call, r);
    ListPage page;
    for (std::string_view item : XmlElements(r.body_text(), "Contents")) {
      auto key = XmlText(item, "Key");
      auto size = XmlText(item, "Size");
      if (!key || !size || !ParseU64(*size))
        return IOError("s3 list " + std::string(prefix) + ": malformed <Contents> in response");
      page.objects.push_back({std::string(c_->StoreKey(*key)), *ParseU64(*size),
                              Unquote(XmlText(item, "ETag").value_or(""))});
    }
    if (XmlText(r.body_text(), "IsTruncated").value_or("false") == "true" && !page.objects.empty())
      page.next_start_after = page.objects.back().key;
    return page;
  }

  Status Delete(std::string_view key) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 delete"));
    S3Call call("delete", std::string(key), "DELETE");
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status / 100 == 2 || r.status == 404) return Status::OK();
    return c_->Error(call, r);
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key,
                                                  const WriterOptions& options) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 new-writer"));
    WriterOptions wo = options;
    if (wo.part_size == WriterOptions{}.part_size) wo.part_size = c_->options().part_size;
    if (wo.parallelism == WriterOptions{}.parallelism) wo.parallelism = c_->options().parallelism;
    return NewMultipartWriter(c_, this, std::string(key), wo);
  }

  Result<std::string> PresignGet(std::string_view key, std::chrono::seconds ttl) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 presign"));
    return c_->PresignGet(key, ttl);
  }

  // ListMultipartUploads. S3 pages by (key-marker, upload-id-marker); servers that ignore
  // max-uploads (moto) answer everything at once with IsTruncated false, which is fine too.
  Result<IncompleteWritePage> ListIncompleteWrites(std::string_view prefix,
                                                   std::string_view after_key,
                                                   std::string_view after_id, size_t max) override {
    if (max == 0)
      return InvalidArgument("s3 list-multipart " + std::string(prefix) +
                             ": max must be at least 1");
    S3Call call("list-multipart", std::string(prefix), "GET");
    call.bucket_level = true;
    call.query = {{"uploads", ""},
                  {"prefix", c_->ObjectKey(prefix)},
                  {"max-uploads", std::to_string(std::min<size_t>(max, 1000))}};
    if (!after_key.empty()) call.query.emplace_back("key-marker", c_->ObjectKey(after_key));
    // S3 ignores upload-id-marker without key-marker.
    if (!after_key.empty() && !after_id.empty())
      call.query.emplace_back("upload-id-marker", std::string(after_id));
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status != 200) return c_->Error(call, r);
    return ParseUploadsPage(r.body_text(), prefix);
  }

  Status AbortIncompleteWrite(std::string_view key, std::string_view id) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 abort-multipart"));
    if (id.empty())
      return InvalidArgument("s3 abort-multipart " + std::string(key) + ": no upload id");
    S3Call call("abort-multipart", std::string(key), "DELETE");
    call.query = {{"uploadId", std::string(id)}};
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status / 100 == 2) return Status::OK();
    // 404 NoSuchUpload: already aborted or completed (or a retry of an abort that arrived).
    return c_->Error(call, r);
  }

 private:
  Result<IncompleteWritePage> ParseUploadsPage(std::string_view xml, std::string_view prefix) {
    return ParseUploads(xml, prefix, *c_);
  }

  Result<PutOutcome> PutObject(std::string op, std::string_view key, ByteSpan data,
                               bool if_absent) {
    S3Call call(std::move(op), std::string(key), "PUT");
    call.body = data;
    call.large = data.size() > (8u << 20);
    if (if_absent) call.headers.emplace_back("If-None-Match", "*");
    CASTOR_ASSIGN_OR_RETURN(http::Response r, c_->Send(call));
    if (r.status == 200) return PutOutcome::kCreated;
    // 412: the key exists. 409 ConditionalRequestConflict: a concurrent conditional write of
    // the same key is in flight; for content-addressed keys it is the same object.
    if (if_absent && (r.status == 412 || r.status == 409)) return PutOutcome::kAlreadyExisted;
    return c_->Error(call, r);
  }

  Result<PutOutcome> EmulatedPutIfAbsent(std::string_view key, ByteSpan data) {
    Result<ObjectInfo> h = Head(key);
    if (h.ok()) return PutOutcome::kAlreadyExisted;
    if (h.status().code() != StatusCode::kNotFound) return h.status();
    return PutObject("put-if-absent", key, data, false);
  }

  // GET with Range, streamed to sink; resumes after a dropped connection from the first byte not
  // yet delivered, pinned to the same object version with If-Match.
  Status ReadRangeImpl(std::string op, std::string_view key, uint64_t offset, uint64_t length,
                       const ByteSink& sink) {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3 " + op));
    if (length == 0) {
      CASTOR_ASSIGN_OR_RETURN(ObjectInfo info, Head(key));
      if (offset > info.size) return OutOfRangeError(op, key, offset, info.size);
      return Status::OK();
    }
    uint64_t delivered = 0;
    std::string etag;
    for (int attempt = 0;; ++attempt) {
      S3Call call(op, std::string(key), "GET");
      call.large = true;
      uint64_t from = offset + delivered;
      uint64_t left = length == UINT64_MAX ? UINT64_MAX : length - delivered;
      if (from != 0 || left != UINT64_MAX) {
        std::string range = "bytes=" + std::to_string(from) + "-";
        if (left != UINT64_MAX && UINT64_MAX - from >= left)
          range += std::to_string(from + left - 1);
        call.headers.emplace_back("Range", range);
      }
      if (!etag.empty()) call.headers.emplace_back("If-Match", "\"" + etag + "\"");
      uint64_t got = 0;
      bool sink_failed = false;  // the caller's error ends the read: never retried
      http::BodySink counting = [&](ByteSpan b) -> Status {
        if (left != UINT64_MAX && got + b.size() > left) {
          sink_failed = true;
          return IOError("s3 " + op + " " + std::string(key) + ": server sent more than the range");
        }
        Status st = sink(b);
        if (!st.ok()) {
          sink_failed = true;
          return st;
        }
        got += b.size();
        return st;
      };
      Result<http::Response> r = c_->SendOnce(call, &counting);
      bool last = attempt >= c_->options().max_retries;
      if (r.ok()) {
        if (r->status == 200 || r->status == 206) {
          if (etag.empty()) etag = Unquote(r->header("ETag"));
          delivered += got;
          // A short body without a transport error (the server closed cleanly): resume.
          auto expected = ParseU64(r->header("Content-Length"));
          if (!expected || got == *expected) return Status::OK();
          if (last)
            return IOError("s3 " + op + " " + std::string(key) + ": body ended after " +
                           std::to_string(got) + " of " + std::to_string(*expected) + " bytes");
        } else if (r->status == 416) {
          // Past the end; offset == size is an empty read, as the interface promises.
          CASTOR_ASSIGN_OR_RETURN(ObjectInfo info, Head(key));
          if (from == info.size) return Status::OK();
          return OutOfRangeError(op, key, from, info.size);
        } else if (r->status == 412 && !etag.empty()) {
          return Aborted(op, key, "the object changed while it was being read");
        } else if (last || !S3Client::Retryable(*r)) {
          return c_->Error(call, *r);
        }
      } else {
        delivered += got;
        if (sink_failed || last || !S3Client::Retryable(r.status())) return r.status();
      }
      c_->Backoff(attempt);
    }
  }

  Status OutOfRangeError(const std::string& op, std::string_view key, uint64_t offset,
                         uint64_t size) {
    return OutOfRange("s3 " + op + " " + std::string(key) + ": offset " + std::to_string(offset) +
                      " is past the end (" + std::to_string(size) + " bytes)");
  }
  Status Aborted(const std::string& op, std::string_view key, std::string why) {
    return FailedPrecondition("s3 " + op + " " + std::string(key) + ": " + why);
  }

  std::shared_ptr<S3Client> c_;
  std::atomic<ConditionalPutMode> mode_;
};

bool ParseBool(std::string_view v) { return v == "1" || v == "true" || v == "yes"; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out.push_back(char(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Result<S3Options> ParseS3Uri(std::string_view uri) {
  auto bad = [&](std::string why) {
    return InvalidArgument("s3 URI " + std::string(uri.substr(0, uri.find('?'))) + ": " + why);
  };
  if (!uri.starts_with("s3://")) return bad("must start with s3://");
  std::string_view rest = uri.substr(5);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  S3Options o;
  auto slash = rest.find('/');
  o.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) o.prefix = std::string(rest.substr(slash + 1));
  while (!o.prefix.empty() && o.prefix.back() == '/') o.prefix.pop_back();
  if (o.bucket.size() < 3 || o.bucket.size() > 63)
    return bad("bucket name must be 3-63 characters");
  for (char c : o.bucket)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      return bad("bucket name may hold only a-z, 0-9, '-' and '.'");
  if (!o.prefix.empty()) CASTOR_RETURN_IF_ERROR(ValidateKey(o.prefix).WithContext("s3 URI prefix"));

  EnvLookup env = ProcessEnv();
  bool region_set = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    std::string k(kv.substr(0, eq));
    std::string v = eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1));
    auto num = [&](uint64_t lo, uint64_t hi) -> Result<uint64_t> {
      auto n = ParseU64(v);
      if (!n || *n < lo || *n > hi)
        return bad(k + "=" + v + " must be a number in " + std::to_string(lo) + ".." +
                   std::to_string(hi));
      return *n;
    };
    if (k == "region") {
      o.region = v;
      region_set = true;
    } else if (k == "endpoint") {
      if (!v.starts_with("http://") && !v.starts_with("https://"))
        return bad("endpoint must start with http:// or https://");
      while (!v.empty() && v.back() == '/') v.pop_back();
      o.endpoint = v;
    } else if (k == "path_style") {
      o.path_style = ParseBool(v);
    } else if (k == "profile") {
      o.profile = v;
    } else if (k == "unsigned_payload") {
      o.unsigned_payload = ParseBool(v);
    } else if (k == "conditional_put") {
      if (v == "auto")
        o.conditional_put = ConditionalPutMode::kAuto;
      else if (v == "native")
        o.conditional_put = ConditionalPutMode::kNative;
      else if (v == "emulate")
        o.conditional_put = ConditionalPutMode::kEmulate;
      else
        return bad("conditional_put must be auto, native or emulate");
    } else if (k == "part_size") {
      CASTOR_ASSIGN_OR_RETURN(o.part_size, num(5ull << 20, 5ull << 30));
    } else if (k == "parallelism") {
      CASTOR_ASSIGN_OR_RETURN(uint64_t n, num(1, 256));
      o.parallelism = int(n);
    } else if (k == "max_retries") {
      CASTOR_ASSIGN_OR_RETURN(uint64_t n, num(0, 100));
      o.max_retries = int(n);
    } else if (k == "timeout_s") {
      CASTOR_ASSIGN_OR_RETURN(uint64_t n, num(1, 86400));
      o.request_timeout = std::chrono::seconds(n);
    } else if (k == "stall_timeout_s") {
      CASTOR_ASSIGN_OR_RETURN(uint64_t n, num(1, 86400));
      o.stall_timeout = std::chrono::seconds(n);
    } else if (k == "retry_base_ms") {
      CASTOR_ASSIGN_OR_RETURN(uint64_t n, num(1, 60000));
      o.retry_base_delay = std::chrono::milliseconds(n);
    } else {
      return bad("unknown option '" + k + "'");
    }
  }
  if (!region_set) {
    if (auto r = env("AWS_REGION"); r && !r->empty())
      o.region = *r;
    else if (auto r2 = env("AWS_DEFAULT_REGION"); r2 && !r2->empty())
      o.region = *r2;
    else if (auto r3 = ProfileRegion(env, o.profile))
      o.region = *r3;
  }
  if (o.endpoint.empty()) {
    if (auto e = env("AWS_ENDPOINT_URL_S3"); e && !e->empty())
      o.endpoint = *e;
    else if (auto e2 = env("AWS_ENDPOINT_URL"); e2 && !e2->empty())
      o.endpoint = *e2;
  }
  return o;
}

Result<std::unique_ptr<ObjectStore>> NewS3Store(S3Options options) {
  if (options.bucket.empty()) return InvalidArgument("s3 store: no bucket");
  if (options.part_size < (5ull << 20) || options.part_size > (5ull << 30))
    return InvalidArgument("s3 store: part_size must be 5 MiB .. 5 GiB");
  if (!options.http) options.http = http::NewCurlHttpClient();
  if (!options.credentials) {
    CredentialChainOptions co;
    co.profile = options.profile;
    co.http = options.http;
    options.credentials = NewDefaultCredentialChain(std::move(co));
  }
  return std::unique_ptr<ObjectStore>(std::make_unique<S3Store>(std::move(options)));
}

}  // namespace castor::s3

namespace castor {
Result<std::unique_ptr<ObjectStore>> OpenS3Store(std::string_view uri) {
  CASTOR_ASSIGN_OR_RETURN(s3::S3Options o, s3::ParseS3Uri(uri));
  return s3::NewS3Store(std::move(o));
}
}  // namespace castor
