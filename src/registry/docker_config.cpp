#include "registry/docker_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "registry/registry_host.hpp"

namespace maiev::registry {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Quoted(std::string_view key) { return "auths[\"" + std::string(key) + "\"]"; }

Unexpected<Error> Invalid(const std::string& path, std::string_view expected) {
  return Fail("invalid", "Docker config " + path + ": expected " + std::string(expected));
}

Result<std::string> StringMember(const json& entry, const char* key, const std::string& path) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Invalid(path + "." + key, "a string");
  return it->get<std::string>();
}

Result<RegistryCredentials> ParseEntry(const json& entry, const std::string& path) {
  if (!entry.is_object()) return Invalid(path, "an object");
  RegistryCredentials credentials;
  auto auth = StringMember(entry, "auth", path);
  if (!auth) return Unexpected{auth.error()};
  if (!auth->empty()) {
    auto decoded = DecodeBase64(*auth);
    const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return Invalid(path + ".auth", "base64 of \"username:password\"");
    }
    credentials.username = decoded->substr(0, colon);
    credentials.password = decoded->substr(colon + 1);
  } else {
    auto username = StringMember(entry, "username", path);
    if (!username) return Unexpected{username.error()};
    auto password = StringMember(entry, "password", path);
    if (!password) return Unexpected{password.error()};
    credentials.username = std::move(*username);
    credentials.password = std::move(*password);
  }
  auto identity = StringMember(entry, "identitytoken", path);
  if (!identity) return Unexpected{identity.error()};
  credentials.identity_token = std::move(*identity);
  return credentials;
}

Status ParseAuths(const json& auths, DockerConfig& config) {
  if (!auths.is_object()) return Invalid("auths", "an object of registry → credentials");
  for (const auto& [key, entry] : auths.items()) {
    auto credentials = ParseEntry(entry, Quoted(key));
    if (!credentials) return Unexpected{credentials.error()};
    if (credentials->empty()) continue;  // e.g. `{}` next to a credsStore
    // Two spellings of one registry: the first in key order wins.
    config.auths.emplace(CanonicalRegistryHost(key), std::move(*credentials));
  }
  return {};
}

Status ParseCredHelpers(const json& helpers, DockerConfig& config) {
  if (!helpers.is_object()) return Invalid("credHelpers", "an object of registry → helper");
  for (const auto& [key, helper] : helpers.items()) {
    if (!helper.is_string()) return Invalid("credHelpers[\"" + key + "\"]", "a string");
    config.cred_helpers[CanonicalRegistryHost(key)] = helper.get<std::string>();
  }
  return {};
}

}  // namespace

std::optional<RegistryCredentials> DockerConfig::Find(std::string_view registry) const {
  auto it = auths.find(CanonicalRegistryHost(registry));
  if (it == auths.end()) return std::nullopt;
  return it->second;
}

Result<DockerConfig> ParseDockerConfig(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return Fail("invalid",
                "Docker config: not JSON (syntax error at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {  // out_of_range: a number too large for a double
    return Fail("invalid", "Docker config: not JSON (a number out of range)");
  }
  if (!doc.is_object()) return Invalid("(top level)", "an object");
  DockerConfig config;
  if (auto auths = doc.find("auths"); auths != doc.end() && !auths->is_null()) {
    if (Status s = ParseAuths(*auths, config); !s.ok()) return Unexpected{s.error()};
  }
  if (auto store = doc.find("credsStore"); store != doc.end() && !store->is_null()) {
    if (!store->is_string()) return Invalid("credsStore", "a string");
    config.creds_store = store->get<std::string>();
  }
  if (auto helpers = doc.find("credHelpers"); helpers != doc.end() && !helpers->is_null()) {
    if (Status s = ParseCredHelpers(*helpers, config); !s.ok()) return Unexpected{s.error()};
  }
  return config;
}

Result<DockerConfig> LoadDockerConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return Fail("io", "registry auth file " + path + ": cannot read: " + std::strerror(error));
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Fail("io", "registry auth file " + path + ": read error");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    return Fail("invalid", "registry auth file " + path + ": larger than 1 MiB");
  }
  auto config = ParseDockerConfig(text);
  if (!config) {
    return Fail(config.error().code, "registry auth file " + path + ": " + config.error().message);
  }
  return config;
}

std::string DockerConfigPath(std::string_view flag, std::string_view docker_config_env,
                             std::string_view home_env) {
  if (!flag.empty()) return std::string(flag);
  if (!docker_config_env.empty()) return std::string(docker_config_env) + "/config.json";
  if (!home_env.empty()) return std::string(home_env) + "/.docker/config.json";
  return {};
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const std::size_t value = kBase64Alphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return std::nullopt;  // a single character left over is no byte
  return out;
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64Alphabet[(n >> shift) & 0x3F];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kBase64Alphabet[(n >> 18) & 0x3F];
    out += kBase64Alphabet[(n >> 12) & 0x3F];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 0x3F] : '=';
    out += '=';
  }
  return out;
}

}  // namespace maiev::registry
