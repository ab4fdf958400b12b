// Docker's stderr read for messages: the daemon's words whole, the CLI's
// boilerplate gone. The inputs are what docker 20.10 printed on a real engine.
#include <gtest/gtest.h>

#include <raylaunch/engine/command_runner.hpp>
#include <raylaunch/engine/docker_said.hpp>

#include <string>

namespace raylaunch {
namespace {

TEST(DockerMessage, KeepsTheDaemonsWordsWithoutTheHelpPointer) {
  EXPECT_EQ(docker_message("docker: Error response from daemon: Conflict. The container name "
                           "\"/msgdemo-cpu-1\" is already in use by container \"111cd8d9ead7\". "
                           "You have to remove (or rename) that container to be able to reuse "
                           "that name.\n\nRun 'docker run --help' for more information\n"),
            "Error response from daemon: Conflict. The container name \"/msgdemo-cpu-1\" is "
            "already in use by container \"111cd8d9ead7\". You have to remove (or rename) that "
            "container to be able to reuse that name.");
  EXPECT_EQ(docker_message("docker: Error response from daemon: invalid volume specification: "
                           "'/tmp:/': invalid mount config for type \"bind\": invalid "
                           "specification: destination can't be '/'\n\n"
                           "Run 'docker run --help' for more information\n"),
            "Error response from daemon: invalid volume specification: '/tmp:/': invalid mount "
            "config for type \"bind\": invalid specification: destination can't be '/'");
  EXPECT_EQ(docker_message("docker: invalid reference format: repository name must be "
                           "lowercase.\nSee 'docker run --help'.\n"),
            "invalid reference format: repository name must be lowercase.");
}

TEST(DockerMessage, DropsUsageBlocks) {
  EXPECT_EQ(docker_message("invalid argument \"bad key=1\" for \"-l, --label\" flag: label 'bad "
                           "key' contains whitespaces\n\nUsage:  docker run [OPTIONS] IMAGE "
                           "[COMMAND] [ARG...]\n\nRun 'docker run --help' for more information\n"),
            "invalid argument \"bad key=1\" for \"-l, --label\" flag: label 'bad key' contains "
            "whitespaces");
  EXPECT_EQ(docker_message("unknown flag: --bogus\nSee 'docker run --help'.\n\nUsage:  docker "
                           "run [OPTIONS] IMAGE\n  -d, --detach   Run container in background\n"),
            "unknown flag: --bogus");
}

TEST(DockerMessage, KeepsEveryLineOfAMessageInOrder) {
  EXPECT_EQ(docker_message("Unable to find image 'nope:1' locally\r\ndocker: Error response from "
                           "daemon: pull access denied for nope.\r\nSee 'docker run --help'.\r\n"),
            "Unable to find image 'nope:1' locally; Error response from daemon: pull access "
            "denied for nope.");
  EXPECT_EQ(docker_message(""), "");
  EXPECT_EQ(docker_message("\nRun 'docker run --help' for more information\n"), "");
}

TEST(DockerVerb, NamesTheCommandAndItsObject) {
  EXPECT_EQ(docker_verb({"run", "--detach", "--name", "x"}), "docker run");
  EXPECT_EQ(docker_verb({"network", "create", "--driver", "bridge"}), "docker network create");
  EXPECT_EQ(docker_verb({"rm", "--force", "a", "b"}), "docker rm");
}

TEST(ConflictingContainer, ReadsTheHoldersId) {
  EXPECT_EQ(conflicting_container("docker run: Error response from daemon: Conflict. The "
                                  "container name \"/msgdemo-cpu-1\" is already in use by "
                                  "container \"111cd8d9ead7acff\". You have to remove it."),
            "111cd8d9ead7acff");
  EXPECT_EQ(conflicting_container("docker run: Error response from daemon: port is already "
                                  "allocated"),
            "");
}

TEST(EngineTrouble, TellsAMissingContextFromADownEngineHereOrElsewhere) {
  EXPECT_EQ(engine_trouble("Failed to initialize: unable to resolve docker endpoint: context "
                           "\"nope\": context not found: open /root/.docker/contexts/meta/ca37/"
                           "meta.json: no such file or directory"),
            EngineTrouble::no_context);
  EXPECT_EQ(engine_trouble("context \"nope\" does not exist"), EngineTrouble::no_context);
  EXPECT_EQ(engine_trouble("Cannot connect to the Docker daemon at unix:///nonexist.sock. Is the "
                           "docker daemon running?"),
            EngineTrouble::down_local);
  EXPECT_EQ(engine_trouble("Cannot connect to the Docker daemon at tcp://127.0.0.1:18999. Is the "
                           "docker daemon running?"),
            EngineTrouble::down_remote);
  EXPECT_EQ(engine_trouble("error during connect: Get \"http://10.0.0.9:2375/v1.41/containers/"
                           "json\": dial tcp 10.0.0.9:2375: connect: connection refused"),
            EngineTrouble::down_remote);
  EXPECT_EQ(engine_trouble("Got permission denied while trying to connect to the Docker daemon "
                           "socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2F"
                           "docker.sock/v1.24/containers/json\": dial unix /var/run/docker.sock: "
                           "connect: permission denied"),
            EngineTrouble::permission);
  EXPECT_EQ(engine_trouble("Error response from daemon: page not found"), EngineTrouble::other);
}

TEST(TooLongReason, NamesTheLongestValueByItsOptionNeverItsText) {
  std::string big(200000, 'a');
  Command env{{"docker", "run", "--env", "A=1", "--env", "BIG=" + big, "img"}, {}, {}};
  EXPECT_EQ(too_long_reason(env, 131072),
            "the value of --env BIG is 200004 bytes, more than the 131072 Linux takes in one "
            "value");
  Command label{{"docker", "run", "--label", "team=" + big, "img"}, {}, {}};
  EXPECT_EQ(too_long_reason(label, 131072),
            "the value of --label team is 200005 bytes, more than the 131072 Linux takes in one "
            "value");
  Command ray_arg{{"docker", "run", "img", "ray", "start", "--temp-dir=" + big}, {}, {}};
  EXPECT_EQ(too_long_reason(ray_arg, 131072),
            "the value of --temp-dir is 200011 bytes, more than the 131072 Linux takes in one "
            "value");
  Command secret{{"docker", "run", "--env", "DB_PASSWORD", "img"}, {}, {{"DB_PASSWORD", big}}};
  EXPECT_EQ(too_long_reason(secret, 131072),
            "the environment variable DB_PASSWORD is 200012 bytes, more than the 131072 Linux "
            "takes in one value");
  EXPECT_EQ(too_long_reason(env, 1000000),
            "its arguments and environment are more than Linux takes in all; the longest is the "
            "value of --env BIG (200004 bytes)");
}

}  // namespace
}  // namespace raylaunch
