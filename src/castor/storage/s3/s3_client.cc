#include "castor/storage/s3/s3_client.h"

#include <random>
#include <thread>

#include "castor/storage/s3/sigv4.h"
#include "castor/storage/s3/xml.h"

namespace castor::s3 {

S3Client::S3Client(S3Options options) : o_(std::move(options)) {
  std::string ep = o_.endpoint.empty() ? "https://s3." + o_.region + ".amazonaws.com" : o_.endpoint;
  auto colon = ep.find("://");
  scheme_ = ep.substr(0, colon);
  endpoint_host_ = ep.substr(colon + 3);
  if (auto slash = endpoint_host_.find('/'); slash != std::string::npos)
    endpoint_host_.resize(slash);
  // The Host header omits the scheme's default port; so must the signature.
  if ((scheme_ == "http" && endpoint_host_.ends_with(":80")) ||
      (scheme_ == "https" && endpoint_host_.ends_with(":443")))
    endpoint_host_.resize(endpoint_host_.rfind(':'));
  if (!o_.prefix.empty()) key_prefix_ = o_.prefix + "/";
}

std::string S3Client::Describe() const {
  std::string s = "s3://" + o_.bucket + (o_.prefix.empty() ? "" : "/" + o_.prefix);
  if (!o_.endpoint.empty()) s += "?endpoint=" + o_.endpoint;
  return s;
}

std::string S3Client::ObjectKey(std::string_view key) const {
  return key_prefix_ + std::string(key);
}

std::string_view S3Client::StoreKey(std::string_view object_key) const {
  if (object_key.starts_with(key_prefix_)) object_key.remove_prefix(key_prefix_.size());
  return object_key;
}

S3Client::Target S3Client::TargetOf(const S3Call& call) const {
  std::string obj = call.bucket_level ? "" : http::UriEncode(ObjectKey(call.key), true);
  Target t;
  if (o_.path_style) {
    t.host = endpoint_host_;
    t.path = "/" + o_.bucket + (call.bucket_level ? "" : "/" + obj);
  } else {
    t.host = o_.bucket + "." + endpoint_host_;
    t.path = "/" + obj;
  }
  t.url = scheme_ + "://" + t.host + t.path;
  return t;
}

Result<http::Request> S3Client::Build(const S3Call& call, bool force_refresh) {
  Result<Credentials> got = o_.credentials->Get(force_refresh);
  if (!got.ok()) return WithContext(call, got.status());
  const Credentials& creds = *got;
  Target t = TargetOf(call);
  SigningRequest sr;
  sr.method = call.method;
  sr.host = t.host;
  sr.path = t.path;
  sr.query = call.query;
  sr.headers = call.headers;
  sr.payload_hash = o_.unsigned_payload ? std::string(kUnsignedPayload) : PayloadHash(call.body);
  http::Request r;
  r.method = call.method;
  r.url = t.url;
  if (!call.query.empty()) r.url += "?" + CanonicalQuery(call.query);
  r.headers = call.headers;
  for (auto& h : SignHeaders(sr, creds, o_.region, std::chrono::system_clock::now()))
    r.headers.push_back(std::move(h));
  r.body = call.body;
  r.stall_timeout = o_.stall_timeout;
  if (!call.large) r.timeout = o_.request_timeout;
  return r;
}

bool S3Client::Retryable(const http::Response& r) {
  if (r.status >= 500 || r.status == 429) return r.status != 501;
  if (r.status == 400) {
    auto code = XmlText(r.body_text(), "Code");
    return code && (*code == "RequestTimeout" || *code == "SlowDown");
  }
  return false;
}

bool S3Client::Retryable(const Status& st) {
  return st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kDeadlineExceeded;
}

void S3Client::Backoff(int attempt) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t cap = o_.retry_base_delay.count() << std::min(attempt, 20);
  cap = std::min<int64_t>(cap, o_.retry_max_delay.count());
  std::uniform_int_distribution<int64_t> d(0, std::max<int64_t>(cap, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(d(rng)));
}

Result<http::Response> S3Client::SendOnce(const S3Call& call, const http::BodySink* sink) {
  CASTOR_ASSIGN_OR_RETURN(http::Request r, Build(call, false));
  Result<http::Response> resp = sink ? o_.http->Send(r, *sink) : o_.http->Send(r);
  if (!resp.ok()) return WithContext(call, resp.status());
  return resp;
}

Result<http::Response> S3Client::Send(const S3Call& call) {
  bool refreshed = false;
  for (int attempt = 0;; ++attempt) {
    CASTOR_ASSIGN_OR_RETURN(http::Request r, Build(call, false));
    Result<http::Response> resp = o_.http->Send(r);
    bool last = attempt >= o_.max_retries;
    if (!resp.ok()) {
      if (last || !Retryable(resp.status())) return WithContext(call, resp.status());
    } else {
      if (!refreshed && (resp->status == 400 || resp->status == 403)) {
        auto code = XmlText(resp->body_text(), "Code");
        if (code && (*code == "ExpiredToken" || *code == "TokenRefreshRequired")) {
          // Temporary credentials ran out early: fetch new ones once, right away.
          refreshed = true;
          CASTOR_RETURN_IF_ERROR(o_.credentials->Get(true).status());
          --attempt;
          continue;
        }
      }
      if (last || !Retryable(*resp)) return resp;
    }
    Backoff(attempt);
  }
}

Status S3Client::WithContext(const S3Call& call, const Status& st) const {
  return Status(st.code(), "s3 " + call.op + " " + call.key + ": " + st.message());
}

Status S3Client::Error(const S3Call& call, const http::Response& resp) const {
  std::string code = XmlText(resp.body_text(), "Code").value_or("");
  std::string message = XmlText(resp.body_text(), "Message").value_or("");
  if (code.empty()) {
    switch (resp.status) {  // HEAD responses have no body to name the error
      case 403:
        code = "AccessDenied";
        break;
      case 404:
        code = call.bucket_level ? "NoSuchBucket" : "NoSuchKey";
        break;
      case 412:
        code = "PreconditionFailed";
        break;
      case 416:
        code = "InvalidRange";
        break;
      case 501:
        code = "NotImplemented";
        break;
      case 503:
        code = "SlowDown";
        break;
      default:
        code = "HTTP" + std::to_string(resp.status);
    }
  }
  std::string text = "s3 " + call.op + " " + (call.key.empty() ? Describe() : call.key) +
                     ": HTTP " + std::to_string(resp.status) + " " + code +
                     (message.empty() ? "" : ": " + message);
  if (code == "NoSuchBucket") text += " (bucket " + o_.bucket + ")";
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || code == "ExpiredToken")
    return Unauthenticated(text + " (credentials from " + o_.credentials->source() + ")");
  switch (resp.status) {
    case 400:
      return InvalidArgument(text);
    case 401:
      return Unauthenticated(text);
    case 403:
      return PermissionDenied(text);
    case 404:
      return NotFound(text);
    case 409:
      return FailedPrecondition(text);
    case 412:
      return FailedPrecondition(text);
    case 416:
      return OutOfRange(text);
    case 429:
      return ResourceExhausted(text);
    case 501:
      return Unimplemented(text);
    default:
      if (resp.status >= 500) return Unavailable(text);
      return IOError(text);
  }
}

Result<std::string> S3Client::PresignGet(std::string_view key, std::chrono::seconds ttl) {
  if (ttl.count() < 1 || ttl.count() > 7 * 24 * 3600)
    return InvalidArgument("s3 presign " + std::string(key) + ": ttl must be 1 s .. 7 days");
  CASTOR_ASSIGN_OR_RETURN(Credentials creds, o_.credentials->Get(false));
  S3Call call("presign", std::string(key), "GET");
  Target t = TargetOf(call);
  SigningRequest sr;
  sr.method = "GET";
  sr.host = t.host;
  sr.path = t.path;
  return t.url + "?" + PresignQuery(sr, creds, o_.region, std::chrono::system_clock::now(), ttl);
}

}  // namespace castor::s3
