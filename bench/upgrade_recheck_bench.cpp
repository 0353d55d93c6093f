// What a re-check of the registry costs when nothing is new: N identities, each a repository of
// the stack's registry with one version (1.0.0) whose image labels declare dependencies, and a
// swarm of N services running them pinned by digest. The registry client is the daemon's (HTTP,
// then the label cache); the swarm is the in-memory fake, as listing it is one Engine call.
//
//   upgrade_recheck_bench [--identities N] [--runs R] [--registry HOST:PORT]
// Seeds the repositories (maiev-bench-recheck-NNN; a re-run pushes the same manifests again)
// through the registry API, runs one cold
// check, then R re-checks (UpgradeController::Resolve: gather and decide, nothing executed), and
// prints per check the wall time, the registry calls by kind and the HTTP requests sent.
#include <httplib.h>
#include <openssl/evp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/upgrade_controller.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "registry/caching_registry_client.hpp"
#include "registry/http_registry_client.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace maiev;
using nlohmann::json;

std::string Sha256(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, EVP_sha256(), nullptr);
  std::string hex = "sha256:";
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", out[i]);
    hex += byte;
  }
  return hex;
}

std::string Repository(int i) {
  char name[48];
  std::snprintf(name, sizeof name, "maiev-bench-recheck-%03d", i);
  return name;
}

// What identity `i` provides: `bench_NNN:api` (names of the rule language have no dashes).
std::string Capability(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "bench_%03d:api", i);
  return name;
}

// Uploads `blob` to `repository` (POST, then PUT with the digest). Empty on success.
std::string UploadBlob(httplib::Client& registry, const std::string& repository,
                       const std::string& blob, const std::string& digest) {
  auto started = registry.Post("/v2/" + repository + "/blobs/uploads/");
  if (!started || started->status != 202) return "blob upload to " + repository + " refused";
  std::string location = started->get_header_value("Location");
  if (const auto scheme = location.find("://"); scheme != std::string::npos) {
    location = location.substr(location.find('/', scheme + 3));
  }
  location += (location.find('?') == std::string::npos ? "?" : "&");
  location += "digest=" + digest;
  auto put = registry.Put(location, blob, "application/octet-stream");
  if (!put || put->status != 201) return "blob PUT to " + repository + " failed";
  return "";
}

// Pushes `repository:1.0.0`, a config-only image whose scale-config label provides
// `bench_NNN:api 1` and requires the previous identity's. Returns the manifest digest, or "".
std::string Seed(httplib::Client& registry, int i) {
  const std::string repository = Repository(i);
  json provide = {{Capability(i), 1}};
  json require = json::array();
  if (i > 0) require.push_back(Capability(i - 1) + " >= 1");
  const json scale = {
      {"min", 1}, {"max", 1}, {"dependencies", {{"provide", provide}, {"require", require}}}};
  const std::string config = json{{"architecture", "amd64"},
                                  {"os", "linux"},
                                  {"config", {{"Labels", {{"maiev.scale_config", scale.dump()}}}}},
                                  {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}}
                                 .dump();
  const std::string config_digest = Sha256(config);
  if (std::string e = UploadBlob(registry, repository, config, config_digest); !e.empty()) {
    std::cerr << e << "\n";
    return "";
  }
  const std::string manifest = json{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
      {"config",
       {{"mediaType", "application/vnd.docker.container.image.v1+json"},
        {"size", config.size()},
        {"digest", config_digest}}},
      {"layers", json::array()}}.dump();
  auto put = registry.Put("/v2/" + repository + "/manifests/1.0.0", manifest,
                          "application/vnd.docker.distribution.manifest.v2+json");
  if (!put || put->status != 201) {
    std::cerr << "manifest PUT to " << repository << ": "
              << (put ? std::to_string(put->status) + " " + put->body : "no answer") << "\n";
    return "";
  }
  return Sha256(manifest);
}

// Counts the calls the gathering makes, by kind, in front of the HTTP client.
class CountingClient final : public registry::RegistryClient {
 public:
  explicit CountingClient(registry::RegistryClient& inner) : inner_(inner) {}
  struct Calls {
    std::uint64_t tag_lists = 0, heads = 0, label_reads = 0;
  };

  Result<std::vector<std::string>> ListTags(std::string_view repository) override {
    ++calls.tag_lists;
    return inner_.ListTags(repository);
  }
  Result<std::string> ResolveDigest(std::string_view repository, std::string_view tag) override {
    ++calls.heads;
    return inner_.ResolveDigest(repository, tag);
  }
  Result<registry::ImageLabels> ReadLabels(std::string_view repository,
                                           std::string_view digest) override {
    ++calls.label_reads;
    return inner_.ReadLabels(repository, digest);
  }
  Calls calls;

 private:
  registry::RegistryClient& inner_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Cost of a registry re-check with nothing new");
  int identities = 200;
  int runs = 5;
  std::string host = std::getenv("MAIEV_REGISTRY") ? std::getenv("MAIEV_REGISTRY") : "";
  if (host.empty()) host = "127.0.0.1:5000";
  app.add_option("--identities", identities, "repositories and services")
      ->check(CLI::Range(1, 5000));
  app.add_option("--runs", runs, "re-checks after the cold one")->check(CLI::Range(1, 100));
  app.add_option("--registry", host, "the stack's registry");
  CLI11_PARSE(app, argc, argv);

  httplib::Client seeder("http://" + host);
  seeder.set_connection_timeout(3);
  orchestrator::FakeOrchestrator swarm;
  const auto seed_start = std::chrono::steady_clock::now();
  for (int i = 0; i < identities; ++i) {
    const std::string digest = Seed(seeder, i);
    if (digest.empty()) {
      std::cerr << "cannot seed the registry at " << host << " (scripts/stack.sh start?)\n";
      return 1;
    }
    orchestrator::ServiceInfo service;
    service.id = "id-" + std::to_string(i);
    service.name = Repository(i);
    service.replicas = 1;
    service.image = host + "/" + Repository(i) + ":1.0.0@" + digest;
    swarm.PutService(std::move(service));
  }
  std::printf("seeded %d repositories in %.1f s\n", identities,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_start).count());

  SystemClock clock;
  registry::RegistryEndpoint endpoint;
  endpoint.registry = host;
  registry::HttpRegistryClient http(endpoint, clock);
  CountingClient counting(http);
  registry::CachingRegistryClient cached(counting);
  const std::string store_path =
      (std::filesystem::temp_directory_path() / "maiev-recheck-bench.db").string();
  std::filesystem::remove(store_path);
  auto store = store::SqliteStore::Open(store_path);
  if (!store.ok()) {
    std::cerr << store.error().message << "\n";
    return 1;
  }
  control::UpgradeController controller(
      swarm,
      [&](std::string_view h) -> registry::RegistryClient* {
        return h == host ? &cached : nullptr;
      },
      **store, clock, control::UpgradeOptions{});

  std::printf("%-8s %10s %10s %6s %12s %14s %s\n", "check", "wall (ms)", "tag lists", "HEADs",
              "label reads", "HTTP requests", "outcome");
  std::vector<double> walls;
  for (int run = 0; run <= runs; ++run) {
    const CountingClient::Calls before = counting.calls;
    const std::uint64_t requests_before = http.counters().requests;
    const auto start = std::chrono::steady_clock::now();
    auto check = controller.Resolve();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!check.ok()) {
      std::cerr << "check failed: " << check.error().message << "\n";
      return 1;
    }
    if (run > 0) walls.push_back(ms);
    std::printf("%-8s %10.1f %10llu %6llu %12llu %14llu %s, %zu services, %zu notes\n",
                run == 0 ? "cold" : ("re-" + std::to_string(run)).c_str(), ms,
                static_cast<unsigned long long>(counting.calls.tag_lists - before.tag_lists),
                static_cast<unsigned long long>(counting.calls.heads - before.heads),
                static_cast<unsigned long long>(counting.calls.label_reads - before.label_reads),
                static_cast<unsigned long long>(http.counters().requests - requests_before),
                check->decision.outcome.c_str(), check->gathered.services.size(),
                check->gathered.notes.size());
  }
  if (auto last = controller.View(); last && !last->gathered.notes.empty()) {
    std::printf("first note: %s: %s\n", last->gathered.notes.begin()->first.c_str(),
                last->gathered.notes.begin()->second.c_str());
  }
  std::sort(walls.begin(), walls.end());
  std::printf("re-check of %d identities with nothing new: median %.1f ms (of %d)\n", identities,
              walls[walls.size() / 2], runs);
  std::filesystem::remove(store_path);
  return 0;
}
