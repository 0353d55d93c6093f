#include "registry/push_hint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kDigest = "sha256:" + std::string(64, 'e');
const std::string kLayer = "sha256:" + std::string(64, 'f');

// One event as distribution 2.8 sends it (includereferences on).
std::string Event(const std::string& action, const std::string& target,
                  const std::string& request = R"({"id": "r1", "addr": "127.0.0.1:40000",
                      "host": "127.0.0.1:5000", "method": "PUT", "useragent": "docker/20.10"})") {
  return R"({"id": "e1", "timestamp": "2026-12-01T19:51:20.123456789Z", "action": ")" + action +
         R"(", "target": )" + target + R"(, "request": )" + request +
         R"(, "actor": {}, "source": {"addr": "maiev:5000", "instanceID": "i1"}})";
}

std::string ManifestTarget(const std::string& tag) {
  std::string target = R"({"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "size": 528, "digest": ")" +
                       kDigest + R"(", "length": 528, "repository": "maiev-worker",
      "url": "http://127.0.0.1:5000/v2/maiev-worker/manifests/)" +
                       kDigest + R"(")";
  if (!tag.empty()) target += R"(, "tag": ")" + tag + R"(")";
  return target + R"(, "references": [{"mediaType": "application/octet-stream", "digest": ")" +
         kLayer + R"(", "size": 10}]})";
}

std::string Envelope(const std::vector<std::string>& events) {
  std::string body = R"({"events": [)";
  for (std::size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
  return body + "]}";
}

std::vector<PushHint> Hints(const std::string& body) {
  auto hints = ParseRegistryNotification(body);
  EXPECT_TRUE(hints.ok()) << (hints.ok() ? "" : hints.error().message);
  return hints.ok() ? *hints : std::vector<PushHint>{};
}

TEST(ParseRegistryNotification, ReadsATaggedManifestPush) {
  EXPECT_THAT(Hints(Envelope({Event("push", ManifestTarget("worker-1.1.0"))})),
              ElementsAre(PushHint{"127.0.0.1:5000", "maiev-worker", "worker-1.1.0", kDigest}));
}

TEST(ParseRegistryNotification, IgnoresPullsDeletesMountsBlobsAndUntaggedPushes) {
  const std::string blob = R"({"mediaType": "application/octet-stream", "size": 10, "digest": ")" +
                           kLayer + R"(", "repository": "maiev-worker",
      "url": "http://127.0.0.1:5000/v2/maiev-worker/blobs/)" +
                           kLayer + R"("})";
  const std::string layer = R"({"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
      "digest": ")" + kLayer +
                            R"(", "repository": "maiev-worker", "tag": "odd"})";
  const std::string body = Envelope({
      Event("pull", ManifestTarget("worker-1.0.0")),
      Event("delete", R"({"digest": ")" + kDigest + R"(", "repository": "maiev-worker"})"),
      Event("mount", blob),
      Event("push", blob),
      Event("push", layer),
      Event("push", ManifestTarget("")),  // pushed by digest
      Event("push", ManifestTarget("worker-1.2.0")),
  });
  EXPECT_THAT(Hints(body),
              ElementsAre(PushHint{"127.0.0.1:5000", "maiev-worker", "worker-1.2.0", kDigest}));
  // Every event is counted, ignored or not.
  std::size_t events = 0;
  ASSERT_TRUE(ParseRegistryNotification(body, &events).ok());
  EXPECT_EQ(events, 7U);
}

TEST(ParseRegistryNotification, CountsListsAndOciManifests) {
  for (std::string media_type :
       {"application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json"}) {
    auto hints =
        Hints(Envelope({Event("push", R"({"mediaType": ")" + media_type + R"(", "digest": ")" +
                                          kDigest + R"(", "repository": "a/b", "tag": "1.0"})")}));
    EXPECT_THAT(hints, ElementsAre(PushHint{"127.0.0.1:5000", "a/b", "1.0", kDigest}))
        << media_type;
  }
}

TEST(ParseRegistryNotification, TakesTheRegistryFromTheTargetUrlWithoutARequestHost) {
  auto hints = Hints(Envelope({Event("push", ManifestTarget("1.0"), R"({"method": "PUT"})")}));
  ASSERT_EQ(hints.size(), 1u);
  EXPECT_EQ(hints[0].registry, "127.0.0.1:5000");
  // Neither: the registry is left for the caller to fill in.
  auto bare = Hints(Envelope({R"({"action": "push", "target": {"mediaType":
      "application/vnd.docker.distribution.manifest.v2+json", "repository": "x", "tag": "1"}})"}));
  EXPECT_THAT(bare, ElementsAre(PushHint{"", "x", "1", ""}));
}

TEST(ParseRegistryNotification, ReadsDockerHubsHostAsDockerIo) {
  auto hints = Hints(
      Envelope({Event("push", ManifestTarget("1.0"), R"({"host": "registry-1.docker.io"})")}));
  ASSERT_EQ(hints.size(), 1u);
  EXPECT_EQ(hints[0].registry, "docker.io");
}

TEST(ParseRegistryNotification, AcceptsAnEnvelopeWithoutEvents) {
  EXPECT_THAT(Hints(R"({"events": []})"), IsEmpty());
}

TEST(ParseRegistryNotification, RejectsEveryMalformedShapeWithItsPath) {
  struct Case {
    std::string body;
    std::string text;
  };
  const std::string ok = Event("push", ManifestTarget("1.0"));
  const std::vector<Case> cases = {
      {"", "registry notification is not JSON"},
      {"[]", "(top level): expected an object with `events`"},
      {"{}", "events: expected an array"},
      {R"({"events": {}})", "events: expected an array"},
      {Envelope({ok, "7"}), "events[1]: expected an object"},
      {Envelope({R"({"target": {}})"}), "events[0].action: expected a string"},
      {Envelope({R"({"action": 1})"}), "events[0].action: expected a string"},
      {Envelope({R"({"action": "push"})"}), "events[0].target: expected an object"},
      {Envelope({R"({"action": "push", "target": []})"}), "events[0].target: expected an object"},
      {Envelope({R"({"action": "push", "target": {"tag": 1}})"}),
       "events[0].target.tag: expected a string"},
      {Envelope({R"({"action": "push", "target": {"mediaType": 1}})"}),
       "events[0].target.mediaType: expected a string"},
      {Envelope({R"({"action": "push", "target": {"url": false}})"}),
       "events[0].target.url: expected a string"},
      {Envelope({R"({"action": "push", "target": {"url": "http://h/v2/x/manifests/1",
           "tag": "1"}})"}),
       "events[0].target.repository: expected a repository name"},
      {Envelope({R"({"action": "push", "target": {"url": "http://h/v2/X/manifests/1",
           "repository": "Bad Name", "tag": "1"}})"}),
       "events[0].target.repository: expected a repository name"},
      {Envelope({R"({"action": "push", "target": {"url": "http://h/v2/x/manifests/1",
           "repository": "x", "tag": "-bad"}})"}),
       "events[0].target.tag: expected a tag"},
      {Envelope({R"({"action": "push", "target": {"url": "http://h/v2/x/manifests/1",
           "repository": "x", "tag": "1", "digest": "sha256:short"}})"}),
       "events[0].target.digest: expected a digest"},
      {Envelope({R"({"action": "push", "target": {"url": "http://h/v2/x/manifests/1",
           "repository": "x", "tag": "1"}, "request": {"host": 5}})"}),
       "events[0].request.host: expected a string"},
      {Envelope({R"({"action": "push", "target": {"url": "http://h/v2/x/manifests/1",
           "repository": "x", "tag": "1"}, "request": {"host": "bad host!"}})"}),
       "events[0].request.host: expected a registry host"},
  };
  for (const Case& c : cases) {
    auto hints = ParseRegistryNotification(c.body);
    ASSERT_FALSE(hints.ok()) << c.body;
    EXPECT_EQ(hints.error().code, "invalid");
    EXPECT_THAT(hints.error().message, HasSubstr(c.text)) << c.body;
  }
}

// The example of Docker Hub's documentation, trimmed.
constexpr const char* kHubPayload = R"({
  "callback_url": "https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/",
  "push_data": {"pushed_at": 1417566161, "pusher": "trustedbuilder", "tag": "latest"},
  "repository": {"comment_count": 0, "date_created": 1417494799, "is_official": false,
                 "is_private": true, "name": "testhook", "namespace": "svendowideit",
                 "owner": "svendowideit", "repo_name": "svendowideit/testhook",
                 "repo_url": "https://registry.hub.docker.com/u/svendowideit/testhook/",
                 "star_count": 0, "status": "Active"}
})";

TEST(ParseDockerHubWebhook, ReadsRepositoryAndTag) {
  auto hint = ParseDockerHubWebhook(kHubPayload);
  ASSERT_TRUE(hint.ok()) << hint.error().message;
  EXPECT_EQ(*hint, (PushHint{"docker.io", "svendowideit/testhook", "latest", ""}));
}

TEST(ParseDockerHubWebhook, ReadsOfficialImagesUnderLibrary) {
  auto hint = ParseDockerHubWebhook(
      R"({"push_data": {"tag": "1.25-alpine"}, "repository": {"repo_name": "nginx"}})");
  ASSERT_TRUE(hint.ok()) << hint.error().message;
  EXPECT_EQ(*hint, (PushHint{"docker.io", "library/nginx", "1.25-alpine", ""}));
}

TEST(ParseDockerHubWebhook, RejectsEveryMalformedShapeWithItsPath) {
  struct Case {
    std::string body;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"{", "Docker Hub webhook is not JSON"},
      {"7", "(top level): expected an object"},
      {R"({"repository": {"repo_name": "a/b"}})", "push_data: expected an object"},
      {R"({"push_data": {"tag": "1"}})", "repository: expected an object"},
      {R"({"push_data": {"tag": "1"}, "repository": "a/b"})", "repository: expected an object"},
      {R"({"push_data": {}, "repository": {"repo_name": "a/b"}})", "push_data.tag: expected a tag"},
      {R"({"push_data": {"tag": 1}, "repository": {"repo_name": "a/b"}})",
       "push_data.tag: expected a string"},
      {R"({"push_data": {"tag": "a b"}, "repository": {"repo_name": "a/b"}})",
       "push_data.tag: expected a tag"},
      {R"({"push_data": {"tag": "1"}, "repository": {}})",
       "repository.repo_name: expected a repository name"},
      {R"({"push_data": {"tag": "1"}, "repository": {"repo_name": ["a"]}})",
       "repository.repo_name: expected a string"},
      {R"({"push_data": {"tag": "1"}, "repository": {"repo_name": "A/B"}})",
       "repository.repo_name: expected a repository name"},
  };
  for (const Case& c : cases) {
    auto hint = ParseDockerHubWebhook(c.body);
    ASSERT_FALSE(hint.ok()) << c.body;
    EXPECT_EQ(hint.error().code, "invalid");
    EXPECT_THAT(hint.error().message, HasSubstr(c.text)) << c.body;
  }
}

// Found by fuzz/registry_notification_fuzz and fuzz/dockerhub_webhook_fuzz: the syntax error
// quoted bytes that are not UTF-8, so the webhook's 400 answer could not be written as JSON.
TEST(PushHints, SyntaxErrorsEscapeBytesThatAreNotUtf8) {
  for (const auto& error : {ParseRegistryNotification("{\"ev\xFF\xFF").error(),
                            ParseDockerHubWebhook("{\"push_data\": {\"ta\x9A\xDD").error()}) {
    EXPECT_EQ(error.code, "invalid");
    EXPECT_THAT(error.message, HasSubstr("is not JSON"));
    EXPECT_EQ(error.message.find_first_of("\xFF\x9A\xDD"), std::string::npos) << error.message;
  }
}

}  // namespace
}  // namespace maiev::registry
