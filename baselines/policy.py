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
  The trainer trains that same choice: its log-probability under the softmax over the
  offered commands (:func:`candidate_logprobs`, :func:`choice_distribution`).

Both modes use the tempered distribution ``softmax(logits / temperature)`` for sampling
and for training (:func:`token_logprobs`), so the ratio of PPO starts at exactly 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from torch import nn

from textagent_envs.checks import require_bool, require_int

from .chat import ChatFormat
from .kvcache import TurnCache, cache_arg, cache_of, device_of, gathered
from .presets import raw_observation

MODES = ("text", "choice")
#: Text-mode samplers: ``loop`` (own token loop) and ``generate`` (``transformers``'
#: ``generate()``). vLLM is not offered: it is not installed here and was never tested.
BACKENDS = ("loop", "generate")


class PolicyModel(nn.Module):
    """A causal LM and, with ``value_head=True``, a linear critic on its last hidden state.

    ``forward(tokens, attention)`` returns ``(logits, values)``: ``values[:, t]`` is the
    critic's estimate of the state *before* token ``t`` (read from the hidden state of token
    ``t - 1``, as TRL and cleanrl do; ``values[:, 0] = 0``), so the value of an agent token's
    position is V(s), not Q(s, a). :meth:`score` gives the log-probabilities (and entropy)
    of the tokens only where a mask is set, without building full-vocabulary
    log-probabilities for the whole sequence.
    """

    def __init__(self, lm: Any, value_head: bool = False, detach_critic: bool = False):
        super().__init__()
        self.lm = lm
        #: The head reads detached hidden states: the value loss trains only the head.
        self.detach_critic = detach_critic
        hidden = lm.config.hidden_size if hasattr(lm.config, "hidden_size") else lm.config.get_text_config().hidden_size
        self.value_head = nn.Linear(hidden, 1) if value_head else None
        if self.value_head is not None:
            nn.init.zeros_(self.value_head.weight)
            nn.init.zeros_(self.value_head.bias)

    def head_values(self, hidden: torch.Tensor) -> torch.Tensor:
        """The critic on hidden states ``[B, T, H]``: ``[B, T]``, position ``t`` valuing the
        context up to and including token ``t`` (float32). With ``detach_critic`` no
        gradient flows from the values into ``hidden``."""
        if self.detach_critic:
            hidden = hidden.detach()
        return self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1).float()

    def forward(self, tokens: torch.Tensor, attention: torch.Tensor, mask: torch.Tensor | None = None,
                temperature: float = 1.0, entropy: bool = False, choices: Any = None):
        """Without ``mask``: ``(logits, values)``. With ``mask``: ``(logprobs, entropy,
        values)``, each ``[B, T]`` (see :func:`masked_logprobs`; ``entropy`` is None unless
        asked for, ``values`` None without a value head). With ``choices``, a function
        ``(lm, critic) -> (logprobs, entropy, values)`` as choice mode computes them
        (``critic`` is :meth:`head_values`, None without a value head; the values come from
        the choices' own pass, so the LM runs only once): its result, so that every forward
        of a training step goes through this module (and its DDP wrapper)."""
        want_hidden = self.value_head is not None
        if choices is not None:
            return choices(self.lm, self.head_values if want_hidden else None)
        if mask is None:
            out = self.lm(input_ids=tokens, attention_mask=attention, output_hidden_states=want_hidden, use_cache=False)
            return out.logits, (shift_values(self.head_values(out.hidden_states[-1])) if want_hidden else None)
        logp, ent, hidden = masked_logprobs(self.lm, tokens, attention, mask, temperature, entropy, keep_hidden=want_hidden)
        return logp, ent, (shift_values(self.head_values(hidden)) if want_hidden else None)


def shift_values(raw: torch.Tensor) -> torch.Tensor:
    """Align per-position critic outputs with the tokens they decide: ``out[:, t] = raw[:, t-1]``."""
    return torch.cat([torch.zeros_like(raw[:, :1]), raw[:, :-1]], dim=1)


def masked_logprobs(lm: Any, tokens: torch.Tensor, attention: torch.Tensor, mask: torch.Tensor, temperature: float,
                    entropy: bool = False, keep_hidden: bool = False):
    """``(logprobs, entropy, hidden)`` of ``lm`` on ``tokens``, aligned as
    :func:`token_logprobs` and computed only where ``mask`` is set (0 elsewhere): the LM
    head and the softmax run on the selected positions only, so memory grows with the
    trained tokens, not with ``sequence x vocabulary``. ``entropy`` is None unless asked for;
    ``hidden`` (the last hidden states) None unless ``keep_hidden``."""
    head = lm.get_output_embeddings()
    out = None
    if head is not None:
        try:  # logits for one position only; the head runs on the selected states below
            out = lm(input_ids=tokens, attention_mask=attention, output_hidden_states=True, use_cache=False,
                     logits_to_keep=1)
        except TypeError:
            out = None
        if out is not None:
            # the head on the last hidden state must give the model's own logits (not so for a
            # model whose last hidden state precedes a final norm or a logit scaling)
            check = head(out.hidden_states[-1][:, -1:]).float()
            if check.shape != out.logits[:, -1:].shape or not torch.allclose(check, out.logits[:, -1:].float(),
                                                                             rtol=1e-2, atol=1e-2):
                out = None
    if out is None:
        out = lm(input_ids=tokens, attention_mask=attention, output_hidden_states=True, use_cache=False)
        select = mask[:, 1:].bool()
        logits = out.logits[:, :-1][select]
    else:
        select = mask[:, 1:].bool()
        logits = head(out.hidden_states[-1][:, :-1][select])
    logp_all = torch.log_softmax(logits.float() / temperature, dim=-1)
    picked = logp_all.gather(1, tokens[:, 1:][select][:, None]).squeeze(1)
    logp = torch.zeros(tokens.shape, dtype=torch.float32, device=tokens.device)
    logp[:, 1:][select] = picked
    ent = None
    if entropy:
        ent = torch.zeros(tokens.shape, dtype=torch.float32, device=tokens.device)
        ent[:, 1:][select] = -(logp_all.exp() * logp_all).sum(-1)
    return logp, ent, (out.hidden_states[-1] if keep_hidden else None)


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


def candidate_logprobs(lm: Any, context: Sequence[int], candidates: Sequence[Sequence[int]], temperature: float,
                       pad_id: int, batch: int = 64) -> list[torch.Tensor]:
    """Per-token log-probabilities of each candidate reply after ``context`` (one tensor per
    candidate; differentiable when grad is on). The context runs once; its KV cache is
    repeated for a batch of candidates and cropped back between batches (never copied).
    Without a cache (gradient checkpointing while training) each candidate runs with its
    context."""
    device = device_of(lm)
    cands = [list(c) for c in candidates]
    out = lm(input_ids=torch.tensor([list(context)], device=device), use_cache=True)
    first = torch.log_softmax(out.logits[0, -1].float() / temperature, dim=-1)
    cache = cache_of(out)
    width_max = max(len(c) for c in cands)
    if width_max == 1:
        return [first[c[0]][None] for c in cands]
    if cache is None:
        return _candidates_without_cache(lm, context, cands, temperature, pad_id, batch, first)
    step = max(1, min(batch, len(cands)))
    cache.batch_repeat_interleave(step)
    result: list[torch.Tensor] = []
    n_ctx = len(context)
    for start in range(0, len(cands), step):
        chunk = cands[start: start + step]
        real = len(chunk)
        chunk = chunk + [chunk[-1]] * (step - real)  # the cache holds `step` rows
        width = max(len(c) for c in chunk)
        ids = torch.tensor([c + [pad_id] * (width - len(c)) for c in chunk], device=device)
        attn = torch.cat([torch.ones(step, n_ctx, dtype=torch.long, device=device),
                          torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in chunk], device=device)], dim=1)
        pos = torch.arange(n_ctx, n_ctx + width, device=device).expand(step, -1)
        logits = lm(input_ids=ids, attention_mask=attn, position_ids=pos, use_cache=True, **{cache_arg(lm): cache}).logits
        cache.crop(-width)  # back to the context (a negative count removes that many tokens)
        logp = torch.log_softmax(logits[:real, :-1].float() / temperature, dim=-1)
        rest = torch.gather(logp, 2, ids[:real, 1:, None]).squeeze(-1)
        for row, c in enumerate(chunk[:real]):
            result.append(torch.cat([first[c[0]][None], rest[row, : len(c) - 1]]))
    return result


def _candidates_without_cache(lm, context, cands, temperature, pad_id, batch, first):
    device = device_of(lm)
    result = []
    n_ctx = len(context)
    for start in range(0, len(cands), batch):
        chunk = cands[start: start + batch]
        width = max(len(c) for c in chunk)
        ids = torch.tensor([list(context) + c + [pad_id] * (width - len(c)) for c in chunk], device=device)
        attn = torch.tensor([[1] * (n_ctx + len(c)) + [0] * (width - len(c)) for c in chunk], device=device)
        logits = lm(input_ids=ids, attention_mask=attn, use_cache=False).logits[:, n_ctx: -1]
        logp = torch.log_softmax(logits.float() / temperature, dim=-1)
        rest = torch.gather(logp, 2, ids[:, n_ctx + 1:, None]).squeeze(-1)
        for row, c in enumerate(chunk):
            result.append(torch.cat([first[c[0]][None], rest[row, : len(c) - 1]]))
    return result


def cached_candidate_logprobs(cache: TurnCache, first: torch.Tensor, candidates: Sequence[Sequence[Sequence[int]]],
                              temperature: float, batch: int = 64) -> list[list[torch.Tensor]]:
    """Per-token log-probabilities of each row's candidate replies after what ``cache``
    holds for that row (``first``: the logits after each row, from
    :meth:`TurnCache.extend`), in batches of ``batch`` candidates across rows. Each batch
    runs on a copy of its rows' cache entries; ``cache`` is left as it was."""
    first_logp = torch.log_softmax(first.float() / temperature, dim=-1)
    result: list[list[torch.Tensor | None]] = [[None] * len(cs) for cs in candidates]
    pairs = []
    for r, cs in enumerate(candidates):
        for j, c in enumerate(cs):
            if len(c) == 1:
                result[r][j] = first_logp[r, c[0]][None]
            else:
                pairs.append((r, j))
    device = first.device
    for start in range(0, len(pairs), max(1, batch)):
        chunk = pairs[start: start + max(1, batch)]
        rows = torch.tensor([r for r, _ in chunk], device=device)
        cands = [list(candidates[r][j]) for r, j in chunk]
        width = max(len(c) for c in cands)
        ids = torch.tensor([c + [cache.pad_id] * (width - len(c)) for c in cands], device=device)
        own = torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in cands], dtype=torch.long, device=device)
        held = cache.mask[rows]
        pos = held.sum(1, keepdim=True) + torch.arange(width, device=device)
        logits = cache.lm(input_ids=ids, attention_mask=torch.cat([held, own], 1), position_ids=pos, use_cache=True,
                          **{cache.cache_arg: gathered(cache.kv, rows)}).logits
        logp = torch.log_softmax(logits[:, :-1].float() / temperature, dim=-1)
        rest = torch.gather(logp, 2, ids[:, 1:, None]).squeeze(-1)
        for row, ((r, j), c) in enumerate(zip(chunk, cands)):
            result[r][j] = torch.cat([first_logp[r, c[0]][None], rest[row, : len(c) - 1]])
    return result  # type: ignore[return-value]


def choice_distribution(token_scores: Sequence[torch.Tensor], score: str = "mean") -> torch.Tensor:
    """Log-probabilities of choosing each candidate: the softmax over candidates of their
    score, the ``"mean"`` or ``"sum"`` of their token log-probabilities."""
    reduce = (lambda s: s.mean()) if score == "mean" else (lambda s: s.sum())
    return torch.log_softmax(torch.stack([reduce(s) for s in token_scores]), dim=0)


#: Most candidate tokens scored in one batched pass of :func:`packed_candidate_logprobs`
#: (more are split across passes, by turns).
PACKED_TOKENS = 4096
#: Consecutive turns share a candidate pass while the shortest of their contexts is at
#: least this share of the longest: every row of the pass attends over the longest context
#: (masked beyond its own), so this bounds the attention spent on masked keys.
GROUP_CONTEXT_SHARE = 0.75
#: Episodes whose context and candidate tokens add up to at most this many run as one dense
#: packed sequence instead: below it the cached way's extra passes cost more than the
#: attention they save (one forward and backward, tiny model: 2.7x slower than dense at 54
#: tokens, even at about 740, 1.3x faster at 1,200 and 2.9x at 4,400).
DENSE_BELOW = 768


def packed_candidate_logprobs(lm: Any, tokens: Sequence[int], starts: Sequence[int],
                              candidates: Sequence[Sequence[Sequence[int]]], temperature: float,
                              max_tokens: int = PACKED_TOKENS) -> list[list[torch.Tensor]]:
    """Per-token log-probabilities of each turn's candidate replies, the turn's context being
    ``tokens[:starts[k]]`` (differentiable when grad is on): a list per turn of one 1-D
    tensor per candidate, as :func:`candidate_logprobs` gives for that turn alone (a test
    checks scores and gradients).

    Every turn's context is a prefix of the same episode, so the episode runs once, causally,
    keeping its keys and values (``use_cache=True``; gradients flow through them). The
    candidates are then scored against that cache in batched passes: one row per turn (its
    candidates side by side, right-padded), the cache cropped to the longest context of the
    pass and repeated for each row, and a mask over ``candidate rows x (context + candidate
    tokens)`` that lets a candidate's tokens see their turn's context and their own earlier
    tokens only; positions continue the turn's context. Consecutive turns share a pass while
    their candidates add up to at most ``max_tokens`` and their contexts differ little
    (:data:`GROUP_CONTEXT_SHARE`). Attention costs about ``C^2/2 + K*C`` for an episode of
    ``C`` tokens and ``K`` candidate tokens. When the model keeps no cache (gradient
    checkpointing while training), and for short episodes (``C + K`` up to
    :data:`DENSE_BELOW`, where the extra passes cost more than they save), the episode and
    its candidates run as one packed sequence with a dense mask instead (same scores,
    ``(C+K)^2`` attention)."""
    return _packed_scores(lm, tokens, starts, candidates, temperature, max_tokens)[0]


def _packed_scores(lm, tokens, starts, candidates, temperature, max_tokens, hidden=False):
    """:func:`packed_candidate_logprobs` and, with ``hidden``, the last hidden state at each
    turn's context's last token (``[turns, H]``, from the episode's pass), else None."""
    require_int("max_tokens", max_tokens, minimum=1)
    if len(starts) != len(candidates):
        raise ValueError(f"one list of candidates per turn: {len(starts)} starts, {len(candidates)} candidate lists")
    for s, cands in zip(starts, candidates):
        if not 1 <= s <= len(tokens):
            raise ValueError(f"a turn's context is tokens[:start] with 1 <= start <= {len(tokens)} (the episode's "
                             f"length), got start {s}")
        if any(len(c) == 0 for c in cands):
            raise ValueError("a candidate reply has no tokens; every candidate ends with at least the eos token")
    if not starts:
        return [], None
    device = device_of(lm)
    width = sum(len(c) for cands in candidates for c in cands)
    if not width or max(starts) + width <= DENSE_BELOW:
        return _packed_pass(lm, tokens, starts, candidates, temperature, device, hidden)
    if not keeps_cache(lm):
        return _dense_candidate_logprobs(lm, tokens, starts, candidates, temperature, max_tokens, device, hidden)
    last = sorted({s - 1 for s in starts})  # a candidate's first token is predicted at its context's last token
    out = lm(input_ids=torch.tensor([list(tokens[: max(starts)])], device=device), use_cache=True,
             logits_to_keep=torch.tensor(last, device=device), output_hidden_states=hidden)
    states = out.hidden_states[-1][0, torch.tensor(starts, device=device) - 1] if hidden else None
    cache = cache_of(out)
    if cache is None:  # a model that kept none though keeps_cache expected one: the dense way, once more
        return _dense_candidate_logprobs(lm, tokens, starts, candidates, temperature, max_tokens, device)[0], states
    first = torch.log_softmax(out.logits[0].float() / temperature, dim=-1)
    groups = _turn_groups(starts, candidates, max_tokens)
    held, rest = max(starts), [None] * len(groups)
    for g in sorted(range(len(groups)), key=lambda g: -max(starts[k] for k in groups[g])):  # longest context first
        length = max(starts[k] for k in groups[g])
        cache.crop(length - held)  # back to this pass's longest context (a negative count removes tokens)
        held = length
        rest[g] = _candidate_pass(lm, cache, [starts[k] for k in groups[g]], [candidates[k] for k in groups[g]],
                                  temperature, device)
    # every candidate token's log-probability in one indexing (one backward op, not one per candidate)
    row = {p: i for i, p in enumerate(last)}
    firsts = first[torch.tensor([row[starts[k] - 1] for g in groups for k in g for _ in candidates[k]], device=device),
                   torch.tensor([c[0] for g in groups for k in g for c in candidates[k]], device=device)]
    n_first, order, widths, place = len(firsts), [], [], {}
    i_first, i_rest = 0, n_first
    for g in groups:
        for k in g:
            place[k] = len(widths)
            for c in candidates[k]:
                order += [i_first, *range(i_rest, i_rest + len(c) - 1)]
                widths.append(len(c))
                i_first, i_rest = i_first + 1, i_rest + len(c) - 1
    picked = torch.cat([firsts, *rest])[torch.tensor(order, device=device)]
    pieces = torch.split(picked, widths)
    return [list(pieces[place[k]: place[k] + len(candidates[k])]) if k in place else [] for k in range(len(starts))], states


def keeps_cache(lm: Any) -> bool:
    """Whether a forward of ``lm`` returns its keys and values: not while it trains with
    gradient checkpointing (``transformers`` then turns the cache off)."""
    checkpointing = getattr(lm, "is_activation_checkpointing", None)  # transformers >= 5.x's name
    if checkpointing is None:
        checkpointing = getattr(lm, "is_gradient_checkpointing", False)
    if callable(checkpointing):  # a method rather than a property in some versions
        checkpointing = checkpointing()
    return not (lm.training and bool(checkpointing))


def _turn_groups(starts, candidates, max_tokens, share: float | None = None,
                 with_empty: bool = False) -> list[list[int]]:
    """Consecutive turns (with candidates, or all with ``with_empty``) that share a pass:
    at most ``max_tokens`` candidate tokens, the shortest context at least ``share``
    (default :data:`GROUP_CONTEXT_SHARE`) of the longest."""
    share = GROUP_CONTEXT_SHARE if share is None else share
    groups: list[list[int]] = []
    group: list[int] = []
    size = 0
    for k, s in enumerate(starts):
        width = sum(len(c) for c in candidates[k])
        if not width and not with_empty:
            continue
        lo, hi = min([s] + [starts[i] for i in group]), max([s] + [starts[i] for i in group])
        if group and (size + width > max_tokens or lo < share * hi):
            groups.append(group)
            group, size = [], 0
        group.append(k)
        size += width
    if group:
        groups.append(group)
    return groups


def _candidate_pass(lm, cache, starts, candidates, temperature, device) -> torch.Tensor:
    """The log-probabilities of every candidate token but each candidate's first, in order
    (row by row, candidate by candidate), for turns whose contexts ``cache`` holds (it holds
    the longest; a row sees ``starts[r]`` of it)."""
    rows, length = len(starts), max(starts)
    width = max(sum(len(c) for c in cands) for cands in candidates)
    ids = [[0] * width for _ in range(rows)]  # padding: never seen by a candidate token, never scored
    pos = [[s] * width for s in starts]
    seg = [[-1] * width for _ in range(rows)]  # which candidate of its row each column holds (-1: padding)
    for r, (s, cands) in enumerate(zip(starts, candidates)):
        offset = 0
        for j, c in enumerate(cands):
            ids[r][offset: offset + len(c)] = c
            pos[r][offset: offset + len(c)] = range(s, s + len(c))
            seg[r][offset: offset + len(c)] = [j] * len(c)
            offset += len(c)
    ids_t, seg_t = torch.tensor(ids, device=device), torch.tensor(seg, device=device)
    real = seg_t >= 0
    col = torch.arange(width, device=device)
    own = (seg_t[:, :, None] == seg_t[:, None, :]) & (col[None, None, :] <= col[None, :, None]) & real[:, :, None]
    context = (torch.arange(length, device=device)[None, None, :] < torch.tensor(starts, device=device)[:, None, None])
    context = context & real[:, :, None]
    context[:, :, 0] |= ~real  # a padding column sees the first token (a query seeing no key is NaN in some kernels)
    mask = torch.cat([context, own], dim=2)[:, None]
    if lm.config._attn_implementation == "eager":  # eager attention adds the mask to the scores
        dtype = next(lm.parameters()).dtype
        mask = torch.zeros(mask.shape, dtype=dtype, device=device).masked_fill_(~mask, torch.finfo(dtype).min)
    # the logits of every candidate token but each candidate's last (what predicts the next one)
    keep = torch.cat([real[:, 1:] & (seg_t[:, 1:] == seg_t[:, :-1]), torch.zeros_like(real[:, :1])], dim=1)
    logits = lm(input_ids=ids_t, attention_mask=mask, position_ids=torch.tensor(pos, device=device), use_cache=True,
                logits_to_keep=keep, **{cache_arg(lm): gathered(cache, torch.zeros(rows, dtype=torch.long, device=device))}
                ).logits
    logp = torch.log_softmax(logits.reshape(-1, logits.shape[-1]).float() / temperature, dim=-1)
    return logp.gather(1, ids_t[:, 1:][keep[:, :-1]][:, None]).squeeze(1)


def _dense_candidate_logprobs(lm, tokens, starts, candidates, temperature, max_tokens, device, hidden=False):
    """:func:`_packed_scores` without a cache: per pass, the episode and the turns'
    candidates packed into one sequence under a dense mask. Every turn, with candidates or
    not, belongs to a pass, so each has its hidden state (with ``hidden``)."""
    result: list[list[torch.Tensor]] = [[] for _ in starts]
    states: list[Any] = [None] * len(starts)
    for group in _turn_groups(starts, candidates, max_tokens, share=0.0, with_empty=hidden):
        scores, got = _packed_pass(lm, tokens, [starts[k] for k in group], [candidates[k] for k in group], temperature,
                                   device, hidden)
        for i, k in enumerate(group):
            result[k] = scores[i]
            if hidden:
                states[k] = got[i]
    return result, torch.stack(states) if hidden else None


def _packed_pass(lm, tokens, starts, candidates, temperature, device, hidden: bool = False):
    """One dense packed sequence: the scores, and with ``hidden`` the last hidden state at
    each turn's context's last token (``[turns, H]``; the context runs causally first, so
    these equal a plain forward's), else None."""
    end = max(starts)
    ids, pos, spans = list(tokens[:end]), list(range(end)), []
    for s, cands in zip(starts, candidates):
        for c in cands:
            spans.append((s, len(ids), len(c)))
            ids += c
            pos += range(s, s + len(c))
    n = len(ids)
    mask = torch.zeros(n, n, dtype=torch.bool, device=device)
    mask[:end, :end] = torch.ones(end, end, dtype=torch.bool, device=device).tril()
    for s, offset, width in spans:
        mask[offset: offset + width, :s] = True
        mask[offset: offset + width, offset: offset + width] = torch.ones(width, width, dtype=torch.bool, device=device).tril()
    # additive (0 or the dtype's minimum): eager attention adds the mask, sdpa takes either
    dtype = next(lm.parameters()).dtype
    additive = torch.zeros(n, n, dtype=dtype, device=device).masked_fill_(~mask, torch.finfo(dtype).min)
    out = lm(input_ids=torch.tensor([ids], device=device), attention_mask=additive[None, None],
             position_ids=torch.tensor([pos], device=device), use_cache=False, output_hidden_states=hidden)
    states = out.hidden_states[-1][0, torch.tensor(starts, device=device) - 1] if hidden else None
    logp = torch.log_softmax(out.logits[0].float() / temperature, dim=-1)
    # every candidate token's log-probability in one indexing (one backward op, not one per
    # candidate: each would allocate a gradient as large as logp); a candidate's first token
    # is predicted at its context's last position, the others at the token before them
    rows, widths = [], []
    for s, offset, width in spans:
        rows += [s - 1, *range(offset, offset + width - 1)]
        widths.append(width)
    cols = [t for _, offset, width in spans for t in ids[offset: offset + width]]
    picked = logp[torch.tensor(rows, dtype=torch.long, device=device), torch.tensor(cols, dtype=torch.long, device=device)]
    pieces = iter(torch.split(picked, widths) if widths else ())
    return [[next(pieces) for _ in cands] for cands in candidates], states


def turn_choice_distributions(lm: Any, episode: Any, temperature: float, score: str, turns: Sequence[int] | None = None,
                              critic: Callable[[torch.Tensor], torch.Tensor] | None = None):
    """For each agent turn of a choice-mode ``episode`` (its ``reply_start`` and
    ``candidates``), or only those in ``turns``: ``(turn, reply_start, log-probabilities of
    choosing each offered command)`` under ``lm`` (the candidates' token log-probabilities
    after the turn's context, all turns in one pass by :func:`packed_candidate_logprobs`,
    then :func:`choice_distribution`). What the trainer's ratio, its reference KL and SFT's
    choice loss are all taken on. With ``critic`` (:meth:`PolicyModel.head_values`) each
    item also holds the critic's value of the state the turn was decided in (read from the
    last hidden state of the context, as :class:`PolicyModel` reads ``values[:, start]``),
    taken from the same pass: ``(turn, reply_start, log-probabilities, value)``."""
    ks = list(range(len(episode.reply_start)) if turns is None else turns)
    if not ks:
        return
    starts = [episode.reply_start[k] for k in ks]
    scores, states = _packed_scores(lm, episode.tokens, starts, [episode.candidates[k] for k in ks], temperature,
                                    PACKED_TOKENS, hidden=critic is not None)
    values = critic(states[None])[0] if critic is not None else None
    for i, (k, start, token_scores) in enumerate(zip(ks, starts, scores)):
        if values is None:
            yield k, start, choice_distribution(token_scores, score)
        else:
            yield k, start, choice_distribution(token_scores, score), values[i]


@dataclass
class Reply:
    """One sampled reply: the tokens appended to the episode, their log-probabilities at
    sampling time, and the command sent to the env."""

    ids: list[int]
    logprobs: list[float]
    command: str
    #: Choice mode: index of the chosen command among the offered ones.
    choice: int | None = None
    #: Choice mode: the offered commands as replies (token ids), and the log-probability of
    #: the choice under the softmax over them (what PPO's ratio and the KL are taken on).
    candidates: list[list[int]] | None = None
    choice_logprob: float | None = None
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
        score_batch: candidates per forward pass when scoring choices.
        choice_score: ``"mean"`` or ``"sum"`` of a command's token log-probabilities.
        backend: text mode's sampler: ``"loop"`` (own token loop with a KV cache) or
            ``"generate"`` (transformers' ``generate()``; the log-probabilities are still taken
            from the logits each token was sampled from). See :data:`BACKENDS`.
        kv_cache: keep each episode's KV cache across turns (:class:`~baselines.kvcache.TurnCache`),
            so a turn runs only its new tokens; False runs every context whole each turn.
        observe: ``(obs, info) -> text`` shown to the model each turn (default: ``obs``;
            see :data:`baselines.presets.OBSERVATIONS`).
        command: text mode: ``reply text -> command`` (default: the last line; see
            :data:`baselines.presets.ACTIONS`).
    """

    def __init__(self, model: PolicyModel, chat: ChatFormat, *, mode: str = "choice", temperature: float = 1.0,
                 max_new_tokens: int = 16, max_choices: int = 64, generator: torch.Generator | None = None,
                 score_batch: int = 64, choice_score: str = "mean", backend: str = "loop",
                 observe: Callable[[str, dict], str] | None = None, command: Callable[[str], str] | None = None,
                 kv_cache: bool = True):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.model, self.chat, self.mode, self.backend = model, chat, mode, backend
        self.temperature, self.max_new_tokens, self.max_choices = float(temperature), int(max_new_tokens), int(max_choices)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.score_batch = score_batch
        if choice_score not in ("mean", "sum"):
            raise ValueError(f"choice_score must be 'mean' or 'sum', got {choice_score!r}")
        self.choice_score = choice_score
        self.observe = observe if observe is not None else raw_observation
        self.command = command if command is not None else command_from_text
        self.kv_cache = require_bool("kv_cache", kv_cache)

    @property
    def lm(self):
        return self.model.lm

    @property
    def device(self) -> torch.device:
        return device_of(self.lm)

    def offered(self, admissible: Sequence[str] | None) -> list[str] | None:
        """The commands offered in choice mode (None in text mode)."""
        if self.mode != "choice":
            return None
        if not admissible:
            raise ValueError("choice mode needs info['admissible_commands']; make the env with admissible_commands=True")
        return list(admissible)[: self.max_choices]

    def turn_cache(self) -> TurnCache | None:
        """A fresh cache for one wave of episodes (None when ``kv_cache`` is off)."""
        return TurnCache(self.lm, self.chat.eos_id) if self.kv_cache else None

    @torch.no_grad()
    def act(self, contexts: Sequence[Sequence[int]], choices: Sequence[Sequence[str]] | None = None,
            greedy: bool = False, *, cache: TurnCache | None = None, keys: Sequence[Any] | None = None) -> list[Reply]:
        """One reply per context (a context is an episode's token ids so far). With ``cache``
        (from :meth:`turn_cache`) and ``keys`` (one per context, naming its episode), each
        context continues from what the cache holds for its key; the replies are the same."""
        if not contexts:
            return []
        if cache is not None and (keys is None or len(keys) != len(contexts)):
            raise ValueError("a turn cache needs one key per context (the episode each context belongs to)")
        if cache is None:  # a throwaway cache: every context runs whole
            cache, keys = TurnCache(self.lm, self.chat.eos_id), list(range(len(contexts)))
        if self.mode == "text":
            if self.backend == "generate":
                return self._generate_hf(contexts, greedy, cache, keys)
            return self._generate(contexts, greedy, cache, keys)
        if choices is None or len(choices) != len(contexts):
            raise ValueError("choice mode needs one list of choices per context")
        return self._choose(contexts, choices, greedy, cache, keys)

    def _sample(self, logp: torch.Tensor, greedy: bool) -> torch.Tensor:
        if greedy:
            return logp.argmax(-1)
        # sampled on the CPU from the run's generator (reproducible and saved in checkpoints)
        return torch.multinomial(logp.exp().cpu(), 1, generator=self.generator).squeeze(-1).to(logp.device)

    def _replies(self, tokens, logps) -> list[Reply]:
        replies = []
        for ids_i, lp_i in zip(tokens, logps):
            text = self.chat.tokenizer.decode(ids_i, skip_special_tokens=True)
            replies.append(Reply(ids_i, lp_i, self.command(text), extra={"text": text}))
        return replies

    def _generate(self, contexts, greedy, cache, keys) -> list[Reply]:
        eos = self.chat.eos_id
        logits = cache.extend(keys, contexts)
        done = torch.zeros(len(contexts), dtype=torch.bool, device=logits.device)
        sampled, chosen_lp = [], []
        for _ in range(self.max_new_tokens):
            logp = torch.log_softmax(logits.float() / self.temperature, dim=-1)
            tok = torch.where(done, torch.full_like(done, eos, dtype=torch.long), self._sample(logp, greedy))
            sampled.append(tok)
            chosen_lp.append(logp.gather(1, tok[:, None]).squeeze(1))
            real, done = ~done, done | (tok == eos)
            if bool(done.all()):  # one host sync per token (the loop's price; see backend="generate")
                break
            logits = cache.step(tok, real)  # an ended row's filler stays masked out
        return self._replies(*_until_eos(torch.stack(sampled, 1).tolist(), torch.stack(chosen_lp, 1).tolist(), eos))

    def _generate_hf(self, contexts, greedy, cache, keys) -> list[Reply]:
        """``lm.generate`` with plain tempered sampling (no top-k/top-p), seeded from the
        run's generator, continuing from ``cache``; the recorded log-probabilities are
        ``log_softmax(logits / T)`` at the sampled tokens, from the logits ``generate``
        returns for each step."""
        eos = self.chat.eos_id
        inputs = cache.generate_inputs(keys, contexts)
        width = inputs["input_ids"].shape[1]
        kwargs = dict(inputs, max_new_tokens=self.max_new_tokens, eos_token_id=eos, pad_token_id=eos, output_logits=True,
                      return_dict_in_generate=True, top_k=None, top_p=None, min_p=None, repetition_penalty=None)
        if greedy:
            kwargs.update(do_sample=False, temperature=None)
        else:
            kwargs.update(do_sample=True, temperature=self.temperature)
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator))
        device = inputs["input_ids"].device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            out = self.lm.generate(**kwargs)
        cache.after_generate(out, eos)
        new = out.sequences[:, width:]
        logits = torch.stack(out.logits, 1)[:, : new.shape[1]]
        logp = torch.log_softmax(logits.float() / self.temperature, dim=-1).gather(2, new[:, :, None]).squeeze(-1)
        return self._replies(*_until_eos(new.tolist(), logp.tolist(), eos))

    def score(self, contexts: Sequence[Sequence[int]], candidates: Sequence[Sequence[Sequence[int]]]) -> list[list[list[float]]]:
        """Per-token log-probabilities of each candidate reply after its context
        (:func:`candidate_logprobs`: each context runs once, its candidates in batches)."""
        return [[s.tolist() for s in candidate_logprobs(self.lm, context, cands, self.temperature, self.chat.eos_id,
                                                          self.score_batch)]
                for context, cands in zip(contexts, candidates)]

    def _choose(self, contexts, choices, greedy, cache, keys) -> list[Reply]:
        candidates = [[self.chat.action_ids(c) for c in cs] for cs in choices]
        first = cache.extend(keys, contexts)
        all_scores = cached_candidate_logprobs(cache, first, candidates, self.temperature, self.score_batch)
        replies = []
        for cs, cands, scores in zip(choices, candidates, all_scores):
            logp = choice_distribution(scores, self.choice_score)
            k = int(self._sample(logp[None], greedy)[0])
            replies.append(Reply(cands[k], scores[k].tolist(), cs[k], choice=k, candidates=cands,
                                 choice_logprob=float(logp[k]), extra={"choice_logprob": float(logp[k])}))
        return replies


def _until_eos(tokens: list[list[int]], logps: list[list[float]], eos: int) -> tuple[list[list[int]], list[list[float]]]:
    """Each reply up to and including its first eos."""
    out_t, out_l = [], []
    for ids, lps in zip(tokens, logps):
        end = ids.index(eos) + 1 if eos in ids else len(ids)
        out_t.append(ids[:end])
        out_l.append(lps[:end])
    return out_t, out_l
