// Docker Engine API bodies (src/orchestrator/engine_wire): the input is read as each reply maiev
// decodes, and fed in two chunks to the event stream's line splitter and event parser.
// Invariants: errors are sendable as JSON; a spec update prepared from a service body is JSON
// holding the requested value, unchanged only when the body had it already; a demultiplexed log
// is no longer than its frames.
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "orchestrator/engine_wire.hpp"

namespace maiev::orchestrator {
namespace {

template <class T>
void CheckResult(const Result<T>& result) {
  if (!result.ok()) fuzz::CheckMessage(result.error().message);
}

void CheckReplicasUpdate(std::string_view body) {
  auto update = PrepareReplicasUpdate(body, 3);
  CheckResult(update);
  if (!update.ok()) return;
  const nlohmann::json spec = nlohmann::json::parse(update->spec_json);
  fuzz::Check(spec.at("Mode").at("Replicated").at("Replicas") == 3);
}

void CheckImageUpdate(std::string_view body) {
  constexpr std::string_view kImage = "127.0.0.1:5000/worker:worker-1.0.1";
  auto update = PrepareImageUpdate(body, kImage);
  CheckResult(update);
  if (!update.ok()) return;
  const nlohmann::json spec = nlohmann::json::parse(update->spec_json);
  fuzz::Check(spec.at("TaskTemplate").at("ContainerSpec").at("Image") == kImage);
}

void CheckEventStream(std::string_view text) {
  LineSplitter splitter;
  const auto on_line = [](std::string_view line) { CheckResult(ParseEventLine(line)); };
  splitter.Feed(text.substr(0, text.size() / 2), on_line);
  splitter.Feed(text.substr(text.size() / 2), on_line);
  EventCursor cursor;
  if (auto event = ParseEventLine(text); event.ok() && *event) {
    fuzz::Check(cursor.Accept(**event));
    fuzz::Check(!cursor.Accept(**event));
  }
}

}  // namespace
}  // namespace maiev::orchestrator

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace maiev::orchestrator;  // NOLINT(google-build-using-namespace): one function
  const std::string_view text = maiev::fuzz::Text(data, size);
  CheckResult(NegotiateApiVersion(text));
  static_cast<void>(EngineErrorMessage(text));
  static_cast<void>(ParseEngineTime(text));
  CheckResult(ParseService(text));
  CheckResult(ParseServiceList(text));
  CheckResult(CountRunningTasks(text));
  CheckReplicasUpdate(text);
  CheckImageUpdate(text);
  static_cast<void>(IsUpdateOutOfSequence(500, text));
  CheckResult(ParseImageInspect(text));
  CheckResult(ParseCreatedContainerId(text));
  CheckResult(ParseWaitStatusCode(text));
  auto logs = DemultiplexLogs(text);
  CheckResult(logs);
  if (logs.ok()) maiev::fuzz::Check(logs->out.size() + logs->err.size() <= text.size());
  CheckEventStream(text);
  return 0;
}
