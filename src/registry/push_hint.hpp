// Push notifications, parsed without I/O: Docker Registry v2 notification envelopes and Docker
// Hub webhooks become hints that a tag was pushed. A hint is only a hint: the caller verifies it
// against the registry (SPEC §5).
// Formats: https://distribution.github.io/distribution/about/notifications/ and
// https://docs.docker.com/docker-hub/repos/manage/webhooks/
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace maiev::registry {

struct PushHint {
  std::string registry;    // host[:port] as image references write it (CanonicalRegistryHost);
                           // "" when the notification does not say
  std::string repository;  // as the registry API names it ("library/nginx" on Docker Hub)
  std::string tag;
  std::string digest;  // of the pushed manifest; "" when the notification does not carry it
  friend bool operator==(const PushHint&, const PushHint&) = default;
};

// The hints of a registry notification envelope (`{"events": [...]}`): one per `push` event of a
// manifest with a tag. Pulls, mounts, deletes, blob pushes and pushes by digest only are ignored
// (and not validated beyond their `action`). The registry is the event's `request.host`, else
// the host of `target.url`. Errors (code "invalid") name the JSON path
// (`events[3].target.repository`) and what is accepted. `events` (optional) is set to the number
// of events the envelope holds, hints and ignored ones alike.
Result<std::vector<PushHint>> ParseRegistryNotification(std::string_view body,
                                                        std::size_t* events = nullptr);

// The hint of a Docker Hub webhook: `repository.repo_name` and `push_data.tag` on docker.io
// (`nginx` is read as `library/nginx`), no digest. Errors as above (`push_data.tag`).
Result<PushHint> ParseDockerHubWebhook(std::string_view body);

}  // namespace maiev::registry
