// Registry credentials from a Docker client config file (`config.json`, as `docker login`
// writes it): the `auths` entries, with the base64 `auth` or `username`/`password`.
// Format:
// https://docs.docker.com/reference/cli/docker/#docker-cli-configuration-file-configjson-properties
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace maiev::registry {

// Secrets: never logged, never in an error or an API answer (nor is the username).
struct RegistryCredentials {
  std::string username;
  std::string password;
  std::string identity_token;  // `identitytoken`: an OAuth2 refresh token for the token service

  bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
  friend bool operator==(const RegistryCredentials&, const RegistryCredentials&) = default;
};

struct DockerConfig {
  // Keyed by CanonicalRegistryHost of the `auths` key (`https://index.docker.io/v1/` →
  // "docker.io"); entries without credentials are left out.
  std::map<std::string, RegistryCredentials> auths;
  // `credsStore` and `credHelpers` name programs maiev does not run; kept so the caller can say
  // why a registry has no credentials.
  std::string creds_store;
  std::map<std::string, std::string> cred_helpers;

  // The credentials for a registry host (any form CanonicalRegistryHost reads); nullopt when
  // none.
  std::optional<RegistryCredentials> Find(std::string_view registry) const;
};

// Parses config.json. Errors (code "invalid") name the member (`auths["127.0.0.1:5000"].auth`)
// and what is accepted, never a value: the text holds secrets, so neither does a JSON syntax
// error quote it (only the byte offset is given).
Result<DockerConfig> ParseDockerConfig(std::string_view text);

// Reads and parses the file at `path` (at most 1 MiB). Errors "io" (cannot read, with the
// system's reason) and "invalid" (as ParseDockerConfig), both naming the path.
Result<DockerConfig> LoadDockerConfig(const std::string& path);

// Where the credentials are read from: `flag` (--registry-auth-file, a file, e.g. a Docker
// secret under /run/secrets) when given, else `$DOCKER_CONFIG/config.json`, else
// `$HOME/.docker/config.json`; "" when none of them is set.
std::string DockerConfigPath(std::string_view flag, std::string_view docker_config_env,
                             std::string_view home_env);

// RFC 4648 base64 (standard alphabet, padding optional); nullopt for any other character.
std::optional<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

}  // namespace maiev::registry
