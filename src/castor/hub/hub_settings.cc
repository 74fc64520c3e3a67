#include "castor/hub/hub_settings.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace castor::hub {

EnvLookup ProcessEnv() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// nullopt if the file does not exist; an error if it exists but cannot be read.
Result<std::optional<std::string>> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::optional<std::string>();
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IOError("cannot read token file " + path);
  return std::optional<std::string>(Trim(ss.str()));
}

}  // namespace

Result<HubSettings> ResolveHubSettings(const std::string& endpoint_flag,
                                       const std::string& token_file_flag, const EnvLookup& env) {
  HubSettings s;
  s.endpoint = endpoint_flag;
  if (s.endpoint.empty()) {
    if (auto e = env("HF_ENDPOINT"); e && !e->empty()) s.endpoint = *e;
  }
  if (s.endpoint.empty()) s.endpoint = kDefaultEndpoint;
  while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
  if (s.endpoint.rfind("http://", 0) != 0 && s.endpoint.rfind("https://", 0) != 0) {
    return InvalidArgument("Hub endpoint '" + s.endpoint + "' must start with http:// or https://");
  }

  if (!token_file_flag.empty()) {
    CASTOR_ASSIGN_OR_RETURN(auto t, ReadTokenFile(token_file_flag));
    if (!t) return NotFound("token file " + token_file_flag + " does not exist");
    s.token = *t;
    s.token_source = "--token-file " + token_file_flag;
    return s;
  }
  if (auto t = env("HF_TOKEN"); t && !Trim(*t).empty()) {
    s.token = Trim(*t);
    s.token_source = "HF_TOKEN";
    return s;
  }
  std::string path;
  if (auto home = env("HF_HOME"); home && !home->empty()) {
    path = *home + "/token";
  } else if (auto h = env("HOME"); h && !h->empty()) {
    path = *h + "/.cache/huggingface/token";
  }
  if (!path.empty()) {
    CASTOR_ASSIGN_OR_RETURN(auto t, ReadTokenFile(path));
    if (t && !t->empty()) {
      s.token = *t;
      s.token_source = path;
      return s;
    }
  }
  s.token_source = "none";
  return s;
}

}  // namespace castor::hub
