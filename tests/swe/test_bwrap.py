"""The bubblewrap sandbox: each attack fails or is contained, and the sandbox keeps serving."""

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from textagent_envs.swe.bwrap import BwrapSandbox, bwrap_unavailable_reason
from textagent_envs.swe.sandbox import Limits

# bubblewrap is installed by `make test` (scripts/install-system-deps.sh); without it these fail, not skip.
assert bwrap_unavailable_reason() is None, bwrap_unavailable_reason()

LIMITS = Limits(timeout=5.0, memory_mb=256, pids=64, file_size_mb=8, output_bytes=64 << 10)


@pytest.fixture
def sandbox(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "hello.py").write_text("print('hello from the workspace')\n")
    with BwrapSandbox(workspace, limits=LIMITS) as box:
        yield box


def serves(box: BwrapSandbox) -> None:
    result = box.run("python hello.py && echo ok > after.txt")
    assert result.exit_code == 0 and "hello from the workspace" in result.output, result
    assert (box.workspace / "after.txt").read_text() == "ok\n"


def test_commands_run_in_the_workspace_with_python(sandbox):
    result = sandbox.run("pwd; python -c 'import pytest; print(\"pytest ok\")'; exit 4")
    assert result.output.splitlines() == ["/workspace", "pytest ok"]
    assert result.exit_code == 4 and "[exit code 4]" in result.observation()
    serves(sandbox)


def test_no_network_even_to_a_host_server(sandbox):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]  # listening: a connect would succeed even without accept()
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2); print('connected')"
    result = sandbox.run(f'python -c "{code}"')
    assert "connected" not in result.output and result.exit_code != 0
    result = sandbox.run("python -c \"import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)\"")
    assert result.exit_code != 0 and "unreachable" in result.output.lower()
    server.close()
    serves(sandbox)


def test_host_files_outside_the_workspace_are_invisible(sandbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    project_file = Path(__file__).resolve()
    result = sandbox.run(f"cat {secret}; cat {project_file}; ls /home /root/.ssh; cat /etc/shadow; echo pwned > {secret}")
    assert "host secret" not in result.output and "import pytest" not in result.output
    assert secret.read_text() == "host secret"
    for target in ("/usr/pwned", f"{os.path.dirname(os.__file__)}/pwned.py"):  # read-only binds
        result = sandbox.run(f"echo x > {target}")
        assert result.exit_code != 0 and "Read-only file system" in result.output, target
        assert not os.path.exists(target)
    sandbox.run("echo x > /etc/pwned")  # the sandbox's own scratch /etc, not the host's
    assert not os.path.exists("/etc/pwned")
    escape = sandbox.run("ln -s / rootlink && cat rootlink/etc/hostname")  # a link resolves inside the sandbox
    assert escape.output.strip() in ("", "sandbox") or "No such file" in escape.output
    serves(sandbox)


def test_fork_bomb_is_contained(sandbox):
    start = time.monotonic()
    result = sandbox.run("bomb() { bomb | bomb & }; bomb; sleep 2; echo survived", timeout=4)
    assert time.monotonic() - start < 15
    assert result.timed_out or "fork" in result.output.lower() or "resource" in result.output.lower()
    serves(sandbox)


def test_memory_bomb_is_killed(sandbox):
    result = sandbox.run("python -c \"x = bytearray(1 << 30); print('allocated', len(x))\"")
    assert "allocated" not in result.output
    assert result.exit_code != 0
    serves(sandbox)


def test_endless_loop_is_stopped_at_the_timeout(sandbox):
    start = time.monotonic()
    result = sandbox.run("while true; do :; done", timeout=1.0)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - start < 5
    assert "time limit" in result.observation()
    serves(sandbox)


def test_gigabytes_of_output_are_capped(sandbox):
    result = sandbox.run("yes 0123456789abcdef | head -c 2000000000", timeout=30)
    assert len(result.output.encode()) <= LIMITS.output_bytes
    assert result.dropped_bytes > 0 or result.timed_out
    assert "bytes of output were dropped" in result.observation() or result.timed_out
    big = sandbox.run("head -c 100000000 /dev/zero > big.bin")
    assert big.exit_code != 0 and "File size limit exceeded" in big.output
    assert (sandbox.workspace / "big.bin").stat().st_size <= LIMITS.file_size_mb << 20
    serves(sandbox)


def test_host_processes_cannot_be_signalled(sandbox):
    result = sandbox.run(f"kill -9 {os.getpid()}; kill -9 -1; echo done")
    assert "done" in result.output
    assert os.getpid() and Path(f"/proc/{os.getpid()}").exists()
    serves(sandbox)


def _host_processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_no_process_outlives_its_command(sandbox):
    marker = "4242.5"
    result = sandbox.run(f"nohup sleep {marker} >/dev/null 2>&1 & setsid sleep {marker} & echo started")
    assert "started" in result.output
    deadline = time.monotonic() + 2
    while _host_processes_with(f"sleep\x00{marker}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _host_processes_with(f"sleep\x00{marker}") == []
    serves(sandbox)


def test_close_removes_the_cgroups(tmp_path):
    box = BwrapSandbox(tmp_path, limits=LIMITS)
    groups = list(box._cgroups.dirs) if box._cgroups else []
    box.run("true")
    box.close()
    box.close()
    assert all(not g.exists() for g in groups)
    with pytest.raises(RuntimeError, match="closed"):
        box.run("true")


def test_bad_commands(sandbox):
    assert sandbox.run("echo a\x00b").exit_code == 2
    with pytest.raises(TypeError):
        sandbox.run(b"ls")
    assert sandbox.run("").exit_code == 0
    with pytest.raises(ValueError, match="timeout"):
        Limits(timeout=0)
    with pytest.raises(FileNotFoundError):
        BwrapSandbox("/nonexistent/workspace")


def test_a_dead_launcher_is_restarted(sandbox):
    sandbox.run("true")
    launcher = sandbox._launcher
    launcher.kill()
    launcher.wait()
    serves(sandbox)
    assert sandbox._launcher.pid != launcher.pid


def test_signals_have_their_default_meaning_inside(sandbox):
    result = sandbox.run("grep SigIgn /proc/self/status")  # Python ignores SIGPIPE and SIGXFSZ; commands must not
    ignored = int(result.output.split()[1], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1)) and not ignored & (1 << (signal.SIGXFSZ - 1))


def test_read_only_paths_under_the_host_tmp_stay_visible(tmp_path):
    runtime = tmp_path / "runtime"  # e.g. a virtual environment made under /tmp
    runtime.mkdir()
    (runtime / "tool.txt").write_text("runtime file")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with BwrapSandbox(workspace, limits=LIMITS, read_only_paths=[str(runtime)]) as box:
        result = box.run(f"cat {runtime}/tool.txt; echo x > {runtime}/new.txt")
    assert result.output.startswith("runtime file") and "Read-only file system" in result.output
    assert not (runtime / "new.txt").exists()


# -- the launcher's control channel (issue 16 §1) -----------------------------------------

def test_a_command_holds_only_fds_0_to_2(sandbox):
    result = sandbox.run("python -c \"import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))\"")
    assert result.output.strip() == "[0, 1, 2, 3]", result  # 3: the listing's own handle


# Runs in a child process in a session of its own, so that a forgery that kills "its own"
# process group (pid 0) kills only the child, which the test then sees.
_FORGING_CHILD = r"""
import json, os, shlex, sys, tempfile
from textagent_envs.swe import bwrap
from textagent_envs.swe.bwrap import BwrapSandbox
from textagent_envs.swe.sandbox import Limits

host_group, mode = int(sys.argv[1]), sys.argv[2]
forgeries = [{"status": 0}, {"pid": host_group}, {"pid": 0}, {"status": 0}, {"pid": 0}]
lines = "".join(json.dumps(f) + "\n" for f in forgeries) + "garbage\n" + '{"pid": "x"}\n'
if mode == "launcher":  # a launcher that sends the forgeries itself: the host's checks alone must hold
    bwrap._LAUNCHER = bwrap._LAUNCHER.replace(
        'sock.sendall(json.dumps({"pid": pid})',
        'sock.sendall(FORGED.encode() if "FORGE" in argv[-1] else b""); sock.sendall(json.dumps({"pid": pid})',
    ).replace("import json,", "FORGED = " + repr(sys.argv[3]) + "\nimport json,")
seen = []
with BwrapSandbox(tempfile.mkdtemp(), limits=Limits(timeout=1.0)) as box:
    # From a command: write the forged lines to every socket it holds, then time out.
    writer = ("import os, stat\nn = 0\nfor fd in range(3, 256):\n    try:\n        if stat.S_ISSOCK(os.fstat(fd).st_mode):\n"
              f"            n += os.write(fd, {lines.encode()!r}) > 0\n    except OSError:\n        pass\nprint('wrote', n)\n")
    seen.append(box.run(f"python -c {shlex.quote(writer)}; echo written").observation())
    seen.append(box.run("echo FORGE; sleep 30").observation())
    seen.append(box.run("sleep 30").observation())
    seen.append(box.run("echo served").observation())
print(json.dumps(seen))
"""


@pytest.mark.parametrize("forged", [
    '{"pid": 0}\n', '{"pid": HOST}\n', '{"pid": 1}\n', '{"status": 0}\n', 'garbage\n', '{"pid": "1"}\n',
    '{"pid": 0, "status": 0}\n', '{"error": 5}\n', "x" * 1000, '{"status": 0}\n{"pid": HOST}\n',
])
def test_forged_launcher_replies_harm_nothing(tmp_path, forged):
    """Each forgery of the issue, written by a command into every socket it can reach and,
    separately, sent by the launcher itself (so the host's checks are tested on their own):
    a process group of the host, the trainer (the child) and the sandbox all live on."""
    import json
    import subprocess
    import sys

    host = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        for mode in ("command", "launcher"):
            child = subprocess.run(
                [sys.executable, "-c", _FORGING_CHILD, str(host.pid), mode, forged.replace("HOST", str(host.pid))],
                capture_output=True, text=True, timeout=120, start_new_session=True,
            )
            assert child.returncode == 0, (mode, child.returncode, child.stderr[-2000:])
            first, forging, timed_out, served = json.loads(child.stdout)
            assert host.poll() is None, f"{mode}: the host's process group was killed"
            assert first.startswith("wrote 0\nwritten"), first
            stopped = "sandbox stopped this command" in forging
            assert stopped if mode == "launcher" else "time limit" in forging, forging
            assert "time limit" in timed_out, timed_out
            assert served == "served", served
    finally:
        host.kill()
        host.wait()


# The same forgeries written by code under test while it is graded, through SWE-Mini-v0's
# public API only; in a child process in its own session (a pid-0 forgery that worked would
# kill the child's group, not pytest).
_GRADING_CHILD = r"""
import json, sys
import gymnasium as gym
import textagent_envs
from textagent_envs.swe.sandbox import Limits
from textagent_envs.swe.tools import format_tool_call

host_group = int(sys.argv[1])
lines = "".join(json.dumps(f) + "\n" for f in [{"status": 0}, {"pid": host_group}, {"pid": 0}, {"status": 0}]) + "junk\n"
attack = ("\nimport os as _os, stat as _stat\nfor _fd in range(3, 256):\n    try:\n"
          "        if _stat.S_ISSOCK(_os.fstat(_fd).st_mode):\n"
          f"            _os.write(_fd, {lines.encode()!r})\n    except OSError:\n        pass\n")
env = gym.make("SWE-Mini-v0", limits=Limits(timeout=5.0), grading_timeout=20.0)
rewards = []
for episode in range(3):
    _, info = env.reset(seed=3)
    if episode == 0:  # the attack, graded
        env.step(format_tool_call("bash", command="cat >> calckit/__init__.py <<'X'" + attack + "X"))
        rewards.append(env.step(format_tool_call("submit"))[1])
    else:  # honest fixes, graded after the attack
        rewards.append([env.step(a)[1] for a in info["walkthrough"]][-1])
env.close()
print(json.dumps(rewards))
"""


def test_forgeries_from_code_under_test_during_grading_harm_nothing():
    import json
    import subprocess
    import sys

    host = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        child = subprocess.run([sys.executable, "-c", _GRADING_CHILD, str(host.pid)], capture_output=True, text=True,
                               timeout=300, start_new_session=True)
        assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
        assert host.poll() is None, "the host's process group was killed"
        rewards = json.loads(child.stdout)
        assert rewards[1:] == [1.0, 1.0], rewards  # later honest fixes are graded as such
    finally:
        host.kill()
        host.wait()


# -- leftovers of a killed owner (issue 16 §3) ---------------------------------------------

_OWNER_CHILD = r"""
import json, sys, time
import gymnasium as gym
import textagent_envs
from textagent_envs.swe.tools import format_tool_call

env = gym.make("SWE-Mini-v0")
env.reset(seed=3)
env.step(format_tool_call("bash", command="echo work > notes.txt"))
box = env.unwrapped._sandbox
print(json.dumps({"root": str(env.unwrapped._root), "cgroups": [str(g) for g in (box._cgroups.dirs if box._cgroups else [])]}),
      flush=True)
time.sleep(600)
"""


def _killed_owner() -> dict:
    import json
    import subprocess
    import sys

    owner = subprocess.Popen([sys.executable, "-c", _OWNER_CHILD], stdout=subprocess.PIPE, text=True)
    made = json.loads(owner.stdout.readline())
    owner.kill()
    owner.wait()
    owner.stdout.close()
    assert Path(made["root"]).is_dir() and all(Path(g).is_dir() for g in made["cgroups"])  # SIGKILL: no clean-up
    return made


def test_textagent_envs_clean_removes_what_a_killed_owner_left(capsys):
    from textagent_envs.cli import main
    from textagent_envs.swe.cleanup import leftovers

    made = _killed_owner()
    left = leftovers()
    assert made["root"] in left and all(g in left for g in made["cgroups"])
    assert main(["clean", "--dry-run"]) == 0 and made["root"] in capsys.readouterr().out
    assert Path(made["root"]).is_dir()
    assert main(["clean"]) == 0
    assert f"removed {made['root']}" in capsys.readouterr().out
    assert not Path(made["root"]).exists() and not any(Path(g).exists() for g in made["cgroups"])
    assert main(["clean"]) == 0 and made["root"] not in capsys.readouterr().out


def test_a_new_process_reaps_at_start_up_and_spares_live_owners(tmp_path):
    import subprocess
    import sys

    made = _killed_owner()
    with BwrapSandbox(tmp_path, limits=LIMITS) as mine:  # a live owner: this process
        ours = list(mine._cgroups.dirs) if mine._cgroups else []
        starter = "from textagent_envs.swe.bwrap import BwrapSandbox; BwrapSandbox(sys.argv[1]).close()"
        subprocess.run([sys.executable, "-c", "import sys; " + starter, str(tmp_path)], check=True, timeout=120)
        assert not Path(made["root"]).exists() and not any(Path(g).exists() for g in made["cgroups"])
        assert all(g.is_dir() for g in ours)
        serves_or_runs = mine.run("echo alive")
        assert serves_or_runs.output == "alive\n"
