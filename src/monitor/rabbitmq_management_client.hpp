// Queue statistics from the RabbitMQ management HTTP API, in bulk: one paginated listing of all
// queues of a vhost per cycle, restricted to the columns the metrics need.
// API: https://www.rabbitmq.com/docs/http-api-reference (GET /api/queues/{vhost}).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "monitor/metrics.hpp"

namespace maiev::monitor {

// The broker's maximum page size: one request per 500 queues.
inline constexpr int kManagementPageSize = 500;
// Dotted names select nested fields; the broker leaves out fields a queue does not have.
// The cumulative counters are read, not the broker's instantaneous `*_details.rate` (see
// rate_window.hpp for why).
inline constexpr std::string_view kManagementQueueColumns =
    "name,messages_ready,messages_unacknowledged,consumers,"
    "message_stats.publish,message_stats.ack,message_stats.deliver_no_ack,"
    "message_stats.get_no_ack,head_message_timestamp";
// A listing larger than this is refused rather than buffered (≈ 30 000 queues of 500 bytes).
inline constexpr std::size_t kManagementMaxResponseBytes = std::size_t{16} * 1024 * 1024;

struct ManagementEndpoint {
  std::string base_url = "http://127.0.0.1:15672";  // no credentials, no trailing /api
  std::string vhost = "/";
  std::string user;
  std::string password;
};

// Each request of a listing is bounded by these; a failed listing is retried by the caller on its
// next cycle, with backoff (see RabbitMqMonitor).
struct ManagementTimeouts {
  Duration connect{2.0};
  Duration request{10.0};  // whole request, connect included
};

// One queue as listed. Counters are 0 when the broker lists the queue with its counts but without
// message_stats (no traffic yet); everything is missing when the broker could not read the queue.
struct ManagementQueue {
  std::string name;
  std::optional<std::uint64_t> waiting;  // messages_ready
  std::optional<std::uint64_t> unacked;  // messages_unacknowledged
  std::optional<std::uint64_t> consumers;
  std::optional<QueueCounters> counters;               // message_stats
  std::optional<std::int64_t> head_message_timestamp;  // seconds since the epoch
  friend bool operator==(const ManagementQueue&, const ManagementQueue&) = default;
};

struct QueuesPage {
  std::vector<ManagementQueue> queues;
  int page = 1;
  int page_count = 1;
  std::int64_t total_count = 0;  // queues in the vhost (before filtering)
};

struct QueueListing {
  std::vector<ManagementQueue> queues;
  // True when the listing came in one page, so a queue absent from it does not exist. Across
  // pages the broker gives no consistent view: a deletion between two requests shifts later
  // queues onto an earlier page, so absence proves nothing.
  bool complete = false;
  int requests = 0;  // HTTP requests made for this listing
};

// RFC 3986 percent-encoding of one path segment: everything but unreserved characters.
std::string PercentEncode(std::string_view text);

// {base_url}/api/queues/{vhost}?page=..&page_size=..&columns=..
std::string BuildQueuesUrl(std::string_view base_url, std::string_view vhost, int page,
                           int page_size);

// Parses one response of GET /api/queues/{vhost}: a paginated object (`items`, `page`,
// `page_count`, `total_count`) or, without paging, a bare array.
Result<QueuesPage> ParseQueuesPage(std::string_view body);

// What one listing taken at `sampled_at` says of a tracked queue: its stats sample (rates not
// yet set: the caller's RateWindow adds them) and its counters, when listed with them.
struct ListedQueue {
  StatsSample stats;
  std::optional<QueueCounters> counters;
};

// The tracked queues of one listing. A tracked queue absent from a complete listing gets
// exists=false; from an incomplete one, nothing. (The broker lists a new queue only after its
// first statistics emission, a few seconds late; the merge lets fresh AMQP counts override that.)
std::map<std::string, ListedQueue> TrackedQueuesFromListing(const QueueListing& listing,
                                                            const std::set<std::string>& tracked,
                                                            TimePoint sampled_at);

// Not thread-safe: one thread uses a client at a time (it keeps one connection alive across
// requests). Credentials go to libcurl as basic-auth options, never into a URL, a log line or an
// error message.
class RabbitMqManagementClient {
 public:
  explicit RabbitMqManagementClient(ManagementEndpoint endpoint, ManagementTimeouts timeouts = {},
                                    int page_size = kManagementPageSize);
  ~RabbitMqManagementClient();
  RabbitMqManagementClient(const RabbitMqManagementClient&) = delete;
  RabbitMqManagementClient& operator=(const RabbitMqManagementClient&) = delete;

  // Lists every queue of the vhost, page after page. Error codes: "unavailable" (no connection,
  // timeout, 5xx), "auth" (401/403), "not_found" (unknown vhost), "protocol" (unexpected reply),
  // "cancelled" (`cancel` was requested while a request was running).
  Result<QueueListing> ListQueues(const std::stop_token& cancel = {});

 private:
  Result<std::string> Get(const std::string& url, const std::string& where,
                          const std::stop_token& cancel);

  struct Curl;
  ManagementEndpoint endpoint_;
  ManagementTimeouts timeouts_;
  int page_size_;
  std::unique_ptr<Curl> curl_;
};

}  // namespace maiev::monitor
