#include "orchestrator/engine_wire.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace maiev::orchestrator {
namespace {

using nlohmann::json;

// A service as GET /services/{id} returns it (Engine 20.10), trimmed to what matters plus
// fields maiev must carry through an update untouched.
json ReplicatedService() {
  return json::parse(R"({
    "ID": "9mnpnzenvg8p8tdbtq4wvbkcz",
    "Version": {"Index": 19},
    "CreatedAt": "2024-05-01T10:20:30.123456789Z",
    "UpdatedAt": "2024-05-01T10:25:00Z",
    "Spec": {
      "Name": "producer",
      "Labels": {"maiev.scale_config": "{\"min\": 0}", "team": "rpc"},
      "TaskTemplate": {
        "ContainerSpec": {"Image": "127.0.0.1:5000/maiev-worker:producer-1.0.0@sha256:abc",
                          "Args": ["--queue", "rpc-producer"], "Env": ["A=1"]},
        "Resources": {"Limits": {"MemoryBytes": 104857600}},
        "RestartPolicy": {"Condition": "any", "MaxAttempts": 0},
        "Networks": [{"Target": "host"}],
        "ForceUpdate": 0
      },
      "Mode": {"Replicated": {"Replicas": 2}},
      "UpdateConfig": {"Parallelism": 1, "Delay": 1000000000, "FailureAction": "rollback",
                       "Order": "start-first"},
      "EndpointSpec": {"Mode": "vip"}
    },
    "Endpoint": {"Spec": {}},
    "UpdateStatus": {"State": "completed", "StartedAt": "2024-05-01T10:24:00Z",
                     "CompletedAt": "2024-05-01T10:25:00Z", "Message": "update completed"}
  })");
}

json GlobalService() {
  json service = ReplicatedService();
  service["ID"] = "global1";
  service["Spec"]["Name"] = "node-exporter";
  service["Spec"]["Mode"] = {{"Global", json::object()}};
  service.erase("UpdateStatus");
  service["Spec"].erase("Labels");
  return service;
}

TEST(ParseService, ReadsAReplicatedServiceWithLabelsUpdateStatusAndTimes) {
  auto service = ParseService(ReplicatedService().dump());
  ASSERT_TRUE(service.ok()) << service.error().message;
  EXPECT_EQ(service->id, "9mnpnzenvg8p8tdbtq4wvbkcz");
  EXPECT_EQ(service->name, "producer");
  EXPECT_EQ(service->version, 19u);
  EXPECT_EQ(service->mode, ServiceMode::kReplicated);
  EXPECT_EQ(service->replicas, 2u);
  EXPECT_EQ(service->image, "127.0.0.1:5000/maiev-worker:producer-1.0.0@sha256:abc");
  EXPECT_EQ(service->labels.at("team"), "rpc");
  EXPECT_EQ(service->labels.at("maiev.scale_config"), R"({"min": 0})");
  EXPECT_EQ(service->update_status.state, UpdateState::kCompleted);
  EXPECT_EQ(service->update_status.message, "update completed");
  ASSERT_TRUE(service->update_status.started_at.has_value());
  EXPECT_EQ(*service->update_status.started_at, *ParseEngineTime("2024-05-01T10:24:00Z"));
  EXPECT_EQ(service->update_config.parallelism, 1u);
  EXPECT_DOUBLE_EQ(service->update_config.delay.count(), 1.0);
  EXPECT_EQ(service->update_config.failure_action, "rollback");
  ASSERT_TRUE(service->created_at.has_value());
  ASSERT_TRUE(service->updated_at.has_value());
  EXPECT_NEAR(SecondsBetween(*service->created_at, *service->updated_at), 269.876543211, 1e-6);
  EXPECT_FALSE(service->running_tasks.has_value());
}

TEST(ParseService, ReadsAGlobalServiceWithoutUpdateStatusOrLabels) {
  auto service = ParseService(GlobalService().dump());
  ASSERT_TRUE(service.ok()) << service.error().message;
  EXPECT_EQ(service->mode, ServiceMode::kGlobal);
  EXPECT_EQ(service->replicas, 0u);
  EXPECT_TRUE(service->labels.empty());
  EXPECT_EQ(service->update_status.state, UpdateState::kNone);
}

TEST(ParseService, WithoutAnUpdateConfigHasDockersDefaults) {
  json body = ReplicatedService();
  body["Spec"].erase("UpdateConfig");
  auto service = ParseService(body.dump());
  ASSERT_TRUE(service.ok()) << service.error().message;
  EXPECT_EQ(service->update_config, UpdateConfig{});
  EXPECT_EQ(service->update_config.parallelism, 1u);
  EXPECT_EQ(service->update_config.failure_action, "pause");
}

TEST(ParseService, ReplicatedWithoutReplicasMeansOne) {
  json body = ReplicatedService();
  body["Spec"]["Mode"] = {{"Replicated", json::object()}};
  auto service = ParseService(body.dump());
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->replicas, 1u);
}

TEST(ParseService, JobModesAreReportedAsJobs) {
  json body = ReplicatedService();
  body["Spec"]["Mode"] = {{"ReplicatedJob", {{"MaxConcurrent", 1}}}};
  auto service = ParseService(body.dump());
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->mode, ServiceMode::kJob);
}

TEST(ParseService, MapsEveryUpdateStateAndKeepsUnknownOnesApart) {
  const std::pair<const char*, UpdateState> cases[] = {
      {"updating", UpdateState::kUpdating},
      {"paused", UpdateState::kPaused},
      {"completed", UpdateState::kCompleted},
      {"rollback_started", UpdateState::kRollbackStarted},
      {"rollback_paused", UpdateState::kRollbackPaused},
      {"rollback_completed", UpdateState::kRollbackCompleted},
      {"something_new", UpdateState::kUnknown},
  };
  for (const auto& [text, state] : cases) {
    json body = ReplicatedService();
    body["UpdateStatus"]["State"] = text;
    auto service = ParseService(body.dump());
    ASSERT_TRUE(service.ok());
    EXPECT_EQ(service->update_status.state, state) << text;
    EXPECT_EQ(ToString(state), state == UpdateState::kUnknown ? "unknown" : text);
  }
}

TEST(UpdateStatus, FailedForPausedAndRollbackStatesOnly) {
  EXPECT_FALSE((UpdateStatus{UpdateState::kUpdating, ""}.Failed()));
  EXPECT_FALSE((UpdateStatus{UpdateState::kCompleted, ""}.Failed()));
  EXPECT_FALSE((UpdateStatus{UpdateState::kNone, ""}.Failed()));
  EXPECT_TRUE((UpdateStatus{UpdateState::kPaused, ""}.Failed()));
  EXPECT_TRUE((UpdateStatus{UpdateState::kRollbackStarted, ""}.Failed()));
  EXPECT_TRUE((UpdateStatus{UpdateState::kRollbackPaused, ""}.Failed()));
  EXPECT_TRUE((UpdateStatus{UpdateState::kRollbackCompleted, ""}.Failed()));
}

TEST(ParseService, ErrorsNameTheServiceAndTheField) {
  json body = ReplicatedService();
  body["Spec"]["Mode"]["Replicated"]["Replicas"] = -1;
  auto service = ParseService(body.dump());
  ASSERT_FALSE(service.ok());
  EXPECT_EQ(service.error().code, "parse");
  EXPECT_NE(service.error().message.find("service producer"), std::string::npos);
  EXPECT_NE(service.error().message.find("Spec.Mode.Replicated.Replicas"), std::string::npos);

  body = ReplicatedService();
  body["Spec"]["Labels"]["bad"] = 3;
  service = ParseService(body.dump());
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.error().message.find("Spec.Labels.bad"), std::string::npos);

  body = ReplicatedService();
  body["Spec"]["Mode"] = json::object();
  service = ParseService(body.dump());
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.error().message.find("Spec.Mode"), std::string::npos);

  service = ParseService("{not json");
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.error().message.find("GET /services/{id}"), std::string::npos);
}

TEST(ParseServiceList, ReadsEveryServiceAndRejectsANonArray) {
  json list = json::array({ReplicatedService(), GlobalService()});
  auto services = ParseServiceList(list.dump());
  ASSERT_TRUE(services.ok()) << services.error().message;
  ASSERT_EQ(services->size(), 2u);
  EXPECT_EQ((*services)[1].name, "node-exporter");
  EXPECT_FALSE(ParseServiceList("{}").ok());
}

TEST(CountRunningTasks, CountsTasksRunningAndMeantToRunPerService) {
  json tasks = json::array({
      {{"ServiceID", "a"}, {"DesiredState", "running"}, {"Status", {{"State", "running"}}}},
      {{"ServiceID", "a"}, {"DesiredState", "running"}, {"Status", {{"State", "running"}}}},
      {{"ServiceID", "a"}, {"DesiredState", "running"}, {"Status", {{"State", "preparing"}}}},
      {{"ServiceID", "a"}, {"DesiredState", "shutdown"}, {"Status", {{"State", "running"}}}},
      {{"ServiceID", "b"}, {"DesiredState", "running"}, {"Status", {{"State", "running"}}}},
  });
  tasks[0]["Spec"] = {{"ContainerSpec", {{"Image", "r/a:1@sha256:11"}}}};
  tasks[1]["Spec"] = {{"ContainerSpec", {{"Image", "r/a:2@sha256:22"}}}};
  auto counts = CountRunningTasks(tasks.dump());
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->at("a").count, 2u);
  EXPECT_EQ(counts->at("a").by_image,
            (std::map<std::string, std::uint64_t>{{"r/a:1@sha256:11", 1}, {"r/a:2@sha256:22", 1}}));
  EXPECT_EQ(counts->at("b").count, 1u);
  EXPECT_EQ(counts->at("b").by_image, (std::map<std::string, std::uint64_t>{{"", 1}}));
  EXPECT_EQ(counts->size(), 2u);
}

TEST(TasksQuery, FiltersOnDesiredStateAndOptionallyTheService) {
  EXPECT_EQ(TasksQuery(std::nullopt), "?filters=" + UrlEncode(R"({"desired-state":["running"]})"));
  EXPECT_EQ(TasksQuery("abc"),
            "?filters=" + UrlEncode(R"({"desired-state":["running"],"service":["abc"]})"));
}

TEST(PrepareReplicasUpdate, ChangesOnlyTheReplicasAndKeepsTheRestOfTheSpec) {
  json body = ReplicatedService();
  auto update = PrepareReplicasUpdate(body.dump(), 5);
  ASSERT_TRUE(update.ok()) << update.error().message;
  EXPECT_EQ(update->service_id, "9mnpnzenvg8p8tdbtq4wvbkcz");
  EXPECT_EQ(update->version, 19u);
  EXPECT_TRUE(update->changed);
  json expected = body["Spec"];
  expected["Mode"]["Replicated"]["Replicas"] = 5;
  EXPECT_EQ(json::parse(update->spec_json), expected);
}

TEST(PrepareReplicasUpdate, ReportsNoChangeWhenReplicasAlreadyMatch) {
  auto update = PrepareReplicasUpdate(ReplicatedService().dump(), 2);
  ASSERT_TRUE(update.ok());
  EXPECT_FALSE(update->changed);
}

TEST(PrepareReplicasUpdate, RefusesAGlobalService) {
  auto update = PrepareReplicasUpdate(GlobalService().dump(), 3);
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.error().code, "invalid");
  EXPECT_NE(update.error().message.find("service node-exporter"), std::string::npos);
}

TEST(PrepareImageUpdate, ChangesOnlyTheImage) {
  json body = ReplicatedService();
  auto update = PrepareImageUpdate(body.dump(), "127.0.0.1:5000/w:producer-1.1.0@sha256:def");
  ASSERT_TRUE(update.ok()) << update.error().message;
  json expected = body["Spec"];
  expected["TaskTemplate"]["ContainerSpec"]["Image"] = "127.0.0.1:5000/w:producer-1.1.0@sha256:def";
  EXPECT_EQ(json::parse(update->spec_json), expected);
  EXPECT_TRUE(update->changed);
  auto same = PrepareImageUpdate(
      body.dump(), body["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].get<std::string>());
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
}

TEST(IsUpdateOutOfSequence, RecognisesTheEnginesConflictReply) {
  std::string reply = R"({"message":"rpc error: code = Unknown desc = update out of sequence"})";
  EXPECT_TRUE(IsUpdateOutOfSequence(500, reply));
  EXPECT_TRUE(IsUpdateOutOfSequence(409, reply));
  EXPECT_FALSE(IsUpdateOutOfSequence(400, reply));
  EXPECT_FALSE(IsUpdateOutOfSequence(500, R"({"message":"no such image"})"));
}

TEST(LeaseConfig, ReadsTheConfigNamedExactlyAndWritesWhatItReads) {
  const LeaseRecord record{"node-2-77-beef", *ParseEngineTime("2026-12-02T18:40:50.822Z"),
                           Duration{15}, 4};
  const auto spec = nlohmann::json::parse(LeaseConfigSpec("maiev-leader", record));
  EXPECT_EQ(spec["Name"], "maiev-leader");
  EXPECT_FALSE(spec["Data"].get<std::string>().empty());
  // As GET /configs?filters={"name":["maiev-leader"]} answers: the filter also matches
  // "maiev-leader-old".
  nlohmann::json listing = nlohmann::json::array(
      {{{"ID", "other"},
        {"Version", {{"Index", 3}}},
        {"Spec", {{"Name", "maiev-leader-old"}, {"Labels", nlohmann::json::object()}}}},
       {{"ID", "shvr96h89krq"}, {"Version", {{"Index", 14}}}, {"Spec", spec}}});
  auto lease = ParseLeaseConfig(listing.dump(), "maiev-leader");
  ASSERT_TRUE(lease) << lease.error().message;
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->id, "shvr96h89krq");
  EXPECT_EQ((*lease)->version, 14U);
  EXPECT_EQ((*lease)->record, record);

  auto none = ParseLeaseConfig("[]", "maiev-leader");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(LeaseConfigQuery("maiev-leader"),
            "?filters=%7B%22name%22%3A%5B%22maiev-leader%22%5D%7D");
}

TEST(LeaseConfig, AConfigThatIsNotALeaseIsAnErrorNamingIt) {
  const std::string listing =
      R"([{"ID":"x","Version":{"Index":1},"Spec":{"Name":"maiev-leader","Labels":{"a":"b"}}}])";
  auto lease = ParseLeaseConfig(listing, "maiev-leader");
  ASSERT_FALSE(lease);
  EXPECT_NE(lease.error().message.find("maiev-leader is not a lease of maiev's"), std::string::npos)
      << lease.error().message;
  EXPECT_FALSE(ParseLeaseConfig("{", "maiev-leader"));
  EXPECT_FALSE(ParseLeaseConfig(R"([{"Spec":{"Name":"maiev-leader"}}])", "maiev-leader"));
}

TEST(NegotiateApiVersion, PicksTheLowerOfServerAndOurs) {
  auto newer = NegotiateApiVersion(R"({"ApiVersion":"1.45","MinAPIVersion":"1.24"})");
  ASSERT_TRUE(newer.ok()) << newer.error().message;
  EXPECT_EQ(*newer, "1.41");
  auto older = NegotiateApiVersion(R"({"ApiVersion":"1.38","MinAPIVersion":"1.12"})");
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(*older, "1.38");
  auto same = NegotiateApiVersion(R"({"ApiVersion":"1.41"})");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, "1.41");
}

TEST(NegotiateApiVersion, ComparesMinorVersionsNumerically) {
  auto version = NegotiateApiVersion(R"({"ApiVersion":"1.9"})");  // 1.9 < 1.30
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().code, "unsupported");
}

TEST(NegotiateApiVersion, RejectsAServerThatDroppedOurVersionsAndMalformedReplies) {
  auto dropped = NegotiateApiVersion(R"({"ApiVersion":"1.50","MinAPIVersion":"1.44"})");
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().code, "unsupported");
  EXPECT_FALSE(NegotiateApiVersion(R"({"ApiVersion":"latest"})").ok());
  EXPECT_FALSE(NegotiateApiVersion(R"({})").ok());
}

TEST(EngineErrorMessage, TakesTheMessageFieldOrTheRawBody) {
  EXPECT_EQ(EngineErrorMessage(R"({"message":"no such service: x"})"), "no such service: x");
  EXPECT_EQ(EngineErrorMessage("page not found\n"), "page not found");
  EXPECT_EQ(EngineErrorMessage(""), "(empty reply)");
}

TEST(UrlEncode, KeepsUnreservedCharactersOnly) {
  EXPECT_EQ(UrlEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(UrlEncode(R"({"a":["b c"]})"), "%7B%22a%22%3A%5B%22b%20c%22%5D%7D");
}

TEST(ParseEngineTime, ReadsUtcAndOffsetsAndRejectsZeroAndGarbage) {
  auto utc = ParseEngineTime("2024-05-01T10:20:30Z");
  auto offset = ParseEngineTime("2024-05-01T12:20:30.5+02:00");
  ASSERT_TRUE(utc && offset);
  EXPECT_DOUBLE_EQ(SecondsBetween(*utc, *offset), 0.5);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(utc->time_since_epoch()).count(),
            1714558830);
  EXPECT_FALSE(ParseEngineTime("0001-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseEngineTime(""));
  EXPECT_FALSE(ParseEngineTime("2024-05-01 10:20:30Z"));
  EXPECT_FALSE(ParseEngineTime("2024-05-01T10:20:30"));
}

TEST(ParseImageInspect, ReadsIdDigestsAndConfigLabels) {
  auto image = ParseImageInspect(R"({
    "Id": "sha256:1111", "RepoTags": ["w:1"], "RepoDigests": ["127.0.0.1:5000/w@sha256:2222"],
    "Config": {"Labels": {"maiev.scale_config": "{}"}, "Entrypoint": ["/worker"]}
  })");
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->id, "sha256:1111");
  EXPECT_EQ(image->repo_digests, std::vector<std::string>{"127.0.0.1:5000/w@sha256:2222"});
  EXPECT_EQ(image->labels.at("maiev.scale_config"), "{}");

  auto unlabeled = ParseImageInspect(R"({"Id":"sha256:3","Config":{"Labels":null}})");
  ASSERT_TRUE(unlabeled.ok());
  EXPECT_TRUE(unlabeled->labels.empty());
  EXPECT_FALSE(ParseImageInspect(R"({"Config":{}})").ok());
}

TEST(ScaleInfoContainerBody, RunsScaleInfoWithoutNetworkWithTheImagesEntrypoint) {
  json body = json::parse(ScaleInfoContainerBody("sha256:1111"));
  EXPECT_EQ(body["Image"], "sha256:1111");
  EXPECT_EQ(body["Cmd"], json::array({"scale_info"}));
  EXPECT_FALSE(body.contains("Entrypoint"));
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "none");
  EXPECT_EQ(body["Tty"], false);
  EXPECT_EQ(body["Labels"]["maiev.scale_info"], "1");
}

TEST(ContainerReplies, ReadCreatedIdAndWaitStatus) {
  auto id = ParseCreatedContainerId(R"({"Id":"e90e34656806","Warnings":[]})");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "e90e34656806");
  auto code = ParseWaitStatusCode(R"({"StatusCode":3,"Error":null})");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 3);
  EXPECT_FALSE(ParseWaitStatusCode(R"({"Error":{"Message":"x"}})").ok());
}

std::string Frame(unsigned char stream, std::string_view payload) {
  std::string frame = {static_cast<char>(stream), 0, 0, 0};
  auto size = static_cast<std::uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  frame.append(payload);
  return frame;
}

TEST(DemultiplexLogs, SplitsStdoutAndStderrFrames) {
  std::string raw = Frame(1, "{\"min\":") + Frame(2, "warning\n") + Frame(1, " 0}\n");
  auto logs = DemultiplexLogs(raw);
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(logs->out, "{\"min\": 0}\n");
  EXPECT_EQ(logs->err, "warning\n");
}

TEST(DemultiplexLogs, HandlesEmptyInputEmptyFramesAndLargeFrames) {
  auto empty = DemultiplexLogs("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->out.empty());
  std::string big(70'000, 'x');  // size needs the upper header bytes
  auto logs = DemultiplexLogs(Frame(1, "") + Frame(1, big));
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(logs->out, big);
}

TEST(DemultiplexLogs, RejectsTruncatedFramesAndUnknownStreams) {
  std::string frame = Frame(1, "hello");
  auto short_payload = DemultiplexLogs(frame.substr(0, frame.size() - 1));
  ASSERT_FALSE(short_payload.ok());
  EXPECT_NE(short_payload.error().message.find("truncated frame"), std::string::npos);
  EXPECT_FALSE(DemultiplexLogs(frame.substr(0, 5)).ok());
  auto unknown = DemultiplexLogs(Frame(7, "x"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("stream type 7"), std::string::npos);
}

constexpr std::string_view kUpdateEvent =
    R"({"Type":"service","Action":"update","Actor":{"ID":"svc1","Attributes":{"name":"producer",)"
    R"("replicas.new":"3","replicas.old":"1"}},"scope":"swarm","time":1714558830,)"
    R"("timeNano":1714558830123456789})";

TEST(ParseEventLine, ReadsAServiceUpdate) {
  auto event = ParseEventLine(kUpdateEvent);
  ASSERT_TRUE(event.ok()) << event.error().message;
  ASSERT_TRUE(event->has_value());
  const ServiceEvent& e = **event;
  EXPECT_EQ(e.kind, ServiceEventKind::kUpdated);
  EXPECT_EQ(e.service_id, "svc1");
  EXPECT_EQ(e.service_name, "producer");
  EXPECT_EQ(e.attributes.at("replicas.new"), "3");
  EXPECT_EQ(e.time_nano, 1714558830123456789);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(e.time.time_since_epoch()).count(),
            1714558830);
}

TEST(ParseEventLine, ReadsCreateAndRemoveAndFallsBackToSeconds) {
  auto created = ParseEventLine(
      R"({"Type":"service","Action":"create","Actor":{"ID":"a","Attributes":{"name":"n"}},"time":5})");
  ASSERT_TRUE(created.ok() && created->has_value());
  EXPECT_EQ((*created)->kind, ServiceEventKind::kCreated);
  EXPECT_EQ((*created)->time_nano, 5'000'000'000);
  auto removed = ParseEventLine(
      R"({"Type":"service","Action":"remove","Actor":{"ID":"a","Attributes":{"name":"n"}},"time":6})");
  ASSERT_TRUE(removed.ok() && removed->has_value());
  EXPECT_EQ((*removed)->kind, ServiceEventKind::kRemoved);
}

TEST(ParseEventLine, RefusesSecondsWhoseNanosecondsOverflow) {
  auto far = ParseEventLine(
      R"({"Type":"service","Action":"create","Actor":{"ID":"a","Attributes":{}},"time":9300000000})");
  ASSERT_FALSE(far.ok());
  EXPECT_THAT(far.error().message, ::testing::HasSubstr("out of range"));
}

TEST(ParseEventLine, IgnoresOtherTypesAndActions) {
  auto container =
      ParseEventLine(R"({"Type":"container","Action":"start","Actor":{"ID":"c"},"time":1})");
  ASSERT_TRUE(container.ok());
  EXPECT_FALSE(container->has_value());
  auto other = ParseEventLine(R"({"Type":"service","Action":"scale","Actor":{"ID":"c"},"time":1})");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST(ParseEventLine, RejectsMalformedServiceEvents) {
  EXPECT_FALSE(ParseEventLine("not json").ok());
  EXPECT_FALSE(ParseEventLine(R"({"Type":"service","Action":"update","time":1})").ok());
  EXPECT_FALSE(ParseEventLine(R"({"Type":"service","Action":"update","Actor":{"ID":"a"}})").ok());
}

TEST(EventsQuery, FiltersServiceEventsAndFormatsSinceWithNanoseconds) {
  std::string filter = "?filters=" + UrlEncode(R"({"type":["service"]})");
  EXPECT_EQ(EventsQuery(std::nullopt), filter);
  EXPECT_EQ(EventsQuery(1714558830000000042), filter + "&since=1714558830.000000042");
  EXPECT_EQ(EventsQuery(-1), filter + "&since=-1.999999999");  // rounded down before 1970
}

TEST(LineSplitter, JoinsLinesAcrossChunksAndSkipsBlankLines) {
  LineSplitter splitter;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view line) { lines.emplace_back(line); };
  splitter.Feed("{\"a\":", collect);
  splitter.Feed("1}\n\n{\"b\":2}\r\n{\"c\"", collect);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  splitter.Feed(":3}\n", collect);
  EXPECT_EQ(lines.back(), "{\"c\":3}");
}

TEST(LineSplitter, DropsAnOverlongLineAndRecoversAtTheNext) {
  LineSplitter splitter;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view line) { lines.emplace_back(line); };
  std::string chunk(LineSplitter::kMaxLineBytes / 2 + 1, 'x');
  splitter.Feed(chunk, collect);
  splitter.Feed(chunk, collect);
  splitter.Feed("tail\nok\n", collect);
  EXPECT_EQ(lines, std::vector<std::string>{"ok"});
  EXPECT_EQ(splitter.dropped_lines(), 1u);
}

ServiceEvent EventAt(std::int64_t nano, std::string id,
                     ServiceEventKind kind = ServiceEventKind::kUpdated) {
  ServiceEvent event;
  event.kind = kind;
  event.service_id = std::move(id);
  event.time_nano = nano;
  return event;
}

TEST(EventCursor, SkipsEventsReplayedAfterAResume) {
  EventCursor cursor;
  EXPECT_FALSE(cursor.ResumeFrom().has_value());
  EXPECT_TRUE(cursor.Accept(EventAt(100, "a")));
  EXPECT_TRUE(cursor.Accept(EventAt(200, "a")));
  EXPECT_TRUE(cursor.Accept(EventAt(200, "b")));
  EXPECT_EQ(cursor.ResumeFrom(), 200);
  // The resumed stream repeats what it holds from 200 on (since= is inclusive), then goes on.
  EXPECT_FALSE(cursor.Accept(EventAt(200, "a")));
  EXPECT_FALSE(cursor.Accept(EventAt(200, "b")));
  EXPECT_TRUE(cursor.Accept(EventAt(200, "c")));
  EXPECT_TRUE(cursor.Accept(EventAt(200, "a", ServiceEventKind::kRemoved)));
  EXPECT_TRUE(cursor.Accept(EventAt(300, "a")));
  EXPECT_EQ(cursor.ResumeFrom(), 300);
}

TEST(EventCursor, DeliversARemoveEventStampedWithAnOlderTime) {
  // The engine stamps a remove with the service's last update time.
  EventCursor cursor;
  EXPECT_TRUE(cursor.Accept(EventAt(500, "a")));
  EXPECT_TRUE(cursor.Accept(EventAt(100, "b", ServiceEventKind::kRemoved)));
  EXPECT_EQ(cursor.ResumeFrom(), 500);
}

TEST(EventCursor, RemembersABoundedNumberOfEvents) {
  EventCursor cursor;
  for (std::size_t i = 0; i <= EventCursor::kRememberedEvents; ++i) {
    ASSERT_TRUE(cursor.Accept(EventAt(static_cast<std::int64_t>(i), "a")));
  }
  EXPECT_FALSE(cursor.Accept(EventAt(1, "a")));  // still remembered
  EXPECT_TRUE(cursor.Accept(EventAt(0, "a")));   // forgotten: the oldest went first
}

TEST(EventCursor, ResumesFromTheStartPointUntilAnEventArrives) {
  EventCursor given(50);
  given.StartAtIfUnset(90);
  EXPECT_EQ(given.ResumeFrom(), 50);
  EXPECT_TRUE(given.Accept(EventAt(60, "a")));  // replayed from the start point: delivered
  EXPECT_EQ(given.ResumeFrom(), 60);

  EventCursor fresh;
  fresh.StartAtIfUnset(90);
  EXPECT_EQ(fresh.ResumeFrom(), 90);
  EXPECT_TRUE(fresh.Accept(EventAt(80, "a")));  // the start point never hides an event
}

}  // namespace
}  // namespace maiev::orchestrator
