// RunMirror over an in-memory store and a scripted Hub: copies, verification before visibility,
// idempotent re-runs, the snapshots layout's ordering, dry runs.
#include "castor/mirror/mirror.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "castor/hash/sha256.h"
#include "castor/mirror/content_check.h"

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
    auto r =
        RunMirror(config, *hub, *store, nullptr, [&](const std::string& l) {
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

}  // namespace
}  // namespace castor::mirror
