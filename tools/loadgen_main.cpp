// maiev-loadgen: the test workload's producer. Declares a queue (the same way maiev-worker does)
// and publishes either a burst of N messages or R messages/s for T seconds, then prints
// `sent N` on stdout. Broker settings come from RABBITMQ_* like every maiev program.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "common/clock.hpp"
#include "tools/amqp_session.hpp"

namespace {

using maiev::Status;
using maiev::tools::AmqpSession;
using maiev::tools::AmqpSettings;

struct LoadOptions {
  std::string queue = "maiev-demo";
  long burst = 0;         // messages, all at once
  double rate = 0;        // messages/s
  double duration = 0;    // seconds, with rate
  std::size_t size = 16;  // body bytes
};

std::int64_t UnixSeconds(const maiev::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
}

// Publishes per the options; `sent` counts what was handed to the broker even on failure.
Status Publish(AmqpSession& session, const LoadOptions& options, long& sent) {
  const maiev::SystemClock clock;
  const std::string body(options.size, 'm');
  if (options.burst > 0) {
    for (; sent < options.burst; ++sent) {
      if (Status s = session.Publish(options.queue, body, UnixSeconds(clock)); !s) return s;
    }
    return {};
  }
  // Message i is due at start + i / rate; a steady clock paces it.
  const long total = static_cast<long>(options.rate * options.duration);
  const auto start = std::chrono::steady_clock::now();
  for (; sent < total; ++sent) {
    std::this_thread::sleep_until(start + std::chrono::duration<double>(sent / options.rate));
    if (Status s = session.Publish(options.queue, body, UnixSeconds(clock)); !s) return s;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"maiev-loadgen: publishes test messages to a RabbitMQ queue"};
  LoadOptions options;
  app.add_option("-q,--queue", options.queue, "queue to declare and publish to")
      ->capture_default_str();
  auto* burst = app.add_option("-n,--burst", options.burst, "publish this many messages at once")
                    ->check(CLI::PositiveNumber);
  auto* rate =
      app.add_option("-r,--rate", options.rate, "messages per second")->check(CLI::PositiveNumber);
  auto* duration = app.add_option("-t,--duration", options.duration, "seconds to publish at --rate")
                       ->check(CLI::PositiveNumber);
  app.add_option("-s,--size", options.size, "message body size in bytes")->capture_default_str();
  burst->excludes(rate)->excludes(duration);
  rate->needs(duration);
  duration->needs(rate);
  try {
    app.parse(argc, argv);
    if (burst->count() == 0 && rate->count() == 0) {
      throw CLI::RequiredError("--burst or --rate with --duration");
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto settings = AmqpSettings::FromEnvironment();
  if (!settings) {
    std::cerr << "loadgen: " << settings.error().message << "\n";
    return 2;
  }
  auto session = AmqpSession::Open(*settings);
  if (!session) {
    std::cerr << "loadgen: " << session.error().message << "\n";
    return 1;
  }
  if (Status s = (*session)->DeclareQueue(options.queue); !s) {
    std::cerr << "loadgen: " << s.error().message << "\n";
    return 1;
  }
  long sent = 0;
  const Status status = Publish(**session, options, sent);
  session->reset();  // a clean close: everything published is with the broker when it returns
  std::cout << "sent " << sent << "\n";
  if (!status) {
    std::cerr << "loadgen: " << status.error().message << "\n";
    return 1;
  }
  return 0;
}
