// GET /api/v1/events over real sockets: the API on a free loopback port, over a fake swarm and the
// real Autoscaler publishing to the hub the stream reads; clients are cpp-httplib clients reading
// the stream as it comes. They poll with deadlines, never sleep a fixed time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#include "api/event_hub.hpp"
#include "api/http_api.hpp"
#include "api/loopback_test_support.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using SteadyClock = std::chrono::steady_clock;
using testing::Eventually;

constexpr const char* kToken = "s3cret-token";
constexpr std::chrono::milliseconds kShortKeepalive{100};
constexpr std::size_t kTestMaxClients = 3;

// A client reading a stream on a thread of its own until the server ends it or the reader is
// destroyed (it stops at the next chunk: a keepalive at the latest).
class StreamReader {
 public:
  StreamReader(int port, const std::string& path, httplib::Headers headers = {}) {
    thread_ = std::thread([this, port, path, headers] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(std::chrono::seconds(60));
      auto result = client.Get(
          path, headers,
          [this](const httplib::Response& res) {
            std::lock_guard lock(mutex_);
            status_ = res.status;
            headers_ = res.headers;
            return true;
          },
          [this](const char* data, std::size_t length) {
            std::lock_guard lock(mutex_);
            text_.append(data, length);
            return !stop_;
          });
      std::lock_guard lock(mutex_);
      ended_ = true;
    });
  }
  ~StreamReader() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    thread_.join();
  }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  std::string Text() {
    std::lock_guard lock(mutex_);
    return text_;
  }
  int status() {
    std::lock_guard lock(mutex_);
    return status_;
  }
  std::string Header(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }
  bool ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  // The ids of the events received so far, in order.
  std::vector<int> Ids() {
    std::vector<int> ids;
    const std::string text = Text();
    static const std::regex kId("(^|\n)id: ([0-9]+)\n");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kId);
         it != std::sregex_iterator(); ++it) {
      ids.push_back(std::stoi((*it)[2].str()));
    }
    return ids;
  }
  bool WaitFor(const std::string& fragment) {
    return Eventually([&] { return Text().find(fragment) != std::string::npos; });
  }

 private:
  std::mutex mutex_;  // guards what follows
  std::string text_;
  int status_ = 0;
  httplib::Headers headers_;
  bool stop_ = false;
  bool ended_ = false;
  std::thread thread_;
};

class EventStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docker_.PutService(testing::Worker(R"({"min": 1, "max": 3})"));
    ASSERT_TRUE(autoscaler_.Discover().ok());  // event 1: worker added
  }
  void TearDown() override { StopApi(); }

  void StartApi(std::chrono::milliseconds keepalive = kShortKeepalive) {
    HttpApiOptions options;
    options.port = 0;
    options.api_token = kToken;
    options.clock = &clock_;
    options.events = &hub_;
    options.event_keepalive = keepalive;
    api_ = std::make_unique<HttpApi>(options, autoscaler_, nullptr, *store_,
                                     [] { return Readiness{}; });
    ASSERT_TRUE(api_->Bind().ok());
    serving_ = std::thread([this] { api_->Serve(); });
  }
  void StopApi() {
    if (api_) api_->Stop();
    if (serving_.joinable()) serving_.join();
  }

  int Post(const std::string& path) {
    httplib::Client client("127.0.0.1", api_->port());
    auto res = client.Post(path, {{"Authorization", std::string("Bearer ") + kToken}}, "",
                           "application/json");
    return res ? res->status : 0;
  }
  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", api_->port());
    return client.Get(path);
  }
  bool ClientsAre(std::size_t n) {
    return Eventually([&] { return hub_.clients() == n; });
  }

  orchestrator::FakeOrchestrator docker_;
  monitor::FakeQueueMetricsSource queues_;
  std::unique_ptr<store::SqliteStore> store_ =
      std::move(store::SqliteStore::Open(":memory:").value());
  ManualClock clock_;
  EventHub hub_{{.max_clients = kTestMaxClients}};
  control::Autoscaler autoscaler_{docker_, queues_, *store_, clock_, &hub_};
  std::unique_ptr<HttpApi> api_;
  std::thread serving_;
};

TEST_F(EventStreamTest, AClientGetsTheServicePausedEventOfAPause) {
  StartApi();
  StreamReader reader(api_->port(), "/api/v1/events");
  ASSERT_TRUE(ClientsAre(1));
  ASSERT_EQ(Post("/api/v1/services/worker/pause"), 200);
  ASSERT_TRUE(reader.WaitFor(
      "id: 2\nevent: service\ndata: {\"change\":\"paused\",\"service\":\"worker\"}\n\n"))
      << reader.Text();
  EXPECT_EQ(reader.status(), 200);
  EXPECT_EQ(reader.Header("Content-Type"), "text/event-stream");
  EXPECT_EQ(reader.Header("Cache-Control"), "no-cache");
  // Without a resume point it gets live events only, not the start-up's "added".
  EXPECT_THAT(reader.Ids(), ElementsAre(2));
}

TEST_F(EventStreamTest, ASilentStreamSendsKeepaliveComments) {
  StartApi();
  StreamReader reader(api_->port(), "/api/v1/events");
  EXPECT_TRUE(reader.WaitFor(": keepalive\n\n")) << reader.Text();
}

TEST_F(EventStreamTest, LastEventIdResumesAfterItWithoutDuplicates) {
  StartApi();
  ASSERT_TRUE(autoscaler_.SetPaused("worker", true).ok());   // 2
  ASSERT_TRUE(autoscaler_.SetPaused("worker", false).ok());  // 3
  StreamReader by_header(api_->port(), "/api/v1/events", {{"Last-Event-ID", "1"}});
  StreamReader by_query(api_->port(), "/api/v1/events?last_event_id=2");
  ASSERT_TRUE(ClientsAre(2));
  ASSERT_TRUE(autoscaler_.SetPaused("worker", true).ok());  // 4
  ASSERT_TRUE(
      Eventually([&] { return by_header.Ids().size() >= 3 && by_query.Ids().size() >= 2; }));
  ASSERT_TRUE(autoscaler_.SetPaused("worker", false).ok());  // 5
  ASSERT_TRUE(by_header.WaitFor("id: 5\n"));
  ASSERT_TRUE(by_query.WaitFor("id: 5\n"));
  EXPECT_THAT(by_header.Ids(), ElementsAre(2, 3, 4, 5));
  EXPECT_THAT(by_query.Ids(), ElementsAre(3, 4, 5));
}

TEST_F(EventStreamTest, TypesFilterTheStreamAndBadParametersAreRefused) {
  StartApi();
  StreamReader services(api_->port(), "/api/v1/events?types=service,plan&last_event_id=0");
  ASSERT_TRUE(ClientsAre(1));
  autoscaler_.RunCycle();  // a cycle event, filtered out
  ASSERT_TRUE(autoscaler_.SetPaused("worker", true).ok());
  ASSERT_TRUE(services.WaitFor("\"paused\""));
  EXPECT_THAT(services.Text(), Not(HasSubstr("event: cycle")));
  EXPECT_THAT(services.Ids(), ElementsAre(1, 3));

  auto unknown = Get("/api/v1/events?types=service,nope");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_THAT(unknown->body, HasSubstr("\"error\":\"invalid\""));
  EXPECT_THAT(unknown->body, HasSubstr("unknown event type 'nope'"));
  auto bad_id = Get("/api/v1/events?last_event_id=-3");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 400);
  EXPECT_THAT(bad_id->body, HasSubstr("last_event_id: expected an event id"));
}

TEST_F(EventStreamTest, AClientBeyondTheMaximumIsAnswered503) {
  StartApi();
  std::vector<std::unique_ptr<StreamReader>> readers;
  for (std::size_t i = 0; i < kTestMaxClients; ++i) {
    readers.push_back(std::make_unique<StreamReader>(api_->port(), "/api/v1/events"));
  }
  ASSERT_TRUE(ClientsAre(kTestMaxClients));
  auto refused = Get("/api/v1/events");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  const auto body = nlohmann::json::parse(refused->body, nullptr, false);
  EXPECT_EQ(body["error"], "unavailable");
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("maximum of 3 clients"));
  auto metrics = Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("\nmaiev_event_stream_clients 3\n"));
  EXPECT_THAT(metrics->body, HasSubstr("\nmaiev_events_total{type=\"service\"} 1\n"));

  readers.pop_back();  // a client leaves: its slot is free again
  ASSERT_TRUE(ClientsAre(kTestMaxClients - 1));
  StreamReader another(api_->port(), "/api/v1/events");
  ASSERT_TRUE(ClientsAre(kTestMaxClients));
  EXPECT_TRUE(another.WaitFor(": keepalive"));
  EXPECT_EQ(another.status(), 200);
}

TEST_F(EventStreamTest, StopEndsOpenStreamsPromptly) {
  // Keepalives an hour apart: only Stop can wake the streams.
  StartApi(std::chrono::hours{1});
  std::vector<std::unique_ptr<StreamReader>> readers;
  for (std::size_t i = 0; i < kTestMaxClients; ++i) {
    readers.push_back(std::make_unique<StreamReader>(api_->port(), "/api/v1/events"));
  }
  ASSERT_TRUE(ClientsAre(kTestMaxClients));
  const auto started = SteadyClock::now();
  StopApi();
  EXPECT_LT(SteadyClock::now() - started, std::chrono::seconds(2));
  for (auto& reader : readers) EXPECT_TRUE(Eventually([&] { return reader->ended(); }));
  EXPECT_EQ(hub_.clients(), 0u);
}

TEST_F(EventStreamTest, TheOpenApiDocumentDescribesTheStream) {
  StartApi();
  auto res = Get("/api/v1/openapi.json");
  ASSERT_TRUE(res);
  const auto doc = nlohmann::json::parse(res->body);
  ASSERT_TRUE(doc["paths"].contains("/api/v1/events"));
  const auto& get = doc["paths"]["/api/v1/events"]["get"];
  EXPECT_TRUE(get["responses"]["200"]["content"].contains("text/event-stream"));
  EXPECT_TRUE(get["responses"].contains("503"));
  std::vector<std::string> parameters;
  for (const auto& p : get["parameters"]) parameters.push_back(p["name"]);
  EXPECT_THAT(parameters, ElementsAre("types", "last_event_id", "Last-Event-ID"));
  EXPECT_FALSE(get.contains("security"));  // a read: no token
}

}  // namespace
}  // namespace maiev::api
