// UploadPaths and DownloadFile against castor's own CAS over loopback HTTP (an in-process server
// on a memory store), with xorbs small enough that a few MiB make dozens of them: the upload
// workers' in-place compression and buffer reuse, and the download's batched (direct) writes
// across many ranges and workers, checked byte for byte.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "castor/base/splitmix64.h"
#include "castor/cas/cas_service.h"
#include "castor/client/cas_client.h"
#include "castor/server/cas_routes.h"
#include "castor/server/http_server.h"
#include "castor/storage/memory_store.h"
#include "castor/transfer/download.h"
#include "castor/transfer/upload.h"

namespace castor {
namespace {

namespace fs = std::filesystem;

class OpenAccess : public server::Authorizer {
 public:
  Result<server::Principal> Authorize(const server::Request&, server::Scope) const override {
    return server::Principal{"test", server::Scope::kWrite, ""};
  }
};

// A port the kernel just handed out (the routes must know their URL before the server starts).
uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// bf16-like numbers (BG4 + LZ4 compress them), text (LZ4) and random bytes (stored raw).
Bytes ModelLike(size_t n, uint64_t seed) {
  Bytes b = SplitMix64::Generate(n, seed);
  for (size_t i = 0; i + 1 < n / 2; i += 2) b[i + 1] = uint8_t(0x3c + (b[i] & 3));
  for (size_t i = n / 2; i < n * 3 / 4; ++i) b[i] = uint8_t("layer.weight "[i % 13]);
  return b;
}

void WriteFile(const fs::path& p, const Bytes& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

Bytes ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class TransferRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("castor-roundtrip-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "in");
    store_ = NewMemoryStore();
    cas_ = std::make_unique<cas::CasService>(store_.get());
    const uint16_t port = FreePort();
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    server::CasRoutesOptions ro;
    ro.public_url = url;
    ASSERT_TRUE(server::AddCasRoutes(router_, cas_.get(), &signer_, nullptr, ro).ok());
    server::HttpServerOptions so;
    so.port = port;
    so.threads = 2;
    server_ = std::make_unique<server::HttpServer>(&router_, so, &auth_);
    ASSERT_TRUE(server_->Start().ok());
    http_ = http::NewCurlHttpClient();
    tokens_ = client::StaticToken("");
    client::CasClientOptions co;
    co.endpoint = url;
    client_ = std::make_unique<client::CasClient>(http_.get(), tokens_.get(), co);
  }
  void TearDown() override {
    server_->Shutdown();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<cas::CasService> cas_;
  Bytes secret_ = Bytes(32, 7);
  server::UrlSigner signer_{secret_};
  server::Router router_;
  OpenAccess auth_;
  std::unique_ptr<server::HttpServer> server_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<client::TokenSource> tokens_;
  std::unique_ptr<client::CasClient> client_;
};

TEST_F(TransferRoundTrip, ManySmallXorbsUpAndBackDown) {
  const std::vector<std::pair<std::string, Bytes>> files = {
      {"a.bin", ModelLike(6 << 20, 1)},
      {"b.bin", ModelLike(3 << 20, 2)},
      {"c.bin", ModelLike(6 << 20, 1)},  // a copy of a.bin: deduplicated in the session
  };
  for (const auto& [name, data] : files) WriteFile(dir_ / "in" / name, data);

  for (int jobs : {1, 3}) {
    SCOPED_TRACE("jobs " + std::to_string(jobs));
    UploadOptions uo;
    uo.parallelism = jobs;
    uo.global_dedup = jobs == 1;    // the second push finds everything through the server
    uo.xorb.max_bytes = 256 << 10;  // dozens of xorbs, so buffers are recycled many times
    ProgressCounters progress;
    uo.progress = &progress;
    auto up = UploadPaths(*client_, {(dir_ / "in").string()}, uo);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    ASSERT_EQ(up->files.size(), files.size());
    // Every byte of every file counted once, deduplicated or not.
    EXPECT_EQ(progress.files_total, files.size());
    EXPECT_EQ(progress.files_done, files.size());
    EXPECT_EQ(progress.bytes_total, uint64_t(15) << 20);
    EXPECT_EQ(progress.bytes_done, uint64_t(15) << 20);
    if (jobs == 1) {
      EXPECT_GT(up->xorbs_uploaded, 20u);
      EXPECT_LT(up->bytes_uploaded, up->stats.bytes_new);  // compressed
    } else {
      EXPECT_EQ(up->xorbs_uploaded, 0u);  // all present already
    }
    for (bool direct : {true, false}) {
      for (size_t i = 0; i < files.size(); ++i) {
        const fs::path out = dir_ / ("out-" + std::to_string(i));
        DownloadOptions d;
        d.direct_io = direct;
        d.parallelism = 4;
        auto down = DownloadFile(*client_, up->files[i].file_id, out.string(), d);
        ASSERT_TRUE(down.ok()) << down.status().ToString();
        EXPECT_GT(down->ranges, 5u);
        EXPECT_EQ(ReadFile(out), files[i].second) << files[i].first << " direct " << direct;
        fs::remove(out);
      }
    }
  }
}

}  // namespace
}  // namespace castor
