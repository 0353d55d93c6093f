// The auto-upgrader's routes of HttpApi: the catalog, plans (list, show, resolve, approve,
// abort), the registry and Docker Hub webhooks, and their lines of /metrics.
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdint>

#include "api/http_api.hpp"
#include "api/http_replies.hpp"
#include "api/upgrade_views.hpp"
#include "registry/push_hint.hpp"

namespace maiev::api {
namespace {

constexpr std::size_t kDefaultPlanLimit = 50;
constexpr std::size_t kMaxPlanLimit = 1000;

// A plan id from the path; error "invalid" saying what is accepted.
Result<std::int64_t> PlanId(const std::string& text) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Fail("invalid", "plan id: expected a positive integer, got '" + text + "'");
  }
  return id;
}

// The store says where it is in its "not_found" message; the API says which plan.
Error PlanFailure(const Error& error, std::int64_t id) {
  if (error.code == "not_found") return {"not_found", "no upgrade plan " + std::to_string(id)};
  return error;
}

// The token a webhook delivery carries: the bearer token of its Authorization header, else its
// `token` query parameter (for senders that cannot set headers); nullopt when it carries none.
std::optional<std::string> WebhookToken(const httplib::Request& req) {
  constexpr std::string_view kBearer = "Bearer ";
  if (req.has_header("Authorization")) {
    const std::string header = req.get_header_value("Authorization");
    if (!header.starts_with(kBearer)) return std::string();  // present, and never the token
    return header.substr(kBearer.size());
  }
  if (req.has_param("token")) return req.get_param_value("token");
  return std::nullopt;
}

}  // namespace

bool HttpApi::UpgradesRunning(httplib::Response& res) const {
  if (upgrades_ != nullptr) return true;
  ReplyError(res, 503, "unavailable", "the upgrade controller is not running");
  return false;
}

void HttpApi::ShowCatalog(const httplib::Request&, httplib::Response& res) {
  if (!UpgradesRunning(res)) return;
  Reply(res, 200, CatalogToJson(upgrades_->View()));
}

// Plans are records of the store: they are listed whether the upgrade loop runs or not.
void HttpApi::ListPlans(const httplib::Request& req, httplib::Response& res) {
  auto limit = QueryLimit(req, kDefaultPlanLimit, kMaxPlanLimit);
  if (!limit) return ReplyFailure(req, res, limit.error());
  auto plans = store_.ListPlans(*limit);
  if (!plans) return ReplyFailure(req, res, plans.error());
  nlohmann::json list = nlohmann::json::array();
  for (const store::UpgradePlan& plan : *plans) list.push_back(PlanToJson(plan));
  Reply(res, 200, {{"plans", list}});
}

// A dry run that changes nothing, but it reads the swarm and every registry on each call: a POST
// that needs the API token like every other, so that anonymous callers cannot make maiev hammer
// the registries.
void HttpApi::ResolvePlan(const httplib::Request& req, httplib::Response& res) {
  if (!UpgradesRunning(res)) return;
  auto check = upgrades_->Resolve();
  if (!check) return ReplyFailure(req, res, check.error());
  Reply(res, 200, ResolveToJson(*check));
}

void HttpApi::ShowPlan(const httplib::Request& req, httplib::Response& res) {
  auto id = PlanId(req.matches[1]);
  if (!id) return ReplyFailure(req, res, id.error());
  auto plan = store_.LoadPlan(*id);
  if (!plan) return ReplyFailure(req, res, PlanFailure(plan.error(), *id));
  Reply(res, 200, PlanToJson(*plan));
}

void HttpApi::PlanAction(const httplib::Request& req, httplib::Response& res, bool approve) {
  if (!UpgradesRunning(res)) return;
  auto id = PlanId(req.matches[1]);
  if (!id) return ReplyFailure(req, res, id.error());
  Status done = approve ? upgrades_->Approve(*id) : upgrades_->Abort(*id);
  if (!done) return ReplyFailure(req, res, PlanFailure(done.error(), *id));
  auto plan = store_.LoadPlan(*id);
  if (!plan) return ReplyFailure(req, res, PlanFailure(plan.error(), *id));
  Reply(res, 200, PlanToJson(*plan));
}

void HttpApi::ApprovePlan(const httplib::Request& req, httplib::Response& res) {
  PlanAction(req, res, /*approve=*/true);
}

void HttpApi::AbortPlan(const httplib::Request& req, httplib::Response& res) {
  PlanAction(req, res, /*approve=*/false);
}

bool HttpApi::WebhookAuthorized(const httplib::Request& req, httplib::Response& res) const {
  if (options_.webhook_token.empty()) {
    ReplyError(res, 403, "forbidden",
               "webhooks are refused: maiev serve has no webhook token (give it "
               "--webhook-token or MAIEV_WEBHOOK_TOKEN)");
    return false;
  }
  const std::optional<std::string> token = WebhookToken(req);
  if (token && ConstantTimeEquals(*token, options_.webhook_token)) return true;
  ReplyError(res, 401, "unauthorized",
             "this webhook needs the webhook token, as 'Authorization: Bearer <webhook token>' "
             "or '?token=<webhook token>'");
  return false;
}

void HttpApi::AcceptWebhook(const httplib::Request& req, httplib::Response& res, bool docker_hub) {
  WebhookCounts& counts = docker_hub ? dockerhub_webhooks_ : registry_webhooks_;
  const auto reject = [&] {
    std::lock_guard lock(webhook_mutex_);
    ++counts.rejected;
  };
  // A refused sender retries (a registry every few seconds): refusals of the token are logged at
  // debug level only, malformed bodies once per delivery.
  if (!WebhookAuthorized(req, res)) {
    spdlog::debug("API {} refused ({}) from {}", req.path, res.status, req.remote_addr);
    return reject();
  }
  if (!Leading(res) || !UpgradesRunning(res)) return reject();
  const auto malformed = [&](const Error& error) {
    spdlog::warn("API {}: malformed delivery from {}: {}", req.path, req.remote_addr,
                 error.message);
    reject();
    ReplyFailure(req, res, error);
  };
  std::vector<registry::PushHint> hints;
  std::size_t events = 1;
  if (docker_hub) {
    auto hint = registry::ParseDockerHubWebhook(req.body);
    if (!hint) return malformed(hint.error());
    hints.push_back(std::move(*hint));
  } else {
    // Each event became a hint or was ignored.
    auto parsed = registry::ParseRegistryNotification(req.body, &events);
    if (!parsed) return malformed(parsed.error());
    hints = std::move(*parsed);
  }
  // Hint() only flags a re-check: the registry's delivery never waits for the registry itself.
  for (const registry::PushHint& hint : hints) upgrades_->Hint(hint);
  const std::size_t ignored = events - hints.size();
  {
    std::lock_guard lock(webhook_mutex_);
    counts.accepted += hints.size();
    counts.ignored += ignored;
  }
  Reply(res, 202, {{"accepted", hints.size()}, {"ignored", ignored}});
}

void HttpApi::RegistryWebhook(const httplib::Request& req, httplib::Response& res) {
  AcceptWebhook(req, res, /*docker_hub=*/false);
}

void HttpApi::DockerHubWebhook(const httplib::Request& req, httplib::Response& res) {
  AcceptWebhook(req, res, /*docker_hub=*/true);
}

std::string HttpApi::UpgradeMetricsText() {
  UpgradeMetrics metrics;
  metrics.plans = store_.CountPlansByState();
  if (!metrics.plans) {
    spdlog::warn("API /metrics: cannot count the upgrade plans: {}", metrics.plans.error().message);
  }
  if (upgrades_ != nullptr) metrics.counters = upgrades_->counters();
  {
    std::lock_guard lock(webhook_mutex_);
    metrics.registry_webhooks = registry_webhooks_;
    metrics.dockerhub_webhooks = dockerhub_webhooks_;
  }
  return UpgradePrometheusText(metrics);
}

}  // namespace maiev::api
