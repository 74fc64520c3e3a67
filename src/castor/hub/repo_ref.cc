#include "castor/hub/repo_ref.h"

#include "castor/http/http_client.h"

namespace castor::hub {

std::string_view RepoTypeName(RepoType t) {
  switch (t) {
    case RepoType::kModel:
      return "model";
    case RepoType::kDataset:
      return "dataset";
    case RepoType::kSpace:
      return "space";
  }
  return "model";
}

std::string RepoRef::path() const {
  switch (type) {
    case RepoType::kModel:
      return id;
    case RepoType::kDataset:
      return "datasets/" + id;
    case RepoType::kSpace:
      return "spaces/" + id;
  }
  return id;
}

std::string RepoRef::api_path() const {
  return "/api/" + std::string(RepoTypeName(type)) + "s/" + id;
}

namespace {

// Hub repo names: letters, digits, '-', '_', '.'; no leading/trailing '-' or '.', no "..".
Status CheckSegment(std::string_view seg, std::string_view text) {
  if (seg.empty())
    return InvalidArgument("repository '" + std::string(text) + "': empty name part");
  if (seg.size() > 96)
    return InvalidArgument("repository '" + std::string(text) + "': name too long");
  for (char c : seg) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) {
      return InvalidArgument("repository '" + std::string(text) + "': character '" +
                             std::string(1, c) + "' is not allowed in a repository name");
    }
  }
  if (seg == "." || seg == ".." || seg.find("..") != std::string_view::npos || seg.front() == '-' ||
      seg.front() == '.' || seg.back() == '-' || seg.back() == '.') {
    return InvalidArgument("repository '" + std::string(text) + "': invalid name part '" +
                           std::string(seg) + "'");
  }
  return Status::OK();
}

}  // namespace

Result<RepoRef> ParseRepoRef(std::string_view text) {
  RepoRef ref;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.revision = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (ref.revision.empty()) {
      return InvalidArgument("repository '" + std::string(text) + "': empty revision after '@'");
    }
    for (char c : ref.revision) {
      if (static_cast<unsigned char>(c) < 0x20 || c == ' ' || c == '\\' || c == '\x7f') {
        return InvalidArgument("repository '" + std::string(text) + "': invalid revision");
      }
    }
  }
  auto strip = [&](std::string_view p, RepoType t) {
    if (rest.substr(0, p.size()) == p) {
      rest.remove_prefix(p.size());
      ref.type = t;
      return true;
    }
    return false;
  };
  strip("models/", RepoType::kModel) || strip("datasets/", RepoType::kDataset) ||
      strip("spaces/", RepoType::kSpace);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    CASTOR_RETURN_IF_ERROR(CheckSegment(rest, text));
  } else {
    if (rest.find('/', slash + 1) != std::string_view::npos) {
      return InvalidArgument("repository '" + std::string(text) +
                             "': expected NAMESPACE/NAME (optionally prefixed by datasets/ or "
                             "spaces/, with @REVISION)");
    }
    CASTOR_RETURN_IF_ERROR(CheckSegment(rest.substr(0, slash), text));
    CASTOR_RETURN_IF_ERROR(CheckSegment(rest.substr(slash + 1), text));
  }
  if (ref.type != RepoType::kModel && slash == std::string_view::npos) {
    return InvalidArgument("repository '" + std::string(text) +
                           "': datasets and spaces are NAMESPACE/NAME");
  }
  ref.id = std::string(rest);
  return ref;
}

std::string EncodeRevision(std::string_view revision) { return http::UriEncode(revision, false); }

}  // namespace castor::hub
