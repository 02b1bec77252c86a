"""`textagent-envs serve`: OpenEnv's own clients drive an id over HTTP and WebSocket
against a server this test starts on 127.0.0.1; sessions are capped, and SIGTERM shuts the
server down cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

openenv = pytest.importorskip("openenv", reason="needs openenv-core (pip install -e '.[integrations]')")
requests = pytest.importorskip("requests")

ENV_ID = "TextWorld-CoinCollector-v0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(*args):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "textagent_envs", "serve", *args, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(url + "/health", timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"the server exited: {proc.stdout.read()}")
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the server did not answer /health within 60 s")
    return url, proc


def _stop(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def server():
    url, proc = _start(ENV_ID, "--max-sessions", "2", "--idle-timeout", "300", "--engine", "native", "--level", "2")
    yield url, proc
    _stop(proc)


def test_several_ids_each_under_its_path_and_idle_sessions_are_closed():
    from openenv.core.generic_client import GenericEnvClient

    url, proc = _start(ENV_ID, "ALFWorld-PickAndPlaceSimple-v0", "--idle-timeout", "1")
    try:
        assert requests.get(url + "/health", timeout=5).json()["env_ids"] == [ENV_ID, "ALFWorld-PickAndPlaceSimple-v0"]
        with GenericEnvClient(base_url=url + "/ALFWorld-PickAndPlaceSimple-v0").sync() as env:
            assert "ALFRED" in env.reset(seed=1).observation["text"]
        env = GenericEnvClient(base_url=url + "/" + ENV_ID).sync()
        env.connect()
        env.reset(seed=1)
        time.sleep(8)  # the reaper looks every 5 s and closes sessions idle for over 1 s
        with pytest.raises(Exception):
            env.step({"command": "look"})
        env.close()
    finally:
        _stop(proc)


def test_openenv_client_plays_an_episode_over_websocket(server):
    from openenv.core.generic_client import GenericEnvClient

    url, _ = server
    with GenericEnvClient(base_url=url).sync() as env:
        result = env.reset(seed=1)
        obs = result.observation
        assert obs["text"] and obs["info"]["objective"] and not result.done
        walkthrough = obs["info"]["walkthrough"]
        state = env.state()
        assert state["env_id"] == ENV_ID and state["step_count"] == 0
        for command in walkthrough:
            result = env.step({"command": command})
        assert result.done and result.reward == 1.0 and result.observation["terminated"]
        assert result.observation["info"]["won"] is True
        assert env.state()["step_count"] == len(walkthrough)


def test_http_endpoints(server):
    url, _ = server
    assert requests.get(url + "/health", timeout=5).json()["status"] == "healthy"
    reset = requests.post(url + "/reset", json={"seed": 2}, timeout=30).json()
    assert reset["observation"]["text"] and reset["done"] is False
    schema = requests.get(url + "/schema", timeout=5).json()
    assert "command" in str(schema["action"])


def test_sessions_are_capped(server):
    from openenv.core.generic_client import GenericEnvClient

    url, _ = server
    first, second = GenericEnvClient(base_url=url).sync(), GenericEnvClient(base_url=url).sync()
    try:
        first.reset(seed=1)
        second.reset(seed=2)
        with pytest.raises(Exception):  # the server refuses a third session (it closes the socket)
            with GenericEnvClient(base_url=url).sync() as third:
                third.reset(seed=3)
    finally:
        first.close()
        second.close()
    with GenericEnvClient(base_url=url).sync() as again:  # closed sessions free their slots
        assert again.reset(seed=1).observation["text"]


def test_sigterm_shuts_down_cleanly(server):
    url, proc = server
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    log = proc.stdout.read()
    # uvicorn shuts down gracefully (sessions closed, lifespan finished), then re-raises the signal
    assert code in (0, -signal.SIGTERM) and "Shutting down" in log and "Finished server process" in log, log[-2000:]


def test_unknown_id_is_refused():
    out = subprocess.run([sys.executable, "-m", "textagent_envs", "serve", "NoSuch-v0", "--port", "1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "unknown env id" in out.stderr
