"""The policy: a causal LM (with a value head for PPO) that acts in free text or by choosing
one of the admissible commands, and records the log-probabilities of what it sampled.

- :class:`PolicyModel`: the LM plus an optional linear value head on its last hidden state;
  ``forward(tokens, attention)`` gives logits and values. This is the module the trainer
  optimises (and ``accelerate`` wraps).
- :class:`Agent`: batched acting. ``mode="text"`` samples a reply token by token (own
  loop with a KV cache, so the log-probability of every sampled token is taken from the
  very logits it was sampled from). ``mode="choice"`` scores each admissible command as a
  reply (its tokens plus the closing eos) and samples one from the softmax of the
  scores, by default each command's mean token log-probability (``choice_score="mean"``;
  ``"sum"`` is the sequence log-probability, i.e. the tempered LM restricted to the
  admissible replies, which an untrained model tilts hard towards the shortest command).
  The chosen command's tokens are then trained like sampled text: raising their
  log-probabilities raises the command's score.

Both modes use the tempered distribution ``softmax(logits / temperature)`` for sampling
and for training (:func:`token_logprobs`), so the ratio of PPO starts at exactly 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from torch import nn

from .chat import ChatFormat

MODES = ("text", "choice")
#: Choice scoring: at most this many context tokens are held in copied KV caches at once.
_CACHED_TOKENS = 16_384


class PolicyModel(nn.Module):
    """A causal LM and, with ``value_head=True``, a linear critic on its last hidden state."""

    def __init__(self, lm: Any, value_head: bool = False):
        super().__init__()
        self.lm = lm
        hidden = lm.config.hidden_size if hasattr(lm.config, "hidden_size") else lm.config.get_text_config().hidden_size
        self.value_head = nn.Linear(hidden, 1) if value_head else None
        if self.value_head is not None:
            nn.init.zeros_(self.value_head.weight)
            nn.init.zeros_(self.value_head.bias)

    def forward(self, tokens: torch.Tensor, attention: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.lm(input_ids=tokens, attention_mask=attention, output_hidden_states=self.value_head is not None)
        values = self.value_head(out.hidden_states[-1]).squeeze(-1) if self.value_head is not None else None
        return out.logits, values


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, temperature: float) -> torch.Tensor:
    """``out[:, t] = log p(tokens[:, t] | tokens[:, :t])`` under ``softmax(logits / T)``
    (``out[:, 0] = 0``)."""
    logp = torch.log_softmax(logits[:, :-1].float() / temperature, dim=-1)
    picked = torch.gather(logp, 2, tokens[:, 1:, None]).squeeze(-1)
    return torch.cat([torch.zeros_like(picked[:, :1]), picked], dim=1)


def token_entropy(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Entropy of the next-token distribution that predicted each token (aligned as
    :func:`token_logprobs`)."""
    logp = torch.log_softmax(logits[:, :-1].float() / temperature, dim=-1)
    ent = -(logp.exp() * logp).sum(-1)
    return torch.cat([torch.zeros_like(ent[:, :1]), ent], dim=1)


@dataclass
class Reply:
    """One sampled reply: the tokens appended to the episode, their log-probabilities at
    sampling time, and the command sent to the env."""

    ids: list[int]
    logprobs: list[float]
    command: str
    #: Choice mode: index of the chosen command among the offered ones.
    choice: int | None = None
    extra: dict = field(default_factory=dict)


def command_from_text(text: str) -> str:
    """The command in a free-text reply: its last non-empty line (the prompt asks the model
    to end with the action), stripped."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Agent:
    """Acts for a batch of episodes at once.

    Args:
        model: a :class:`PolicyModel` (or anything whose ``lm`` is a causal LM).
        chat: the :class:`~baselines.chat.ChatFormat` of the episodes.
        mode: ``"text"`` or ``"choice"``.
        temperature: sampling temperature (also used when training on the samples).
        max_new_tokens: longest free-text reply.
        max_choices: at most this many admissible commands are offered (the first ones).
        generator: the ``torch.Generator`` every sample is drawn from (saved in checkpoints).
        score_batch: sequences per forward pass when scoring choices.
        choice_score: ``"mean"`` or ``"sum"`` of a command's token log-probabilities.
    """

    def __init__(self, model: PolicyModel, chat: ChatFormat, *, mode: str = "choice", temperature: float = 1.0,
                 max_new_tokens: int = 16, max_choices: int = 64, generator: torch.Generator | None = None,
                 score_batch: int = 64, choice_score: str = "mean"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.model, self.chat, self.mode = model, chat, mode
        self.temperature, self.max_new_tokens, self.max_choices = float(temperature), int(max_new_tokens), int(max_choices)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.score_batch = score_batch
        if choice_score not in ("mean", "sum"):
            raise ValueError(f"choice_score must be 'mean' or 'sum', got {choice_score!r}")
        self.choice_score = choice_score

    @property
    def lm(self):
        return self.model.lm

    def offered(self, admissible: Sequence[str] | None) -> list[str] | None:
        """The commands offered in choice mode (None in text mode)."""
        if self.mode != "choice":
            return None
        if not admissible:
            raise ValueError("choice mode needs info['admissible_commands']; make the env with admissible_commands=True")
        return list(admissible)[: self.max_choices]

    @torch.no_grad()
    def act(self, contexts: Sequence[Sequence[int]], choices: Sequence[Sequence[str]] | None = None,
            greedy: bool = False) -> list[Reply]:
        """One reply per context (a context is an episode's token ids so far)."""
        if not contexts:
            return []
        if self.mode == "text":
            return self._generate(contexts, greedy)
        if choices is None or len(choices) != len(contexts):
            raise ValueError("choice mode needs one list of choices per context")
        return self._choose(contexts, choices, greedy)

    def _sample(self, logp: torch.Tensor, greedy: bool) -> torch.Tensor:
        if greedy:
            return logp.argmax(-1)
        return torch.multinomial(logp.exp(), 1, generator=self.generator).squeeze(-1)

    def _generate(self, contexts, greedy) -> list[Reply]:
        lm, eos = self.lm, self.chat.eos_id
        width = max(len(c) for c in contexts)
        pad = eos
        ids = torch.tensor([[pad] * (width - len(c)) + list(c) for c in contexts])
        attn = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in contexts])
        pos = (attn.cumsum(-1) - 1).clamp(min=0)
        out = lm(input_ids=ids, attention_mask=attn, position_ids=pos, use_cache=True)
        past, logits, last_pos = out.past_key_values, out.logits[:, -1], pos[:, -1:]
        n = len(contexts)
        done = torch.zeros(n, dtype=torch.bool)
        tokens: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] = [[] for _ in range(n)]
        for _ in range(self.max_new_tokens):
            logp = torch.log_softmax(logits.float() / self.temperature, dim=-1)
            tok = self._sample(logp, greedy)
            chosen = logp.gather(1, tok[:, None]).squeeze(1)
            for i in range(n):
                if not done[i]:
                    tokens[i].append(int(tok[i]))
                    logps[i].append(float(chosen[i]))
            done |= tok == eos
            if bool(done.all()):
                break
            attn = torch.cat([attn, torch.ones(n, 1, dtype=attn.dtype)], dim=1)
            last_pos = last_pos + 1
            out = lm(input_ids=tok[:, None], attention_mask=attn, position_ids=last_pos, past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[:, -1]
        replies = []
        for ids_i, lp_i in zip(tokens, logps):
            text = self.chat.tokenizer.decode(ids_i, skip_special_tokens=True)
            replies.append(Reply(ids_i, lp_i, command_from_text(text)))
        return replies

    def score(self, contexts: Sequence[Sequence[int]], candidates: Sequence[Sequence[Sequence[int]]]) -> list[list[list[float]]]:
        """Per-token log-probabilities of each candidate reply after its context. Each
        context is run once; its KV cache is shared by all its candidates."""
        import copy

        result: list[list[list[float]]] = []
        for context, cands in zip(contexts, candidates):
            out = self.lm(input_ids=torch.tensor([list(context)]), use_cache=True)
            first = torch.log_softmax(out.logits[0, -1].float() / self.temperature, dim=-1)
            scored: list[list[float]] = []
            # the context's cache is copied once per candidate in a chunk: bound the copies
            step = max(1, min(self.score_batch, _CACHED_TOKENS // max(1, len(context))))
            for start in range(0, len(cands), step):
                chunk = [list(c) for c in cands[start: start + step]]
                width, n = max(len(c) for c in chunk), len(chunk)
                if width == 1:
                    scored.extend([[float(first[c[0]])] for c in chunk])
                    continue
                cache = copy.deepcopy(out.past_key_values)
                cache.batch_repeat_interleave(n)
                ids = torch.tensor([c + [self.chat.eos_id] * (width - len(c)) for c in chunk])
                attn = torch.cat([torch.ones(n, len(context), dtype=torch.long),
                                  torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in chunk])], dim=1)
                pos = torch.arange(len(context), len(context) + width).expand(n, -1)
                logits = self.lm(input_ids=ids, attention_mask=attn, position_ids=pos, past_key_values=cache).logits
                logp = torch.log_softmax(logits[:, :-1].float() / self.temperature, dim=-1)
                rest = torch.gather(logp, 2, ids[:, 1:, None]).squeeze(-1)
                for row, c in enumerate(chunk):
                    scored.append([float(first[c[0]])] + rest[row, : len(c) - 1].tolist())
            result.append(scored)
        return result

    def _choose(self, contexts, choices, greedy) -> list[Reply]:
        candidates = [[self.chat.action_ids(c) for c in cs] for cs in choices]
        scores = self.score(contexts, candidates)
        replies = []
        for i, cs in enumerate(choices):
            reduce = (lambda s: sum(s) / len(s)) if self.choice_score == "mean" else sum
            totals = torch.tensor([reduce(s) for s in scores[i]], dtype=torch.float64)
            logp = torch.log_softmax(totals, dim=0)
            k = int(self._sample(logp[None], greedy)[0])
            replies.append(Reply(candidates[i][k], scores[i][k], cs[k], choice=k,
                                 extra={"choice_logprob": float(logp[k])}))
        return replies
