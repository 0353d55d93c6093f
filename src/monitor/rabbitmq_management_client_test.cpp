#include "monitor/rabbitmq_management_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/redact.hpp"

namespace maiev::monitor {
namespace {

using std::chrono::seconds;
using testing::HasSubstr;
using testing::Not;

const TimePoint kT0{seconds{1'700'000'000}};

// As RabbitMQ 3.10 answers with page/page_size/columns: a queue with traffic (acknowledged and
// unacknowledged deliveries), one never used (no message_stats), one publish-only, one whose
// process is down (name only), one whose head message carries no timestamp ("").
constexpr const char* kPage = R"({
  "filtered_count": 5, "item_count": 5, "page": 2, "page_count": 3, "page_size": 5,
  "total_count": 12,
  "items": [
    {"name": "busy", "messages_ready": 40, "messages_unacknowledged": 3, "consumers": 2,
     "message_stats": {"publish": 1250, "ack": 900, "deliver_no_ack": 80, "get_no_ack": 20},
     "head_message_timestamp": 1699999990},
    {"name": "idle", "messages_ready": 0, "messages_unacknowledged": 0, "consumers": 0},
    {"name": "pub-only", "messages_ready": 9, "messages_unacknowledged": 0, "consumers": 0,
     "message_stats": {"publish": 15}},
    {"name": "down"},
    {"name": "untimed", "messages_ready": 1, "messages_unacknowledged": 0, "consumers": 0,
     "head_message_timestamp": ""}
  ]
})";

TEST(PercentEncode, EncodesTheDefaultVhostSlash) { EXPECT_EQ(PercentEncode("/"), "%2F"); }

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(PercentEncode("a-Z_0.9~"), "a-Z_0.9~");
  EXPECT_EQ(PercentEncode("my vhost/é?&"), "my%20vhost%2F%C3%A9%3F%26");
}

TEST(BuildQueuesUrl, PagesTheVhostListingWithColumns) {
  EXPECT_EQ(BuildQueuesUrl("http://127.0.0.1:15672/", "/", 2, 500),
            "http://127.0.0.1:15672/api/queues/%2F?page=2&page_size=500&columns="
            "name%2Cmessages_ready%2Cmessages_unacknowledged%2Cconsumers%2C"
            "message_stats.publish%2Cmessage_stats.ack%2Cmessage_stats.deliver_no_ack%2C"
            "message_stats.get_no_ack%2Chead_message_timestamp");
}

TEST(BuildQueuesUrl, KeepsABasePath) {
  EXPECT_THAT(BuildQueuesUrl("https://mq.example/rabbit", "prod", 1, 10),
              testing::StartsWith("https://mq.example/rabbit/api/queues/prod?page=1&page_size=10"));
}

TEST(ParseQueuesPage, ReadsPaginationFields) {
  auto page = ParseQueuesPage(kPage);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->page, 2);
  EXPECT_EQ(page->page_count, 3);
  EXPECT_EQ(page->total_count, 12);
  ASSERT_EQ(page->queues.size(), 5u);
}

TEST(ParseQueuesPage, ReadsCountsCountersAndHeadTimestamp) {
  auto page = ParseQueuesPage(kPage);
  ASSERT_TRUE(page.ok());
  const ManagementQueue& busy = page->queues[0];
  EXPECT_EQ(busy.name, "busy");
  EXPECT_EQ(busy.waiting, 40u);
  EXPECT_EQ(busy.unacked, 3u);
  EXPECT_EQ(busy.consumers, 2u);
  // Done: acknowledged plus handed out without acknowledgement.
  EXPECT_EQ(busy.counters, (QueueCounters{1250, 900 + 80 + 20}));
  EXPECT_EQ(busy.head_message_timestamp, 1699999990);
}

TEST(ParseQueuesPage, AbsentCountersAreZero) {
  auto page = ParseQueuesPage(kPage);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->queues[1].counters, (QueueCounters{0, 0}));
  EXPECT_EQ(page->queues[2].counters, (QueueCounters{15, 0}));
}

TEST(ParseQueuesPage, QueueWithoutCountsHasEverythingMissing) {
  auto page = ParseQueuesPage(kPage);
  ASSERT_TRUE(page.ok());
  const ManagementQueue& down = page->queues[3];
  EXPECT_EQ(down.waiting, std::nullopt);
  EXPECT_EQ(down.counters, std::nullopt);
}

TEST(ParseQueuesPage, EmptyHeadTimestampIsMissing) {
  auto page = ParseQueuesPage(kPage);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->queues[4].head_message_timestamp, std::nullopt);
}

// Found by the management_listing fuzz target: a timestamp beyond the clock's range overflowed.
TEST(ParseQueuesPage, AHeadTimestampTheClockCannotHoldIsMissing) {
  // 9300000000 is in 2264, beyond a clock of nanoseconds, which ends in 2262.
  for (const char* ts : {"1e300", "-5", "253402300800", "9300000000", "9223372036854775807"}) {
    auto page =
        ParseQueuesPage(std::string(R"([{"name": "a", "head_message_timestamp": )") + ts + "}]");
    ASSERT_TRUE(page.ok()) << ts;
    EXPECT_EQ(page->queues[0].head_message_timestamp, std::nullopt) << ts;
  }
  auto late = ParseQueuesPage(R"([{"name": "a", "head_message_timestamp": 9000000000}])");
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->queues[0].head_message_timestamp, 9'000'000'000);  // 2255: still a time
}

TEST(ParseQueuesPage, AcceptsAnUnpaginatedArray) {
  auto page = ParseQueuesPage(R"([{"name": "a", "messages_ready": 1}])");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->page_count, 1);
  EXPECT_EQ(page->total_count, 1);
  EXPECT_EQ(page->queues.at(0).waiting, 1u);
}

TEST(ParseQueuesPage, AcceptsAnEmptyVhost) {
  auto page = ParseQueuesPage(
      R"({"items": [], "page": 1, "page_count": 0, "page_size": 500, "total_count": 0})");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->queues.empty());
}

TEST(ParseQueuesPage, RejectsInvalidJsonAsProtocolError) {
  auto page = ParseQueuesPage("<html>502 Bad Gateway</html>");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code, "protocol");
}

TEST(ParseQueuesPage, NamesTheItemWithoutAName) {
  auto page = ParseQueuesPage(R"({"items": [{"name": "a"}, {"messages_ready": 1}], "page": 1,
                                  "page_count": 1})");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().message, "items[1].name: expected a string");
}

TEST(ParseQueuesPage, RejectsAPaginatedObjectWithoutPageCount) {
  auto page = ParseQueuesPage(R"({"items": [], "page": 1})");
  ASSERT_FALSE(page.ok());
  EXPECT_THAT(page.error().message, HasSubstr("page_count"));
}

QueueListing Listing(bool complete) {
  QueueListing l;
  l.complete = complete;
  l.queues.push_back(ManagementQueue{"a", 5, 1, 2, QueueCounters{30, 40}, 1'699'999'000});
  l.queues.push_back(ManagementQueue{"untracked", 1, 0, 0, QueueCounters{}, std::nullopt});
  return l;
}

TEST(TrackedQueuesFromListing, KeepsTrackedQueuesOnly) {
  const auto listed = TrackedQueuesFromListing(Listing(false), {"a"}, kT0);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed.at("a").counters, (QueueCounters{30, 40}));
  const StatsSample& a = listed.at("a").stats;
  EXPECT_TRUE(a.exists);
  EXPECT_EQ(a.sampled_at, kT0);
  EXPECT_EQ(a.waiting, 5u);
  EXPECT_EQ(a.unacked, 1u);
  EXPECT_EQ(a.consumers, 2u);
  EXPECT_EQ(a.rates, std::nullopt);  // the monitor's window adds them
  EXPECT_EQ(a.head_message_timestamp, TimePoint{seconds{1'699'999'000}});
}

TEST(TrackedQueuesFromListing, AbsentFromACompleteListingMeansNonExistent) {
  const auto listed = TrackedQueuesFromListing(Listing(true), {"a", "gone"}, kT0);
  ASSERT_TRUE(listed.contains("gone"));
  EXPECT_FALSE(listed.at("gone").stats.exists);
  EXPECT_EQ(listed.at("gone").stats.sampled_at, kT0);
  EXPECT_EQ(listed.at("gone").counters, std::nullopt);
}

TEST(TrackedQueuesFromListing, AbsentFromAPagedListingProvesNothing) {
  const auto listed = TrackedQueuesFromListing(Listing(false), {"a", "gone"}, kT0);
  EXPECT_FALSE(listed.contains("gone"));
}

TEST(Redact, MasksEveryOccurrence) {
  EXPECT_EQ(Redact("pw=s3cr3t; again s3cr3t", "s3cr3t"), "pw=***; again ***");
  EXPECT_EQ(Redact("nothing here", ""), "nothing here");
}

// Loopback port 1 is closed: the connection is refused at once.
TEST(RabbitMqManagementClient, UnreachableBrokerIsAnErrorWithoutCredentials) {
  RabbitMqManagementClient client(
      ManagementEndpoint{"http://127.0.0.1:1", "/", "monitor-user", "pa55-w0rd-secret"});
  auto listing = client.ListQueues();
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().code, "unavailable");
  EXPECT_THAT(listing.error().message, HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(listing.error().message, Not(HasSubstr("pa55-w0rd-secret")));
}

// Found by fuzz/management_api_fuzz: the syntax error quoted bytes that are not UTF-8.
TEST(ParseQueuesPage, SyntaxErrorEscapesBytesThatAreNotUtf8) {
  auto page = ParseQueuesPage("[{\"name\": \"q\xFF");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code, "protocol");
  EXPECT_THAT(page.error().message, HasSubstr("\\xFF"));
  EXPECT_EQ(page.error().message.find('\xFF'), std::string::npos);
}

}  // namespace
}  // namespace maiev::monitor
