// Support for the tests that run the built `maiev` binary as a user would.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace maiev::cli::testing {

struct ShellResult {
  int exit_code = -1;  // -1 when the command could not run or did not exit normally
  std::string out;     // what it wrote to stdout
};

// Runs `command` through /bin/sh and collects its stdout.
inline ShellResult RunShell(const std::string& command) {
  ShellResult run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A scratch directory for the running test (named after it), removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(getpid()) + "-" + (info ? info->name() : "none"));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Writes `text` to the file `name` in the directory and returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// What a run of the `maiev` binary printed and how it exited.
struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Quotes `arg` for /bin/sh.
inline std::string Quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs `maiev SUBCOMMAND ARGS...` (the built binary), stderr through a file in `scratch`.
inline Outcome RunMaiev(const ScratchDir& scratch, const std::string& subcommand,
                        const std::vector<std::string>& args) {
  const std::string err_path = (scratch.path() / "stderr.txt").string();
  std::string command = Quote(MAIEV_EXE) + " " + subcommand;
  for (const auto& arg : args) command += " " + Quote(arg);
  command += " 2>" + Quote(err_path);
  ShellResult shell = RunShell(command);
  Outcome run;
  run.exit_code = shell.exit_code;
  run.out = std::move(shell.out);
  std::ifstream err(err_path);
  std::ostringstream text;
  text << err.rdbuf();
  run.err = text.str();
  return run;
}

}  // namespace maiev::cli::testing
