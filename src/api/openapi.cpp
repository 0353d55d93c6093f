// GET /api/v1/openapi.json: the OpenAPI 3 document of HttpApi, made from its route table, so that
// a route cannot be served without being documented (http_api_test checks both ways).
#include <map>
#include <string>

#include "api/http_api.hpp"

namespace maiev::api {
namespace {

using nlohmann::json;

json QueryParameter(const char* name, const char* type, const char* description) {
  return {{"name", name},
          {"in", "query"},
          {"required", false},
          {"schema", {{"type", type}}},
          {"description", description}};
}

// The query parameters of each path that takes some.
const std::map<std::string, json>& QueryParameters() {
  static const std::map<std::string, json> kParameters = {
      {"/api/v1/services",
       json::array(
           {QueryParameter("state", "string", "monitored, sized, paused, invalid or unconfigured"),
            QueryParameter("prefix", "string", "services whose name starts with it")})},
      {"/api/v1/services/{name}/history",
       json::array({QueryParameter("minutes", "integer", "1 to 60; default 15")})},
      {"/api/v1/decisions",
       json::array(
           {QueryParameter("service", "string", "one service's decisions"),
            QueryParameter("since", "string", "an RFC 3339 time, or a duration back (\"1h\")"),
            QueryParameter("until", "string", "an RFC 3339 time, or a duration back"),
            QueryParameter("direction", "string", "up, down or none"),
            QueryParameter("limit", "integer", "1 to 1000; default 50"),
            QueryParameter("cursor", "integer", "next_cursor of the previous page")})},
      {"/api/v1/plans", json::array({QueryParameter("limit", "integer", "1 to 1000; default 50")})},
      {"/api/v1/webhooks/registry",
       json::array({QueryParameter("token", "string",
                                   "the webhook token, for senders that "
                                   "cannot set Authorization")})},
      {"/api/v1/webhooks/dockerhub",
       json::array({QueryParameter("token", "string", "the webhook token")})},
      {"/api/v1/events",
       json::array({QueryParameter("types", "string",
                                   "comma-separated: decision, service, config_error, plan, "
                                   "step, cycle; default all"),
                    QueryParameter("last_event_id", "integer",
                                   "resume after this id (the Last-Event-ID header wins)"),
                    {{"name", "Last-Event-ID"},
                     {"in", "header"},
                     {"required", false},
                     {"schema", {{"type", "integer"}}},
                     {"description", "resume after this id, as EventSource sends it"}}})},
  };
  return kParameters;
}

// The request bodies of the routes that take one, by "METHOD path".
const std::map<std::string, json>& RequestBodies() {
  static const std::map<std::string, json> kBodies = {
      {"PUT /api/v1/services/{name}/config",
       {{"type", "object"},
        {"description", "a scale config (docs/SCALE_CONFIG.md): min, max, policy, scale"}}},
      {"POST /api/v1/services/{name}/scale",
       {{"type", "object"},
        {"required", {"replicas"}},
        {"properties",
         {{"replicas", {{"type", "integer"}, {"minimum", 0}}},
          {"force", {{"type", "boolean"}, {"description", "beyond the config's min/max"}}}}}}},
      {"POST /api/v1/rules/test",
       {{"type", "object"},
        {"required", {"service", "expression"}},
        {"properties", {{"service", {{"type", "string"}}}, {"expression", {{"type", "string"}}}}}}},
      {"POST /api/v1/webhooks/registry",
       {{"type", "object"}, {"description", "a registry's notification envelope"}}},
      {"POST /api/v1/webhooks/dockerhub",
       {{"type", "object"}, {"description", "a Docker Hub webhook payload"}}},
  };
  return kBodies;
}

json ErrorResponse(const char* description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

json HttpApi::OpenApiDocument() {
  json paths = json::object();
  for (const Route& route : RouteTable()) {
    const std::string path = route.path;
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    json operation = {{"summary", route.summary}};
    json parameters = json::array();
    for (const char* name : {"name", "id", "file"}) {
      if (path.find(std::string("{") + name + "}") == std::string::npos) continue;
      parameters.push_back(
          {{"name", name},
           {"in", "path"},
           {"required", true},
           {"schema", {{"type", std::string(name) == "id" ? "integer" : "string"}}}});
    }
    if (auto it = QueryParameters().find(path); it != QueryParameters().end() && method == "get") {
      for (const json& p : it->second) parameters.push_back(p);
    }
    if (route.access == Access::kWebhook) {
      for (const json& p : QueryParameters().at(path)) parameters.push_back(p);
    }
    if (!parameters.empty()) operation["parameters"] = parameters;
    if (auto it = RequestBodies().find(std::string(route.method) + " " + path);
        it != RequestBodies().end()) {
      operation["requestBody"] = {{"required", true},
                                  {"content", {{"application/json", {{"schema", it->second}}}}}};
    }
    json responses = {{route.access == Access::kWebhook ? "202" : "200", {{"description", "OK"}}},
                      {"400", ErrorResponse("bad input: the message names the field")},
                      {"404", ErrorResponse("no such route or object")}};
    if (route.access == Access::kRead) {
      // Not a `security` entry: reads are open unless maiev serve has --read-token.
      responses["401"] = ErrorResponse("no or a wrong read token (maiev serve has --read-token)");
    }
    if (route.access == Access::kMutation || route.access == Access::kWebhook) {
      responses["503"] = ErrorResponse(
          "this instance is a standby (not_leader), or a component "
          "is unavailable");
    }
    if (route.access == Access::kMutation) {
      operation["security"] = json::array({{{"apiToken", json::array()}}});
      responses["401"] = ErrorResponse("no or a wrong API token");
      responses["409"] = ErrorResponse("the change conflicts with the object's state");
    }
    if (route.access == Access::kWebhook) {
      operation["security"] = json::array({{{"webhookToken", json::array()}}});
      responses["401"] = ErrorResponse("no or a wrong webhook token");
      responses["403"] = ErrorResponse("maiev serve has no webhook token");
    }
    if (path == "/api/v1/events") {
      responses["200"]["content"] = {{"text/event-stream", {{"schema", {{"type", "string"}}}}}};
      responses["503"] = ErrorResponse("the stream has its maximum of clients, or is closing");
    }
    responses["413"] = ErrorResponse("a body over 1 MiB");
    operation["responses"] = responses;
    paths[path][method] = operation;
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "maiev"},
            {"version", MAIEV_VERSION},
            {"description",
             "Autoscaling and upgrades of a Docker Swarm (docs/OPERATIONS.md, The API)"}}},
          {"paths", paths},
          {"components",
           {{"securitySchemes",
             {{"apiToken", {{"type", "http"}, {"scheme", "bearer"}}},
              {"readToken", {{"type", "http"}, {"scheme", "bearer"}}},
              {"webhookToken", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas",
             {{"Error",
               {{"type", "object"},
                {"required", {"error", "message"}},
                {"properties",
                 {{"error", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}};
}

}  // namespace maiev::api
