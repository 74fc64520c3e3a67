// Subcommand registration: each cmd_*.cc defines a static Command that adds itself to the CLI.
// Commands parse flags, wire objects and print; the logic lives in src/castor/.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace castor::cli {

struct Command {
  // Called once to add the subcommand (and its callback) to the app.
  using Setup = std::function<void(CLI::App& app, int& exit_code)>;
  Command(std::string name, Setup setup);
};

std::vector<std::pair<std::string, Command::Setup>>& Registry();

// Prints "castor: <message>" to stderr.
void PrintError(const std::string& message);

}  // namespace castor::cli
