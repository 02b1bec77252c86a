"""The Docker sandbox: commands, files, git, reset and containment, on a real engine.

These tests need a Docker engine and the local base image (``.ci/run`` installs Docker,
starts it and builds the image); without them they skip and say why. The task image is
built here from a generated SWE-Mini task. One container serves most tests, as it serves
episodes: each containment test ends by showing the sandbox still works after a reset.
"""

import gc
import io
import json
import os
import resource
import socket
import tarfile
import threading
import time

import pytest

from textagent_envs.swe import docker as docker_sandbox
from textagent_envs.swe.docker import DockerSandbox, docker_unavailable_reason
from textagent_envs.swe.images import BASE_IMAGE, TEST_CMD, build_task_image, image_exists, main
from textagent_envs.swe.mini import make_task
from textagent_envs.swe.sandbox import Limits, SandboxError
from textagent_envs.swe.tools import FileTools, ToolError

TASK_TAG = "textagent-envs/test-calckit:pytest"
LIMITS = Limits(timeout=20, memory_mb=256, pids=64, file_size_mb=8, output_bytes=64 << 10)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    reason = docker_unavailable_reason()
    if reason is not None:
        pytest.skip(f"Docker is not available: {reason}")
    if not image_exists(BASE_IMAGE):
        pytest.skip(f"the base image {BASE_IMAGE} is missing: build it with `python -m textagent_envs.swe.images base`")
    task = make_task("calckit", 3, tmp_path_factory.mktemp("docker-task"), nb_bugs=1)
    return build_task_image(task, TASK_TAG)


@pytest.fixture(scope="module")
def box(instance):
    sandbox = DockerSandbox(instance["image"], workdir=instance["workdir"], limits=LIMITS)
    sandbox.reset()
    yield sandbox
    sandbox.close()


@pytest.fixture
def clean(box):
    """The shared sandbox, reset before the test."""
    box.reset()
    return box


def assert_serves_next_episode(box, instance):
    box.reset()
    result = box.run("echo next; git status --porcelain; ls /tmp")
    assert result.exit_code == 0 and result.output == "next\n", result.output
    assert box.processes() == [] and box.client.api.inspect_container(box._id)["State"]["Running"]
    assert box.run(TEST_CMD).exit_code == 1  # the bug is back: the task's test still fails


def test_the_instance_describes_a_repository_committed_in_the_image(instance, box):
    assert instance["image"] == TASK_TAG and len(instance["base_commit"]) == 40
    assert instance["FAIL_TO_PASS"] and instance["PASS_TO_PASS"]
    assert box.run("git rev-parse HEAD").output.strip() == instance["base_commit"]
    assert box.run("git status --porcelain").output == ""


def test_a_command_runs_in_the_workdir_with_both_streams_and_its_exit_code(clean):
    result = clean.run("pwd; echo out; echo err >&2; exit 3")
    assert result.output == "/testbed\nout\nerr\n" and result.exit_code == 3 and not result.timed_out
    assert clean.run("exit 0").observation() == "[no output]"
    assert "NUL" in clean.run("echo \x00").output


def test_the_gold_patch_fixes_the_failing_tests_and_diff_gives_it_back(clean, instance):
    failing = clean.run(TEST_CMD)
    assert failing.exit_code == 1 and all(f"FAILED {t}" in failing.output for t in instance["FAIL_TO_PASS"])
    clean.apply(instance["patch"])
    assert clean.run(TEST_CMD).exit_code == 0
    clean.run("echo 'new = 1' > calckit/extra.py")
    patch = clean.diff(instance["base_commit"])
    assert "+++ b/calckit/extra.py" in patch
    for line in instance["patch"].splitlines():
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            assert line in patch
    clean.reset()
    clean.apply(patch)  # the diff is a patch git applies to the base commit
    assert clean.run(TEST_CMD).exit_code == 0 and clean.run("cat calckit/extra.py").output == "new = 1\n"
    with pytest.raises(SandboxError, match="does not apply"):
        clean.apply("--- a/nothing.py\n+++ b/nothing.py\n@@ -1 +1 @@\n-x\n+y\n")


def test_file_tools_work_inside_the_container_and_stay_in_the_workdir(clean):
    tools = FileTools(clean.files)
    assert "calckit/" in tools.view(".") and ".git" not in tools.view(".")
    assert "calckit/stats.py" in tools.view("calckit")
    assert tools.create("notes/todo.txt", "one\ntwo") == "Created notes/todo.txt (2 lines)."
    tools.str_replace("notes/todo.txt", "two", "three")
    assert clean.run("cat notes/todo.txt").output == "one\nthree"
    clean.run("chmod 755 calckit/stats.py")
    tools.insert("calckit/stats.py", 0, "# edited")
    assert clean.run("stat -c %a calckit/stats.py; head -1 calckit/stats.py").output == "755\n# edited\n"
    clean.run("ln -s /etc escape")
    for path in ("../etc/passwd", "/etc/passwd", "escape/passwd"):
        with pytest.raises(ToolError, match="outside"):
            tools.view(path)


@pytest.mark.parametrize("changes_from", ["overlay upper dir", "docker diff"])
def test_reset_restores_the_workspace_in_the_same_container(clean, instance, monkeypatch, changes_from):
    if changes_from == "docker diff":  # as with a remote engine, whose layer the host cannot read
        monkeypatch.setattr(docker_sandbox.os, "access", lambda *args: False)
    container = clean._id
    clean.run(
        "echo junk >> calckit/stats.py; rm calckit/text.py; mkdir -p new/deep; touch new/deep/f build.log;"
        " touch /tmp/x /dev/shm/y; git rm -q --cached calckit/intervals.py; (sleep 300 &) ; sleep 300 & echo started"
    )
    assert len(clean.processes()) >= 2
    recreated = clean.recreated
    clean.reset()
    assert clean._id == container and clean.recreated == recreated, clean.recreate_reason
    assert clean.run("git status --porcelain --ignored; ls -A /tmp /dev/shm").output == "/dev/shm:\n\n/tmp:\n"
    assert clean.processes() == []
    assert_serves_next_episode(clean, instance)


@pytest.mark.parametrize("command", [
    "echo evil >> /etc/passwd",
    "git -c user.name=a -c user.email=a@b commit -qam 'leaked solution'",
])
def test_reset_recreates_the_container_after_changes_it_cannot_undo(clean, instance, command):
    recreated, container = clean.recreated, clean._id
    clean.run("echo x >> calckit/stats.py; " + command)
    clean.reset()
    assert clean.recreated == recreated + 1 and clean._id != container
    assert "evil" not in clean.run("cat /etc/passwd").output
    assert clean.run("git log --oneline | wc -l").output == "1\n"
    assert_serves_next_episode(clean, instance)


@pytest.fixture(scope="module")
def artefact_image(instance):
    """The task image plus an ignored build artefact, as real SWE-bench images have."""
    import docker

    dockerfile = (
        f"FROM {instance['image']}\n"
        "RUN mkdir build && echo compiled > build/ext.so && echo build/ >> .git/info/exclude\n"
    ).encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    tag = "textagent-envs/test-calckit-artefact:pytest"
    client = docker.from_env()
    try:
        client.images.build(fileobj=context, custom_context=True, tag=tag, pull=False, rm=True)
    finally:
        client.close()
    return tag


def test_reset_keeps_the_images_ignored_artefacts_and_recreates_when_they_change(artefact_image):
    with DockerSandbox(artefact_image, limits=LIMITS) as sandbox:
        sandbox.reset()
        sandbox.run("touch build/new.o ignored.pyc; mkdir -p build/sub")
        sandbox.reset()
        assert sandbox.recreated == 0, sandbox.recreate_reason
        assert sandbox.run("ls -A build; git status --short --ignored").output == "ext.so\n!! build/\n"
        sandbox.run("echo tampered > build/ext.so")
        sandbox.reset()
        assert sandbox.recreated == 1 and "build/ext.so" in sandbox.recreate_reason
        assert sandbox.run("cat build/ext.so").output == "compiled\n"


def test_the_container_has_no_network_no_mounts_and_few_privileges(clean, instance):
    server = socket.socket()
    server.bind(("0.0.0.0", 0))
    server.listen(4)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:  # the test closed the server: nobody came
            pass

    listener = threading.Thread(target=accept, daemon=True)
    listener.start()
    try:
        hosts = host_addresses()
        probe = (
            "import socket\n"
            f"for host in {hosts!r}:\n"
            "    try:\n"
            f"        socket.create_connection((host, {port}), timeout=2); print('CONNECTED', host)\n"
            "    except OSError as e:\n"
            "        print('BLOCKED', host, e)\n"
        )
        result = clean.run(f"python3 -c {_quote(probe)}")
        assert "CONNECTED" not in result.output and result.output.count("BLOCKED") == len(hosts), result.output
        assert not accepted
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        listener.join(5)
    assert clean.run("ls /sys/class/net").output.split() == ["lo"]
    attrs = clean.client.api.inspect_container(clean._id)
    host = attrs["HostConfig"]
    assert attrs["Mounts"] == [] and not host.get("Binds") and not host.get("Mounts") and not host.get("VolumesFrom")
    assert host["NetworkMode"] == "none" and not host["Privileged"] and host["CapDrop"] == ["ALL"]
    assert host["PidMode"] == "" and host["PidsLimit"] == LIMITS.pids and host["Memory"] == LIMITS.memory_mb << 20
    assert_serves_next_episode(clean, instance)


def test_host_files_outside_the_workspace_are_neither_readable_nor_writable(clean, instance, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    result = clean.run(f"cat {secret}; ls {os.getcwd()}; mkdir -p {tmp_path} && echo pwned > {tmp_path}/pwned")
    assert "host secret" not in result.output and "No such file" in result.output
    assert not (tmp_path / "pwned").exists() and secret.read_text() == "host secret"
    assert_serves_next_episode(clean, instance)


def test_a_fork_bomb_stops_at_the_pids_limit_and_the_time_limit(clean, instance):
    result = clean.run(":(){ :|:& };:; sleep 60", timeout=4)
    assert result.timed_out and result.exit_code is None and "Resource temporarily unavailable" in result.output
    assert clean.processes() == []
    # Processes left in the background that keep the pids limit full: the next command
    # cannot start, so the sandbox kills them all and runs it.
    started = clean.run("(while :; do sleep 1000 & done 2>/dev/null) >/dev/null 2>&1 & echo started")
    assert started.output == "started\n" and started.exit_code == 0
    for _ in range(100):
        if len(clean.processes()) >= LIMITS.pids - 2:
            break
        time.sleep(0.05)
    alive = clean.run("echo alive")
    assert alive.exit_code == 0 and alive.output.endswith("alive\n") and "pids limit" in alive.output, alive
    assert_serves_next_episode(clean, instance)


def test_a_memory_bomb_is_killed_at_the_memory_limit(clean, instance):
    result = clean.run("python3 -c 'a = []\nwhile True: a.append(bytearray(32 << 20))'")
    assert not result.timed_out and result.exit_code == 137, result
    assert clean.client.api.inspect_container(clean._id)["State"]["Running"]
    assert_serves_next_episode(clean, instance)


def test_an_endless_loop_is_killed_at_the_time_limit(clean, instance):
    result = clean.run("while :; do :; done", timeout=2)
    assert result.timed_out and result.exit_code is None and "time limit" in result.observation()
    assert clean.processes() == []
    assert_serves_next_episode(clean, instance)


def test_gigabytes_of_output_are_read_and_dropped_with_bounded_memory(clean, instance):
    size = 2 << 30
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = clean.run(f"yes | head -c {size}", timeout=120)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result.exit_code == 0 and len(result.output) == LIMITS.output_bytes
    assert result.dropped_bytes == size - LIMITS.output_bytes
    assert grown_kb < 64 << 10  # far below the 2 GiB printed
    assert "bytes of output were dropped" in result.observation()
    assert_serves_next_episode(clean, instance)


def test_host_processes_cannot_be_signalled_and_kill_all_spares_the_container(clean, instance):
    result = clean.run(f"kill -9 {os.getpid()}")
    assert result.exit_code != 0 and "No such process" in result.output
    os.kill(os.getpid(), 0)  # the test process is alive
    result = clean.run("kill -9 1; kill -9 -1; echo still here")
    assert "still here" in result.output
    assert clean.client.api.inspect_container(clean._id)["State"]["Running"]
    assert_serves_next_episode(clean, instance)


def test_close_removes_the_container_and_its_processes(instance):
    import docker

    sandbox = DockerSandbox(instance["image"], limits=LIMITS)
    sandbox.run("sleep 300 & echo started")
    container = sandbox._id
    sandbox.close()
    sandbox.close()
    with pytest.raises(docker.errors.NotFound):
        sandbox.client.api.inspect_container(container)
    with pytest.raises(SandboxError, match="closed"):
        sandbox.run("true")
    forgotten = DockerSandbox(instance["image"], limits=LIMITS)
    forgotten.run("sleep 300 & echo started")
    container = forgotten._id
    del forgotten
    gc.collect()  # never closed: garbage collection removes the container
    client = docker.from_env()
    try:
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_container(container)
    finally:
        client.close()


def test_bad_inputs_get_clear_errors(instance, box):
    with pytest.raises(SandboxError, match="nothing is pulled"):
        DockerSandbox("textagent-envs/no-such-image:never", limits=LIMITS).reset()
    with pytest.raises(SandboxError, match="is not a git repository"):
        DockerSandbox(BASE_IMAGE, workdir="/usr", limits=LIMITS).reset()
    with pytest.raises(ValueError, match="absolute"):
        DockerSandbox(instance["image"], workdir="testbed")
    with pytest.raises(ValueError, match="git revision"):
        box.reset("HEAD; rm -rf /")
    with pytest.raises(SandboxError, match="not a commit"):
        box.reset("0" * 40)
    with pytest.raises(TypeError):
        box.run(["ls"])


def test_the_images_command_line_builds_a_task_image_and_writes_its_instance(capsys, instance, tmp_path):
    assert main(["base"]) == 0  # the base image exists: nothing to do
    assert capsys.readouterr().out.strip() == BASE_IMAGE
    out = tmp_path / "instances.jsonl"
    assert main(["task", "calckit", "--seed", "3", "--tag", TASK_TAG, "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written == json.loads(capsys.readouterr().out)
    assert {k: written[k] for k in ("base_commit", "image", "FAIL_TO_PASS", "test_cmd")} == {
        k: instance[k] for k in ("base_commit", "image", "FAIL_TO_PASS", "test_cmd")
    }


def host_addresses() -> list[str]:
    """The host's addresses a container could try: Docker's bridge gateway and the
    address of the host's default route (found without sending anything)."""
    addresses = ["172.17.0.1"]
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return addresses


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# -- issue 16 §2-3: floods, big diffs, leftovers of a killed owner --------------------------

def test_an_output_flood_is_stopped_without_an_exec(clean, instance, monkeypatch):
    """The kill path must not depend on an exec (one stalled for 65-116 s behind a flood):
    with execs failing, the old path retried 50 times and replaced the container."""
    recreated = clean.recreated

    def no_exec(*args, **kwargs):
        raise OSError("no exec while killing")

    clean.run("true")
    monkeypatch.setattr(clean, "_exec_stream", no_exec)
    result = clean.run("cat /dev/zero & yes", timeout=2)
    monkeypatch.undo()
    assert result.timed_out and result.dropped_bytes > 0
    assert clean.recreated == recreated, clean.recreate_reason
    assert_serves_next_episode(clean, instance)


def test_a_diff_over_the_patch_limit_is_graded_without_an_exception(instance):
    import gymnasium as gym

    import textagent_envs  # noqa: F401
    from textagent_envs.swe.tools import format_tool_call

    env = gym.make("SWE-Mini-v0", sandbox="docker", limits=Limits(timeout=20, file_size_mb=64))
    try:
        env.reset(seed=3)
        # Inside the package (calckit, the default repo): only changes there are graded.
        command = "head -c 30000000 /dev/urandom | base64 > calckit/big.txt; ls -la calckit/big.txt"
        assert "big.txt" in env.step(format_tool_call("bash", command=command))[0]
        obs, reward, terminated, _, info = env.step(format_tool_call("submit"))
        assert terminated and reward == 0.0 and "larger than" in obs, obs
        _, info = env.reset(seed=3)
        assert [env.step(a)[1] for a in info["walkthrough"]][-1] == 1.0
    finally:
        env.close()


_DOCKER_OWNER = r"""
import sys, time
from textagent_envs.swe.docker import DockerSandbox
from textagent_envs.swe.sandbox import Limits
box = DockerSandbox(sys.argv[1], workdir=sys.argv[2], limits=Limits(timeout=5))
box.run("nohup sleep 1000 >/dev/null 2>&1 &")
print(box._id, flush=True)
time.sleep(600)
"""


def test_clean_removes_the_container_of_a_killed_owner(instance):
    import subprocess
    import sys

    from textagent_envs.swe.cleanup import leftovers, reap

    owner = subprocess.Popen([sys.executable, "-c", _DOCKER_OWNER, instance["image"], instance["workdir"]],
                             stdout=subprocess.PIPE, text=True)
    container = owner.stdout.readline().strip()
    owner.kill()
    owner.wait()
    owner.stdout.close()
    import docker

    client = docker.from_env()  # not a DockerSandbox: its first start-up would reap the container already
    state = client.api.inspect_container(container)["State"]
    assert state["Running"]  # SIGKILL: no clean-up; the agent's sleep runs on
    assert f"docker:{container}" in leftovers()
    assert f"docker:{container}" in reap()
    assert not client.containers.list(all=True, filters={"id": container})


def test_a_layer_1400_folders_deep_is_replaced_not_walked(clean, instance):
    made = clean.run("python3 -c \"import os\nfor i in range(1400): os.mkdir('d'); os.chdir('d')\"; echo made")
    assert made.output.strip() == "made", made.output
    recreated = clean.recreated
    assert_serves_next_episode(clean, instance)  # reset() first: the old walk raised RecursionError
    assert clean.recreated == recreated + 1 and "deeper than" in clean.recreate_reason
