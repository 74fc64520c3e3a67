#include "castor/hub/hub_client.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "castor/client/cas_client.h"
#include "castor/client/token_source.h"
#include "castor/hash/hash.h"
#include "castor/hub/hub_headers.h"
#include "castor/hub/xet_stream.h"

namespace castor::hub {

std::string_view DownloadPathName(DownloadPath p) {
  switch (p) {
    case DownloadPath::kDirect:
      return "direct";
    case DownloadPath::kRedirect:
      return "redirect";
    case DownloadPath::kXet:
      return "xet";
  }
  return "direct";
}

namespace {

bool IsTransient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded ||
         s.code() == StatusCode::kResourceExhausted;
}

bool IsHex40(std::string_view s) {
  if (s.size() != 40) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A failed name lookup, said in the words of what to check.
Status ResolveHint(const Status& s) {
  if (!http::IsNameResolutionFailure(s)) return s;
  return Unavailable(s.message() +
                     " (no network, no DNS, or a wrong endpoint: check HF_ENDPOINT / --endpoint)");
}

std::string ErrorDetail(const http::Response& r) {
  std::string msg(r.header("X-Error-Message"));
  if (msg.size() > 300) msg.resize(300);
  return msg.empty() ? "" : " (Hub says: " + msg + ")";
}

}  // namespace

Status HubError(const http::Response& r, std::string_view what, bool have_token) {
  const std::string w(what);
  const std::string code(r.header("X-Error-Code"));
  const std::string detail = ErrorDetail(r);
  if (code == "GatedRepo") {
    if (!have_token) {
      return Unauthenticated(
          w +
          ": the repository is gated: provide a token (HF_TOKEN or --token-file) "
          "of a user who has accepted its terms" +
          detail);
    }
    return PermissionDenied(
        w +
        ": the repository is gated and the token's user has not been granted "
        "access: accept its terms on the repository's Hub page with that account, "
        "then retry" +
        detail);
  }
  if (code == "RepoNotFound" && r.status == 401 && !have_token) {
    return Unauthenticated(
        w +
        ": HTTP 401: the Hub requires a token: the repository is private, gated, "
        "or does not exist; set HF_TOKEN or --token-file" +
        detail);
  }
  if (code == "RepoNotFound") {
    return NotFound(w + ": repository not found" +
                    std::string(have_token ? " (or the token cannot see it)"
                                           : " (or it is private: provide a token)") +
                    detail);
  }
  if (code == "RevisionNotFound")
    return NotFound(w + ": revision not found in the repository" + detail);
  if (code == "EntryNotFound") return NotFound(w + ": file not found at this revision" + detail);
  switch (r.status) {
    case 401:
      if (!have_token) {
        return Unauthenticated(w +
                               ": HTTP 401: the Hub requires a token: the repository is private, "
                               "gated, or does not exist; set HF_TOKEN or --token-file" +
                               detail);
      }
      return Unauthenticated(
          w + ": HTTP 401: the token was rejected (invalid, revoked or expired)" + detail);
    case 403:
      return PermissionDenied(
          w +
          ": HTTP 403: the token is valid but not allowed to read this repository "
          "(a fine-grained token needs read access to it)" +
          detail);
    case 404:
      return NotFound(w + ": HTTP 404: not found" + detail);
    case 408:
      return Unavailable(w + ": HTTP 408: request timeout");
    case 429:
      return ResourceExhausted(w + ": HTTP 429: rate limited by the Hub");
    default:
      break;
  }
  if (r.status >= 500) return Unavailable(w + ": HTTP " + std::to_string(r.status) + detail);
  return FailedPrecondition(w + ": unexpected HTTP " + std::to_string(r.status) + detail);
}

HubClient::HubClient(http::HttpClient* http, HubClientOptions options)
    : http_(http), options_(std::move(options)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/')
    options_.endpoint.pop_back();
  origin_ = UrlOrigin(options_.endpoint);
}

void HubClient::Authorize(http::Request& req) const {
  req.headers.emplace_back("User-Agent", options_.user_agent);
  // The token goes to the Hub's own origin only: never to a CDN, a storage bucket or a CAS.
  if (!options_.token.empty() && UrlOrigin(req.url) == origin_) {
    req.headers.emplace_back("Authorization", "Bearer " + options_.token);
  }
}

std::chrono::milliseconds HubClient::Backoff(int attempt) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t base = options_.base_backoff.count() << std::min(attempt, 16);
  base = std::min<int64_t>(base, options_.max_backoff.count());
  // Full jitter in [base/2, base]: workers that failed together do not retry together.
  std::uniform_int_distribution<int64_t> d(base / 2, std::max<int64_t>(base / 2, base));
  return std::chrono::milliseconds(d(rng));
}

namespace {

// Closes the shared gate after a 429 for exactly what the Hub asked (RateLimit t=, else
// Retry-After, else `fallback`).
void NoteRateLimited(RateGate& gate, const http::Response& r, std::chrono::milliseconds fallback) {
  std::optional<std::chrono::seconds> wait = ParseRateLimitReset(r.header("RateLimit"));
  if (!wait) wait = ParseRetryAfter(r.header("Retry-After"));
  gate.CloseFor(wait ? std::chrono::milliseconds(*wait) : fallback);
}

}  // namespace

bool HubClient::RetryAfter(const Status& s, std::string_view what, int attempt, bool sleep) {
  const bool resolve = http::IsNameResolutionFailure(s);
  const int limit =
      resolve ? std::min(options_.max_retries, options_.max_resolve_retries) : options_.max_retries;
  if (attempt >= limit) return false;
  counters_.retries++;
  const auto wait = sleep ? Backoff(attempt) : std::chrono::milliseconds(0);
  if (options_.on_retry) {
    char when[32];
    std::snprintf(when, sizeof when, "%.1f s", double(wait.count()) / 1000);
    options_.on_retry(std::string(what) + ": " + s.ToString() + "; retry " +
                      std::to_string(attempt + 1) + " of " + std::to_string(limit) +
                      (sleep ? std::string(" in ") + when : std::string()));
  }
  if (sleep) std::this_thread::sleep_for(wait);
  return true;
}

Result<http::Response> HubClient::Call(http::Request req, std::string_view what,
                                       const http::BodySink* sink) {
  Authorize(req);
  if (req.stall_timeout.count() == 0 || req.stall_timeout > options_.stall_timeout) {
    req.stall_timeout = options_.stall_timeout;
  }
  for (int attempt = 0;; ++attempt) {
    gate_.Wait();
    counters_.requests++;
    Result<http::Response> r = sink ? http_->Send(req, *sink) : http_->Send(req);
    bool retry = false;
    bool backoff = true;
    if (!r.ok()) {
      retry = sink == nullptr && IsTransient(r.status());
    } else if (r->status == 429) {
      counters_.rate_limited++;
      NoteRateLimited(gate_, *r, Backoff(attempt));
      retry = true;
      backoff = false;  // the gate already holds every worker for the time the Hub asked
    } else if (r->status >= 500 || r->status == 408) {
      retry = true;
    }
    Status why = r.ok() ? Unavailable("HTTP " + std::to_string(r->status)) : r.status();
    if (!retry || !RetryAfter(why, what, attempt, backoff)) {
      if (!r.ok()) return ResolveHint(r.status()).WithContext(what);
      return r;
    }
  }
}

Result<std::string> HubClient::ResolveCommit(const RepoRef& repo, std::string_view revision) {
  const std::string what = repo.path() + "@" + std::string(revision);
  http::Request req;
  req.url = options_.endpoint + repo.api_path() + "/revision/" + EncodeRevision(revision);
  req.timeout = std::chrono::seconds(60);
  CASTOR_ASSIGN_OR_RETURN(auto r, Call(req, what, nullptr));
  if (r.status != 200) return HubError(r, what, !options_.token.empty());
  try {
    auto j = nlohmann::json::parse(r.body_text());
    std::string sha = j.at("sha").get<std::string>();
    if (!IsHex40(sha)) return Corruption(what + ": the Hub returned an invalid commit id");
    return sha;
  } catch (const std::exception& e) {
    return Corruption(what + ": unreadable revision info from the Hub: " + e.what());
  }
}

Result<std::vector<RepoFile>> HubClient::ListFiles(const RepoRef& repo, std::string_view commit) {
  const std::string what = repo.path() + "@" + std::string(commit) + ": tree";
  std::string url = options_.endpoint + repo.api_path() + "/tree/" + EncodeRevision(commit) +
                    "?recursive=true&expand=false";
  std::vector<RepoFile> files;
  for (int page = 0; !url.empty(); ++page) {
    if (page > 100000) return Corruption(what + ": pagination does not end");
    http::Request req;
    req.url = url;
    req.timeout = std::chrono::seconds(120);
    CASTOR_ASSIGN_OR_RETURN(auto r, Call(req, what, nullptr));
    if (r.status != 200) return HubError(r, what, !options_.token.empty());
    try {
      auto j = nlohmann::json::parse(r.body_text());
      if (!j.is_array()) return Corruption(what + ": expected a JSON array");
      for (const auto& e : j) {
        if (e.value("type", "") != "file") continue;
        RepoFile f;
        f.path = e.at("path").get<std::string>();
        f.size = e.at("size").get<uint64_t>();
        f.git_oid = e.value("oid", "");
        if (auto l = e.find("lfs"); l != e.end() && l->is_object()) {
          f.sha256 = l->at("oid").get<std::string>();
          if (l->contains("size")) f.size = l->at("size").get<uint64_t>();
        }
        if (auto x = e.find("xetHash"); x != e.end() && x->is_string())
          f.xet_hash = x->get<std::string>();
        files.push_back(std::move(f));
      }
    } catch (const std::exception& e) {
      return Corruption(what + ": unreadable tree page from the Hub: " + e.what());
    }
    auto links = ParseLinkHeader(r.header("Link"));
    auto next = links.find("next");
    url = next == links.end() ? "" : ResolveUrl(url, next->second);
  }
  std::sort(files.begin(), files.end(),
            [](const RepoFile& a, const RepoFile& b) { return a.path < b.path; });
  return files;
}

// One download across attempts: the sink receives each byte once, in order. Every attempt
// restarts its body at byte 0 and skips what earlier attempts already delivered.
struct HubClient::Attempt {
  const http::BodySink* user_sink = nullptr;
  XetTermSource* source = nullptr;
  uint64_t expected = 0;
  uint64_t delivered = 0;
  uint64_t seen = 0;  // bytes of the current body stream
  Status sink_error;
  DownloadStats stats;

  http::BodySink Sink() {
    seen = 0;
    return [this](ByteSpan data) -> Status {
      uint64_t begin = seen;
      seen += data.size();
      if (seen <= delivered) return Status::OK();
      if (begin < delivered) data = data.subspan(delivered - begin);
      if (delivered + data.size() > expected) {
        return Corruption("the Hub sent more than the file's " + std::to_string(expected) +
                          " bytes");
      }
      Status s = (*user_sink)(data);
      if (!s.ok()) {
        sink_error = s;
        return s;
      }
      delivered += data.size();
      return Status::OK();
    };
  }
};

Result<DownloadStats> HubClient::Download(const RepoRef& repo, std::string_view commit,
                                          const RepoFile& file, const http::BodySink& sink,
                                          XetTermSource* source) {
  Attempt a;
  a.user_sink = &sink;
  a.source = source;
  a.expected = file.size;
  const std::string what = repo.path() + "@" + std::string(commit).substr(0, 12) + ": " + file.path;
  for (int attempt = 0;; ++attempt) {
    Status s = DownloadOnce(repo, commit, file, a);
    if (!a.sink_error.ok()) return a.sink_error;
    if (s.ok()) {
      if (a.delivered != file.size) {
        s = Unavailable("body ended after " + std::to_string(a.delivered) + " of " +
                        std::to_string(file.size) + " bytes");
      } else {
        a.stats.bytes = a.delivered;
        return a.stats;
      }
    }
    if (!IsTransient(s) ||
        !RetryAfter(s, what, attempt, s.code() != StatusCode::kResourceExhausted)) {
      return ResolveHint(s).WithContext(what);
    }
    a.stats.retries++;
  }
}

http::Request HubClient::ResolveRequest(const RepoRef& repo, std::string_view commit,
                                        const RepoFile& file) const {
  http::Request req;
  req.url = options_.endpoint + "/" + repo.path() + "/resolve/" + EncodeRevision(commit) + "/" +
            http::UriEncode(file.path, true);
  req.headers.emplace_back("Accept-Encoding", "identity");
  req.stall_timeout = options_.stall_timeout;
  req.follow_redirects = false;
  return req;
}

Status HubClient::DownloadOnce(const RepoRef& repo, std::string_view commit, const RepoFile& file,
                               Attempt& a) {
  http::Request req = ResolveRequest(repo, commit, file);
  Authorize(req);
  gate_.Wait();
  counters_.requests++;
  http::BodySink sink = a.Sink();
  auto r = http_->Send(req, sink);
  if (!r.ok()) return r.status();
  if (r->status == 200) {
    a.stats.path = DownloadPath::kDirect;
    return Status::OK();
  }
  if (r->status == 429) {
    counters_.rate_limited++;
    NoteRateLimited(gate_, *r, options_.base_backoff);
    return ResourceExhausted("HTTP 429: rate limited by the Hub");
  }
  if (r->status >= 300 && r->status < 400) {
    std::string location(r->header("Location"));
    if (!r->header("X-Xet-Hash").empty() && options_.use_xet) {
      Status xs = XetDownload(*r, file, a);
      if (xs.ok() || !a.sink_error.ok()) return xs;
      a.stats.xet_fell_back = true;
      a.stats.xet_error = xs.ToString();
      if (location.empty()) return xs;
    }
    if (location.empty())
      return Corruption("HTTP " + std::to_string(r->status) + " without Location");
    a.stats.path = DownloadPath::kRedirect;
    return FollowRedirect(ResolveUrl(req.url, location), file, a);
  }
  return HubError(*r, "resolve", !options_.token.empty());
}

Status HubClient::FollowRedirect(std::string url, const RepoFile& file, Attempt& a) {
  for (int hop = 0; hop < 8; ++hop) {
    http::Request req;
    req.url = url;
    req.headers.emplace_back("Accept-Encoding", "identity");
    Authorize(req);  // only adds the token if the URL is on the Hub's origin
    req.stall_timeout = options_.stall_timeout;
    counters_.requests++;
    http::BodySink sink = a.Sink();
    auto r = http_->Send(req, sink);
    if (!r.ok()) return r.status();
    if (r->status >= 200 && r->status < 300) return Status::OK();
    if (r->status >= 300 && r->status < 400 && !r->header("Location").empty()) {
      url = ResolveUrl(url, r->header("Location"));
      continue;
    }
    // An expired signed URL (403 from a CDN) is cured by resolving again: retry.
    if (r->status == 403 && UrlOrigin(url) != origin_) {
      return Unavailable("download URL refused with 403 (expired signature?)");
    }
    return HubError(*r, "redirected download", !options_.token.empty());
  }
  (void)file;
  return FailedPrecondition("too many redirects");
}

struct HubClient::XetSession {
  Hash file_id;
  std::unique_ptr<client::TokenSource> tokens;
  std::unique_ptr<client::CasClient> cas;
};

Result<HubClient::XetSession> HubClient::OpenXet(const http::Response& resolve) {
  XetSession x;
  auto id = Hash::FromXetHex(resolve.header("X-Xet-Hash"));
  if (!id) return Corruption("X-Xet-Hash is not a Xet hash");
  x.file_id = *id;
  auto links = ParseLinkHeader(resolve.header("Link"));
  auto auth = links.find("xet-auth");
  if (auth == links.end()) return FailedPrecondition("no xet-auth link on the resolve answer");
  // The Hub token goes to the token endpoint only if that endpoint is on the Hub's origin.
  std::string hub_token = UrlOrigin(auth->second) == origin_ ? options_.token : "";
  x.tokens = client::EndpointToken(http_, auth->second, hub_token);
  auto first = x.tokens->Token(false);
  if (!first.ok()) return first.status();
  std::string cas_url = x.tokens->cas_url();
  if (cas_url.empty()) return Corruption("token endpoint gave no casUrl");
  client::CasClientOptions copt;
  copt.endpoint = cas_url;
  copt.stall_timeout = options_.stall_timeout;
  x.cas = std::make_unique<client::CasClient>(http_, x.tokens.get(), copt);
  return x;
}

Status HubClient::XetDownload(const http::Response& resolve, const RepoFile& file, Attempt& a) {
  CASTOR_ASSIGN_OR_RETURN(XetSession x, OpenXet(resolve));
  a.stats.path = DownloadPath::kXet;
  XetStreamStats xs;
  CASTOR_RETURN_IF_ERROR(StreamXetFile(*x.cas, x.file_id, file.size, a.Sink(), 2, a.source, &xs));
  a.stats.xet_bytes_local = xs.bytes_local;
  return Status::OK();
}

Result<protocol::QueryReconstructionResponseV2> HubClient::XetReconstruction(
    const RepoRef& repo, std::string_view commit, const RepoFile& file) {
  const std::string what = repo.path() + "@" + std::string(commit).substr(0, 12) + ": " + file.path;
  // GET, not HEAD: the answer for a Xet file is a redirect, which is not followed.
  http::Request req = ResolveRequest(repo, commit, file);
  CASTOR_ASSIGN_OR_RETURN(http::Response r, Call(req, what, nullptr));
  if (r.status >= 400) return HubError(r, what, !options_.token.empty());
  if (r.header("X-Xet-Hash").empty() || !options_.use_xet) {
    return FailedPrecondition(what + ": not served through Xet");
  }
  CASTOR_ASSIGN_OR_RETURN(XetSession x, OpenXet(r));
  auto rec = x.cas->Reconstruct(x.file_id, std::nullopt);
  if (!rec.ok()) return rec.status().WithContext(what);
  return rec;
}

}  // namespace castor::hub
