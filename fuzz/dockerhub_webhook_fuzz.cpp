// Docker Hub webhooks (src/registry/push_hint). Invariants: an error, sendable as JSON, is
// "invalid"; a hint is on docker.io, names a repository with a `/` (`nginx` is `library/nginx`) and
// a tag, no digest.
#include "fuzz/fuzz_support.hpp"
#include "registry/push_hint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  auto hint = maiev::registry::ParseDockerHubWebhook(maiev::fuzz::Text(data, size));
  if (!maiev::fuzz::Succeeded(hint, "invalid")) return 0;
  Check(hint->registry == "docker.io");
  Check(hint->repository.find('/') != std::string::npos && !hint->tag.empty());
  Check(hint->digest.empty());
  return 0;
}
