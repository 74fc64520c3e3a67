// The S3 ObjectStore: any S3-compatible service (AWS, MinIO, Ceph, Swift s3api, moto) through
// SigV4-signed requests over an HttpClient.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "castor/http/http_client.h"
#include "castor/storage/object_store.h"
#include "castor/storage/s3/credentials.h"

namespace castor::s3 {

enum class ConditionalPutMode {
  kAuto,     // try If-None-Match: *; on 501 NotImplemented switch to kEmulate for this store
  kNative,   // always If-None-Match: * (a 501 is an error)
  kEmulate,  // HEAD, then PUT if absent (not atomic: fine for content-addressed keys)
};

struct S3Options {
  std::string bucket;
  std::string prefix;  // keys are stored under "<prefix>/" (no leading or trailing '/')
  std::string region = "us-east-1";
  // "http://127.0.0.1:5000"; empty = https://s3.<region>.amazonaws.com.
  std::string endpoint;
  // Path-style URLs (endpoint/bucket/key) instead of virtual-hosted (bucket.endpoint/key).
  bool path_style = false;
  // Send UNSIGNED-PAYLOAD instead of the body's SHA-256 (saves one hash pass per byte).
  bool unsigned_payload = true;
  ConditionalPutMode conditional_put = ConditionalPutMode::kAuto;
  // Writer defaults (WriterOptions values take precedence when set by the caller).
  uint64_t part_size = 16ull << 20;
  int parallelism = 4;
  // Retries after the first attempt, with exponential backoff and full jitter.
  int max_retries = 6;
  std::chrono::milliseconds retry_base_delay{100};
  std::chrono::milliseconds retry_max_delay{8000};
  // Limit for requests without a large body (HEAD, DELETE, list, small PUTs).
  std::chrono::milliseconds request_timeout{60'000};
  // No byte moving for this long fails an attempt (and retries it).
  std::chrono::milliseconds stall_timeout{30'000};
  std::string profile;  // AWS profile for the credential chain

  std::shared_ptr<http::HttpClient> http;           // default: a new curl client
  std::shared_ptr<CredentialProvider> credentials;  // default: the AWS chain
};

Result<std::unique_ptr<ObjectStore>> NewS3Store(S3Options options);

// Parses s3://bucket[/prefix][?region=..&endpoint=..&path_style=1&profile=..&unsigned_payload=0|1
// &conditional_put=auto|native|emulate&part_size=N&parallelism=N&max_retries=N&timeout_s=N
// &stall_timeout_s=N]. Without region=, the profile's configured region or AWS_REGION /
// AWS_DEFAULT_REGION is used; without endpoint=, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
Result<S3Options> ParseS3Uri(std::string_view uri);

}  // namespace castor::s3

namespace castor {
// OpenStore's entry point for s3:// URIs.
Result<std::unique_ptr<ObjectStore>> OpenS3Store(std::string_view uri);
}  // namespace castor
