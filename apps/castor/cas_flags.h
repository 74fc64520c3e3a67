// Flags every CAS client command shares (--endpoint, --token, --token-url, --hub-token), and the
// objects they wire up: an HTTP client, a token source and a CasClient.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <memory>
#include <string>

#include "castor/client/cas_client.h"
#include "castor/client/token_source.h"
#include "castor/http/http_client.h"

namespace castor::cli {

struct CasFlags {
  std::string endpoint;   // CAS base URL
  std::string token;      // a CAS bearer token (or CASTOR_TOKEN)
  std::string token_url;  // a Hub-shaped token endpoint instead of a fixed token
  std::string hub_token;  // sent to the token endpoint (or HF_TOKEN)

  void Add(CLI::App* cmd) {
    cmd->add_option("--endpoint", endpoint,
                    "CAS base URL, e.g. http://127.0.0.1:8080 (or CASTOR_ENDPOINT); with "
                    "--token-url it defaults to the casUrl the token endpoint returns");
    cmd->add_option("--token", token, "CAS bearer token (default: CASTOR_TOKEN)");
    cmd->add_option("--token-url", token_url,
                    "Hub-shaped token endpoint (…/xet-read-token/REV) to obtain and refresh "
                    "short-lived CAS tokens");
    cmd->add_option("--hub-token", hub_token, "token sent to --token-url (default: HF_TOKEN)");
  }
};

struct CasWiring {
  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<client::TokenSource> tokens;
  std::unique_ptr<client::CasClient> cas;
};

inline Result<CasWiring> Wire(const CasFlags& f) {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  CasWiring w;
  w.http = http::NewCurlHttpClient();
  std::string endpoint = f.endpoint.empty() ? env("CASTOR_ENDPOINT") : f.endpoint;
  if (!f.token_url.empty()) {
    w.tokens = client::EndpointToken(w.http.get(), f.token_url,
                                     f.hub_token.empty() ? env("HF_TOKEN") : f.hub_token);
    if (endpoint.empty()) {
      CASTOR_RETURN_IF_ERROR(w.tokens->Token(false).status());
      endpoint = w.tokens->cas_url();
    }
  } else {
    w.tokens = client::StaticToken(f.token.empty() ? env("CASTOR_TOKEN") : f.token);
  }
  if (endpoint.empty()) return InvalidArgument("no CAS endpoint: give --endpoint or CASTOR_ENDPOINT");
  client::CasClientOptions o;
  o.endpoint = endpoint;
  w.cas = std::make_unique<client::CasClient>(w.http.get(), w.tokens.get(), o);
  return w;
}

}  // namespace castor::cli
