// MemoryStore: an ObjectStore held in process memory, for tests and as the reference behaviour of
// the conformance suite. Safe for concurrent use.
#pragma once

#include <memory>
#include <string>

#include "castor/storage/object_store.h"

namespace castor {

// A fresh, empty store. `name` only appears in uri() ("mem://name").
std::unique_ptr<ObjectStore> NewMemoryStore(std::string name = "");

}  // namespace castor
