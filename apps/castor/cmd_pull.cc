// `castor pull --endpoint URL [--token T] FILE-ID -o PATH`: downloads a file from a Xet CAS by
// reconstruction, verified against its file id, resumable.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "cas_flags.h"
#include "castor/transfer/download.h"
#include "command.h"

namespace castor::cli {
namespace {

struct PullFlags {
  CasFlags cas;
  std::string file_id;
  std::string output;
  int jobs = 8;
  bool no_resume = false;
  bool buffered = false;
  bool quiet = false;
};

// A progress bar on a terminal, a log line every few seconds otherwise.
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO)) {}
  void Update(uint64_t done, uint64_t total) {
    if (quiet_) return;
    auto now = std::chrono::steady_clock::now();
    auto gap = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
    if (done < total && now - last_ < gap) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? double(done) / secs / (1 << 20) : 0;
    double pct = total ? 100.0 * double(done) / double(total) : 100;
    if (tty_) {
      int filled = int(pct / 100 * 30);
      std::fprintf(stderr, "\r[%-30s] %5.1f%% %8.1f MiB/s", std::string(size_t(filled), '#').c_str(),
                   pct, rate);
      if (done >= total) std::fputc('\n', stderr);
    } else {
      std::fprintf(stderr, "pull: %.1f%% (%llu of %llu bytes), %.1f MiB/s\n", pct,
                   (unsigned long long)done, (unsigned long long)total, rate);
    }
  }

 private:
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

int Run(const PullFlags& f) {
  auto id = Hash::FromXetHex(f.file_id);
  if (!id) {
    PrintError("'" + f.file_id + "' is not a file id (64 hex digits)");
    return 2;
  }
  auto wired = Wire(f.cas);
  if (!wired.ok()) {
    PrintError(wired.status().message());
    return 2;
  }
  Progress progress(f.quiet);
  DownloadOptions opts;
  opts.parallelism = f.jobs;
  opts.resume = !f.no_resume;
  opts.direct_io = !f.buffered;
  opts.progress = [&](uint64_t done, uint64_t total) { progress.Update(done, total); };
  auto r = DownloadFile(*wired->cas, *id, f.output, opts);
  if (!r.ok()) {
    PrintError(r.status().message());
    return 1;
  }
  std::fprintf(stderr,
               "pulled %s: %llu bytes, %llu fetched in %llu ranges, %llu resumed from disk, "
               "%.2f s\n",
               f.output.c_str(), (unsigned long long)r->size, (unsigned long long)r->bytes_fetched,
               (unsigned long long)r->ranges, (unsigned long long)r->bytes_resumed, r->seconds);
  return 0;
}

const Command kPull("pull", [](CLI::App& app, int& exit_code) {
  auto f = std::make_shared<PullFlags>();
  CLI::App* cmd = app.add_subcommand(
      "pull",
      "Download a file from a Xet CAS by its file id. The bytes are verified against the id "
      "before they appear at the output path; an interrupted pull resumes.");
  f->cas.Add(cmd);
  cmd->add_option("file_id", f->file_id, "File id (Xet hex)")->required();
  cmd->add_option("-o,--output", f->output, "Output path")->required();
  cmd->add_option("--jobs", f->jobs, "Byte ranges in flight")->check(CLI::Range(1, 64));
  cmd->add_flag("--no-resume", f->no_resume, "Ignore a partial download from an earlier run");
  cmd->add_flag("--buffered", f->buffered,
                "Write through the page cache (by default the bulk of the file is written with "
                "O_DIRECT where the filesystem allows, leaving the cache alone)");
  cmd->add_flag("-q,--quiet", f->quiet, "No progress output");
  cmd->callback([f, &exit_code] { exit_code = Run(*f); });
});

}  // namespace
}  // namespace castor::cli
