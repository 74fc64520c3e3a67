// Where the Hub is and which token to present, resolved the way the Hub's own clients do:
//   endpoint: --endpoint, else HF_ENDPOINT, else https://huggingface.co;
//   token:    --token-file, else HF_TOKEN, else $HF_HOME/token, else ~/.cache/huggingface/token.
// The token is a secret: nothing here (or anywhere in castor) prints or logs it, not even a prefix;
// messages say only where it came from.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "castor/base/status.h"

namespace castor::hub {

inline constexpr char kDefaultEndpoint[] = "https://huggingface.co";

// Reads an environment variable; nullopt when unset. Injected so tests control the environment.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup ProcessEnv();

struct HubSettings {
  std::string endpoint;      // no trailing slash
  std::string token;         // "" = anonymous
  std::string token_source;  // "--token-file PATH", "HF_TOKEN", "PATH", or "none" (for messages)
};

// `endpoint_flag` / `token_file_flag`: "" when not given. A token file that is named explicitly
// but unreadable is an error; the default token file may be absent. Whitespace around the token
// is trimmed. InvalidArgument for an endpoint that is not http(s)://.
Result<HubSettings> ResolveHubSettings(const std::string& endpoint_flag,
                                       const std::string& token_file_flag, const EnvLookup& env);

}  // namespace castor::hub
