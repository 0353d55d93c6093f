#include "api/notifier.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/http_replies.hpp"
#include "common/redact.hpp"
#include "common/sleep.hpp"

namespace maiev::api {
namespace {

// A loopback receiver is never reached through a proxy of the environment; the environment's own
// exceptions still hold.
std::string NoProxyList() {
  std::string list = "localhost,127.0.0.0/8,::1";
  for (const char* name : {"NO_PROXY", "no_proxy"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      list = std::string(value) + "," + list;
      break;
    }
  }
  return list;
}

void InitCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Outcome {
  bool delivered = false;
  bool retry = false;  // worth another try
  std::string what;    // the answer's status, or why there was none
};

std::size_t DiscardBody(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
  return size * count;
}

// Aborts the transfer (non-zero) when the notifier stops.
int AbortOnStop(void* stop, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
  return static_cast<const std::stop_token*>(stop)->stop_requested() ? 1 : 0;
}

Outcome Post(const std::string& url, const std::string& body, Duration timeout,
             const std::stop_token& stop) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) return {false, true, "libcurl could not make a handle"};
  CURL* h = handle.get();
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, "Content-Type: application/json"), &curl_slist_free_all);
  const std::string no_proxy = NoProxyList();
  const auto millis = static_cast<long>(timeout.count() * 1000);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM-based DNS timeouts
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, millis);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, millis);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "maiev");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &DiscardBody);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &AbortOnStop);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &stop);
  const CURLcode code = curl_easy_perform(h);
  if (code == CURLE_ABORTED_BY_CALLBACK) return {false, false, "maiev is stopping"};
  if (code != CURLE_OK) {
    return {false, true, *error != '\0' ? std::string(error) : curl_easy_strerror(code)};
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  const bool retry = status == 408 || status == 429 || status >= 500;
  return {status >= 200 && status < 300, retry, "HTTP " + std::to_string(status)};
}

// {"id": N, "type": T, "data": DATA}, DATA as the stream sends it.
std::string Payload(const StreamEvent& event) {
  return R"({"id":)" + std::to_string(event.id) + R"(,"type":)" +
         nlohmann::json(event.type).dump() + R"(,"data":)" + event.data + "}";
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A URL part libcurl parsed; empty when absent.
std::string Part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

std::set<std::string> DefaultNotifyTypes() { return {"decision", "plan", "step", "config_error"}; }

std::string UrlWithoutSecrets(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  const std::size_t authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  std::string out(url.substr(0, authority));
  std::string_view rest = url.substr(authority);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const std::string_view host_part = rest.substr(0, rest.find('/'));
  if (const std::size_t at = host_part.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  out += rest;
  return out;
}

Result<NotifyTarget> ParseNotifyUrl(std::string_view url) {
  NotifyTarget target{std::string(url), UrlWithoutSecrets(url), {}};
  const std::string expected = "; expected http(s)://HOST[:PORT][/PATH]";
  InitCurl();
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed) return Fail("invalid", "libcurl could not parse URLs");
  if (CURLUcode rc =
          curl_url_set(parsed.get(), CURLUPART_URL, target.url.c_str(), CURLU_NON_SUPPORT_SCHEME);
      rc != CURLUE_OK) {
    return Fail("invalid",
                "'" + target.label + "' is not a URL (" + curl_url_strerror(rc) + ")" + expected);
  }
  const std::string scheme = Lower(Part(parsed.get(), CURLUPART_SCHEME));
  if (scheme != "http" && scheme != "https") {
    return Fail("invalid", "'" + target.label + "': the scheme must be http or https, not '" +
                               scheme + "'" + expected);
  }
  if (Part(parsed.get(), CURLUPART_HOST).empty()) {
    return Fail("invalid", "'" + target.label + "' names no host" + expected);
  }
  for (CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_QUERY}) {
    if (std::string secret = Part(parsed.get(), part); !secret.empty()) {
      target.secrets.push_back(std::move(secret));
    }
  }
  return target;
}

Notifier::Notifier(NotifierOptions options) : options_(std::move(options)) {
  InitCurl();
  for (const NotifyTarget& where : options_.targets) {
    auto target = std::make_unique<Target>(where);
    Target& running = *target;
    target->thread =
        std::jthread([this, &running](const std::stop_token& stop) { Run(running, stop); });
    targets_.push_back(std::move(target));
  }
}

Notifier::~Notifier() {
  for (auto& target : targets_) target->thread.request_stop();
}

void Notifier::Deliver(const StreamEventPtr& event) {
  if (!options_.types.contains(event->type)) return;
  for (auto& target : targets_) {
    {
      std::lock_guard lock(target->mutex);
      if (target->queue.size() >= options_.queue_capacity) {
        target->queue.pop_front();
        ++target->counts.dropped;
        if (!target->dropping) {
          spdlog::warn("notify {}: {} events wait for it; dropping the oldest", target->where.label,
                       options_.queue_capacity);
          target->dropping = true;
        }
      }
      target->queue.push_back(event);
    }
    target->ready.notify_one();
  }
}

void Notifier::Run(Target& target, const std::stop_token& stop) {
  while (true) {
    StreamEventPtr event;
    {
      std::unique_lock lock(target.mutex);
      if (!target.ready.wait(lock, stop, [&target] { return !target.queue.empty(); })) return;
      event = std::move(target.queue.front());
      target.queue.pop_front();
    }
    const bool sent = Send(target, *event, stop);
    if (stop.stop_requested()) return;  // abandoned, neither sent nor failed
    std::lock_guard lock(target.mutex);
    if (sent) {
      ++target.counts.sent;
      target.dropping = false;
    } else {
      ++target.counts.failed;
    }
  }
}

bool Notifier::Send(const Target& target, const StreamEvent& event,
                    const std::stop_token& stop) const {
  const std::string body = Payload(event);
  for (int tries = 1;; ++tries) {
    const Outcome outcome = Post(target.where.url, body, options_.timeout, stop);
    if (outcome.delivered) return true;
    if (stop.stop_requested()) return false;
    std::string why = outcome.what;
    why = Redact(std::move(why), target.where.url);
    for (const std::string& secret : target.where.secrets) why = Redact(std::move(why), secret);
    if (!outcome.retry || options_.retry.Exhausted(tries)) {
      spdlog::warn("notify {}: event {} ({}) not delivered after {} {}: {}", target.where.label,
                   event.id, event.type, tries, tries == 1 ? "try" : "tries", why);
      return false;
    }
    const Duration pause = options_.retry.Delay(tries);
    spdlog::debug("notify {}: event {}: {}; retrying in {} s", target.where.label, event.id, why,
                  pause.count());
    const bool waited = options_.wait ? options_.wait(pause, stop) : SleepFor(pause, stop);
    if (!waited) return false;
  }
}

Notifier::Counts Notifier::counts(std::size_t index) const {
  const Target& target = *targets_.at(index);
  std::lock_guard lock(target.mutex);
  return target.counts;
}

std::string Notifier::MetricsText() const {
  std::ostringstream out;
  struct Metric {
    const char* name;
    const char* help;
    std::uint64_t Counts::*count;
  };
  static constexpr Metric kMetrics[] = {
      {"maiev_notify_sent_total", "Events a --notify-url receiver accepted (2xx).", &Counts::sent},
      {"maiev_notify_failed_total",
       "Events given up on: every try failed, or the receiver refused them.", &Counts::failed},
      {"maiev_notify_dropped_total", "Events dropped unsent from a receiver's full queue.",
       &Counts::dropped}};
  for (const Metric& metric : kMetrics) {
    out << "# HELP " << metric.name << " " << metric.help << "\n# TYPE " << metric.name
        << " counter\n";
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      out << metric.name << "{url=\"" << PrometheusLabel(targets_[i]->where.label) << "\"} "
          << counts(i).*metric.count << "\n";
    }
  }
  return out.str();
}

}  // namespace maiev::api
