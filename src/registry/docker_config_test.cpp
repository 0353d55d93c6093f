#include "registry/docker_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "registry/registry_host.hpp"

namespace maiev::registry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Base64, RoundTripsEveryLength) {
  for (std::string text : {"", "a", "ab", "abc", "abcd", "user:pa:ss", "\xff\x00\x10"}) {
    EXPECT_EQ(DecodeBase64(EncodeBase64(text)), text) << text;
  }
  EXPECT_EQ(EncodeBase64("maiev:s3cret"), "bWFpZXY6czNjcmV0");
  EXPECT_EQ(DecodeBase64("bWFpZXY6czNjcmV0"), "maiev:s3cret");
  EXPECT_EQ(DecodeBase64("YQ"), "a");  // padding left out
  EXPECT_FALSE(DecodeBase64("bWF*ZXY=").has_value());
  EXPECT_FALSE(DecodeBase64("Y").has_value());  // six bits are no byte
}

TEST(CanonicalRegistryHost, ReadsAuthsKeysAsImageReferencesNameRegistries) {
  EXPECT_EQ(CanonicalRegistryHost("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(CanonicalRegistryHost("index.docker.io"), "docker.io");
  EXPECT_EQ(CanonicalRegistryHost("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(CanonicalRegistryHost("docker.io"), "docker.io");
  EXPECT_EQ(CanonicalRegistryHost("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
  EXPECT_EQ(CanonicalRegistryHost("Registry.Example.COM:443"), "registry.example.com:443");
  EXPECT_EQ(CanonicalRegistryHost("ghcr.io"), "ghcr.io");
}

// As `docker login` writes it, with Docker Hub's legacy key and a registry on loopback.
constexpr const char* kConfig = R"({
  "auths": {
    "https://index.docker.io/v1/": {"auth": "aHViLXVzZXI6aHViLXBhc3M="},
    "127.0.0.1:5001": {"auth": "bWFpZXY6czNjcmV0"},
    "http://registry.example:5000": {"username": "u", "password": "p"},
    "tokens.example": {"identitytoken": "refresh-me"},
    "helper.example": {}
  },
  "credsStore": "desktop",
  "credHelpers": {"gcr.io": "gcloud"},
  "HttpHeaders": {"User-Agent": "Docker-Client/20.10"}
})";

TEST(ParseDockerConfig, ReadsBase64AuthAndPlainUserPassword) {
  auto config = ParseDockerConfig(kConfig);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->Find("127.0.0.1:5001"), (RegistryCredentials{"maiev", "s3cret", ""}));
  EXPECT_EQ(config->Find("registry.example:5000"), (RegistryCredentials{"u", "p", ""}));
  EXPECT_EQ(config->Find("tokens.example"), (RegistryCredentials{"", "", "refresh-me"}));
  EXPECT_EQ(config->creds_store, "desktop");
  EXPECT_EQ(config->cred_helpers.at("gcr.io"), "gcloud");
}

TEST(ParseDockerConfig, FindsDockerHubUnderEveryName) {
  auto config = ParseDockerConfig(kConfig);
  ASSERT_TRUE(config.ok()) << config.error().message;
  const RegistryCredentials hub{"hub-user", "hub-pass", ""};
  for (std::string_view name :
       {"docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"}) {
    EXPECT_EQ(config->Find(name), hub) << name;
  }
}

TEST(ParseDockerConfig, FindsHostsWithOrWithoutScheme) {
  auto config = ParseDockerConfig(kConfig);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->Find("http://127.0.0.1:5001").has_value());
  EXPECT_TRUE(config->Find("https://127.0.0.1:5001/v2/").has_value());
  EXPECT_TRUE(config->Find("registry.example:5000").has_value());
  EXPECT_FALSE(config->Find("registry.example").has_value());  // another port is another host
  EXPECT_FALSE(config->Find("127.0.0.1:5000").has_value());
  EXPECT_FALSE(config->Find("helper.example").has_value());  // no credentials in the file
}

TEST(ParseDockerConfig, AcceptsConfigsWithoutAuths) {
  for (std::string_view text :
       {"{}", R"({"auths": null})", R"({"auths": {}})", R"({"credsStore": "pass"})"}) {
    auto config = ParseDockerConfig(text);
    ASSERT_TRUE(config.ok()) << text << ": " << config.error().message;
    EXPECT_TRUE(config->auths.empty());
  }
}

TEST(ParseDockerConfig, RejectsMalformedFilesWithoutQuotingSecrets) {
  struct Case {
    std::string text;
    std::string where;
  };
  const std::vector<Case> cases = {
      {R"({"auths": {"r": {"auth": "s3cret})", "not JSON (syntax error at byte"},
      {R"(["s3cret"])", "(top level): expected an object"},
      {R"({"auths": ["s3cret"]})", "auths: expected an object"},
      {R"({"auths": {"r:1": "s3cret"}})", R"(auths["r:1"]: expected an object)"},
      {R"({"auths": {"r": {"auth": 5}}})", R"(auths["r"].auth: expected a string)"},
      {R"({"auths": {"r": {"auth": "s3cret!!"}}})", R"(auths["r"].auth: expected base64)"},
      // Base64 of "s3cretnocolon": no user:password separator.
      {R"({"auths": {"r": {"auth": "czNjcmV0bm9jb2xvbg=="}}})",
       R"(auths["r"].auth: expected base64)"},
      {R"({"auths": {"r": {"username": "u", "password": ["s3cret"]}}})",
       R"(auths["r"].password: expected a string)"},
      {R"({"auths": {"r": {"identitytoken": 1}}})",
       R"(auths["r"].identitytoken: expected a string)"},
      {R"({"credsStore": ["s3cret"]})", "credsStore: expected a string"},
      {R"({"credHelpers": {"r": 1}})", R"(credHelpers["r"]: expected a string)"},
      {R"({"credHelpers": "s3cret"})", "credHelpers: expected an object"},
  };
  for (const Case& c : cases) {
    auto config = ParseDockerConfig(c.text);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.error().code, "invalid");
    EXPECT_THAT(config.error().message, HasSubstr(c.where)) << c.text;
    EXPECT_THAT(config.error().message, Not(HasSubstr("s3cret"))) << c.text;
  }
}

TEST(DockerConfigPath, PrefersTheFlagThenDockerConfigThenHome) {
  EXPECT_EQ(DockerConfigPath("/run/secrets/registry-auth", "/etc/docker-cfg", "/root"),
            "/run/secrets/registry-auth");
  EXPECT_EQ(DockerConfigPath("", "/etc/docker-cfg", "/root"), "/etc/docker-cfg/config.json");
  EXPECT_EQ(DockerConfigPath("", "", "/root"), "/root/.docker/config.json");
  EXPECT_EQ(DockerConfigPath("", "", ""), "");
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    std::string name = std::filesystem::temp_directory_path() / "maiev-docker-config-XXXXXX";
    const int fd = mkstemp(name.data());
    path_ = name;
    if (fd >= 0) close(fd);
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadDockerConfig, ReadsAFile) {
  TempFile file(kConfig);
  auto config = LoadDockerConfig(file.path());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->Find("127.0.0.1:5001").has_value());
}

TEST(LoadDockerConfig, NamesThePathOfAMissingOrBadFile) {
  auto missing = LoadDockerConfig("/nonexistent/maiev/config.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "io");
  EXPECT_THAT(missing.error().message,
              HasSubstr("registry auth file /nonexistent/maiev/config.json: cannot read: No such"));

  TempFile bad(R"({"auths": {"r": {"auth": "s3cret!!"}}})");
  auto invalid = LoadDockerConfig(bad.path());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, "invalid");
  EXPECT_THAT(invalid.error().message, HasSubstr(bad.path() + ": Docker config auths[\"r\"]"));
  EXPECT_THAT(invalid.error().message, Not(HasSubstr("s3cret")));
}

TEST(LoadDockerConfig, RefusesFilesLargerThanAMebibyte) {
  TempFile big(std::string((std::size_t{1} << 20) + 1, ' '));
  auto config = LoadDockerConfig(big.path());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("larger than 1 MiB"));
}

// Found by fuzz/docker_config_fuzz: a number too large for a double escaped as an exception
// (a crash at start-up) instead of an error that names no value.
TEST(ParseDockerConfig, NumberOverflowIsAnErrorNotAnException) {
  auto config = ParseDockerConfig(R"({"auths": {}, "x": 1e310})");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, "invalid");
  EXPECT_EQ(config.error().message, "Docker config: not JSON (a number out of range)");
}

}  // namespace
}  // namespace maiev::registry
