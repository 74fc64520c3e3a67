// libFuzzer target shard_reader_fuzz (built with -DCASTOR_FUZZ=ON and clang); see fuzz_targets.h.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "castor/format/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  castor::Status s = castor::FuzzShardReader(castor::ByteSpan(data, size));
  if (s.code() == castor::StatusCode::kInternal) {
    std::fprintf(stderr, "invariant broken: %s\n", s.ToString().c_str());
    std::abort();
  }
  return 0;
}
