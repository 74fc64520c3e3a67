// `castor mirror REPO[@REV]... --to DEST`: copies Hugging Face Hub repositories, pinned to
// commits and verified, into a directory or an S3 prefix (see docs/mirror.md). Settings come from
// flags, then CASTOR_MIRROR_* variables, then --config FILE (TOML).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "castor/base/progress.h"
#include "castor/http/http_client.h"
#include "castor/hub/hub_client.h"
#include "castor/hub/hub_settings.h"
#include "castor/mirror/castor_destination.h"
#include "castor/mirror/mirror.h"
#include "castor/storage/object_store.h"
#include "command.h"

namespace castor::cli {
namespace {

struct MirrorFlags {
  std::vector<std::string> repos;
  std::string to, config, report, endpoint, token_file, layout;
  std::vector<std::string> include, exclude;
  int jobs = 0;
  bool dry_run = false, no_xet = false, no_progress = false;
};

Result<mirror::MirrorConfig> BuildConfig(const MirrorFlags& f, const hub::EnvLookup& env) {
  mirror::MirrorConfig c;
  std::string config_path = f.config;
  if (config_path.empty()) {
    if (auto v = env("CASTOR_MIRROR_CONFIG"); v) config_path = *v;
  }
  if (!config_path.empty()) {
    std::ifstream in(config_path, std::ios::binary);
    if (!in) return NotFound("config file " + config_path + " cannot be opened");
    std::ostringstream ss;
    ss << in.rdbuf();
    CASTOR_RETURN_IF_ERROR(mirror::ApplyToml(ss.str(), c).WithContext(config_path));
  }
  CASTOR_RETURN_IF_ERROR(mirror::ApplyEnv(env, c));
  if (!f.repos.empty()) {
    c.repos.clear();
    for (const auto& r : f.repos) {
      CASTOR_ASSIGN_OR_RETURN(auto ref, hub::ParseRepoRef(r));
      c.repos.push_back(mirror::RepoSpec{ref, {}, {}});
    }
  }
  if (!f.to.empty()) c.destination = f.to;
  if (!f.include.empty()) c.include = f.include;
  if (!f.exclude.empty()) c.exclude = f.exclude;
  if (f.jobs > 0) c.jobs = f.jobs;
  if (f.dry_run) c.dry_run = true;
  if (f.no_xet) c.use_xet = false;
  if (!f.report.empty()) c.report_path = f.report;
  if (!f.endpoint.empty()) c.endpoint = f.endpoint;
  if (!f.token_file.empty()) c.token_file = f.token_file;
  if (!f.layout.empty()) {
    CASTOR_ASSIGN_OR_RETURN(c.layout, mirror::ParseLayout(f.layout));
  }
  CASTOR_RETURN_IF_ERROR(mirror::Validate(c));
  return c;
}

int Run(const MirrorFlags& f) {
  hub::EnvLookup env = hub::ProcessEnv();
  auto config = BuildConfig(f, env);
  if (!config.ok()) {
    PrintError(config.status().message());
    return 2;
  }
  const mirror::MirrorConfig& c = *config;
  auto settings = hub::ResolveHubSettings(c.endpoint, c.token_file, env);
  if (!settings.ok()) {
    PrintError(settings.status().message());
    return 2;
  }
  std::string dest_uri = c.destination;
  // castor://STORE: files go into a castor store as deduplicated Xet file ids.
  const bool to_cas = mirror::IsCastorDestination(dest_uri);
  if (to_cas) {
    auto uri = mirror::CastorStoreUri(dest_uri);
    if (!uri.ok()) {
      PrintError(uri.status().message());
      return 2;
    }
    dest_uri = *uri;
  }
  auto store = OpenStore(dest_uri);
  if (!store.ok()) {
    PrintError("destination: " + store.status().message());
    return 2;
  }
  auto http = http::NewCurlHttpClient();
  hub::HubClientOptions ho;
  ho.endpoint = settings->endpoint;
  ho.token = settings->token;
  ho.use_xet = c.use_xet;
  ho.stall_timeout = std::chrono::seconds(c.stall_timeout_s);
  ho.max_retries = c.retries;
  ho.user_agent = std::string("castor/") + CASTOR_VERSION;
  ho.on_retry = [](const std::string& line) {
    std::fprintf(stderr, "castor mirror: %s\n", line.c_str());
  };
  hub::HubClient hub(http.get(), ho);

  // The token itself is never printed: only where it came from.
  std::fprintf(stderr,
               "castor mirror: Hub %s, token from %s; destination %s (%s); %d jobs, "
               "transfer buffers up to %s%s\n",
               settings->endpoint.c_str(), settings->token_source.c_str(), (*store)->uri().c_str(),
               to_cas                                   ? "castor store"
               : c.layout == mirror::Layout::kSnapshots ? "snapshots layout"
                                                        : "files layout",
               c.jobs, HumanBytes(double(c.MemoryBound())).c_str(), c.dry_run ? "; dry run" : "");
  ProgressCounters counters;
  auto log = [](const std::string& line) {
    std::fprintf(stderr, "castor mirror: %s\n", line.c_str());
  };
  std::unique_ptr<ProgressReporter> reporter;
  if (!c.dry_run && !f.no_progress) {
    reporter = std::make_unique<ProgressReporter>(&counters, stderr, isatty(2) != 0,
                                                  std::chrono::seconds(c.progress_interval_s),
                                                  "castor mirror");
  }
  std::unique_ptr<cas::CasService> cas_service;
  if (to_cas) cas_service = std::make_unique<cas::CasService>(store->get());
  auto report = to_cas ? mirror::RunCasMirror(c, hub, *cas_service, &counters, log)
                       : mirror::RunMirror(c, hub, **store, &counters, log);
  if (reporter) reporter->Stop();
  if (!report.ok()) {
    PrintError(report.status().message());
    return 2;
  }
  for (const auto& r : report->repos) {
    if (!r.error.empty()) continue;
    for (const auto& file : r.files) {
      if (c.dry_run) {
        std::string reuse;
        if (file.bytes_reused) {
          reuse = "  (" + HumanBytes(double(file.size - file.bytes_reused)) + " to fetch, " +
                  HumanBytes(double(file.bytes_reused)) + " from the store)";
        }
        std::printf("%-10s %12llu %s%s\n", std::string(mirror::FileResultName(file.result)).c_str(),
                    (unsigned long long)file.size, file.key.c_str(), reuse.c_str());
      } else if (file.result == mirror::FileResult::kFailed) {
        std::printf("failed     %s: %s\n", file.key.c_str(), file.error.c_str());
      }
    }
    if (!c.dry_run) {
      std::printf("%s@%s %s %s\n", r.repo.c_str(), r.revision.c_str(), r.commit.c_str(),
                  r.published ? "complete" : "INCOMPLETE");
    }
  }
  for (const auto& r : report->repos) {
    if (!r.error.empty())
      std::printf("failed     %s@%s: %s\n", r.repo.c_str(), r.revision.c_str(), r.error.c_str());
  }
  const auto& s = *report;
  const std::string reused =
      s.bytes_reused ? ", " + HumanBytes(double(s.bytes_reused)) + " from the store" : "";
  if (c.dry_run) {
    std::fprintf(
        stderr,
        "castor mirror: dry run: would copy %llu files (%s to fetch%s), %llu present (%s)\n",
        (unsigned long long)s.files_copied, HumanBytes(double(s.bytes_transferred)).c_str(),
        reused.c_str(), (unsigned long long)s.files_skipped,
        HumanBytes(double(s.bytes_present)).c_str());
  } else if (s.files_copied == 0 && s.files_failed == 0 && s.ok()) {
    std::fprintf(
        stderr, "castor mirror: up to date: nothing to transfer (%llu files, %s already present)\n",
        (unsigned long long)s.files_skipped, HumanBytes(double(s.bytes_present)).c_str());
  } else {
    std::fprintf(
        stderr,
        "castor mirror: copied %llu files (%s%s) in %.1f s (%s/s), %llu already present, %llu "
        "failed; "
        "%llu Hub requests, %llu retries, %llu rate-limited\n",
        (unsigned long long)s.files_copied, HumanBytes(double(s.bytes_transferred)).c_str(),
        reused.c_str(), s.seconds,
        HumanBytes(s.seconds > 0 ? double(s.bytes_transferred) / s.seconds : 0).c_str(),
        (unsigned long long)s.files_skipped, (unsigned long long)s.files_failed,
        (unsigned long long)hub.counters().requests.load(),
        (unsigned long long)hub.counters().retries.load(),
        (unsigned long long)hub.counters().rate_limited.load());
  }
  if (!c.report_path.empty()) {
    std::ofstream out(c.report_path, std::ios::binary | std::ios::trunc);
    out << s.ToJson();
    if (!out) {
      PrintError("cannot write report " + c.report_path);
      return 1;
    }
  }
  std::fflush(stdout);
  return s.ok() ? 0 : 1;
}

const Command kMirror("mirror", [](CLI::App& app, int& exit_code) {
  auto f = std::make_shared<MirrorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "mirror",
      "Copy Hugging Face Hub repositories (pinned to a commit, every file verified) into a "
      "directory or an S3 prefix. Re-running resumes and transfers only what is missing.");
  cmd->add_option("repos", f->repos,
                  "REPO[@REVISION] (datasets/… and spaces/… prefixes for those types)");
  cmd->add_option("--to", f->to, "Destination: a directory, file:///…, or s3://bucket/prefix?…");
  cmd->add_option("--include", f->include, "Copy only paths matching this glob (repeatable)");
  cmd->add_option("--exclude", f->exclude, "Skip paths matching this glob (repeatable)");
  cmd->add_option("--config", f->config, "TOML config file (see docs/mirror.md)");
  cmd->add_flag("--dry-run", f->dry_run, "List what would be copied and what is already present");
  cmd->add_option("--jobs", f->jobs, "Files in flight (default 4)")->check(CLI::Range(1, 256));
  cmd->add_option("--report", f->report, "Write a JSON report (per file: bytes, time, result)");
  cmd->add_option("--layout", f->layout,
                  "files: {repo}/{path}; snapshots: {repo}/snapshots/{commit}/{path} + refs/{rev}");
  cmd->add_option("--endpoint", f->endpoint,
                  "Hub URL (default HF_ENDPOINT or https://huggingface.co)");
  cmd->add_option("--token-file", f->token_file,
                  "File holding the Hub token (default HF_TOKEN, then the Hub CLI's token file)");
  cmd->add_flag("--no-xet", f->no_xet, "Download Xet-backed files through the HTTP redirect");
  cmd->add_flag("--no-progress", f->no_progress, "No progress display");
  cmd->callback([f, &exit_code] { exit_code = Run(*f); });
});

}  // namespace
}  // namespace castor::cli
