// HubClient: the parts of the Hugging Face Hub API a mirror needs, over castor's HttpClient.
//  - ResolveCommit: a branch, tag, commit or `refs/pr/N` -> the commit sha
//  (/api/{t}s/{repo}/revision/{rev}).
//  - ListFiles: the recursive tree at a commit, following `Link: rel="next"` pages; per file its
//    size, git blob id, LFS sha256 and Xet hash.
//  - Download: a file's bytes, in order, to a sink. Small files come straight from `resolve`; LFS
//    files follow the redirect (the Hub token is never sent to another origin); Xet-backed files
//    (`X-Xet-Hash` on the resolve answer) go through the Xet protocol: token from the `xet-auth`
//    link, reconstruction, xorb ranges (XetStream), and fall back to the redirect if that fails.
//
// Failures users can act on come back as Statuses that say what to do: gated repos, missing repo /
// revision / file, 401 vs 403. 429 waits at the shared RateGate for exactly the `RateLimit` reset;
// 5xx, dropped connections and stalls (no byte for `stall_timeout`) are retried with exponential
// backoff, and a download resumes after the bytes already delivered (the sink sees every byte
// exactly once). Safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "castor/base/status.h"
#include "castor/http/http_client.h"
#include "castor/hub/rate_gate.h"
#include "castor/hub/repo_ref.h"
#include "castor/hub/xet_stream.h"

namespace castor::hub {

struct HubClientOptions {
  std::string endpoint = "https://huggingface.co";  // no trailing slash
  std::string token;                                // "" = anonymous
  int max_retries = 8;
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  // A transfer with no byte moving for this long is cut and retried.
  std::chrono::milliseconds stall_timeout{60'000};
  // Use the Xet protocol for Xet-backed files (else always follow the redirect).
  bool use_xet = true;
  std::string user_agent = "castor";
  // A failed host name lookup is retried this many times at most (a machine without network or
  // a mistyped endpoint should fail in seconds, not after the whole backoff series).
  int max_resolve_retries = 2;
  // Told about every retry ("<what>: <error>; retry 2 of 8 in 1.4 s"), e.g. to log it. May be
  // called from several threads at once.
  std::function<void(const std::string&)> on_retry;
};

struct RepoFile {
  std::string path;
  uint64_t size = 0;
  std::string git_oid;   // git blob sha1 (hex); for LFS files, the pointer file's blob id
  std::string sha256;    // LFS oid (hex), "" for small (non-LFS) files
  std::string xet_hash;  // Xet file id (Xet hex), "" if not Xet-backed
  bool is_lfs() const { return !sha256.empty(); }
};

enum class DownloadPath { kDirect, kRedirect, kXet };
std::string_view DownloadPathName(DownloadPath p);

struct DownloadStats {
  DownloadPath path = DownloadPath::kDirect;
  uint64_t bytes = 0;  // delivered to the sink
  int retries = 0;     // attempts beyond the first
  bool xet_fell_back = false;
  uint64_t xet_bytes_local = 0;  // Xet path: file bytes the XetTermSource supplied, not fetched
  std::string xet_error;         // why the Xet path was abandoned, when it was
};

// Counters over the client's lifetime (for reports).
struct HubCounters {
  std::atomic<uint64_t> requests{0}, retries{0}, rate_limited{0};
};

class HubClient {
 public:
  HubClient(http::HttpClient* http, HubClientOptions options);

  Result<std::string> ResolveCommit(const RepoRef& repo, std::string_view revision);
  Result<std::vector<RepoFile>> ListFiles(const RepoRef& repo, std::string_view commit);
  // Streams the file at `commit` to `sink`. `file.size` is checked: a body longer or shorter
  // than it is Corruption. For Xet-backed files, `source` (if given) may supply terms instead of
  // fetching them (see XetTermSource).
  Result<DownloadStats> Download(const RepoRef& repo, std::string_view commit, const RepoFile& file,
                                 const http::BodySink& sink, XetTermSource* source = nullptr);

  // The Xet reconstruction of a Xet-backed file (its terms: chunk ranges of the Hub's xorbs), as
  // a download would get it; FailedPrecondition if the Hub does not serve the file through Xet.
  // Lets a dry run say what a download would fetch.
  Result<protocol::QueryReconstructionResponseV2> XetReconstruction(const RepoRef& repo,
                                                                    std::string_view commit,
                                                                    const RepoFile& file);

  RateGate& rate_gate() { return gate_; }
  const HubCounters& counters() const { return counters_; }
  const HubClientOptions& options() const { return options_; }

 private:
  struct Attempt;
  struct XetSession;
  // Sends with the Hub token (only to the Hub's origin), the rate gate and retries of 429, 5xx
  // and transport errors. Returns the last response (any status) or the last transport error.
  Result<http::Response> Call(http::Request req, std::string_view what, const http::BodySink* sink);
  void Authorize(http::Request& req) const;
  std::chrono::milliseconds Backoff(int attempt) const;
  // Whether to retry after `s` on attempt `attempt` (0-based); if so, counts it, tells
  // options_.on_retry and sleeps the backoff (unless `sleep` is false).
  bool RetryAfter(const Status& s, std::string_view what, int attempt, bool sleep);
  Status DownloadOnce(const RepoRef& repo, std::string_view commit, const RepoFile& file,
                      Attempt& a);
  Status FollowRedirect(std::string url, const RepoFile& file, Attempt& a);
  Status XetDownload(const http::Response& resolve, const RepoFile& file, Attempt& a);
  // The CAS client (and its token source) for the file a resolve answer names.
  Result<XetSession> OpenXet(const http::Response& resolve);
  http::Request ResolveRequest(const RepoRef& repo, std::string_view commit,
                               const RepoFile& file) const;

  http::HttpClient* http_;
  HubClientOptions options_;
  std::string origin_;
  RateGate gate_;
  HubCounters counters_;
};

// The Status for a Hub error response: says what is missing (RepoNotFound, RevisionNotFound,
// EntryNotFound), that a repo is gated (and that the token's user must accept its terms), or what
// 401 / 403 mean here. `what` names the request ("gpt2@main: config.json").
Status HubError(const http::Response& r, std::string_view what, bool have_token);

}  // namespace castor::hub
