// RepoRef: a Hugging Face Hub repository (model, dataset or space) with an optional revision, as
// users write it on the command line ("openai-community/gpt2", "datasets/org/name@refs/pr/3"),
// and the URL paths the Hub serves it under. Plain values.
#pragma once

#include <string>
#include <string_view>

#include "castor/base/status.h"

namespace castor::hub {

enum class RepoType { kModel, kDataset, kSpace };

// "model", "dataset", "space".
std::string_view RepoTypeName(RepoType t);

struct RepoRef {
  RepoType type = RepoType::kModel;
  std::string id;        // "namespace/name" (or a bare "name" for legacy models such as "gpt2")
  std::string revision;  // "" = the default branch ("main")

  // "datasets/org/name" for datasets and spaces, "org/name" for models: the path used in resolve
  // URLs and in mirror destinations.
  std::string path() const;
  // "/api/models/org/name" (or datasets/spaces).
  std::string api_path() const;
  std::string revision_or_main() const { return revision.empty() ? "main" : revision; }
};

// Parses "[models/|datasets/|spaces/]ns/name[@revision]". The revision is everything after the
// first '@' (so "refs/pr/3" works). InvalidArgument names what is wrong: empty parts, more than
// two path segments, characters the Hub does not allow in repo names.
Result<RepoRef> ParseRepoRef(std::string_view text);

// Percent-encodes a revision as ONE path segment ("refs/pr/1" -> "refs%2Fpr%2F1"), as the Hub's
// API routes expect.
std::string EncodeRevision(std::string_view revision);

}  // namespace castor::hub
