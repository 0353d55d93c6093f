// Test support: the lines logged through spdlog while a CapturedLog is alive.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace maiev::orchestrator::testing {

// Collects "level: text" of every line logged at info or above while it is installed as the
// default logger. Not for concurrent CapturedLogs; read Lines() once the threads that log are
// done.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<Sink>(lines_);
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // The lines that contain `word`.
  std::vector<std::string> Lines(const std::string& word) const {
    std::vector<std::string> out;
    for (const auto& line : *lines_) {
      if (line.find(word) != std::string::npos) out.push_back(line);
    }
    return out;
  }

 private:
  using Shared = std::shared_ptr<std::vector<std::string>>;
  class Sink final : public spdlog::sinks::base_sink<std::mutex> {
   public:
    explicit Sink(Shared lines) : lines_(std::move(lines)) {}

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      lines_->push_back(std::string(spdlog::level::to_string_view(msg.level).data()) + ": " +
                        std::string(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}

   private:
    Shared lines_;
  };

  Shared lines_ = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace maiev::orchestrator::testing
