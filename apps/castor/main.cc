#include <cstdio>
#include <iostream>

#include "command.h"

namespace castor::cli {

std::vector<std::pair<std::string, Command::Setup>>& Registry() {
  static std::vector<std::pair<std::string, Command::Setup>> r;
  return r;
}

Command::Command(std::string name, Setup setup) {
  Registry().emplace_back(std::move(name), std::move(setup));
}

void PrintError(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "castor: %s\n", message.c_str());
}

}  // namespace castor::cli

int main(int argc, char** argv) {
  CLI::App app{"castor: content-addressed storage and transfer of large model files (Xet protocol)"};
  app.set_version_flag("--version", std::string("castor ") + CASTOR_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  auto& reg = castor::cli::Registry();
  std::sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [name, setup] : reg) setup(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
