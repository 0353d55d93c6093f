// `maiev serve`: options come from flags, then environment variables, then a config file
// (`--config FILE`, TOML/INI keys named like the long flags), then defaults.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "daemon/daemon.hpp"
#include "daemon/listen_address.hpp"

namespace maiev::cli {
namespace {

struct ServeArgs {
  std::string store = "maiev.db";
  std::string listen = "127.0.0.1:8080";
  std::string api_token;
  double interval = 1.0;
  double counts_interval = 1.0;
  double stats_interval = 5.0;
  std::string rabbitmq_host = "127.0.0.1";
  int rabbitmq_port = 5672;
  std::string rabbitmq_vhost = "/";
  std::string rabbitmq_user = "guest";
  std::string rabbitmq_password = "guest";
  std::string rabbitmq_management_url;
  std::string docker_host;
  std::string docker_tls_verify;
  std::string docker_cert_path;
  std::string log_level = "info";
};

Result<daemon::ServeOptions> ToOptions(const ServeArgs& a) {
  daemon::ServeOptions o;
  o.store_path = a.store;
  auto listen = daemon::ParseListenAddress(a.listen);
  if (!listen.ok()) return Fail("invalid", "--listen (MAIEV_LISTEN) " + listen.error().message);
  o.api.host = listen->host;
  o.api.port = listen->port;
  o.api.api_token = a.api_token;
  for (auto [name, value] : {std::pair{"--interval", a.interval},
                             {"--counts-interval", a.counts_interval},
                             {"--stats-interval", a.stats_interval}}) {
    if (!(value > 0)) {
      return Fail("invalid",
                  std::string(name) + ": expected seconds > 0, got " + std::to_string(value));
    }
  }
  o.evaluation_interval = Duration{a.interval};
  o.rabbitmq.host = a.rabbitmq_host;
  o.rabbitmq.port = a.rabbitmq_port;
  o.rabbitmq.vhost = a.rabbitmq_vhost;
  o.rabbitmq.user = a.rabbitmq_user;
  o.rabbitmq.password = a.rabbitmq_password;
  o.rabbitmq.management_url = a.rabbitmq_management_url.empty()
                                  ? "http://" + a.rabbitmq_host + ":15672"
                                  : a.rabbitmq_management_url;
  o.rabbitmq.counts_interval = Duration{a.counts_interval};
  o.rabbitmq.stats_interval = Duration{a.stats_interval};
  o.rabbitmq.staleness.counts = Duration{3 * a.counts_interval};
  o.rabbitmq.staleness.stats = Duration{3 * a.stats_interval};
  orchestrator::DockerEnvironment env = orchestrator::DockerEnvironment::FromProcess();
  env.docker_host = a.docker_host;
  env.tls_verify = a.docker_tls_verify;
  env.cert_path = a.docker_cert_path;
  auto endpoint = orchestrator::ParseDockerEndpoint(env);
  if (!endpoint.ok()) return Unexpected{endpoint.error()};
  o.docker = *endpoint;
  return o;
}

int RunServe(const ServeArgs& args) {
  auto level = spdlog::level::from_str(args.log_level);
  if (level == spdlog::level::off && args.log_level != "off") {
    std::cerr << "maiev serve: --log-level: expected trace, debug, info, warn, error or off, got '"
              << args.log_level << "'\n";
    return kExitBadInput;
  }
  spdlog::set_level(level);
  auto options = ToOptions(args);
  if (!options.ok()) {
    std::cerr << "maiev serve: " << options.error().message << "\n";
    return kExitBadInput;
  }

  // SIGINT/SIGTERM are taken by a thread of their own (sigwait), so the loops stop cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // internal: wakes the waiter when Serve returns by itself
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::stop_source stop;
  std::jthread waiter([&signals, &stop] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGINT || sig == SIGTERM) spdlog::info("signal {} received", sig);
    stop.request_stop();
  });

  Status st = daemon::Serve(*options, stop.get_token());
  if (!stop.stop_requested()) {
    // Wake the signal thread so it can be joined.
    pthread_kill(waiter.native_handle(), SIGUSR1);
  }
  if (!st.ok()) {
    std::cerr << "maiev serve: " << st.error().message << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "Run the daemon: discover, monitor, autoscale");
  serve->set_config("--config", "", "Config file (TOML/INI, keys named like the long flags)");
  serve->add_option("--store", args->store, "SQLite state file")->envname("MAIEV_STORE");
  serve->add_option("--listen", args->listen, "HOST:PORT of the REST API")->envname("MAIEV_LISTEN");
  serve->add_option("--api-token", args->api_token, "Bearer token required by mutations")
      ->envname("MAIEV_API_TOKEN");
  serve->add_option("--interval", args->interval, "Seconds between autoscaling cycles");
  serve->add_option("--counts-interval", args->counts_interval,
                    "Seconds between fresh AMQP queue counts");
  serve->add_option("--stats-interval", args->stats_interval,
                    "Seconds between management API rate listings");
  serve->add_option("--rabbitmq-host", args->rabbitmq_host)->envname("RABBITMQ_HOST");
  serve->add_option("--rabbitmq-port", args->rabbitmq_port)->envname("RABBITMQ_PORT");
  serve->add_option("--rabbitmq-vhost", args->rabbitmq_vhost)->envname("RABBITMQ_VHOST");
  serve->add_option("--rabbitmq-user", args->rabbitmq_user)->envname("RABBITMQ_USER");
  serve->add_option("--rabbitmq-password", args->rabbitmq_password)->envname("RABBITMQ_PASSWORD");
  serve->add_option("--rabbitmq-management-url", args->rabbitmq_management_url)
      ->envname("RABBITMQ_MANAGEMENT_URL");
  serve->add_option("--docker-host", args->docker_host)->envname("DOCKER_HOST");
  serve->add_option("--docker-tls-verify", args->docker_tls_verify)->envname("DOCKER_TLS_VERIFY");
  serve->add_option("--docker-cert-path", args->docker_cert_path)->envname("DOCKER_CERT_PATH");
  serve->add_option("--log-level", args->log_level, "trace, debug, info, warn, error")
      ->envname("MAIEV_LOG_LEVEL");
  serve->callback([args, &exit_code] { exit_code = RunServe(*args); });
}

}  // namespace maiev::cli
