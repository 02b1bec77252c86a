"""verl: an agent loop for verl's multi-turn rollout, playing any id token-exact.

verl's ``AgentLoopWorker`` makes one agent loop per sample and awaits
``run(sampling_params, **dataset_fields)``; the loop asks the inference servers for tokens
with ``await server_manager.generate(request_id, prompt_ids=..., sampling_params=...)``
(an object with ``token_ids`` and ``log_probs``) and returns an ``AgentLoopOutput``:
``prompt_ids``, ``response_ids`` (replies and observations), ``response_mask`` (1 on
generated tokens), ``response_logprobs``, ``reward_score``, ``num_turns``.

:func:`play_episode` is that loop without verl: it plays one episode through a
:class:`textagent_envs.chat.ChatEnv`, sending the growing context (never re-tokenised) to
``generate``. :func:`agent_loop_class` wraps it as a verl ``AgentLoopBase`` registered as
``"textagent_envs"``; select it with the dataset field ``agent_name = "textagent_envs"`` and
give each sample ``env_id`` and ``seed`` fields (optionally ``env_kwargs``, ``max_turns``).

verl 0.9.1 pins transformers<5.11, so ``make test`` installs it ``--no-deps`` beside this
venv's transformers (its agent-loop module imports and runs; see docs/integrations.md). The
test builds the class as verl's ``AgentLoopWorker`` does (hydra, from the registry) and plays
one episode through it with a tiny model behind the ``generate`` interface verl calls.
"""

from __future__ import annotations

import uuid
from typing import Any, Awaitable, Callable

from ..chat import ChatEnv, PromptTemplate, TokenReply

#: verl's agent name for :func:`agent_loop_class`.
AGENT_NAME = "textagent_envs"

Generate = Callable[..., Awaitable[Any]]


async def play_episode(generate: Generate, env: ChatEnv, *, seed: int | None = None, options: dict | None = None,
                       sampling_params: dict | None = None, response_length: int | None = None) -> dict[str, Any]:
    """Play one episode, asking ``generate(request_id, prompt_ids=..., sampling_params=...)``
    for each reply. Returns the fields of verl's ``AgentLoopOutput`` (plus ``extra_fields``:
    success, terminated, truncated, truncation_reason). The episode stops early when the
    response would pass ``response_length`` tokens (truncation reason ``"response_length"``)."""
    request_id = uuid.uuid4().hex  # one id per episode: verl keeps it on one server (prefix cache)
    context, _ = env.reset(seed=seed, options=options)
    prompt_length = len(context)
    done = False
    while not done:
        out = await generate(request_id, prompt_ids=list(context), sampling_params=dict(sampling_params or {}))
        ids = list(getattr(out, "token_ids", out))
        logprobs = getattr(out, "log_probs", None)
        delta, _, terminated, truncated, _ = env.step(TokenReply(ids, list(logprobs) if logprobs else None))
        context = context + ids + delta
        done = terminated or truncated
        if not done and response_length is not None and len(context) - prompt_length >= response_length:
            env.ledger.truncated, env.ledger.truncation_reason = True, "response_length"
            done = True
    ledger = env.ledger
    sample = ledger.to_trl()
    response_ids, mask, logprobs = sample["completion_ids"], sample["env_mask"], sample["logprobs"]
    if response_length is not None:
        response_ids, mask, logprobs = response_ids[:response_length], mask[:response_length], logprobs[:response_length]
    return {"prompt_ids": sample["prompt_ids"], "response_ids": response_ids, "response_mask": mask,
            "response_logprobs": logprobs, "reward_score": ledger.total_reward, "num_turns": 1 + 2 * ledger.turns,
            "extra_fields": {"success": ledger.success, "terminated": ledger.terminated, "truncated": ledger.truncated,
                             "truncation_reason": ledger.truncation_reason}}


def _fields(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The sample's fields: top-level dataset columns, else its ``extra_info`` dict."""
    fields = {**dict(kwargs.get("extra_info") or {}), **kwargs}
    if "env_id" not in fields:
        raise ValueError("a textagent_envs sample needs an 'env_id' field (a dataset column or in extra_info), "
                         "and a 'seed' (the task)")
    return fields


def _build_class():
    try:
        from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopMetrics, AgentLoopOutput, register
    except ImportError as err:
        raise ImportError(f"the verl agent loop needs verl (make test installs verl==0.9.1 --no-deps; "
                          f"see docs/integrations.md): {err}") from None
    import textagent_envs

    class TextAgentLoop(AgentLoopBase):
        """Plays one textagent_envs episode per sample (fields ``env_id``, ``seed``,
        optionally ``env_kwargs``, ``max_turns``; top-level or in ``extra_info``)."""

        async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
            fields = _fields(kwargs)
            rollout = self.config.actor_rollout_ref.rollout
            base = textagent_envs.make(fields["env_id"], max_episode_steps=int(fields.get("max_turns", 20)),
                                       **dict(fields.get("env_kwargs") or {}))
            env = ChatEnv(base, self.tokenizer, PromptTemplate(),
                          max_tokens=rollout.prompt_length + rollout.response_length)
            try:
                out = await play_episode(self.server_manager.generate, env, seed=fields.get("seed"),
                                         sampling_params=sampling_params, response_length=rollout.response_length)
            finally:
                env.close()
            return AgentLoopOutput(metrics=AgentLoopMetrics(), **out)

    # verl instantiates a registered loop with hydra from "<module>.<qualname>": make it this
    # module's attribute TextAgentLoop (served by __getattr__ below).
    TextAgentLoop.__module__, TextAgentLoop.__qualname__ = __name__, "TextAgentLoop"
    return register(AGENT_NAME)(TextAgentLoop)


_CLASS: list = []


def agent_loop_class():
    """verl's ``AgentLoopBase`` subclass for textagent_envs (``textagent_envs.integrations.verl.TextAgentLoop``),
    registered with verl as ``"textagent_envs"`` (imports verl; raises ImportError with what
    to do when it is missing)."""
    if not _CLASS:
        _CLASS.append(_build_class())
    return _CLASS[0]


def __getattr__(name: str):
    if name == "TextAgentLoop":  # what verl's hydra.utils.instantiate imports
        return agent_loop_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
