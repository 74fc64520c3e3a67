// S3Client: the request layer under the S3 store and its multipart writer: URL building
// (path-style or virtual-hosted), SigV4 signing, retries with backoff and jitter, and turning S3
// error responses into Status values that name the operation, the key and the S3 error code.
// Safe for concurrent use.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "castor/http/http_client.h"
#include "castor/storage/s3/s3_store.h"

namespace castor::s3 {

struct S3Call {
  S3Call(std::string op_, std::string key_, std::string method_)
      : op(std::move(op_)), key(std::move(key_)), method(std::move(method_)) {}
  std::string op;   // "put", "get", "list", "upload-part", ... (for messages)
  std::string key;  // the store key (messages; the object path unless bucket_level)
  std::string method;
  bool bucket_level = false;  // a request on the bucket itself (ListObjectsV2)
  std::vector<std::pair<std::string, std::string>> query;  // not encoded
  http::Headers headers;
  ByteSpan body;       // borrowed
  bool large = false;  // a big body either way: police by stall timeout only
};

class S3Client {
 public:
  explicit S3Client(S3Options options);

  const S3Options& options() const { return o_; }
  // "s3://bucket/prefix?endpoint=...": no secrets.
  std::string Describe() const;

  // Sends with retries on connection errors, 5xx, 429 and SlowDown; returns the last response
  // whatever its status (map non-2xx with Error()) or the last transport error.
  Result<http::Response> Send(const S3Call& call);
  // One attempt, streaming a 2xx body into `sink` (no retry: the caller resumes, see ReadRange).
  Result<http::Response> SendOnce(const S3Call& call, const http::BodySink* sink);

  // The Status for a non-2xx response: "s3 get models/a: HTTP 404 NoSuchKey: The specified key
  // does not exist." with a code that fits (NotFound, PermissionDenied, Unauthenticated, ...).
  Status Error(const S3Call& call, const http::Response& response) const;
  // Transport errors with the call's context.
  Status WithContext(const S3Call& call, const Status& st) const;

  // Whether a response or transport error is worth another attempt.
  static bool Retryable(const http::Response& response);
  static bool Retryable(const Status& st);
  // Sleeps before retry `attempt` (0-based): uniform in [0, min(max, base * 2^attempt)].
  void Backoff(int attempt) const;

  std::string ObjectKey(std::string_view key) const;             // prefix + "/" + key
  std::string_view StoreKey(std::string_view object_key) const;  // the inverse
  const std::string& key_prefix() const { return key_prefix_; }  // "prefix/" or ""

  Result<std::string> PresignGet(std::string_view key, std::chrono::seconds ttl);

 private:
  struct Target {
    std::string url, host, path;
  };
  Target TargetOf(const S3Call& call) const;
  Result<http::Request> Build(const S3Call& call, bool force_refresh);

  S3Options o_;
  std::string scheme_, endpoint_host_;  // "http", "127.0.0.1:5000"
  std::string key_prefix_;
};

}  // namespace castor::s3
