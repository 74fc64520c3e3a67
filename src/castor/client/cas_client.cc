#include "castor/client/cas_client.h"

#include <random>
#include <thread>

#include "castor/protocol/cas_messages.h"

namespace castor::client {

namespace {

bool Retryable(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool TransportRetryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

CasClient::CasClient(http::HttpClient* http, TokenSource* tokens, CasClientOptions options)
    : http_(http), tokens_(tokens), options_(std::move(options)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
}

std::chrono::milliseconds CasClient::Backoff(int attempt, const http::Response* resp) const {
  if (resp) {
    std::string_view ra = resp->header("Retry-After");
    if (!ra.empty()) {
      int64_t secs = 0;
      for (char c : ra) {
        if (c < '0' || c > '9') { secs = -1; break; }
        secs = secs * 10 + (c - '0');
        if (secs > 600) break;
      }
      if (secs >= 0) return std::chrono::milliseconds(std::min<int64_t>(secs, 600) * 1000);
    }
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t cap = std::min<int64_t>(options_.max_backoff.count(),
                                  options_.base_backoff.count() << std::min(attempt, 16));
  return std::chrono::milliseconds(cap / 2 + int64_t(rng() % uint64_t(cap / 2 + 1)));  // jitter
}

Status CasClient::ErrorFor(const http::Response& r, std::string_view what) {
  std::string msg = std::string(what) + ": HTTP " + std::to_string(r.status);
  auto body = protocol::ParseErrorBody(r.body_text());
  if (body.ok() && !body->message.empty()) {
    msg += ": " + body->message;
  } else if (!r.body.empty() && r.body.size() < 500) {
    msg += ": " + std::string(r.body_text());
  }
  switch (r.status) {
    case 400: return InvalidArgument(msg);
    case 401: return Unauthenticated(msg);
    case 403: return PermissionDenied(msg);
    case 404: return NotFound(msg);
    case 413: return ResourceExhausted(msg);
    case 416: return OutOfRange(msg);
    default: return Unavailable(msg);
  }
}

Result<http::Response> CasClient::Call(http::Request req, std::string_view what) {
  bool refreshed = false;
  for (int attempt = 0;; ++attempt) {
    http::Request r = req;
    CASTOR_ASSIGN_OR_RETURN(std::string token, tokens_->Token(false));
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    r.stall_timeout = options_.stall_timeout;
    auto resp = http_->Send(r);
    if (!resp.ok()) {
      if (TransportRetryable(resp.status()) && attempt < options_.max_retries) {
        std::this_thread::sleep_for(Backoff(attempt, nullptr));
        continue;
      }
      return resp.status().WithContext(what);
    }
    if (resp->status == 401 && !refreshed) {
      refreshed = true;
      CASTOR_RETURN_IF_ERROR(tokens_->Token(true).status());
      continue;
    }
    if (Retryable(resp->status) && attempt < options_.max_retries) {
      std::this_thread::sleep_for(Backoff(attempt, &*resp));
      continue;
    }
    return resp;
  }
}

Result<bool> CasClient::UploadXorb(const Hash& xorb, ByteSpan bytes) {
  http::Request req;
  req.method = "POST";
  req.url = options_.endpoint + "/v1/xorbs/default/" + xorb.ToXetHex();
  req.headers = {{"Content-Type", "application/octet-stream"}};
  req.body = bytes;
  const std::string what = "upload xorb " + xorb.ToXetHex();
  CASTOR_ASSIGN_OR_RETURN(http::Response r, Call(req, what));
  if (r.status != 200) return ErrorFor(r, what);
  auto parsed = protocol::ParseXorbUploadResponse(r.body_text());
  if (!parsed.ok()) return parsed.status().WithContext(what);
  return parsed->was_inserted;
}

Result<bool> CasClient::HasXorb(const Hash& xorb) {
  http::Request req;
  req.method = "HEAD";
  req.url = options_.endpoint + "/v1/xorbs/default/" + xorb.ToXetHex();
  const std::string what = "head xorb " + xorb.ToXetHex();
  CASTOR_ASSIGN_OR_RETURN(http::Response r, Call(req, what));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return ErrorFor(r, what);
}

Result<bool> CasClient::UploadShard(ByteSpan shard) {
  http::Request req;
  req.method = "POST";
  req.url = options_.endpoint + "/v1/shards";
  req.headers = {{"Content-Type", "application/octet-stream"}};
  req.body = shard;
  CASTOR_ASSIGN_OR_RETURN(http::Response r, Call(req, "upload shard"));
  if (r.status != 200) return ErrorFor(r, "upload shard");
  auto parsed = protocol::ParseShardUploadResponse(r.body_text());
  if (!parsed.ok()) return parsed.status().WithContext("upload shard");
  return parsed->result == 1;
}

Result<std::optional<Bytes>> CasClient::QueryChunk(const Hash& chunk) {
  http::Request req;
  req.url = options_.endpoint + "/v1/chunks/default/" + chunk.ToXetHex();
  const std::string what = "dedup query " + chunk.ToXetHex();
  CASTOR_ASSIGN_OR_RETURN(http::Response r, Call(req, what));
  if (r.status == 404) return std::optional<Bytes>();
  if (r.status != 200) return ErrorFor(r, what);
  return std::optional<Bytes>(std::move(r.body));
}

Result<protocol::QueryReconstructionResponseV2> CasClient::Reconstruct(
    const Hash& file_id, std::optional<protocol::ByteRange> range) {
  const std::string what = "reconstruction of " + file_id.ToXetHex();
  http::Request req;
  req.url = options_.endpoint + "/v2/reconstructions/" + file_id.ToXetHex();
  if (range && range->size() > 0) {
    req.headers.emplace_back("Range", protocol::FormatRangeHeader({*range}));
  }
  CASTOR_ASSIGN_OR_RETURN(http::Response r, Call(req, what));
  if (r.status == 200) {
    auto v2 = protocol::ParseReconstructionV2(r.body_text());
    if (!v2.ok()) return v2.status().WithContext(what);
    return v2;
  }
  if (r.status != 404 && r.status != 501) return ErrorFor(r, what);
  // v1: one URL per byte range; expressed in the v2 shape.
  req.url = options_.endpoint + "/v1/reconstructions/" + file_id.ToXetHex();
  CASTOR_ASSIGN_OR_RETURN(http::Response r1, Call(req, what));
  if (r1.status != 200) return ErrorFor(r1, what);
  auto v1 = protocol::ParseReconstructionV1(r1.body_text());
  if (!v1.ok()) return v1.status().WithContext(what);
  protocol::QueryReconstructionResponseV2 out;
  out.offset_into_first_range = v1->offset_into_first_range;
  out.terms = v1->terms;
  for (auto& [xorb, infos] : v1->fetch_info) {
    for (auto& fi : infos) out.xorbs[xorb].push_back({fi.url, {{fi.range, fi.url_range}}});
  }
  return out;
}

Result<uint64_t> CasClient::FileSize(const Hash& file_id) {
  http::Request req;
  req.method = "HEAD";
  req.url = options_.endpoint + "/v1/files/" + file_id.ToXetHex();
  const std::string what = "file " + file_id.ToXetHex();
  CASTOR_ASSIGN_OR_RETURN(http::Response r, Call(req, what));
  if (r.status != 200) return ErrorFor(r, what);
  std::string_view len = r.header("Content-Length");
  uint64_t n = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return Corruption(what + ": bad Content-Length");
    n = n * 10 + uint64_t(c - '0');
  }
  return n;
}

Status CasClient::FetchRange(const std::string& url, protocol::ByteRange range,
                             const http::BodySink& sink) {
  uint64_t delivered = 0;
  for (int attempt = 0;; ++attempt) {
    http::Request req;
    req.url = url;
    req.stall_timeout = options_.stall_timeout;
    req.headers.emplace_back(
        "Range", protocol::FormatRangeHeader({{range.start + delivered, range.end}}));
    Status sink_error;
    auto resp = http_->Send(req, [&](ByteSpan data) -> Status {
      // Never deliver more than asked (a server ignoring Range would send everything).
      if (delivered + data.size() > range.size()) {
        sink_error = Corruption("data URL sent more bytes than the range holds");
        return sink_error;
      }
      Status s = sink(data);
      if (!s.ok()) {
        sink_error = s;
        return s;
      }
      delivered += data.size();
      return Status::OK();
    });
    if (!sink_error.ok()) return sink_error;
    const bool retry_left = attempt < options_.max_retries;
    if (!resp.ok()) {
      if (TransportRetryable(resp.status()) && retry_left) {
        std::this_thread::sleep_for(Backoff(attempt, nullptr));
        continue;
      }
      return resp.status().WithContext("fetch xorb range");
    }
    if (resp->status == 206 || (resp->status == 200 && range.start + delivered == 0)) {
      if (delivered == range.size()) return Status::OK();
      if (retry_left) continue;  // short body: resume from where it stopped
      return Unavailable("fetch xorb range: body ended early");
    }
    if (Retryable(resp->status) && retry_left) {
      std::this_thread::sleep_for(Backoff(attempt, &*resp));
      continue;
    }
    return ErrorFor(*resp, "fetch xorb range");
  }
}

}  // namespace castor::client
