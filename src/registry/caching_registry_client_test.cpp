#include "registry/caching_registry_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "registry/fake_registry_client.hpp"

namespace maiev::registry {
namespace {

using ::testing::ElementsAre;

std::string Digest(char fill) { return "sha256:" + std::string(64, fill); }

class CachingRegistryClientTest : public ::testing::Test {
 protected:
  CachingRegistryClientTest() {
    registry_.PutTaggedImage("app", "app-1.0.0", Digest('a'), {{"maiev.version", "1.0.0"}});
    registry_.PutTaggedImage("app", "app-1.1.0", Digest('b'), {{"maiev.version", "1.1.0"}});
  }

  FakeRegistryClient registry_;
  CachingRegistryClient cache_{registry_};
};

TEST_F(CachingRegistryClientTest, ReadsTheLabelsOfADigestOnce) {
  for (int i = 0; i < 3; ++i) {
    auto labels = cache_.ReadLabels("app", Digest('a'));
    ASSERT_TRUE(labels.ok()) << labels.error().message;
    EXPECT_EQ(labels->labels.at("maiev.version"), "1.0.0");
  }
  EXPECT_EQ(registry_.calls().read_labels, 1u);
  EXPECT_EQ(cache_.counters(), (LabelCacheCounters{2, 1, 1}));
}

TEST_F(CachingRegistryClientTest, ARecheckCostsOneTagListAndOneResolvePerCandidate) {
  auto check = [&] {
    auto tags = cache_.ListTags("app");
    ASSERT_TRUE(tags.ok());
    for (const std::string& tag : *tags) {
      auto digest = cache_.ResolveDigest("app", tag);
      ASSERT_TRUE(digest.ok());
      ASSERT_TRUE(cache_.ReadLabels("app", *digest).ok());
    }
  };
  check();
  EXPECT_EQ(registry_.calls(), (FakeRegistryClient::Calls{1, 2, 2}));
  check();
  EXPECT_EQ(registry_.calls(), (FakeRegistryClient::Calls{2, 4, 2}));
}

TEST_F(CachingRegistryClientTest, SeesATagThatMoved) {
  registry_.PutTaggedImage("app", "app-1.1.0", Digest('c'), {{"maiev.version", "1.1.0-rebuilt"}});
  auto digest = cache_.ResolveDigest("app", "app-1.1.0");
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, Digest('c'));
  EXPECT_EQ(cache_.ReadLabels("app", *digest)->labels.at("maiev.version"), "1.1.0-rebuilt");
  registry_.PutTag("app", "app-1.2.0", Digest('d'));
  EXPECT_THAT(*cache_.ListTags("app"), ElementsAre("app-1.0.0", "app-1.1.0", "app-1.2.0"));
}

TEST_F(CachingRegistryClientTest, DoesNotCacheErrors) {
  registry_.FailNextCall(Error{"unavailable", "registry 127.0.0.1:5000: connection refused"});
  auto failed = cache_.ReadLabels("app", Digest('a'));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "unavailable");
  EXPECT_TRUE(cache_.ReadLabels("app", Digest('a')).ok());
  EXPECT_EQ(registry_.calls().read_labels, 2u);
  EXPECT_EQ(cache_.counters().entries, 1u);
}

TEST_F(CachingRegistryClientTest, ForgetsTheOldestDigestBeyondItsCapacity) {
  CachingRegistryClient small(registry_, 1);
  ASSERT_TRUE(small.ReadLabels("app", Digest('a')).ok());
  ASSERT_TRUE(small.ReadLabels("app", Digest('b')).ok());
  ASSERT_TRUE(small.ReadLabels("app", Digest('b')).ok());
  ASSERT_TRUE(small.ReadLabels("app", Digest('a')).ok());
  EXPECT_EQ(registry_.calls().read_labels, 3u);
  EXPECT_EQ(small.counters(), (LabelCacheCounters{1, 3, 1}));
}

TEST_F(CachingRegistryClientTest, PassesErrorsOfTagsAndDigestsThrough) {
  auto tags = cache_.ListTags("missing");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "not_found");
  auto digest = cache_.ResolveDigest("app", "app-9.9.9");
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.error().code, "not_found");
}

}  // namespace
}  // namespace maiev::registry
