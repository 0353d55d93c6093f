// The registry client against real registries on loopback: the stack's (anonymous, with
// notifications to maiev), and two this test starts with `docker-registry serve`: one with
// `auth: htpasswd` (Basic, credentials from the config.json `docker login` writes) and one with
// `auth: token` trusting a token service the test serves (test_registries.hpp). Images are built
// FROM scratch with the scale-config fixtures as labels and pushed with the stack's dockerd.
// Repositories are named maiev-registry-it/…; the local images stay in the stack's dockerd (the
// build cache keeps their digests stable across runs). Figures are printed as "[figure]" lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "registry/caching_registry_client.hpp"
#include "registry/http_registry_client.hpp"
#include "registry/push_hint.hpp"
#include "registry/test_registries.hpp"
#include "support/stack_test_support.hpp"

namespace maiev::registry {
namespace {

using nlohmann::json;
using stack_testing::Docker;
using stack_testing::Eventually;
using stack_testing::Quote;
using stack_testing::Shell;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
namespace rt = ::maiev::registry::testing;

constexpr const char* kStackRegistry = "127.0.0.1:5000";
constexpr const char* kProducer = "maiev-registry-it/producer";
constexpr const char* kConsumer = "maiev-registry-it/consumer";
constexpr const char* kUser = "maiev-it";
constexpr const char* kPassword = "it-s3cret-password";
constexpr std::chrono::seconds kNotificationDeadline{20};

void Figure(const std::string& text) { std::cout << "[figure] " << text << std::endl; }

std::string Run(const std::string& command) {
  auto result = Shell(command);
  if (result.exit_code != 0) {
    throw std::runtime_error("`" + command + "` failed (" + std::to_string(result.exit_code) +
                             "): " + result.output);
  }
  return result.output;
}

json Fixture(const std::string& name) {
  std::ifstream in(std::string(MAIEV_FIXTURES_DIR) + "/" + name);
  return json::parse(in);
}

// The build context of the test images (a Dockerfile and a small file), written once.
const std::string& BuildContext() {
  static const rt::TempDir dir;
  static const std::string path = [] {
    rt::WriteFile(dir.path() + "/Dockerfile", "FROM scratch\nCOPY payload /payload\n");
    rt::WriteFile(dir.path() + "/payload", "maiev registry integration test\n");
    return dir.path();
  }();
  return path;
}

// A local image built FROM scratch with `labels`, tagged `name`.
void Build(const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string command = "DOCKER_BUILDKIT=0 " + Docker() + "build -q";
  for (const auto& [key, value] : labels) command += " --label " + Quote(key + "=" + value);
  Run(command + " -t " + Quote(name) + " " + Quote(BuildContext()));
}

// Builds the test images once per process: producer 1.0.0 and 1.1.0, consumer 1.0.0, each
// with its fixture as maiev.scale_config.
void BuildImages() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string producer = Fixture("scale-config-producer.json").dump();
    const std::string consumer = Fixture("scale-config-consumer.json").dump();
    for (const char* version : {"1.0.0", "1.1.0"}) {
      Build(std::string(kProducer) + ":producer-" + version,
            {{"maiev.scale_config", producer}, {"maiev.version", version}});
    }
    Build(std::string(kConsumer) + ":consumer-1.0.0",
          {{"maiev.scale_config", consumer}, {"maiev.version", "1.0.0"}});
  });
}

// Pushes the local `repository:tag` to `registry` (with the docker config in
// `docker_config_dir` when given); the digest the registry reported to Docker.
std::string Push(const std::string& registry, const std::string& repository, const std::string& tag,
                 const std::string& docker_config_dir = "") {
  const std::string remote = registry + "/" + repository + ":" + tag;
  Run(Docker() + "tag " + Quote(repository + ":" + tag) + " " + Quote(remote));
  const std::string env =
      docker_config_dir.empty() ? "" : "DOCKER_CONFIG=" + Quote(docker_config_dir) + " ";
  Run(env + Docker() + "push -q " + Quote(remote));
  const json digests = json::parse(
      Run(Docker() + "image inspect --format '{{json .RepoDigests}}' " + Quote(remote)));
  const std::string prefix = registry + "/" + repository + "@";
  for (const json& entry : digests) {
    const std::string text = entry.get<std::string>();
    if (text.starts_with(prefix)) return text.substr(prefix.size());
  }
  throw std::runtime_error("no repo digest for " + remote + " in " + digests.dump());
}

void Login(const std::string& registry, const std::string& docker_config_dir,
           const std::string& password = kPassword) {
  Run("echo " + Quote(password) + " | DOCKER_CONFIG=" + Quote(docker_config_dir) + " " + Docker() +
      "login --username " + Quote(kUser) + " --password-stdin " + Quote(registry));
}

std::string Sha256Of(const std::string& body) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(body.data(), body.size(), out, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 0x0F];
  }
  return text;
}

std::unique_ptr<HttpRegistryClient> ClientFor(const std::string& host, const Clock& clock,
                                              RegistryCredentials credentials = {},
                                              HttpRegistryClientOptions options = {}) {
  return std::make_unique<HttpRegistryClient>(
      RegistryEndpoint{host, false, std::move(credentials), ""}, clock, std::move(options));
}

// The value of a Result, or its error, for comparisons that show either.
std::string Text(const Result<std::string>& result) {
  return result.ok() ? *result : "error " + result.error().code + ": " + result.error().message;
}

void ExpectNoSecret(const Error& error) {
  EXPECT_THAT(error.message, Not(HasSubstr(kPassword)));
  EXPECT_THAT(error.message, Not(HasSubstr("wrong-s3cret")));
  EXPECT_THAT(error.message, Not(HasSubstr(EncodeBase64(std::string(kUser) + ":" + kPassword))));
}

// ---------------------------------------------------------------------------------------------
// The stack's registry: anonymous.

class StackRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    BuildImages();
    producer_100_ = Push(kStackRegistry, kProducer, "producer-1.0.0");
    producer_110_ = Push(kStackRegistry, kProducer, "producer-1.1.0");
    consumer_100_ = Push(kStackRegistry, kConsumer, "consumer-1.0.0");
  }

  // PUTs a manifest list or OCI index of producer 1.1.0 as linux/arm64 and 1.0.0 as
  // linux/amd64 under `tag`; the document sent.
  static std::string PutIndex(std::string_view media_type, const std::string& tag) {
    json manifests = json::array();
    for (const auto& [digest, architecture] :
         {std::pair{producer_110_, "arm64"}, std::pair{producer_100_, "amd64"}}) {
      httplib::Client http("127.0.0.1", 5000);
      auto manifest = http.Get("/v2/" + std::string(kProducer) + "/manifests/" + digest,
                               {{"Accept", std::string(kDockerManifestV2)}});
      if (!manifest || manifest->status != 200) throw std::runtime_error("cannot read " + digest);
      manifests.push_back({{"mediaType", kDockerManifestV2},
                           {"digest", digest},
                           {"size", manifest->body.size()},
                           {"platform", {{"architecture", architecture}, {"os", "linux"}}}});
    }
    std::string body =
        json{{"schemaVersion", 2}, {"mediaType", media_type}, {"manifests", manifests}}.dump();
    httplib::Client http("127.0.0.1", 5000);
    auto put = http.Put("/v2/" + std::string(kProducer) + "/manifests/" + tag, body,
                        std::string(media_type));
    if (!put || put->status != 201) {
      throw std::runtime_error("PUT of the index failed: " +
                               (put ? std::to_string(put->status) + " " + put->body : "no reply"));
    }
    return body;
  }

  static inline std::string producer_100_;
  static inline std::string producer_110_;
  static inline std::string consumer_100_;
  ManualClock clock_;
};

TEST_F(StackRegistry, ListsEveryTagOfARepository) {
  HttpRegistryClientOptions options;
  options.limits.tag_page_size = 1;  // distribution 2.8 sends every tag anyway, without a Link
  auto client = ClientFor(kStackRegistry, clock_, {}, options);
  auto tags = client->ListTags(kProducer);
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(*tags, Contains("producer-1.0.0"));
  EXPECT_THAT(*tags, Contains("producer-1.1.0"));
  EXPECT_GE(client->counters().requests, 1u);
  Figure("stack registry: " + std::to_string(tags->size()) + " tags of " + kProducer + " in " +
         std::to_string(client->counters().requests) + " request(s) with n=1");
}

TEST_F(StackRegistry, ResolvesTagsToTheDigestsDockerPushed) {
  auto client = ClientFor(kStackRegistry, clock_);
  EXPECT_EQ(Text(client->ResolveDigest(kProducer, "producer-1.0.0")), producer_100_);
  EXPECT_EQ(Text(client->ResolveDigest(kProducer, "producer-1.1.0")), producer_110_);
  EXPECT_EQ(Text(client->ResolveDigest(kConsumer, "consumer-1.0.0")), consumer_100_);
  EXPECT_EQ(client->counters().requests, 3u);  // one HEAD each
}

TEST_F(StackRegistry, ReadsTheScaleConfigAndDependenciesFromTheImageLabels) {
  auto client = ClientFor(kStackRegistry, clock_);
  auto producer = client->ReadLabels(kProducer, producer_110_);
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  EXPECT_EQ(producer->image_digest, producer_110_);
  EXPECT_EQ(producer->labels.at("maiev.version"), "1.1.0");
  const json config = json::parse(producer->labels.at(std::string(kScaleConfigLabel)));
  EXPECT_EQ(config, Fixture("scale-config-producer.json"));
  EXPECT_EQ(config["dependencies"]["provide"]["producer:rpc:echo:args"],
            json::array({"*args", "**kwargs"}));

  auto consumer = client->ReadLabels(kConsumer, consumer_100_);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  const json consumer_config = json::parse(consumer->labels.at(std::string(kScaleConfigLabel)));
  EXPECT_EQ(consumer_config["dependencies"]["require"],
            json::array({"producer:rpc:echo", "\"*args\" in producer:rpc:echo:args"}));
  EXPECT_EQ(client->counters().requests, 4u);  // manifest and config blob each
}

TEST_F(StackRegistry, ReadsTheAmd64ImageOfAManifestListAndOfAnOciIndex) {
  for (auto [media_type, tag] : {std::pair{kDockerManifestList, "producer-multi-list"},
                                 std::pair{kOciIndex, "producer-multi-oci"}}) {
    const std::string document = PutIndex(media_type, tag);
    auto client = ClientFor(kStackRegistry, clock_);
    auto digest = client->ResolveDigest(kProducer, tag);
    ASSERT_TRUE(digest.ok()) << digest.error().message;
    EXPECT_EQ(*digest, Sha256Of(document)) << media_type;
    auto labels = client->ReadLabels(kProducer, *digest);
    ASSERT_TRUE(labels.ok()) << labels.error().message;
    EXPECT_EQ(labels->digest, *digest);
    EXPECT_EQ(labels->image_digest, producer_100_) << media_type;
    EXPECT_EQ(labels->labels.at("maiev.version"), "1.0.0");
    EXPECT_EQ(client->counters().requests, 4u);  // HEAD; list, image manifest, config
  }
}

TEST_F(StackRegistry, ARecheckCostsOneTagListAndOneHeadPerCandidate) {
  auto http = ClientFor(kStackRegistry, clock_);
  CachingRegistryClient client(*http);
  auto check = [&] {
    auto tags = client.ListTags(kProducer);
    ASSERT_TRUE(tags.ok()) << tags.error().message;
    for (const char* candidate : {"producer-1.0.0", "producer-1.1.0"}) {
      ASSERT_THAT(*tags, Contains(candidate));
      auto digest = client.ResolveDigest(kProducer, candidate);
      ASSERT_TRUE(digest.ok()) << digest.error().message;
      auto labels = client.ReadLabels(kProducer, *digest);
      ASSERT_TRUE(labels.ok()) << labels.error().message;
    }
  };
  check();
  const std::uint64_t first = http->counters().requests;
  EXPECT_EQ(first, 1u + 2 * (1 + 2));  // tag list; per candidate HEAD, manifest, config
  check();
  EXPECT_EQ(http->counters().requests - first, 1u + 2);
  EXPECT_EQ(client.counters(), (LabelCacheCounters{2, 2, 2}));
  Figure("re-check of 2 candidates: " + std::to_string(first) + " requests the first time, " +
         std::to_string(http->counters().requests - first) + " after");
}

TEST_F(StackRegistry, ReportsUnknownRepositoriesTagsAndDigests) {
  auto client = ClientFor(kStackRegistry, clock_);
  auto tags = client->ListTags("maiev-registry-it/missing");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "not_found");
  EXPECT_THAT(tags.error().message, HasSubstr("NAME_UNKNOWN"));
  auto digest = client->ResolveDigest(kProducer, "producer-0.0.0");
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.error().code, "not_found");
  auto labels = client->ReadLabels(kProducer, "sha256:" + std::string(64, '0'));
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.error().code, "not_found");
  EXPECT_THAT(labels.error().message, HasSubstr("MANIFEST_UNKNOWN"));
  EXPECT_EQ(client->counters().errors, 3u);
}

// ---------------------------------------------------------------------------------------------
// A registry with `auth: htpasswd`, notifying the test of pushes.

class HtpasswdRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    BuildImages();
    dir_ = std::make_unique<rt::TempDir>();
    sink_ = std::make_unique<rt::NotificationSink>();
    rt::WriteFile(dir_->path() + "/htpasswd",
                  std::string(kUser) + ":" + rt::BcryptHash(kPassword) + "\n");
    registry_ = std::make_unique<rt::RegistryServer>(
        dir_->path(),
        "auth:\n  htpasswd:\n    realm: maiev-registry-it\n    path: " + dir_->path() +
            "/htpasswd\nnotifications:\n  endpoints:\n"
            "    - name: test\n      url: " +
            sink_->url() +
            "/hook\n      timeout: 2s\n      threshold: 3\n"
            "      backoff: 1s\n");
    docker_config_ = dir_->path() + "/docker";
    Login(registry_->host(), docker_config_);
    digest_ = Push(registry_->host(), kProducer, "producer-1.0.0", docker_config_);
  }
  static void TearDownTestSuite() {
    registry_.reset();
    sink_.reset();
    dir_.reset();
  }

  static inline std::unique_ptr<rt::TempDir> dir_;
  static inline std::unique_ptr<rt::NotificationSink> sink_;
  static inline std::unique_ptr<rt::RegistryServer> registry_;
  static inline std::string docker_config_;
  static inline std::string digest_;
  ManualClock clock_;
};

TEST_F(HtpasswdRegistry, ReadsWithTheCredentialsDockerLoginWrote) {
  auto config = LoadDockerConfig(docker_config_ + "/config.json");
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto credentials = config->Find(registry_->host());
  ASSERT_TRUE(credentials.has_value()) << rt::ReadFile(docker_config_ + "/config.json");
  EXPECT_EQ(credentials->username, kUser);

  auto client = ClientFor(registry_->host(), clock_, *credentials);
  Status ping = client->Ping();
  ASSERT_TRUE(ping.ok()) << ping.error().message;
  auto tags = client->ListTags(kProducer);
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(*tags, Contains("producer-1.0.0"));
  EXPECT_EQ(Text(client->ResolveDigest(kProducer, "producer-1.0.0")), digest_);
  auto labels = client->ReadLabels(kProducer, digest_);
  ASSERT_TRUE(labels.ok()) << labels.error().message;
  EXPECT_EQ(json::parse(labels->labels.at(std::string(kScaleConfigLabel))),
            Fixture("scale-config-producer.json"));
  // One challenge, then Basic at once: Ping 2 requests, the others 1 + 1 + 2.
  EXPECT_EQ(client->counters().requests, 6u);
}

TEST_F(HtpasswdRegistry, RefusesAnonymousAndWrongCredentialsWithoutNamingThem) {
  auto anonymous = ClientFor(registry_->host(), clock_)->ListTags(kProducer);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code, "auth");
  EXPECT_THAT(anonymous.error().message, HasSubstr("none are configured"));

  auto wrong = ClientFor(registry_->host(), clock_, RegistryCredentials{kUser, "wrong-s3cret", ""})
                   ->ResolveDigest(kProducer, "producer-1.0.0");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "auth");
  EXPECT_THAT(wrong.error().message, HasSubstr("refused the configured credentials"));
  ExpectNoSecret(wrong.error());
  EXPECT_THAT(wrong.error().message, Not(HasSubstr(kUser)));
  EXPECT_THAT(registry_->Log(), Not(HasSubstr("wrong-s3cret")));
}

TEST_F(HtpasswdRegistry, ItsPushNotificationsBecomeOneHintPerTaggedManifest) {
  std::vector<PushHint> hints;
  std::size_t events = 0;
  ASSERT_TRUE(Eventually(kNotificationDeadline,
                         [&] {
                           hints.clear();
                           events = 0;
                           for (const std::string& body : sink_->bodies()) {
                             auto parsed = ParseRegistryNotification(body);
                             EXPECT_TRUE(parsed.ok()) << parsed.error().message << "\n" << body;
                             if (!parsed.ok()) return true;
                             hints.insert(hints.end(), parsed->begin(), parsed->end());
                             events += json::parse(body)["events"].size();
                           }
                           return !hints.empty();
                         }))
      << "no push notification within the deadline; registry log:\n"
      << registry_->Log();
  EXPECT_THAT(hints, UnorderedElementsAre(
                         PushHint{registry_->host(), kProducer, "producer-1.0.0", digest_}));
  // Blob pushes (and pulls) were notified too, and ignored.
  EXPECT_GT(events, hints.size());
  Figure("htpasswd registry: " + std::to_string(events) + " notified events, " +
         std::to_string(hints.size()) + " push hint(s)");
}

// ---------------------------------------------------------------------------------------------
// A registry with `auth: token`, trusting the test's token service.

constexpr const char* kTokenService = "maiev-registry-it";
constexpr const char* kTokenIssuer = "maiev-registry-it-issuer";

class TokenRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    BuildImages();
    dir_ = std::make_unique<rt::TempDir>();
    const std::string cert = dir_->path() + "/token-cert.pem";
    tokens_ =
        std::make_unique<rt::TokenService>(kTokenIssuer, kTokenService, kUser, kPassword, cert);
    registry_ = std::make_unique<rt::RegistryServer>(
        dir_->path(), "auth:\n  token:\n    realm: " + tokens_->realm() +
                          "\n    service: " + kTokenService + "\n    issuer: " + kTokenIssuer +
                          "\n    rootcertbundle: " + cert + "\n");
    const std::string docker_config = dir_->path() + "/docker";
    Login(registry_->host(), docker_config);
    digest_ = Push(registry_->host(), kProducer, "producer-1.0.0", docker_config);
  }
  static void TearDownTestSuite() {
    registry_.reset();
    tokens_.reset();
    dir_.reset();
  }

  static inline std::unique_ptr<rt::TempDir> dir_;
  static inline std::unique_ptr<rt::TokenService> tokens_;
  static inline std::unique_ptr<rt::RegistryServer> registry_;
  static inline std::string digest_;
  ManualClock clock_;
};

TEST_F(TokenRegistry, ReadsWithOneTokenPerScopeUntilItExpires) {
  const std::size_t before = tokens_->grants().size();
  auto client = ClientFor(registry_->host(), clock_, RegistryCredentials{kUser, kPassword, ""});
  auto tags = client->ListTags(kProducer);
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(*tags, Contains("producer-1.0.0"));
  EXPECT_EQ(Text(client->ResolveDigest(kProducer, "producer-1.0.0")), digest_);
  auto labels = client->ReadLabels(kProducer, digest_);
  ASSERT_TRUE(labels.ok()) << labels.error().message;
  EXPECT_EQ(labels->labels.at("maiev.version"), "1.0.0");

  const auto grants = tokens_->grants();
  ASSERT_EQ(grants.size(), before + 1);
  EXPECT_EQ(grants.back().account, kUser);
  EXPECT_EQ(grants.back().service, kTokenService);
  EXPECT_THAT(grants.back().scopes,
              UnorderedElementsAre("repository:" + std::string(kProducer) + ":pull"));
  // The challenge, then four reads with the token.
  EXPECT_EQ(client->counters(), (RegistryCounters{5, 1, 0, 0}));

  clock_.Advance(std::chrono::seconds{300});  // the token's 300 s are up
  ASSERT_TRUE(client->ResolveDigest(kProducer, "producer-1.0.0").ok());
  EXPECT_EQ(client->counters().token_requests, 2u);
  EXPECT_EQ(tokens_->grants().size(), before + 2);
}

TEST_F(TokenRegistry, ReportsCredentialsTheTokenServiceRefusesWithoutNamingThem) {
  const int refused = tokens_->refused();
  auto wrong = ClientFor(registry_->host(), clock_, RegistryCredentials{kUser, "wrong-s3cret", ""})
                   ->ListTags(kProducer);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "auth");
  EXPECT_THAT(wrong.error().message, HasSubstr("token service " + tokens_->realm()));
  EXPECT_THAT(wrong.error().message, HasSubstr("the configured credentials were refused"));
  ExpectNoSecret(wrong.error());
  EXPECT_EQ(tokens_->refused(), refused + 1);

  auto anonymous = ClientFor(registry_->host(), clock_)->ListTags(kProducer);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code, "auth");
  EXPECT_THAT(anonymous.error().message, HasSubstr("anonymous access refused"));
}

}  // namespace
}  // namespace maiev::registry
