// `castor hash [--json] PATH...`: file id, SHA-256 and size of files and directory trees.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "castor/transfer/file_scanner.h"
#include "command.h"

namespace castor::cli {
namespace {

struct HashFlags {
  std::vector<std::string> paths;
  bool json = false;
  int threads = 0;
};

int Run(const HashFlags& f) {
  ScanOptions opts;
  opts.keep_chunks = false;  // memory stays bounded whatever the file size
  opts.threads = f.threads;
  int failures = 0;
  for (const std::string& arg : f.paths) {
    for (const FileToScan& file : ListFilesToScan(arg)) {
      Result<FileScan> r =
          file.status.ok() ? ScanFile(file.path, opts) : Result<FileScan>(file.status);
      if (!r.ok()) {
        PrintError(r.status().message());
        ++failures;
        continue;
      }
      // A file's line is printed only once its scan has finished.
      std::string line;
      if (f.json) {
        line = nlohmann::json{{"path", file.path},
                              {"size", r->size},
                              {"file_id", r->file_id.ToXetHex()},
                              {"sha256", r->sha256.ToRawHex()}}
                   .dump();
      } else {
        line = r->file_id.ToXetHex() + " " + r->sha256.ToRawHex() + " " + std::to_string(r->size) +
               " " + file.path;
      }
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  }
  if (std::fflush(stdout) != 0) {
    PrintError("stdout: write failed");
    return 1;
  }
  return failures ? 1 : 0;
}

const Command kHash("hash", [](CLI::App& app, int& exit_code) {
  auto f = std::make_shared<HashFlags>();
  CLI::App* cmd = app.add_subcommand(
      "hash",
      "Print one line per file: <file-id> <sha256> <size> <path>. The file id is the Xet file "
      "hash (Xet hex); sha256 is the ordinary digest.\n"
      "Directories are walked recursively, depth first, names sorted bytewise. Inside a "
      "directory, symbolic links to files are hashed under the link's path, symbolic links to "
      "directories are not entered, and FIFOs, sockets and devices are skipped; paths named on "
      "the command line are always read. '-' reads stdin.\n"
      "A file that cannot be read gets an error line on stderr naming it, no line on stdout, "
      "and makes the exit status 1; the other files are still hashed.");
  cmd->add_option("paths", f->paths, "Files or directories, or - for stdin")->required();
  cmd->add_flag("--json", f->json,
                "Print one JSON object per line instead: {path, size, file_id, sha256}");
  cmd->add_option("--threads", f->threads, "Hashing threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([f, &exit_code] { exit_code = Run(*f); });
});

}  // namespace
}  // namespace castor::cli
