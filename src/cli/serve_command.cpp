// `maiev serve`: options come from flags, then environment variables, then a config file
// (`--config FILE`, TOML/INI keys named like the long flags), then defaults. The RabbitMQ flags
// are handed over as given: the monitor reads their variables and validates both
// (monitor::RabbitMqConfig::Resolve).
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "api/listen_address.hpp"
#include "api/notifier.hpp"
#include "cli/commands.hpp"
#include "control/leader_election.hpp"
#include "daemon/daemon.hpp"
#include "registry/docker_config.hpp"
#include "registry/registry_host.hpp"

namespace maiev::cli {
namespace {

// A flag whose value counts only when it was given; its default lives in the domain.
template <class T>
struct GivenFlag {
  T value{};
  const CLI::Option* option = nullptr;

  std::optional<T> Given() const {
    if (option == nullptr || option->count() == 0) return std::nullopt;
    return value;
  }
};

struct RabbitMqFlags {
  GivenFlag<std::string> host;
  GivenFlag<std::string> port;
  GivenFlag<std::string> vhost;
  GivenFlag<std::string> user;
  GivenFlag<std::string> password;
  GivenFlag<std::string> management_url;
  GivenFlag<double> counts_interval;
  GivenFlag<double> stats_interval;
  GivenFlag<double> rate_window;

  monitor::RabbitMqSettings Settings() const {
    return {
        host.Given(),       port.Given(),           vhost.Given(),           user.Given(),
        password.Given(),   management_url.Given(), counts_interval.Given(), stats_interval.Given(),
        rate_window.Given()};
  }
};

struct ServeArgs {
  std::string store = "maiev.db";
  std::string listen = "127.0.0.1:8080";
  std::string api_token;
  std::string api_token_file;
  std::string webhook_token;
  std::string webhook_token_file;
  std::string read_token;
  std::string read_token_file;
  std::string rabbitmq_password_file;
  std::string tls_cert;
  std::string tls_key;
  std::string lease_name = "maiev-leader";
  std::string instance_id;
  double lease_duration = control::kLeaseDuration.count();
  double lease_renew_deadline = control::kLeaseRenewDeadline.count();
  double lease_renew_interval = control::kLeaseRenewInterval.count();
  double interval = 1.0;
  RabbitMqFlags rabbitmq;
  std::string docker_host;
  std::string docker_tls_verify;
  std::string docker_cert_path;
  std::string log_level = "info";
  std::string upgrades = "on";
  double registry_poll_interval = 300;
  std::string registry_auth_file;
  std::vector<std::string> insecure_registries;
  double upgrade_task_start = 60;
  double upgrade_step_deadline = 0;
  std::vector<std::string> notify_urls;
};

// Seconds > 0 (or ≥ 0 with `zero_ok`) from a flag, or an error naming it.
Result<Duration> Seconds(double value, std::string_view flag, bool zero_ok = false) {
  if (!std::isfinite(value) || value < 0 || (value == 0 && !zero_ok)) {
    std::ostringstream got;
    got << value;
    return Fail("invalid", std::string(flag) + ": expected seconds " + (zero_ok ? ">= 0" : "> 0") +
                               ", got " + got.str());
  }
  return Duration{value};
}

// A secret given as a file (a Swarm secret is one): its content without the trailing newline.
// `value` is the secret given directly; both at once is an error naming both flags.
Result<std::string> Secret(const std::string& value, const std::string& file, std::string_view flag,
                           std::string_view file_flag) {
  if (file.empty()) return value;
  if (!value.empty()) {
    return Fail("invalid",
                std::string(flag) + " and " + std::string(file_flag) + " are both given: give one");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Fail("invalid",
                std::string(file_flag) + ": cannot read '" + file + "': " + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return Fail("invalid", std::string(file_flag) + ": '" + file + "' is empty");
  if (text.find('\n') != std::string::npos) {
    return Fail("invalid", std::string(file_flag) + ": '" + file + "' has more than one line");
  }
  return text;
}

Result<daemon::ServeOptions> ToOptions(const ServeArgs& a) {
  daemon::ServeOptions o;
  o.store_path = a.store;
  auto listen = api::ParseListenAddress(a.listen);
  if (!listen.ok()) return Fail("invalid", "--listen (MAIEV_LISTEN) " + listen.error().message);
  o.api.host = listen->host;
  o.api.port = listen->port;
  auto api_token = Secret(a.api_token, a.api_token_file, "--api-token", "--api-token-file");
  if (!api_token) return Unexpected{api_token.error()};
  o.api.api_token = *api_token;
  auto webhook_token =
      Secret(a.webhook_token, a.webhook_token_file, "--webhook-token", "--webhook-token-file");
  if (!webhook_token) return Unexpected{webhook_token.error()};
  o.api.webhook_token = *webhook_token;
  auto read_token = Secret(a.read_token, a.read_token_file, "--read-token", "--read-token-file");
  if (!read_token) return Unexpected{read_token.error()};
  o.api.read_token = *read_token;
  if (a.tls_cert.empty() != a.tls_key.empty()) {
    return Fail("invalid", "--tls-cert and --tls-key go together: give both or neither");
  }
  o.api.tls_cert = a.tls_cert;
  o.api.tls_key = a.tls_key;
  o.lease.name = a.lease_name;
  o.lease.identity = a.instance_id.empty() ? control::DefaultInstanceId() : a.instance_id;
  o.lease.duration = Duration{a.lease_duration};
  o.lease.renew_deadline = Duration{a.lease_renew_deadline};
  o.lease.renew_interval = Duration{a.lease_renew_interval};
  if (auto st = o.lease.Validate(); !st) return Unexpected{st.error()};
  if (!(a.interval > 0) || !std::isfinite(a.interval)) {
    std::ostringstream got;
    got << a.interval;
    return Fail("invalid", "--interval: expected seconds > 0, got " + got.str());
  }
  o.evaluation_interval = Duration{a.interval};
  monitor::RabbitMqSettings settings = a.rabbitmq.Settings();
  // RABBITMQ_PASSWORD_FILE (or the flag): the password as a file, as a Swarm secret is.
  if (!a.rabbitmq_password_file.empty()) {
    const char* env = std::getenv("RABBITMQ_PASSWORD");
    const std::string given =
        settings.password ? *settings.password : (env != nullptr ? std::string(env) : "");
    auto password =
        Secret(given, a.rabbitmq_password_file, "--rabbitmq-password (RABBITMQ_PASSWORD)",
               "--rabbitmq-password-file (RABBITMQ_PASSWORD_FILE)");
    if (!password) return Unexpected{password.error()};
    settings.password = *password;
  }
  auto rabbitmq = monitor::RabbitMqConfig::Resolve(settings);
  if (!rabbitmq.ok()) return Unexpected{rabbitmq.error()};
  o.rabbitmq = std::move(*rabbitmq);
  orchestrator::DockerEnvironment env = orchestrator::DockerEnvironment::FromProcess();
  env.docker_host = a.docker_host;
  env.tls_verify = a.docker_tls_verify;
  env.cert_path = a.docker_cert_path;
  auto endpoint = orchestrator::ParseDockerEndpoint(env);
  if (!endpoint.ok()) return Unexpected{endpoint.error()};
  o.docker = *endpoint;

  if (a.upgrades != "on" && a.upgrades != "off") {
    return Fail("invalid",
                "--upgrades (MAIEV_UPGRADES): expected on or off, got '" + a.upgrades + "'");
  }
  o.upgrades.enabled = a.upgrades == "on";
  auto poll = Seconds(a.registry_poll_interval, "--registry-poll-interval");
  if (!poll) return Unexpected{poll.error()};
  o.upgrades.controller.poll_interval = *poll;
  auto task_start = Seconds(a.upgrade_task_start, "--upgrade-task-start");
  if (!task_start) return Unexpected{task_start.error()};
  o.upgrades.controller.task_start = *task_start;
  auto deadline = Seconds(a.upgrade_step_deadline, "--upgrade-step-deadline", true);
  if (!deadline) return Unexpected{deadline.error()};
  if (deadline->count() > 0) o.upgrades.controller.step_deadline = *deadline;
  for (const std::string& host : a.insecure_registries) {
    if (!registry::IsValidRegistryHost(host)) {
      return Fail("invalid", "--insecure-registry: '" + host + "' is not HOST[:PORT]");
    }
    o.upgrades.insecure_registries.insert(registry::CanonicalRegistryHost(host));
  }
  for (const std::string& url : a.notify_urls) {
    auto target = api::ParseNotifyUrl(url);
    if (!target)
      return Fail("invalid", "--notify-url (MAIEV_NOTIFY_URL): " + target.error().message);
    o.notify.targets.push_back(std::move(*target));
  }
  // The flag's file must exist; $DOCKER_CONFIG/config.json is read when it does.
  if (!a.registry_auth_file.empty()) {
    o.upgrades.registry_auth_file = a.registry_auth_file;
  } else if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
    const std::string path = registry::DockerConfigPath("", dir, "");
    if (std::filesystem::exists(path)) o.upgrades.registry_auth_file = path;
  }
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

// Without envname: RabbitMqConfig::Resolve reads the variables, so that both go through one check.
void RegisterRabbitMqFlags(CLI::App& serve, RabbitMqFlags& f) {
  auto add = [&serve](const char* name, auto& flag, const char* help) {
    flag.option = serve.add_option(name, flag.value, help);
  };
  add("--counts-interval", f.counts_interval, "Seconds between fresh AMQP queue counts [1]");
  add("--stats-interval", f.stats_interval, "Seconds between management API rate listings [5]");
  add("--rate-window", f.rate_window,
      "Seconds of listings the message rates are computed over (docs/METRICS.md) [20]");
  add("--rabbitmq-host", f.host, "AMQP host (env RABBITMQ_HOST) [127.0.0.1]");
  add("--rabbitmq-port", f.port, "AMQP port (env RABBITMQ_PORT) [5672]");
  add("--rabbitmq-vhost", f.vhost, "vhost of the queues (env RABBITMQ_VHOST) [/]");
  add("--rabbitmq-user", f.user, "AMQP and management user (env RABBITMQ_USER) [guest]");
  add("--rabbitmq-password", f.password,
      "its password (env RABBITMQ_PASSWORD, better: a flag shows in ps) [guest]");
  add("--rabbitmq-management-url", f.management_url,
      "http(s)://HOST[:PORT], no credentials (env RABBITMQ_MANAGEMENT_URL) [http://HOST:15672]");
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
  serve
      ->add_option("--webhook-token", args->webhook_token,
                   "Token the registry webhooks must carry (none: webhooks are refused)")
      ->envname("MAIEV_WEBHOOK_TOKEN");
  serve
      ->add_option("--api-token-file", args->api_token_file,
                   "File holding the API token (a Swarm secret)")
      ->envname("MAIEV_API_TOKEN_FILE");
  serve
      ->add_option("--webhook-token-file", args->webhook_token_file,
                   "File holding the webhook token (a Swarm secret)")
      ->envname("MAIEV_WEBHOOK_TOKEN_FILE");
  serve
      ->add_option("--read-token", args->read_token,
                   "Bearer token reads need besides the probes and the page's files (none: "
                   "reads are open)")
      ->envname("MAIEV_READ_TOKEN");
  serve->add_option("--read-token-file", args->read_token_file, "File holding the read token")
      ->envname("MAIEV_READ_TOKEN_FILE");
  serve
      ->add_option("--rabbitmq-password-file", args->rabbitmq_password_file,
                   "File holding the RabbitMQ password (a Swarm secret)")
      ->envname("RABBITMQ_PASSWORD_FILE");
  serve->add_option("--tls-cert", args->tls_cert, "PEM certificate: the API is served over HTTPS")
      ->envname("MAIEV_TLS_CERT");
  serve->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert")
      ->envname("MAIEV_TLS_KEY");
  serve
      ->add_option("--lease-name", args->lease_name,
                   "Swarm config holding the lease of the one acting maiev [maiev-leader]")
      ->envname("MAIEV_LEASE_NAME");
  serve
      ->add_option("--instance-id", args->instance_id,
                   "This instance's name in the lease [HOSTNAME-PID-RANDOM]")
      ->envname("MAIEV_INSTANCE_ID");
  serve->add_option("--lease-duration", args->lease_duration,
                    "Seconds a lease not renewed stays its holder's: a standby takes over "
                    "after it [15]");
  serve->add_option("--lease-renew-deadline", args->lease_renew_deadline,
                    "Seconds a leader that cannot renew keeps acting; < --lease-duration [10]");
  serve->add_option("--lease-renew-interval", args->lease_renew_interval,
                    "Seconds between renewals (and a standby's checks) [2]");
  serve->add_option("--interval", args->interval, "Seconds between autoscaling cycles");
  RegisterRabbitMqFlags(*serve, args->rabbitmq);
  serve->add_option("--docker-host", args->docker_host)->envname("DOCKER_HOST");
  serve->add_option("--docker-tls-verify", args->docker_tls_verify)->envname("DOCKER_TLS_VERIFY");
  serve->add_option("--docker-cert-path", args->docker_cert_path)->envname("DOCKER_CERT_PATH");
  serve->add_option("--log-level", args->log_level, "trace, debug, info, warn, error")
      ->envname("MAIEV_LOG_LEVEL");
  serve->add_option("--upgrades", args->upgrades, "on: upgrade services as new versions appear")
      ->envname("MAIEV_UPGRADES");
  serve
      ->add_option("--registry-poll-interval", args->registry_poll_interval,
                   "Seconds between re-reads of the registries' tag lists [300]")
      ->envname("MAIEV_REGISTRY_POLL_INTERVAL");
  serve
      ->add_option("--registry-auth-file", args->registry_auth_file,
                   "Docker config.json with registry credentials [$DOCKER_CONFIG/config.json]")
      ->envname("MAIEV_REGISTRY_AUTH_FILE");
  serve->add_option("--insecure-registry", args->insecure_registries,
                    "HOST[:PORT] reached over plain HTTP (repeatable; loopback always is)");
  serve->add_option("--upgrade-task-start", args->upgrade_task_start,
                    "Seconds a batch of tasks may take to start in a rolling update [60]");
  serve->add_option("--upgrade-step-deadline", args->upgrade_step_deadline,
                    "Seconds a step may take; 0: derived from the service's UpdateConfig [0]");
  serve
      ->add_option("--notify-url", args->notify_urls,
                   "http(s) URL POSTed each decision, plan, step and config error as JSON "
                   "(repeatable; the variable takes several separated by spaces)")
      ->envname("MAIEV_NOTIFY_URL")
      ->delimiter(' ');
  serve->callback([args, &exit_code] { exit_code = RunServe(*args); });
}

}  // namespace maiev::cli
