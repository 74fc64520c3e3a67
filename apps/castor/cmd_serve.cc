// `castor serve [--store URI] [--listen HOST:PORT] [--config FILE]`: the Xet CAS server.
#include <openssl/rand.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <toml++/toml.h>

#include "castor/cas/cas_service.h"
#include "castor/server/audit_log.h"
#include "castor/server/auth.h"
#include "castor/server/cas_routes.h"
#include "castor/server/cas_token.h"
#include "castor/server/http_server.h"
#include "castor/server/log.h"
#include "castor/server/metrics.h"
#include "castor/server/request_observer.h"
#include "castor/server/router.h"
#include "castor/server/signed_url.h"
#include "castor/server/token_endpoint.h"
#include "castor/storage/object_store.h"
#include "command.h"

namespace castor::cli {
namespace {

struct ServeFlags {
  std::string store;
  std::string listen;
  std::string config;
  std::string public_url;
  std::string audit_log;
  std::string log_level = "info";
  int threads = 0;
  bool proxy_data = false;
};

// [server] table of the config file; flags given on the command line win.
Status ApplyConfig(ServeFlags& f) {
  if (f.config.empty()) return Status::OK();
  toml::table t;
  try {
    t = toml::parse_file(f.config);
  } catch (const toml::parse_error& e) {
    return InvalidArgument("config " + f.config + ": " + std::string(e.description()));
  }
  auto s = t["server"];
  auto take = [&](std::string& dst, const char* key) {
    if (dst.empty()) {
      if (auto v = s[key].value<std::string>()) dst = *v;
    }
  };
  take(f.store, "store");
  take(f.listen, "listen");
  take(f.public_url, "public_url");
  take(f.audit_log, "audit_log");
  if (auto v = s["threads"].value<int64_t>(); v && f.threads == 0) f.threads = int(*v);
  return Status::OK();
}

// A free TCP port on `host` (asked of the kernel), for --listen HOST:0: the public URL must name
// the port before the routes are built.
int FreePort(const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &a.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// With no tokens configured (loopback only), every request may read and write.
class OpenAccess : public server::Authorizer {
 public:
  Result<server::Principal> Authorize(const server::Request&, server::Scope) const override {
    return server::Principal{"anonymous", server::Scope::kWrite, ""};
  }
};

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Run(ServeFlags f) {
  if (Status s = ApplyConfig(f); !s.ok()) {
    PrintError(s.message());
    return 2;
  }
  if (f.store.empty()) f.store = "./castor-store";
  if (f.listen.empty()) f.listen = "127.0.0.1:8080";
  auto colon = f.listen.rfind(':');
  if (colon == std::string::npos) {
    PrintError("--listen wants HOST:PORT, got '" + f.listen + "'");
    return 2;
  }
  std::string host = f.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = std::atoi(f.listen.c_str() + colon + 1);
  if (port == 0) port = FreePort(host);
  if (port <= 0 || port > 65535) {
    PrintError("bad port in --listen '" + f.listen + "'");
    return 2;
  }

  auto level = server::ParseLogLevel(f.log_level);
  if (!level.ok()) {
    PrintError(level.status().message());
    return 2;
  }
  server::Logger log(2, *level);

  // Auth: tokens from the config file and CASTOR_TOKENS; the server secret signs CAS tokens
  // and data URLs (random per process unless configured, so URLs die with the process).
  server::AuthConfig auth;
  if (!f.config.empty()) {
    auto a = server::LoadAuthToml(f.config);
    if (!a.ok()) {
      PrintError(a.status().message());
      return 2;
    }
    auth = std::move(*a);
  }
  if (const char* env = std::getenv("CASTOR_TOKENS"); env && *env) {
    auto t = server::ParseTokensEnv(env);
    if (!t.ok()) {
      PrintError("CASTOR_TOKENS: " + t.status().message());
      return 2;
    }
    for (auto& tok : *t) auth.tokens.push_back(std::move(tok));
  }
  if (Status s = server::CheckListenAllowed(host, !auth.tokens.empty()); !s.ok()) {
    PrintError(s.message());
    return 2;
  }
  if (auth.server_secret.empty()) {
    auth.server_secret.resize(32);
    RAND_bytes(auth.server_secret.data(), int(auth.server_secret.size()));
  }

  auto store = OpenStore(f.store);
  if (!store.ok()) {
    PrintError("store: " + store.status().message());
    return 1;
  }
  cas::CasService cas(store->get());
  server::CasTokenSigner token_signer(auth.server_secret);
  server::UrlSigner url_signer(auth.server_secret);
  server::Authenticator authenticator(auth.tokens, &token_signer);
  OpenAccess open_access;
  const server::Authorizer* authorizer =
      auth.tokens.empty() ? static_cast<const server::Authorizer*>(&open_access) : &authenticator;

  server::MetricsRegistry registry;
  auto metrics = server::ServerMetrics::Create(registry);
  if (!metrics.ok()) {
    PrintError(metrics.status().message());
    return 1;
  }
  std::unique_ptr<server::AuditLog> audit;
  if (!f.audit_log.empty()) {
    auto a = server::AuditLog::Open(f.audit_log);
    if (!a.ok()) {
      PrintError(a.status().message());
      return 1;
    }
    audit = std::move(*a);
  }

  server::HttpServerOptions opts;
  opts.host = host;
  opts.port = uint16_t(port);
  opts.threads = f.threads;
  server::Router router;
  server::HttpServer http(&router, opts, authorizer,
                          server::MakeRequestObserver(metrics->get(), audit.get(), &log));
  const std::string public_url =
      f.public_url.empty() ? "http://" + f.listen.substr(0, colon) + ":" + std::to_string(port)
                           : f.public_url;
  server::CasRoutesOptions co;
  co.public_url = public_url;
  co.presigned_store_urls = !f.proxy_data;
  Status st = server::AddCasRoutes(router, &cas, &url_signer, metrics->get(), co);
  server::TokenEndpointOptions token_opts;
  token_opts.cas_url = public_url;
  if (st.ok()) st = server::AddTokenRoutes(router, &token_signer, token_opts);
  if (st.ok()) st = server::AddMetricsRoute(router, &registry);
  if (st.ok()) st = http.Start();
  if (!st.ok()) {
    PrintError(st.message());
    return 1;
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  log.Info("castor serve listening", {{"listen", host + ":" + std::to_string(http.port())},
                                      {"store", (*store)->uri()},
                                      {"public_url", public_url},
                                      {"tokens", std::to_string(auth.tokens.size())}});
  std::printf("castor serve: listening on %s:%u, store %s\n", host.c_str(), unsigned(http.port()),
              (*store)->uri().c_str());
  std::fflush(stdout);
  while (!g_stop) pause();
  log.Info("shutting down: finishing in-flight requests");
  http.Shutdown();
  return 0;
}

const Command kServe("serve", [](CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run a Xet CAS server over an object store (a local directory by default, or S3). "
      "Without tokens it listens on loopback only; tokens come from the config file "
      "([[auth.tokens]]) or CASTOR_TOKENS=\"id:secret:read|write,...\".");
  cmd->add_option("--store", f->store,
                  "Store URI: a directory (default ./castor-store), file:///path, or "
                  "s3://bucket/prefix?region=…&endpoint=…");
  cmd->add_option("--listen", f->listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  cmd->add_option("--config", f->config, "TOML config file ([server] and [auth] tables)");
  cmd->add_option("--public-url", f->public_url,
                  "Base URL clients reach this server at (default http://LISTEN)");
  cmd->add_option("--audit-log", f->audit_log, "Append-only JSON-lines audit log file");
  cmd->add_option("--log-level", f->log_level, "debug, info, warn or error");
  cmd->add_option("--threads", f->threads, "Server threads (0 = one per core)");
  cmd->add_flag("--proxy-data", f->proxy_data,
                "Serve xorb bytes through this server (signed URLs to it) even when the store "
                "can presign its own URLs (S3), e.g. when clients cannot reach the bucket");
  cmd->callback([f, &exit_code] { exit_code = Run(*f); });
});

}  // namespace
}  // namespace castor::cli
