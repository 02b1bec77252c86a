"""Serve textagent_envs ids with OpenEnv's server, so OpenEnv clients drive them unchanged.

:func:`create_app` builds OpenEnv's own FastAPI app (``openenv.core.env_server``) around
:class:`TextAgentEnvironment`, which runs one textagent_envs env per session. The protocol is
OpenEnv's: ``GET /health``, ``POST /reset``, ``POST /step``, ``GET /state``, ``GET /schema``
and the ``/ws`` WebSocket (one session, hence one env, per connection). Sessions are
capped (``max_sessions``) and closed after ``idle_timeout`` seconds without a message.

Several ids are served side by side, each under ``/<id>`` (a client's ``base_url`` is
``http://host:port/<id>``); a single id is also served at the root.

Actions are ``{"command": "..."}``; observations carry ``text`` (the env's observation),
``info`` (its info dict, made JSON-safe), ``reward``, ``done``, ``terminated`` and
``truncated``. ``reset`` takes ``seed`` and, optionally, ``options`` (e.g. ``{"task": ...}``).

    textagent-envs serve TextWorld-CoinCollector-v0 --port 8000
    >>> from openenv.core.generic_client import GenericEnvClient    # doctest: +SKIP
    >>> with GenericEnvClient(base_url="http://127.0.0.1:8000").sync() as env:  # doctest: +SKIP
    ...     result = env.reset(seed=1)
    ...     result = env.step({"command": "go north"})

Needs ``openenv-core`` (the ``integrations`` extra).
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any, Sequence

try:
    from openenv.core.env_server.http_server import create_fastapi_app
    from openenv.core.env_server.interfaces import Environment
    from openenv.core.env_server.types import Action, ConcurrencyConfig, Observation, State
    from pydantic import Field
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError(f"textagent_envs.integrations.openenv needs openenv-core: pip install -e '.[integrations]' ({err})") from None

from .. import infos

#: Default cap on concurrent sessions (each holds one env).
MAX_SESSIONS = 64
#: Default idle timeout of a session, in seconds.
IDLE_TIMEOUT_S = 600.0


class TextAction(Action):
    """One command for the env, as the agent would type it."""

    command: str = Field(..., description="The command sent to env.step")


class TextObservation(Observation):
    """The env's answer: its text observation and info dict (``done``/``reward`` as OpenEnv's)."""

    text: str = Field(default="", description="The env's text observation")
    info: dict[str, Any] = Field(default_factory=dict, description="The env's info dict (JSON-safe)")
    terminated: bool = Field(default=False, description="The episode ended (won or lost)")
    truncated: bool = Field(default=False, description="The episode was cut off (step budget)")


class TextState(State):
    """Where the session's episode is."""

    env_id: str = Field(default="", description="The textagent_envs id served")
    seed: int | None = Field(default=None, description="The seed of the current episode")
    done: bool = Field(default=False, description="Whether the current episode is over")
    total_reward: float = Field(default=0.0, description="Sum of this episode's rewards")


def json_safe(value: Any) -> Any:
    """``value`` with everything JSON cannot hold turned into strings or lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "to_json"):
        try:
            return json.loads(value.to_json())
        except (TypeError, ValueError):
            pass
    if hasattr(value, "item"):
        return value.item()
    return str(value)


class TextAgentEnvironment(Environment):
    """An OpenEnv ``Environment`` holding one textagent_envs env (made on first reset)."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self, env_id: str, env_kwargs: dict | None = None):
        super().__init__()
        self.env_id, self.env_kwargs = env_id, dict(env_kwargs or {})
        self._env = None
        self._state = TextState(env_id=env_id)

    def _make(self):
        if self._env is None:
            import textagent_envs

            self._env = textagent_envs.make(self.env_id, **self.env_kwargs)
        return self._env

    def reset(self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any) -> TextObservation:
        options = kwargs.get("options")
        obs, info = self._make().reset(seed=seed, options=options)
        self._state = TextState(env_id=self.env_id, episode_id=episode_id or uuid.uuid4().hex, step_count=0, seed=seed)
        return TextObservation(text=obs, info=json_safe(info), reward=0.0, done=False)

    def step(self, action: TextAction, timeout_s: float | None = None, **kwargs: Any) -> TextObservation:
        if self._env is None or self._state.episode_id is None:
            raise RuntimeError("no episode in this session; reset first")
        if self._state.done:
            raise RuntimeError("the episode is over; reset to start another")
        command = action.command if isinstance(action, TextAction) else str(action)
        obs, reward, terminated, truncated, info = self._env.step(command)
        self._state.step_count += 1
        self._state.total_reward += float(reward)
        self._state.done = bool(terminated or truncated)
        return TextObservation(text=obs, info=json_safe(info), reward=float(reward), done=self._state.done,
                               terminated=bool(terminated), truncated=bool(truncated))

    @property
    def state(self) -> TextState:
        return self._state

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None


class _Factory:
    """A picklable, named env factory (OpenEnv calls it once per session)."""

    def __init__(self, env_id: str, env_kwargs: dict | None):
        self.env_id, self.env_kwargs = env_id, env_kwargs

    def __call__(self) -> TextAgentEnvironment:
        return TextAgentEnvironment(self.env_id, self.env_kwargs)


def create_app(env_ids: str | Sequence[str], *, max_sessions: int = MAX_SESSIONS, idle_timeout: float | None = IDLE_TIMEOUT_S,
               env_kwargs: dict | None = None):
    """OpenEnv's FastAPI app serving ``env_ids`` (one id at the root as well as under
    ``/<id>``; several ids each under ``/<id>``). ``max_sessions`` caps concurrent sessions
    per id; a session idle for ``idle_timeout`` seconds is closed (None: never)."""
    import textagent_envs

    ids = [env_ids] if isinstance(env_ids, str) else list(env_ids)
    if not ids:
        raise ValueError("serve at least one env id")
    unknown = [i for i in ids if i not in textagent_envs.ENV_IDS]
    if unknown:
        raise ValueError(f"unknown env id(s) {unknown}; known ids: {', '.join(textagent_envs.ENV_IDS)}")
    if max_sessions < 1:
        raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
    config = ConcurrencyConfig(max_concurrent_envs=max_sessions, session_timeout=idle_timeout)
    apps = {i: create_fastapi_app(_Factory(i, env_kwargs), TextAction, TextObservation, concurrency_config=config)
            for i in ids}
    if len(ids) == 1:
        app = apps[ids[0]]
    else:
        from fastapi import FastAPI

        app = FastAPI(title="textagent_envs (OpenEnv protocol)")

        @app.get("/health")
        def health() -> dict:
            return {"status": "healthy", "env_ids": ids}

    for env_id, sub in apps.items():
        if sub is not app:
            app.mount(f"/{env_id}", sub)
            # a mounted app gets no startup/shutdown events: run its session reaper's from here
            app.router.on_startup.extend(sub.router.on_startup)
            app.router.on_shutdown.extend(sub.router.on_shutdown)
    return app


def serve(env_ids: Sequence[str], host: str = "127.0.0.1", port: int = 8000, *, max_sessions: int = MAX_SESSIONS,
          idle_timeout: float | None = IDLE_TIMEOUT_S, env_kwargs: dict | None = None) -> None:
    """Run the server until interrupted (Ctrl-C or SIGTERM shut it down cleanly)."""
    import uvicorn

    app = create_app(env_ids, max_sessions=max_sessions, idle_timeout=idle_timeout, env_kwargs=env_kwargs)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=10)
