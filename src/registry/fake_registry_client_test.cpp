#include "registry/fake_registry_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::registry {
namespace {

using ::testing::ElementsAre;

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(FakeRegistryClient, AnswersWhatTheTestPutIn) {
  FakeRegistryClient fake;
  fake.PutTaggedImage("app", "1.0", kDigest, {{"maiev.scale_config", "{}"}});
  fake.PutTag("app", "latest", kDigest);
  EXPECT_THAT(*fake.ListTags("app"), ElementsAre("1.0", "latest"));
  EXPECT_EQ(*fake.ResolveDigest("app", "latest"), kDigest);
  auto labels = fake.ReadLabels("app", kDigest);
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(labels->image_digest, kDigest);
  EXPECT_EQ(labels->labels.at("maiev.scale_config"), "{}");
  EXPECT_EQ(fake.calls(), (FakeRegistryClient::Calls{1, 1, 1}));
}

TEST(FakeRegistryClient, MovesAndRemovesTags) {
  FakeRegistryClient fake;
  fake.PutTag("app", "1.0", kDigest);
  fake.PutTag("app", "1.0", "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(*fake.ResolveDigest("app", "1.0"), "sha256:" + std::string(64, 'b'));
  fake.RemoveTag("app", "1.0");
  EXPECT_EQ(fake.ResolveDigest("app", "1.0").error().code, "not_found");
  EXPECT_TRUE(fake.ListTags("app")->empty());
}

TEST(FakeRegistryClient, FailsTheNextCallOnce) {
  FakeRegistryClient fake;
  fake.PutTag("app", "1.0", kDigest);
  fake.FailNextCall(Error{"rate_limited", "slow down"});
  EXPECT_EQ(fake.ListTags("app").error().code, "rate_limited");
  EXPECT_TRUE(fake.ListTags("app").ok());
  EXPECT_EQ(fake.ReadLabels("app", kDigest).error().code, "not_found");
}

}  // namespace
}  // namespace maiev::registry
