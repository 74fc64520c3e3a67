// The ObjectStore conformance suite against real S3 servers: moto and OpenStack Swift's s3api
// (which verifies every signature), with unsigned and signed payloads.
#include "castor/storage/conformance_test.h"
#include "s3_test_util.h"

namespace castor {
namespace {

using storetest::StoreConformance;
using storetest::StoreFactory;

Result<std::unique_ptr<ObjectStore>> Make(const std::string& server, bool signed_payload,
                                          const std::string& prefix, bool virtual_hosted = false) {
  if (s3test::Port(server).empty())
    return Unavailable(server + " is not running (tests/s3/servers.sh start; CASTOR_S3_STATE)");
  auto o = s3test::Options(server);
  o.unsigned_payload = !signed_payload;
  o.prefix = prefix;
  if (virtual_hosted) {
    // castor-test.localhost: libcurl resolves *.localhost to the loopback address itself.
    o.endpoint = "http://localhost:" + s3test::Port(server);
    o.path_style = false;
  }
  return s3::NewS3Store(std::move(o));
}

INSTANTIATE_TEST_SUITE_P(
    S3, StoreConformance,
    ::testing::Values(StoreFactory{"Moto", [] { return Make("moto", false, ""); }},
                      StoreFactory{"MotoPrefixed", [] { return Make("moto", false, "pre/fix"); }},
                      StoreFactory{"MotoVirtualHosted",
                                   [] { return Make("moto", false, "vh", true); }},
                      StoreFactory{"Swift", [] { return Make("swift", false, ""); }},
                      StoreFactory{"SwiftSignedPayload", [] { return Make("swift", true, "p"); }}),
    storetest::PrintStoreName);

}  // namespace
}  // namespace castor
