// `castor push --endpoint URL [--token T] PATH...`: uploads files to a Xet CAS, sending only
// chunks the server does not have.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cas_flags.h"
#include "castor/base/progress.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/transfer/upload.h"
#include "command.h"

namespace castor::cli {
namespace {

struct PushFlags {
  CasFlags cas;
  std::vector<std::string> paths;
  int jobs = 2;
  bool no_global_dedup = false;
  std::string cache_dir;
  bool no_cache = false;
  std::string compression = "predict";
  bool quiet = false;
};

std::string DefaultCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/castor/shards";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/castor/shards";
  return "";
}

std::string Mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(b) / (1 << 20));
  return buf;
}

int Run(const PushFlags& f) {
  auto policy = ParseCompressionPolicy(f.compression);
  if (!policy.ok()) {
    PrintError("--" + policy.status().message());
    return 2;
  }
  auto wired = Wire(f.cas);
  if (!wired.ok()) {
    PrintError(wired.status().message());
    return 2;
  }
  UploadOptions opts;
  opts.parallelism = f.jobs;
  opts.xorb.compression = *policy;
  opts.global_dedup = !f.no_global_dedup;
  opts.shard_cache_dir = f.no_cache ? "" : (f.cache_dir.empty() ? DefaultCacheDir() : f.cache_dir);
  ProgressCounters progress;
  std::unique_ptr<ProgressReporter> reporter;
  if (!f.quiet) {
    opts.progress = &progress;
    reporter = std::make_unique<ProgressReporter>(&progress, stderr, isatty(STDERR_FILENO) != 0,
                                                  std::chrono::seconds(5), "castor push");
  }
  auto r = UploadPaths(*wired->cas, f.paths, opts);
  reporter.reset();  // ends the progress line before the results
  if (!r.ok()) {
    PrintError("push failed: " + r.status().message());
    return 1;
  }
  for (const auto& file : r->files) {
    std::printf("%s %llu %s\n", file.file_id.ToXetHex().c_str(), (unsigned long long)file.size,
                file.path.c_str());
  }
  std::fflush(stdout);
  const auto& s = r->stats;
  double ratio = s.bytes_new ? double(s.bytes_read) / double(s.bytes_new) : 0;
  std::fprintf(stderr,
               "pushed %llu files: read %s, new %s, uploaded %s in %llu xorbs "
               "(%llu already on the server), dedup ratio %s, %llu dedup queries (%llu hits), "
               "%.2f s\n",
               (unsigned long long)s.files, Mib(s.bytes_read).c_str(), Mib(s.bytes_new).c_str(),
               Mib(r->bytes_uploaded).c_str(), (unsigned long long)r->xorbs_uploaded,
               (unsigned long long)r->xorbs_already_present,
               s.bytes_new ? (std::to_string(ratio).substr(0, 5) + "x").c_str() : "all deduplicated",
               (unsigned long long)r->dedup_queries, (unsigned long long)r->dedup_hits, r->seconds);
  return 0;
}

const Command kPush("push", [](CLI::App& app, int& exit_code) {
  auto f = std::make_shared<PushFlags>();
  CLI::App* cmd = app.add_subcommand(
      "push",
      "Upload files or directories to a Xet CAS (castor serve, or any Xet CAS given a token). "
      "Prints one line per file, <file-id> <size> <path>, and a summary on stderr.");
  f->cas.Add(cmd);
  cmd->add_option("paths", f->paths, "Files or directories")->required();
  cmd->add_option("--jobs", f->jobs,
                  "Xorbs compressing and uploading at once (memory: about jobs + 1 xorbs of up "
                  "to 64 MiB each)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--no-global-dedup", f->no_global_dedup,
                "Do not ask the server which chunks it already has");
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Shards of earlier pushes, for dedup (default ~/.cache/castor/shards)");
  cmd->add_flag("--no-cache", f->no_cache, "Neither read nor write the shard cache");
  cmd->add_option("--compression", f->compression,
                  "How xorb chunks are compressed: predict (one codec per chunk, chosen "
                  "cheaply), best (try LZ4 and BG4+LZ4 on every chunk), lz4, bg4, or none "
                  "(send chunks as they are: less CPU, more bytes sent and stored)")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", f->quiet,
                "No progress output (by default a progress line on a terminal, a log line every "
                "5 s otherwise)");
  cmd->callback([f, &exit_code] { exit_code = Run(*f); });
});

}  // namespace
}  // namespace castor::cli
