// MirrorConfig: what `castor mirror` copies and where, gathered from three sources so that one
// container image runs unchanged as a scheduled job. Precedence: command-line flags, then
// environment variables (CASTOR_MIRROR_*), then the TOML config file. The reference is
// docs/mirror.md. Plain values plus pure parsing (the caller reads the file).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/status.h"
#include "castor/hub/hub_settings.h"
#include "castor/hub/repo_ref.h"

namespace castor::mirror {

enum class Layout {
  kFiles,      // {prefix}/{repo}/{path}: loadable directly, updated file by file
  kSnapshots,  // {prefix}/{repo}/snapshots/{commit}/{path}, then {prefix}/{repo}/refs/{revision}
};

struct RepoSpec {
  hub::RepoRef repo;                 // revision "" = main
  std::vector<std::string> include;  // globs; empty = the global ones
  std::vector<std::string> exclude;
};

struct MirrorConfig {
  std::vector<RepoSpec> repos;
  std::string destination;  // s3://bucket/prefix?..., a directory, file:///...
  Layout layout = Layout::kFiles;
  std::vector<std::string> include;  // a file is copied if it matches any include (none = all)
  std::vector<std::string> exclude;  // ... and no exclude
  int jobs = 4;                      // files in flight
  int part_parallelism = 2;          // S3 parts in flight per file
  // S3 part size. AWS advises 8-16 MB; the larger end halves the requests, and an S3 server that
  // spends CPU per request (Swift: 1.2x faster ingest than with 8 MiB, bench/results-mirror.md)
  // takes the bytes faster.
  uint64_t part_size = 16ull << 20;
  bool dry_run = false;
  std::string report_path;  // JSON report ("" = none)
  std::string endpoint;     // Hub endpoint ("" = HF_ENDPOINT or huggingface.co)
  std::string token_file;
  bool use_xet = true;
  int progress_interval_s = 10;  // log-line period when stderr is not a terminal
  int retries = 8;               // Hub retries after the first attempt (429, 5xx, drops)
  int stall_timeout_s = 60;      // a Hub transfer with no byte for this long is cut and retried

  // Bytes of transfer buffers at most: jobs * part_size * (part_parallelism + 1).
  uint64_t MemoryBound() const;
};

// Applies a TOML document (see docs/mirror.md) on top of `config`. InvalidArgument names the
// offending key and what is wrong with it; unknown keys are errors (a typo must not be ignored).
Status ApplyToml(std::string_view toml_text, MirrorConfig& config);

// Applies CASTOR_MIRROR_REPOS (space- or comma-separated REPO[@REV]), CASTOR_MIRROR_TO,
// CASTOR_MIRROR_INCLUDE / _EXCLUDE (comma-separated globs), CASTOR_MIRROR_JOBS,
// CASTOR_MIRROR_LAYOUT, CASTOR_MIRROR_REPORT, CASTOR_MIRROR_DRY_RUN (1/true).
Status ApplyEnv(const hub::EnvLookup& env, MirrorConfig& config);

// Checks the final configuration: at least one repo, a destination, sane numbers.
Status Validate(const MirrorConfig& config);

Result<Layout> ParseLayout(std::string_view s);

// Whether `path` is selected by include/exclude globs (fnmatch: '*' also matches '/', so
// "*.safetensors" selects nested files too, as the Hub's own allow_patterns do).
bool Selected(const std::string& path, const std::vector<std::string>& include,
              const std::vector<std::string>& exclude);

}  // namespace castor::mirror
