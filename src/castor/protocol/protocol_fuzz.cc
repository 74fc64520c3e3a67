// libFuzzer target: every parser of protocol/ must return a Status on any input, never crash,
// and what it accepts must survive a serialise/parse round trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "castor/protocol/cas_messages.h"
#include "castor/protocol/http_range.h"
#include "castor/protocol/multipart.h"
#include "castor/protocol/reconstruction.h"

using namespace castor::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto specs = ParseRangeHeader(in); specs.ok()) {
    if (auto r = ResolveRanges(*specs, 1000); r.ok()) {
      auto again = ResolveRanges(*ParseRangeHeader(FormatRangeHeader(*r)), 1000);
      if (!again.ok() || *again != *r) std::abort();
    }
  }
  (void)ParseContentRange(in);
  (void)ParseMultipartByteranges("multipart/byteranges; boundary=B", in);
  if (auto v1 = ParseReconstructionV1(in); v1.ok()) {
    auto back = ParseReconstructionV1(ToJson(*v1));
    if (!back.ok() || !(*back == *v1)) std::abort();
  }
  if (auto v2 = ParseReconstructionV2(in); v2.ok()) {
    auto back = ParseReconstructionV2(ToJson(*v2));
    if (!back.ok() || !(*back == *v2)) std::abort();
  }
  (void)ParseBatchReconstruction(in);
  (void)ParseFileKeys(in);
  (void)ParseShardStreamEvent(in);
  (void)ParseCasTokenResponse(in);
  (void)ParseErrorBody(in);
  return 0;
}
