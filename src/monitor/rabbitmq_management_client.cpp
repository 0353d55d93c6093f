#include "monitor/rabbitmq_management_client.hpp"

#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/message_text.hpp"
#include "common/redact.hpp"

namespace maiev::monitor {
namespace {

using nlohmann::json;

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::optional<std::uint64_t> Count(const json& item, const char* key) {
  auto it = item.find(key);
  if (it == item.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (it->is_number_integer() && it->get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(it->get<std::int64_t>());
  }
  return std::nullopt;
}

// A counter of message_stats; 0 when absent (the broker leaves out counters that never moved).
std::uint64_t Counter(const json& stats, const char* key) { return Count(stats, key).value_or(0); }

// The queue's counters; all 0 when it has counts but no message_stats yet (no traffic), none when
// the broker could not read the queue (no counts either).
std::optional<QueueCounters> Counters(const json& item, bool has_counts) {
  auto stats = item.find("message_stats");
  if (stats == item.end() || !stats->is_object()) {
    return has_counts ? std::optional<QueueCounters>(QueueCounters{}) : std::nullopt;
  }
  QueueCounters c;
  c.published = Counter(*stats, "publish");
  c.done =
      Counter(*stats, "ack") + Counter(*stats, "deliver_no_ack") + Counter(*stats, "get_no_ack");
  return c;
}

Result<ManagementQueue> ParseQueue(const json& item, std::size_t index) {
  const std::string where = "items[" + std::to_string(index) + "]";
  if (!item.is_object()) return Fail("protocol", where + ": expected an object");
  auto name = item.find("name");
  if (name == item.end() || !name->is_string()) {
    return Fail("protocol", where + ".name: expected a string");
  }
  ManagementQueue q;
  q.name = name->get<std::string>();
  q.waiting = Count(item, "messages_ready");
  q.unacked = Count(item, "messages_unacknowledged");
  q.consumers = Count(item, "consumers");
  q.counters = Counters(item, q.waiting.has_value());
  // Absent, or "" / null when the head message carries no timestamp property.
  auto ts = item.find("head_message_timestamp");
  // Seconds since the epoch; one the clock cannot hold (before 1970, or after its last tick,
  // in 2262 for a clock of nanoseconds) is no time.
  constexpr auto kLatestSeconds = static_cast<double>(
      std::chrono::floor<std::chrono::seconds>(TimePoint::max().time_since_epoch()).count());
  if (ts != item.end() && ts->is_number()) {
    const double seconds = ts->get<double>();
    if (seconds >= 0 && seconds < kLatestSeconds) {
      q.head_message_timestamp = static_cast<std::int64_t>(seconds);
    }
  }
  return q;
}

Result<int> PageField(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_number_integer()) {
    return Fail("protocol", std::string(key) + ": expected an integer in a paginated listing");
  }
  return static_cast<int>(it->get<std::int64_t>());
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c)) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0F];
  }
  return out;
}

std::string BuildQueuesUrl(std::string_view base_url, std::string_view vhost, int page,
                           int page_size) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  std::string url(base_url);
  url += "/api/queues/";
  url += PercentEncode(vhost);
  url += "?page=" + std::to_string(page);
  url += "&page_size=" + std::to_string(page_size);
  url += "&columns=";
  url += PercentEncode(kManagementQueueColumns);
  return url;
}

Result<QueuesPage> ParseQueuesPage(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception& e) {
    return Fail("protocol", "management API reply is not JSON: " + EscapeInvalidUtf8(e.what()));
  }
  QueuesPage page;
  const json* items = &doc;
  if (doc.is_object()) {
    auto it = doc.find("items");
    if (it == doc.end() || !it->is_array()) {
      return Fail("protocol", "items: expected an array in a paginated listing");
    }
    items = &*it;
    auto number = PageField(doc, "page");
    if (!number) return Unexpected{number.error()};
    auto count = PageField(doc, "page_count");
    if (!count) return Unexpected{count.error()};
    page.page = *number;
    page.page_count = *count;
    auto total = doc.find("total_count");
    page.total_count = total != doc.end() && total->is_number_integer()
                           ? total->get<std::int64_t>()
                           : static_cast<std::int64_t>(items->size());
  } else if (doc.is_array()) {
    page.total_count = static_cast<std::int64_t>(doc.size());
  } else {
    return Fail("protocol", "management API reply: expected an object or an array of queues");
  }
  page.queues.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto q = ParseQueue((*items)[i], i);
    if (!q) return Unexpected{q.error()};
    page.queues.push_back(std::move(*q));
  }
  return page;
}

std::map<std::string, ListedQueue> TrackedQueuesFromListing(const QueueListing& listing,
                                                            const std::set<std::string>& tracked,
                                                            TimePoint sampled_at) {
  std::map<std::string, ListedQueue> out;
  for (const ManagementQueue& q : listing.queues) {
    if (!tracked.contains(q.name)) continue;
    ListedQueue listed;
    StatsSample& s = listed.stats;
    s.sampled_at = sampled_at;
    s.exists = true;
    s.waiting = q.waiting;
    s.consumers = q.consumers;
    s.unacked = q.unacked;
    if (q.head_message_timestamp) {
      s.head_message_timestamp = TimePoint{std::chrono::seconds{*q.head_message_timestamp}};
    }
    listed.counters = q.counters;
    out.insert_or_assign(q.name, listed);
  }
  if (!listing.complete) return out;
  for (const std::string& name : tracked) {
    if (out.contains(name)) continue;
    ListedQueue listed;
    listed.stats.sampled_at = sampled_at;
    listed.stats.exists = false;
    out.emplace(name, listed);
  }
  return out;
}

// One easy handle for the client's lifetime, so pages and cycles reuse the connection.
struct RabbitMqManagementClient::Curl {
  CURL* handle = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  std::string body;
  bool too_large = false;
  std::stop_token cancel;  // of the transfer in progress

  Curl() {
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    handle = curl_easy_init();
  }
  ~Curl() {
    if (handle) curl_easy_cleanup(handle);
  }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;

  static std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Curl*>(user);
    const std::size_t n = size * count;
    if (self->body.size() + n > kManagementMaxResponseBytes) {
      self->too_large = true;
      return 0;  // aborts the transfer
    }
    self->body.append(data, n);
    return n;
  }

  static int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Curl*>(user);
    return self->cancel.stop_requested() ? 1 : 0;  // non-zero aborts
  }
};

namespace {

long Millis(Duration d) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

RabbitMqManagementClient::RabbitMqManagementClient(ManagementEndpoint endpoint,
                                                   ManagementTimeouts timeouts, int page_size)
    : endpoint_(std::move(endpoint)),
      timeouts_(timeouts),
      page_size_(page_size),
      curl_(std::make_unique<Curl>()) {
  CURL* h = curl_->handle;
  if (!h) return;
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(h, CURLOPT_USERNAME, endpoint_.user.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, endpoint_.password.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, Millis(timeouts_.connect));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, Millis(timeouts_.request));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_->error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Curl::WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, curl_.get());
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &Curl::Progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, curl_.get());
}

RabbitMqManagementClient::~RabbitMqManagementClient() = default;

Result<std::string> RabbitMqManagementClient::Get(const std::string& url, const std::string& where,
                                                  const std::stop_token& cancel) {
  CURL* h = curl_->handle;
  if (!h) return Fail("unavailable", "management API: libcurl could not create a handle");
  curl_->body.clear();
  curl_->too_large = false;
  curl_->error[0] = '\0';
  curl_->cancel = cancel;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Fail("cancelled", where + ": cancelled");
  if (curl_->too_large) {
    return Fail("protocol", where + ": reply larger than " +
                                std::to_string(kManagementMaxResponseBytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    std::string detail = curl_->error[0] != '\0' ? curl_->error : curl_easy_strerror(rc);
    return Fail("unavailable", Redact(where + ": " + detail, endpoint_.password));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status == 200) return std::move(curl_->body);
  if (status == 401 || status == 403) {
    return Fail("auth", where + ": HTTP " + std::to_string(status) +
                            ": the broker refused the configured user (RABBITMQ_USER / "
                            "RABBITMQ_PASSWORD) or the user has no management tag");
  }
  if (status == 404) {
    return Fail("not_found", where + ": HTTP 404: no vhost `" + endpoint_.vhost + "`");
  }
  const std::string code = status >= 500 ? "unavailable" : "protocol";
  return Fail(code, where + ": HTTP " + std::to_string(status));
}

Result<QueueListing> RabbitMqManagementClient::ListQueues(const std::stop_token& cancel) {
  // The URL without its long query, for messages.
  const std::string where =
      "management API GET " + endpoint_.base_url + "/api/queues/" + PercentEncode(endpoint_.vhost);
  QueueListing listing;
  std::set<std::string> seen;
  int page_count = 1;
  for (int page = 1; page <= page_count; ++page) {
    auto body = Get(BuildQueuesUrl(endpoint_.base_url, endpoint_.vhost, page, page_size_),
                    where + " page " + std::to_string(page), cancel);
    ++listing.requests;
    if (!body) return Unexpected{std::move(body).error()};
    auto parsed = ParseQueuesPage(*body);
    if (!parsed) {
      return Fail("protocol",
                  where + " page " + std::to_string(page) + ": " + parsed.error().message);
    }
    page_count = parsed->page_count;
    for (ManagementQueue& q : parsed->queues) {
      if (seen.insert(q.name).second) listing.queues.push_back(std::move(q));
    }
  }
  listing.complete = page_count <= 1;
  return listing;
}

}  // namespace maiev::monitor
