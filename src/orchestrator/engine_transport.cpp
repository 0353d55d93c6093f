#include "orchestrator/engine_transport.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "orchestrator/engine_wire.hpp"

namespace maiev::orchestrator {
namespace {

// How often a stream's poll wakes up without data, to notice a dropped transfer.
constexpr int kStreamPollIntervalMs = 1000;

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendToString(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// A curl handle configured for the endpoint; error text lands in `error_buffer`.
EasyHandle NewHandle(const DockerEndpoint& endpoint, std::chrono::milliseconds connect_timeout,
                     const std::string& url, char* error_buffer) {
  GlobalInitOnce();
  EasyHandle handle(curl_easy_init());
  if (!handle) return handle;
  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM-based DNS timeouts
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // the engine is never reached through a proxy
  if (endpoint.transport == DockerEndpoint::Transport::kUnixSocket) {
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, endpoint.socket_path.c_str());
  }
  if (endpoint.tls) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, endpoint.cert_file.c_str());
    curl_easy_setopt(h, CURLOPT_SSLKEY, endpoint.key_file.c_str());
    curl_easy_setopt(h, CURLOPT_CAINFO, endpoint.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, endpoint.tls_verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, endpoint.tls_verify ? 2L : 0L);
  }
  return handle;
}

// Why a transfer failed, in the words of the system when it could not connect: curl says
// "Failed to connect to localhost port 80" for a unix socket, whatever the socket's problem.
std::string FailureReason(CURL* handle, CURLcode code, const char* detail) {
  long os_error = 0;
  if (code == CURLE_COULDNT_CONNECT &&
      curl_easy_getinfo(handle, CURLINFO_OS_ERRNO, &os_error) == CURLE_OK && os_error != 0) {
    return std::strerror(static_cast<int>(os_error));
  }
  return detail != nullptr && detail[0] != '\0' ? detail : curl_easy_strerror(code);
}

// "Docker Engine at unix:///var/run/docker.sock: No such file or directory (GET /version)".
Unexpected<Error> TransportError(const DockerEndpoint& endpoint, std::string_view method,
                                 std::string_view path, CURL* handle, CURLcode code,
                                 const char* detail) {
  return Fail("io", "Docker Engine at " + endpoint.Describe() + ": " +
                        FailureReason(handle, code, detail) + " (" + std::string(method) + " " +
                        std::string(path) + ")");
}

struct StreamState {
  CURL* handle = nullptr;
  const std::function<void()>* on_open = nullptr;
  const std::function<void(std::string_view)>* on_data = nullptr;
  long status = 0;
  bool opened = false;
  std::string error_body;  // the body of a non-2xx response
};

size_t StreamHeader(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  std::string_view line(data, size * count);
  bool end_of_headers = line == "\r\n" || line == "\n";
  if (end_of_headers && !state->opened) {
    curl_easy_getinfo(state->handle, CURLINFO_RESPONSE_CODE, &state->status);
    if (state->status >= 200 && state->status < 300) {
      state->opened = true;
      if (*state->on_open) (*state->on_open)();
    }
  }
  return size * count;
}

size_t StreamBody(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  std::string_view chunk(data, size * count);
  if (state->opened) {
    (*state->on_data)(chunk);
  } else {
    state->error_body.append(chunk);
  }
  return size * count;
}

}  // namespace

EngineTransport::EngineTransport(DockerEndpoint endpoint, std::chrono::milliseconds connect_timeout)
    : endpoint_(std::move(endpoint)), connect_timeout_(connect_timeout) {}

Result<HttpResponse> EngineTransport::Request(std::string_view method, std::string_view path,
                                              std::string_view json_body,
                                              std::chrono::milliseconds timeout) const {
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::string url = endpoint_.BaseUrl() + std::string(path);
  EasyHandle handle = NewHandle(endpoint_, connect_timeout_, url, error_buffer);
  if (!handle) return Fail("io", "cannot create a curl handle");
  CURL* h = handle.get();

  HttpResponse response;
  std::string method_text(method);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  HeaderList headers;
  if (method == "POST" || !json_body.empty()) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
    // No "Expect: 100-continue" round trip: the engine takes the body at once.
    if (curl_slist* both = curl_slist_append(headers.get(), "Expect:")) {
      (void)headers.release();
      headers.reset(both);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  }
  if (method != "GET" && method != "POST") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }

  CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) return TransportError(endpoint_, method, path, h, code, error_buffer);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Result<HttpResponse> EngineTransport::Get(std::string_view path, std::chrono::milliseconds timeout,
                                          const BackoffPolicy& policy) const {
  for (int attempt = 1;; ++attempt) {
    auto response = Request("GET", path, {}, timeout);
    bool retryable = !response.ok() || response->status >= 500;
    if (!retryable || policy.Exhausted(attempt)) return response;
    std::this_thread::sleep_for(policy.Delay(attempt));
  }
}

Status EngineTransport::Stream(std::string_view path, const std::function<void()>& on_open,
                               const std::function<void(std::string_view)>& on_data,
                               const std::stop_token& stop) const {
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::string url = endpoint_.BaseUrl() + std::string(path);
  EasyHandle handle = NewHandle(endpoint_, connect_timeout_, url, error_buffer);
  MultiHandle multi(curl_multi_init());
  if (!handle || !multi) return Fail("io", "cannot create a curl handle");
  CURL* h = handle.get();

  StreamState state;
  state.handle = h;
  state.on_open = &on_open;
  state.on_data = &on_data;
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &StreamHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &StreamBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);  // notice a peer that vanished silently

  curl_multi_add_handle(multi.get(), h);
  CURLcode result = CURLE_OK;
  {
    // Wakes curl_multi_poll from the thread that requests the stop.
    std::stop_callback wake(stop, [m = multi.get()] { curl_multi_wakeup(m); });
    int running = 1;
    while (running > 0 && !stop.stop_requested()) {
      CURLMcode mc = curl_multi_perform(multi.get(), &running);
      if (mc == CURLM_OK && running > 0) {
        mc = curl_multi_poll(multi.get(), nullptr, 0, kStreamPollIntervalMs, nullptr);
      }
      if (mc != CURLM_OK) {
        curl_multi_remove_handle(multi.get(), h);
        return Fail("io", "Docker Engine at " + endpoint_.Describe() + ": " +
                              curl_multi_strerror(mc) + " (GET " + std::string(path) + ")");
      }
    }
    int pending = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &pending)) {
      if (message->msg == CURLMSG_DONE) result = message->data.result;
    }
  }
  curl_multi_remove_handle(multi.get(), h);
  if (stop.stop_requested()) return {};
  if (result != CURLE_OK) return TransportError(endpoint_, "GET", path, h, result, error_buffer);
  if (!state.opened) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &state.status);
    return Fail("http", "Docker Engine at " + endpoint_.Describe() + ": GET " + std::string(path) +
                            ": HTTP " + std::to_string(state.status) + ": " +
                            EngineErrorMessage(state.error_body));
  }
  return {};
}

}  // namespace maiev::orchestrator
