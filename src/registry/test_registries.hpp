// What registry_integration_test starts beside the stack's registry, all on loopback: registries
// of its own (`docker-registry serve` with a generated config: htpasswd or token auth), the
// token service the token-auth registry trusts (ES256 JWTs signed by a throwaway key whose
// self-signed certificate is the registry's root bundle), and an endpoint that collects the
// registry's push notifications.
// Token format: https://distribution.github.io/distribution/spec/auth/jwt/
#pragma once

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/free_port.hpp"
#include "registry/docker_config.hpp"

extern char** environ;  // NOLINT: POSIX

namespace maiev::registry::testing {

inline constexpr std::chrono::seconds kServerStartDeadline{30};
inline constexpr std::chrono::seconds kServerStopDeadline{10};

using common::testing::FreeLoopbackPort;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "maiev-registry-it-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A bcrypt hash of `password` (libxcrypt) at the lowest cost, for an htpasswd file: the registry
// checks it on every request.
inline std::string BcryptHash(const std::string& password) {
  constexpr unsigned long kCost = 4;
  char* salt = crypt_gensalt_ra("$2b$", kCost, nullptr, 0);
  if (salt == nullptr) throw std::runtime_error("crypt_gensalt_ra: no bcrypt");
  void* data = nullptr;
  int size = 0;
  const char* hash = crypt_ra(password.c_str(), salt, &data, &size);
  std::string out = hash != nullptr && hash[0] == '$' ? hash : "";
  std::free(data);
  std::free(salt);
  if (out.empty()) throw std::runtime_error("crypt_ra failed");
  return out;
}

// `docker-registry serve` on 127.0.0.1:port with filesystem storage in `dir` and the YAML
// `extra` (auth, notifications) appended to its config. Stopped (SIGTERM) when destroyed.
class RegistryServer {
 public:
  RegistryServer(const std::string& dir, const std::string& extra)
      : port_(FreeLoopbackPort()), log_(dir + "/registry.log") {
    const std::string config = dir + "/config.yml";
    WriteFile(config,
              "version: 0.1\nlog:\n  level: info\n  formatter: text\nstorage:\n"
              "  filesystem:\n    rootdirectory: " +
                  dir + "/data\n  delete:\n    enabled: true\nhttp:\n  addr: " + host() + "\n" +
                  extra);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addclose(&actions, 0);
    std::vector<std::string> args = {"docker-registry", "serve", config};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, "docker-registry", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start docker-registry");
    WaitUntilAnswering();
  }
  ~RegistryServer() {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + kServerStopDeadline;
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
  }
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Log() const { return ReadFile(log_); }

 private:
  void WaitUntilAnswering() {
    httplib::Client probe("127.0.0.1", port_);
    probe.set_connection_timeout(std::chrono::seconds{1});
    const auto deadline = std::chrono::steady_clock::now() + kServerStartDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto res = probe.Get("/v2/")) return;  // any status: it answers
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    throw std::runtime_error("docker-registry on " + host() + " did not answer; log:\n" + Log());
  }

  int port_;
  std::string log_;
  pid_t pid_ = -1;
};

// An httplib server on a free loopback port, serving on its own thread until destroyed.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  virtual ~LoopbackServer() { Stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 protected:
  // REQUIRES: routes are set.
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  void Stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  httplib::Server server_;

 private:
  int port_ = 0;
  std::thread thread_;
};

// Collects the bodies the registry POSTs to /hook.
class NotificationSink final : public LoopbackServer {
 public:
  NotificationSink() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(req.body);
      res.status = 200;
    });
    Start();
  }
  ~NotificationSink() override { Stop(); }
  NotificationSink(const NotificationSink&) = delete;
  NotificationSink& operator=(const NotificationSink&) = delete;

  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;  // guarded by mutex_
};

// base64url without padding (RFC 7515 §2).
inline std::string Base64Url(std::string_view bytes) {
  std::string text = EncodeBase64(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

// A token service for distribution's `auth: token`: GET /token with Basic credentials → an
// ES256 JWT granting pull and push on the requested repositories. The signing key is made at
// construction; its self-signed certificate is written to `cert_path` (the registry's
// rootcertbundle) and sent in each token's x5c header.
class TokenService final : public LoopbackServer {
 public:
  struct Grant {
    std::string account;
    std::string service;
    std::vector<std::string> scopes;
  };

  TokenService(std::string issuer, std::string service, std::string user, std::string password,
               const std::string& cert_path)
      : issuer_(std::move(issuer)),
        service_(std::move(service)),
        user_(std::move(user)),
        password_(std::move(password)) {
    MakeKeyAndCertificate(cert_path);
    server_.Get("/token",
                [this](const httplib::Request& req, httplib::Response& res) { Issue(req, res); });
    Start();
  }
  ~TokenService() override { Stop(); }
  TokenService(const TokenService&) = delete;
  TokenService& operator=(const TokenService&) = delete;

  std::string realm() const { return url() + "/token"; }
  // Grants given, in order (refused requests are not listed).
  std::vector<Grant> grants() const {
    std::lock_guard lock(mutex_);
    return grants_;
  }
  int refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }

 private:
  struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  struct CertDeleter {
    void operator()(X509* cert) const { X509_free(cert); }
  };

  void MakeKeyAndCertificate(const std::string& cert_path) {
    key_.reset(EVP_EC_gen("P-256"));
    std::unique_ptr<X509, CertDeleter> cert(X509_new());
    if (!key_ || !cert) throw std::runtime_error("cannot make a signing key");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86'400);
    X509_set_pubkey(cert.get(), key_.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("maiev test token service"),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_sign(cert.get(), key_.get(), EVP_sha256()) == 0) {
      throw std::runtime_error("cannot sign the certificate");
    }
    FILE* out = std::fopen(cert_path.c_str(), "w");
    if (out == nullptr) throw std::runtime_error("cannot write " + cert_path);
    PEM_write_X509(out, cert.get());
    std::fclose(out);
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert.get(), &der);
    cert_der_.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
  }

  // ES256: the ECDSA signature as the 32-byte r and s, concatenated (RFC 7518 §3.4).
  std::string Sign(const std::string& input) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t length = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      throw std::runtime_error("cannot sign a token");
    }
    std::vector<unsigned char> der(length);
    if (EVP_DigestSign(ctx.get(), der.data(), &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      throw std::runtime_error("cannot sign a token");
    }
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }

  std::string Token(const Grant& grant) const {
    using nlohmann::json;
    json access = json::array();
    for (const std::string& scope : grant.scopes) {
      // repository:NAME:pull,push (NAME may hold no colon here)
      const std::size_t first = scope.find(':');
      const std::size_t last = scope.rfind(':');
      if (first == std::string::npos || first == last) continue;
      access.push_back({{"type", scope.substr(0, first)},
                        {"name", scope.substr(first + 1, last - first - 1)},
                        {"actions", {"pull", "push"}}});
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    json header = {{"typ", "JWT"}, {"alg", "ES256"}, {"x5c", {EncodeBase64(cert_der_)}}};
    json claims = {{"iss", issuer_},
                   {"sub", grant.account},
                   {"aud", service_},
                   {"exp", now + 300},
                   {"nbf", now - 10},
                   {"iat", now},
                   {"jti", std::to_string(now) + "-" + std::to_string(grants_.size())},
                   {"access", access}};
    const std::string input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    return input + "." + Base64Url(Sign(input));
  }

  void Issue(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    if (req.get_header_value("Authorization") != "Basic " + EncodeBase64(user_ + ":" + password_)) {
      ++refused_;
      res.status = 401;
      res.set_content(R"({"details": "incorrect username or password"})", "application/json");
      return;
    }
    Grant grant{req.get_param_value("account"), req.get_param_value("service"), {}};
    for (std::size_t i = 0; i < req.get_param_value_count("scope"); ++i) {
      grant.scopes.push_back(req.get_param_value("scope", i));
    }
    const std::string token = Token(grant);
    grants_.push_back(grant);
    res.set_content(nlohmann::json{{"token", token}, {"expires_in", 300}}.dump(),
                    "application/json");
  }

  const std::string issuer_;
  const std::string service_;
  const std::string user_;
  const std::string password_;
  std::unique_ptr<EVP_PKEY, KeyDeleter> key_;
  std::string cert_der_;
  mutable std::mutex mutex_;
  std::vector<Grant> grants_;  // guarded by mutex_
  int refused_ = 0;            // guarded by mutex_
};

}  // namespace maiev::registry::testing
