// RabbitMQ management API listings (src/monitor/rabbitmq_management_client): one page of
// GET /api/queues/{vhost}, and what it says of tracked queues. Invariants: an error is
// "protocol" and sendable as JSON; every tracked queue of a complete listing gets a sample, and
// a queue listed gets one marked as existing.
#include <set>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "monitor/rabbitmq_management_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  auto page = maiev::monitor::ParseQueuesPage(maiev::fuzz::Text(data, size));
  if (!maiev::fuzz::Succeeded(page, "protocol")) return 0;
  maiev::monitor::QueueListing listing;
  listing.queues = page->queues;
  listing.complete = true;
  std::set<std::string> tracked = {"tasks", "missing"};
  for (const auto& q : page->queues) tracked.insert(q.name);
  const maiev::TimePoint now{std::chrono::seconds{1'700'000'000}};
  const auto samples = maiev::monitor::TrackedQueuesFromListing(listing, tracked, now);
  Check(samples.size() == tracked.size());
  for (const auto& q : page->queues) Check(samples.at(q.name).stats.exists);
  return 0;
}
