// The keys of `serve:`: Ray Serve's config file (ServeDeploySchema, the body
// of `PUT /api/serve/applications/`), field by field as Serve's schema.py and
// config.py declare them. Serve ignores a key it does not know; raylaunch
// refuses it, so `upscale_delay` is not silently dropped for `upscale_delay_s`.
#include "serve_keys.hpp"

#include "key_makers.hpp"

namespace raylaunch {

namespace {

using namespace keys;

constexpr double k_max_port = 65535;
constexpr double k_huge = 1e12;

// A number from `min` (more than `min` when `exclusive`), with no default of raylaunch's.
SpecKey number(std::string_view name, double min, bool exclusive, std::string_view example,
               std::string_view meaning, std::string_view default_value = {}) {
  return {.name = name,
          .type = KeyType::number,
          .meaning = meaning,
          .range = KeyRange{.min = min, .max = k_huge, .min_exclusive = exclusive},
          .default_value = default_value,
          .example = example};
}

SpecKey flag(std::string_view name, std::string_view meaning, std::string_view default_value) {
  return {
      .name = name, .type = KeyType::boolean, .meaning = meaning, .default_value = default_value};
}

SpecKey anything(std::string_view name, std::string_view meaning) {
  return {.name = name, .type = KeyType::any, .meaning = meaning};
}

SpecSection serve_top() {
  return section(
      KeySection::serve, "serve",
      "Ray Serve's config, deployed by up: config: FILE, or the same keys inline",
      {
          text("config",
               "a Serve config file (what serve deploy takes), relative to the spec; instead "
               "of the keys below",
               "", "serve_config.yaml"),
          list_of("applications", KeyType::mapping, "the Serve applications; required", "", "",
                  KeySection::serve_app),
          choice("proxy_location", {"EveryNode", "HeadOnly", "Disabled"},
                 "where Serve runs its HTTP proxies"),
          nested("http_options", KeySection::serve_http,
                 "Serve's HTTP proxy; fixed once Serve runs: a change shuts Serve down and "
                 "deploys again"),
          nested("grpc_options", KeySection::serve_grpc, "Serve's gRPC proxy"),
          nested("logging_config", KeySection::serve_logging, "Serve's logging, for every app"),
          {.name = "target_capacity",
           .type = KeyType::number,
           .meaning = "a percentage Serve scales every deployment's replicas by (experimental)",
           .range = KeyRange{.min = 0, .max = 100},
           .example = "100"},
      });
}

SpecSection serve_app() {
  return section(
      KeySection::serve_app, "serve.applications[]", "one Serve application",
      {
          text("name", "the app's name, unique", "", "llm", "default"),
          text("route_prefix",
               "the HTTP path the app answers under: starts with /, no trailing / and no braces, "
               "unique; null: no HTTP route",
               "/[^{}]*", "/qwen", "/"),
          text("import_path", "the app to import, module:attribute or module.attribute",
               "[^.:]([^:]*[^.:])?(:[^.:]([^:]*[^.:])?)?", "serve_llm:app"),
          map_of("runtime_env", KeyType::any,
                 "the app's runtime environment; a local working_dir is packaged and uploaded "
                 "by up"),
          list_of("deployments", KeyType::mapping,
                  "settings of deployments the app's code defines, by name", "", "",
                  KeySection::serve_deployment),
          map_of("args", KeyType::any, "arguments to the app's builder"),
          nested("logging_config", KeySection::serve_logging, "the app's logging"),
          flag("external_scaler_enabled",
               "whether an external scaler sets the replicas (newest Serve)", "false"),
          map_of("autoscaling_policy", KeyType::any, "the app's autoscaling policy (newest Serve)"),
      });
}

SpecSection serve_deployment() {
  return section(
      KeySection::serve_deployment, "serve.applications[].deployments[]",
      "one deployment's settings; unset ones keep the app code's",
      {
          text("name", "the deployment's name in the app's code; required", "", "LLM"),
          text("num_replicas", "how many replicas: a whole number from 1, or auto", "auto|[0-9]+",
               "2"),
          integer("max_ongoing_requests", 1, k_huge, "", "5",
                  "the requests one replica handles at once"),
          integer("max_queued_requests", -1, k_huge, "", "-1",
                  "the requests queued per caller; -1: no limit"),
          anything("user_config", "what the deployment's reconfigure() gets"),
          nested("autoscaling_config", KeySection::serve_autoscaling,
                 "how Serve scales the replicas; not with a number of num_replicas"),
          number("graceful_shutdown_wait_loop_s", 0, false, "2",
                 "how often a stopping replica "
                 "checks for requests left"),
          number("graceful_shutdown_timeout_s", 0, false, "20",
                 "how long a stopping replica may finish its requests"),
          number("health_check_period_s", 0, true, "10", "how often a replica's health is checked"),
          number("health_check_timeout_s", 0, true, "30", "how long a health check may take"),
          nested("ray_actor_options", KeySection::serve_actor,
                 "what each replica asks of a node (Serve's default: one CPU)"),
          list_of("placement_group_bundles", KeyType::any,
                  "each replica's placement group, one resource mapping a bundle"),
          choice("placement_group_strategy", {"PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD"},
                 "how the bundles are placed"),
          integer("max_replicas_per_node", 1, 100, "", "1",
                  "the most replicas of the deployment on one node"),
          nested("logging_config", KeySection::serve_logging, "the deployment's logging"),
          map_of("request_router_config", KeyType::any,
                 "how requests are routed to replicas (newer Serve)"),
      });
}

SpecSection serve_autoscaling() {
  return section(
      KeySection::serve_autoscaling, "serve.applications[].deployments[].autoscaling_config",
      "Serve's autoscaling of one deployment",
      {
          integer("min_replicas", 0, k_huge, "1", "1", "the fewest replicas; 0 scales to zero"),
          integer("initial_replicas", 0, k_huge, "", "1",
                  "the replicas at deploy; unset: min_replicas"),
          integer("max_replicas", 1, k_huge, "1", "4", "the most replicas"),
          number("target_ongoing_requests", 0, true, "2",
                 "the ongoing requests per replica Serve aims at"),
          number("metrics_interval_s", 0, true, "10", "how often replicas report their load"),
          number("look_back_period_s", 0, true, "30", "the time the load is averaged over"),
          number("upscale_delay_s", 0, false, "30", "how long a need for more replicas must last"),
          number("downscale_delay_s", 0, false, "600",
                 "how long a need for fewer replicas must last"),
          number("upscaling_factor", 0, true, "1", "a multiplier on each upscaling decision"),
          number("downscaling_factor", 0, true, "1", "a multiplier on each downscaling decision"),
          number("smoothing_factor", 0, true, "1", "deprecated: both factors at once"),
          number("upscale_smoothing_factor", 0, true, "1", "deprecated: upscaling_factor"),
          number("downscale_smoothing_factor", 0, true, "1", "deprecated: downscaling_factor"),
      });
}

SpecSection serve_actor() {
  return section(
      KeySection::serve_actor, "serve.applications[].deployments[].ray_actor_options",
      "what each replica of a deployment asks of a node",
      {
          number("num_cpus", 0, false, "1", "CPUs per replica"),
          number("num_gpus", 0, false, "1", "GPUs per replica"),
          number("memory", 0, false, "2147483648", "bytes of Ray's memory resource per replica"),
          {.name = "resources",
           .type = KeyType::mapping,
           .meaning = "custom Ray resources per replica, name to amount",
           .range = KeyRange{.min = 0, .max = k_huge},
           .default_value = "{}",
           .items = KeyType::number,
           .example = "1"},
          text("accelerator_type", "the accelerator each replica needs", "", "A10G"),
          map_of("runtime_env", KeyType::any, "the replicas' runtime environment"),
          number("object_store_memory", 0, false, "1073741824",
                 "bytes of object store per replica (older Serve)"),
      });
}

SpecSection serve_http() {
  return section(
      KeySection::serve_http, "serve.http_options", "Serve's HTTP proxy",
      {
          text("host", "the address the proxy listens on", "", "0.0.0.0", "0.0.0.0"),
          integer("port", 1, k_max_port, "8000", "8000",
                  "the proxy's port inside the head; head.ports.serve publishes it"),
          text("root_path", "a path prefix in front of every route", "", "/api"),
          number("request_timeout_s", 0, true, "60",
                 "how long a request may take; unset: no limit"),
          number("keep_alive_timeout_s", 0, false, "90", "how long an idle connection stays open"),
          text("ssl_keyfile", "the proxy's TLS key file (newer Serve)", "", "/certs/key.pem"),
          text("ssl_certfile", "the proxy's TLS certificate file (newer Serve)", "",
               "/certs/cert.pem"),
          text("ssl_keyfile_password", "the TLS key's password (newer Serve)", "", "secret"),
          text("ssl_ca_certs", "the CA certificates to check clients with (newer Serve)", "",
               "/certs/ca.pem"),
      });
}

SpecSection serve_grpc() {
  return section(KeySection::serve_grpc, "serve.grpc_options", "Serve's gRPC proxy",
                 {
                     integer("port", 1, k_max_port, "9000", "9000", "the gRPC proxy's port"),
                     list_of("grpc_servicer_functions", KeyType::string,
                             "the servicers to add; none: no gRPC proxy", "",
                             "my_pb2_grpc.add_ModelServicer_to_server"),
                     number("request_timeout_s", 0, true, "60",
                            "how long a request may take; unset: no limit"),
                 });
}

SpecSection serve_logging() {
  return section(
      KeySection::serve_logging, "serve.logging_config",
      "Serve's logging (at the top, in an app or in a deployment)",
      {
          choice("encoding", {"TEXT", "JSON"}, "the log lines' format"),
          text("log_level", "the lowest level logged", "", "INFO", "INFO"),
          text("logs_dir", "where the logs go; unset: Ray's session folder", "", "/tmp/serve-logs"),
          flag("enable_access_log", "whether each request is logged", "true"),
          list_of("additional_log_standard_attrs", KeyType::string,
                  "further log record attributes to write (newer Serve)", "", "name"),
      });
}

}  // namespace

std::vector<SpecSection> serve_sections() {
  return {serve_top(),   serve_app(),  serve_deployment(), serve_autoscaling(),
          serve_actor(), serve_http(), serve_grpc(),       serve_logging()};
}

}  // namespace raylaunch
