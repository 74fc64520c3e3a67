// RunMirror over an in-memory store and a scripted Hub: copies, verification before visibility,
// idempotent re-runs, the snapshots layout's ordering, dry runs, and the clean-up of incomplete
// uploads a killed earlier run left behind.
#include "castor/mirror/mirror.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "castor/hash/sha256.h"
#include "castor/mirror/content_check.h"
#include "castor/storage/local_store.h"
#include "castor/storage/memory_store.h"

namespace castor::mirror {
namespace {

constexpr char kCommit[] = "0123456789abcdef0123456789abcdef01234567";

// A tiny Hub: one repo "org/m", files served directly from the resolve URL.
class FakeHub : public http::HttpClient {
 public:
  std::map<std::string, std::string> files;   // path -> bytes
  std::map<std::string, std::string> served;  // path -> bytes actually served (if different)
  std::set<std::string> lfs;
  int resolves = 0;

  Result<http::Response> Send(const http::Request& r) override { return Do(r, nullptr); }
  Result<http::Response> Send(const http::Request& r, const http::BodySink& s) override {
    return Do(r, &s);
  }

 private:
  Result<http::Response> Do(const http::Request& r, const http::BodySink* sink) {
    std::lock_guard lock(mu_);
    http::Response resp;
    resp.status = 200;
    std::string body;
    if (r.url.find("/revision/") != std::string::npos) {
      body = std::string(R"({"sha":")") + kCommit + "\"}";
    } else if (r.url.find("/tree/") != std::string::npos) {
      nlohmann_json_like(body);
    } else {
      ++resolves;
      std::string path = r.url.substr(r.url.find(kCommit) + 41);
      body = served.count(path) ? served[path] : files.at(path);
      CASTOR_RETURN_IF_ERROR((*sink)(AsBytes(body)));
      return resp;
    }
    resp.body.assign(body.begin(), body.end());
    return resp;
  }
  void nlohmann_json_like(std::string& out) {
    out = "[";
    for (const auto& [p, b] : files) {
      if (out.size() > 1) out += ",";
      out += R"({"type":"file","path":")" + p + R"(","size":)" + std::to_string(b.size());
      if (lfs.count(p)) {
        out += R"(,"oid":"ptr","lfs":{"oid":")" + HexEncode(Sha256::Of(AsBytes(b)).bytes) +
               R"(","size":)" + std::to_string(b.size()) + "}";
      } else {
        out += R"(,"oid":")" + GitBlobId(AsBytes(b)) + "\"";
      }
      out += "}";
    }
    out += "]";
  }
  std::mutex mu_;
};

struct Rig {
  FakeHub http;
  std::unique_ptr<hub::HubClient> hub;
  std::unique_ptr<ObjectStore> store = std::move(OpenStore("mem://mirror").value());
  MirrorConfig config;
  std::mutex log_mu;  // workers log concurrently
  std::vector<std::string> log;
  Rig() {
    http.files = {{"config.json", "{\"a\":1}"},
                  {"w/model.safetensors", std::string(100000, 'w')},
                  {"README.md", "# hi\n"}};
    http.lfs = {"w/model.safetensors"};
    hub::HubClientOptions o;
    o.endpoint = "http://hub.test";
    o.base_backoff = std::chrono::milliseconds(1);
    hub = std::make_unique<hub::HubClient>(&http, o);
    config.repos.push_back(RepoSpec{*hub::ParseRepoRef("org/m"), {}, {}});
    config.destination = "mem://mirror";
    config.jobs = 2;
  }
  MirrorReport Run() {
    auto r = RunMirror(config, *hub, *store, nullptr, [&](const std::string& l) {
      std::lock_guard lock(log_mu);
      log.push_back(l);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }
  std::string Get(const std::string& key) {
    auto b = store->Get(key);
    return b.ok() ? std::string(AsString(*b)) : "<" + b.status().ToString() + ">";
  }
};

TEST(RunMirror, CopiesVerifiesAndSkipsOnReRun) {
  Rig rig;
  MirrorReport r = rig.Run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.files_copied, 3u);
  EXPECT_EQ(rig.Get("org/m/config.json"), "{\"a\":1}");
  EXPECT_EQ(rig.Get("org/m/w/model.safetensors"), std::string(100000, 'w'));
  EXPECT_NE(rig.Get(ManifestKey("org/m", kCommit)).find("\"commit\": \"" + std::string(kCommit)),
            std::string::npos);
  int resolves = rig.http.resolves;
  MirrorReport again = rig.Run();
  EXPECT_EQ(again.files_copied, 0u);
  EXPECT_EQ(again.files_skipped, 3u);
  EXPECT_EQ(again.bytes_transferred, 0u);
  EXPECT_EQ(rig.http.resolves, resolves);  // nothing downloaded
  auto j = nlohmann::json::parse(again.ToJson());
  EXPECT_EQ(j["files_present"], 3);
  EXPECT_EQ(j["repos"][0]["files"][0]["result"], "present");
}

TEST(RunMirror, MismatchLeavesNothingVisibleAndPublishesNothing) {
  Rig rig;
  rig.config.layout = Layout::kSnapshots;
  rig.http.served["w/model.safetensors"] = std::string(99999, 'w') + "X";
  rig.http.served["README.md"] = "# hI\n";
  MirrorReport r = rig.Run();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.files_failed, 2u);
  std::string snap = std::string("org/m/snapshots/") + kCommit + "/";
  EXPECT_EQ(rig.store->Head(snap + "w/model.safetensors").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(rig.store->Head(snap + "README.md").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(rig.store->Head(snap + "config.json").ok());
  EXPECT_EQ(rig.store->Head("org/m/refs/main").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(rig.store->Head(ManifestKey("org/m", kCommit)).status().code(), StatusCode::kNotFound);
  for (const auto& f : r.repos[0].files) {
    if (f.path == "README.md") {
      EXPECT_NE(f.error.find("git blob id mismatch"), std::string::npos);
    }
    if (f.path == "w/model.safetensors") {
      EXPECT_NE(f.error.find("sha256 mismatch"), std::string::npos);
    }
  }
  // Fixed upstream: the next run copies only the two missing files and publishes the ref.
  rig.http.served.clear();
  MirrorReport fixed = rig.Run();
  EXPECT_EQ(fixed.files_copied, 2u);
  EXPECT_EQ(fixed.files_skipped, 1u);
  EXPECT_EQ(rig.Get("org/m/refs/main"), kCommit);
}

TEST(RunMirror, ReplacedObjectIsCopiedAgain) {
  Rig rig;
  rig.Run();
  ASSERT_TRUE(rig.store->Put("org/m/config.json", AsBytes("{\"a\":2}")).ok());
  MirrorReport r = rig.Run();
  EXPECT_EQ(r.files_copied, 1u);
  EXPECT_EQ(rig.Get("org/m/config.json"), "{\"a\":1}");
}

TEST(RunMirror, DryRunWritesNothing) {
  Rig rig;
  rig.config.dry_run = true;
  rig.config.include = {"*.json", "*.md"};
  MirrorReport r = rig.Run();
  EXPECT_EQ(r.files_copied, 2u);
  EXPECT_EQ(r.bytes_transferred, 7u + 5u);
  EXPECT_EQ(rig.http.resolves, 0);
  auto page = rig.store->List("", "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
}

// The memory store, plus a scripted list of incomplete writes (served two per page) and a record
// of the aborts asked for.
class UploadsStore final : public ObjectStore {
 public:
  std::unique_ptr<ObjectStore> mem = NewMemoryStore("uploads");
  std::vector<IncompleteWrite> writes;
  Status list_error;
  std::set<std::string> gone;  // ids whose abort answers NotFound
  std::mutex mu;
  std::vector<std::string> listed_prefixes, aborted;

  std::string uri() const override { return mem->uri(); }
  StoreCapabilities capabilities() const override { return mem->capabilities(); }
  Status Put(std::string_view k, ByteSpan d) override { return mem->Put(k, d); }
  Result<PutOutcome> PutIfAbsent(std::string_view k, ByteSpan d) override {
    return mem->PutIfAbsent(k, d);
  }
  Result<Bytes> Get(std::string_view k) override { return mem->Get(k); }
  Result<Bytes> GetRange(std::string_view k, uint64_t o, uint64_t n) override {
    return mem->GetRange(k, o, n);
  }
  Status ReadRange(std::string_view k, uint64_t o, uint64_t n, const ByteSink& s) override {
    return mem->ReadRange(k, o, n, s);
  }
  Result<ObjectInfo> Head(std::string_view k) override { return mem->Head(k); }
  Result<ListPage> List(std::string_view p, std::string_view a, size_t m) override {
    return mem->List(p, a, m);
  }
  Status Delete(std::string_view k) override { return mem->Delete(k); }
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view k,
                                                  const WriterOptions& o) override {
    return mem->NewWriter(k, o);
  }
  Result<std::string> PresignGet(std::string_view k, std::chrono::seconds t) override {
    return mem->PresignGet(k, t);
  }
  Result<IncompleteWritePage> ListIncompleteWrites(std::string_view prefix,
                                                   std::string_view after_key,
                                                   std::string_view after_id, size_t) override {
    std::lock_guard lock(mu);
    listed_prefixes.emplace_back(prefix);
    if (!list_error.ok()) return list_error;
    IncompleteWritePage page;
    size_t i = 0;
    if (!after_id.empty()) {
      while (i < writes.size() && (writes[i].key != after_key || writes[i].id != after_id)) ++i;
      ++i;  // the page starts after the cursor
    }
    for (; i < writes.size(); ++i) {
      if (page.writes.size() == 2) {
        page.next_key = page.writes.back().key;
        page.next_id = page.writes.back().id;
        break;
      }
      if (writes[i].key.starts_with(prefix)) page.writes.push_back(writes[i]);
    }
    return page;
  }
  Status AbortIncompleteWrite(std::string_view key, std::string_view id) override {
    std::lock_guard lock(mu);
    if (gone.count(std::string(id)))
      return NotFound("abort " + std::string(key) + ": NoSuchUpload");
    aborted.emplace_back(id);
    return Status::OK();
  }
};

bool Logged(const std::vector<std::string>& log, const std::string& part) {
  for (const auto& l : log)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

TEST(RunMirror, AbortsOnlyUploadsLeftByAnEarlierRun) {
  Rig rig;
  auto uploads = std::make_unique<UploadsStore>();
  UploadsStore* u = uploads.get();
  auto now = std::chrono::system_clock::now();
  u->writes = {{"org/m/a.bin", "stale1", now - std::chrono::hours(1)},
               {"org/m/a.bin", "stale2", now - std::chrono::seconds(5)},
               {"org/m/b.bin", "concurrent", now + std::chrono::seconds(30)},
               {"org/m/c.bin", "unknown", std::chrono::system_clock::time_point::max()},
               {"org/m/d.bin", "finished-meanwhile", now - std::chrono::hours(2)},
               {"org/other/x", "not-this-repo", now - std::chrono::hours(3)}};
  u->gone = {"finished-meanwhile"};
  rig.store = std::move(uploads);

  rig.config.dry_run = true;
  MirrorReport dry = rig.Run();
  EXPECT_EQ(dry.stale_uploads_aborted, 3u);  // a dry run cannot know one is gone meanwhile
  EXPECT_TRUE(u->aborted.empty());
  EXPECT_TRUE(Logged(rig.log,
                     "would abort an incomplete upload left by an earlier run: "
                     "org/m/a.bin (upload stale1, started "));

  rig.config.dry_run = false;
  rig.log.clear();
  MirrorReport r = rig.Run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.files_copied, 3u);
  EXPECT_EQ(u->aborted, (std::vector<std::string>{"stale1", "stale2"}));
  EXPECT_EQ(r.stale_uploads_aborted, 2u);
  EXPECT_EQ(r.repos[0].stale_uploads_aborted, 2u);
  EXPECT_EQ(u->listed_prefixes.back(), "org/m/");
  EXPECT_TRUE(Logged(rig.log,
                     "aborted an incomplete upload left by an earlier run: org/m/a.bin "
                     "(upload stale2"));
  EXPECT_TRUE(Logged(rig.log,
                     "left in place an incomplete upload started after this run "
                     "(another run?): org/m/b.bin"));
  EXPECT_TRUE(Logged(rig.log, "org/m/c.bin (upload unknown, started an unknown time)"));
  EXPECT_TRUE(Logged(rig.log, "incomplete upload already gone: org/m/d.bin"));
  auto j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j["stale_uploads_aborted"], 2);
  EXPECT_EQ(j["repos"][0]["stale_uploads_aborted"], 2);
}

TEST(RunMirror, UnlistableUploadsOnlyWarn) {
  Rig rig;
  auto uploads = std::make_unique<UploadsStore>();
  uploads->list_error = PermissionDenied("s3 list-multipart org/m/: HTTP 403 AccessDenied");
  rig.store = std::move(uploads);
  MirrorReport r = rig.Run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.files_copied, 3u);
  EXPECT_EQ(r.stale_uploads_aborted, 0u);
  EXPECT_TRUE(Logged(rig.log, "warning: org/m: cannot list incomplete uploads: "));
}

// On a directory, the killed run's hidden temp file in the repository's folder goes away.
TEST(RunMirror, RemovesTempFilesOfAKilledRunInADirectory) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("castor-mirror-" + std::to_string(::getpid()));
  fs::remove_all(root);
  Rig rig;
  rig.store = std::move(OpenLocalStore(root.string()).value());
  fs::create_directories(root / "org/m/w");
  std::string dead = (root / "org/m/w/.castor-tmp-999999-0-dead").string();
  std::ofstream(dead) << "half a file";
  struct utimbuf old = {::time(nullptr) - 60, ::time(nullptr) - 60};
  ASSERT_EQ(::utime(dead.c_str(), &old), 0);
  MirrorReport r = rig.Run();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.stale_uploads_aborted, 1u);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_EQ(rig.Get("org/m/w/model.safetensors"), std::string(100000, 'w'));
  EXPECT_EQ(rig.Run().stale_uploads_aborted, 0u);
  fs::remove_all(root);
}

}  // namespace
}  // namespace castor::mirror
