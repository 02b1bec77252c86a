"""The KV cache of a wave of episodes, kept across turns.

An episode's context only grows: each turn it is the previous context, the reply and the
next observation's tokens (:mod:`textagent_envs.chat` appends, never re-tokenises). So the
keys and values computed for one turn hold for every later turn, and a turn needs to run
only its new tokens through the model. :class:`TurnCache` keeps them for all the episodes of
a wave in one batched ``transformers`` ``DynamicCache`` and an attention mask beside it:

- each row (one episode) holds the tokens it was given, in order, at columns marked 1 in
  the mask; a turn's new tokens are appended as one left-padded block, so every row's last
  column is its last real token and generation continues from there;
- the padding left inside the cache (a block's left padding, the tokens fed after a row's
  reply ended) stays masked out (0), and positions count only the real tokens
  (``mask.cumsum() - 1``, as ``generate()`` computes them), so a row sees exactly its own
  sequence, as it would without the cache;
- before a row is extended, its context is checked against what the row holds: when the
  context does not start with it (a rewritten history, which the chat ledger never does,
  or a new episode in the row) the row keeps only the common prefix and the rest is run
  again; :attr:`TurnCache.fallbacks` counts those rows.

Finished episodes are dropped from the batch and columns no row uses any more are trimmed.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Sequence

import torch


class TurnCache:
    """KV cache and attention mask of a batch of growing token sequences (one per key).

    Counters: :attr:`prefilled` (tokens run through the model to extend rows, generated
    tokens not included), :attr:`reused` (context tokens read from the cache instead) and
    :attr:`fallbacks` (rows whose context did not extend what the row held).
    """

    def __init__(self, lm: Any, pad_id: int):
        self.lm, self.pad_id, self.cache_arg = lm, int(pad_id), cache_arg(lm)
        self.kv: Any = None
        #: ``[rows, width]``: 1 where the cache holds a token of the row's sequence.
        self.mask: torch.Tensor | None = None
        #: The key (episode) of each row, the ids each row holds and their columns.
        self.keys: list[Hashable] = []
        self.held: list[list[int]] = []
        self.cols: list[list[int]] = []
        self.prefilled = self.reused = self.fallbacks = 0

    @property
    def device(self) -> torch.device:
        return device_of(self.lm)

    @property
    def width(self) -> int:
        return 0 if self.mask is None else int(self.mask.shape[1])

    # -- rows ------------------------------------------------------------------------------
    def select(self, keys: Sequence[Hashable]) -> None:
        """Make the rows ``keys``, in that order: known keys keep their cache, new keys get an
        empty row, keys not listed are dropped."""
        keys = list(keys)
        if len(set(keys)) != len(keys):
            raise ValueError("each episode may appear once in a turn")
        if keys == self.keys:
            return
        index = [self.keys.index(k) if k in self.keys else -1 for k in keys]
        if self.mask is not None and self.keys:
            src = torch.tensor([max(i, 0) for i in index], device=self.mask.device)
            self.mask = self.mask[src].clone()
            for row, i in enumerate(index):
                if i < 0:
                    self.mask[row] = 0
            _map_layers(self.kv, lambda t: t[src])
        self.held = [list(self.held[i]) if i >= 0 else [] for i in index]
        self.cols = [list(self.cols[i]) if i >= 0 else [] for i in index]
        self.keys = keys
        self._trim()

    def _rewind(self, row: int, keep: int) -> None:
        """Keep only the first ``keep`` tokens of ``row`` (the rest is masked out)."""
        if keep < len(self.held[row]):
            self.mask[row, self.cols[row][keep:]] = 0
            self.held[row], self.cols[row] = self.held[row][:keep], self.cols[row][:keep]

    def _trim(self) -> None:
        """Drop the leading columns no row uses any more."""
        if self.mask is None or not self.keys:
            return
        used = self.mask.any(0).nonzero()
        start = int(used[0]) if len(used) else self.width
        if start == 0:
            return
        self.mask = self.mask[:, start:]
        _map_layers(self.kv, lambda t: t[:, :, start:])
        self.cols = [[c - start for c in cs] for cs in self.cols]

    def _new_tokens(self, contexts: Sequence[Sequence[int]]) -> list[list[int]]:
        """What each row needs run to hold its context (at least its last token, whose
        logits are the next turn's), rewinding rows whose context does not extend them."""
        new = []
        for row, context in enumerate(contexts):
            context, held = list(context), self.held[row]
            if not context:
                raise ValueError("an empty context has no next token to predict")
            keep = len(held)
            if context[:keep] != held:  # the context rewrote what the row holds: keep the common prefix
                self.fallbacks += 1
                keep = next((i for i, (h, c) in enumerate(zip(held, context)) if h != c), min(len(held), len(context)))
            keep = min(keep, len(context) - 1)  # the last token is always run: its logits are the next turn's
            self._rewind(row, keep)
            self.reused += keep
            new.append(context[keep:])
        return new

    # -- running tokens --------------------------------------------------------------------
    def block(self, keys: Sequence[Hashable], contexts: Sequence[Sequence[int]]):
        """Select ``keys`` and lay out the new tokens of ``contexts`` as one left-padded
        block: ``(ids, block_mask)``, each ``[rows, w]``. Nothing is run yet."""
        self.select(keys)
        new = self._new_tokens(contexts)
        w = max(len(n) for n in new)
        device = self.device
        ids = torch.tensor([[self.pad_id] * (w - len(n)) + n for n in new], dtype=torch.long, device=device)
        block = torch.tensor([[0] * (w - len(n)) + [1] * len(n) for n in new], dtype=torch.long, device=device)
        self.prefilled += sum(len(n) for n in new)
        return ids, block

    def _record(self, ids: torch.Tensor, block: torch.Tensor) -> None:
        """Note that the columns ``block`` (``[rows, w]``, holding ``ids``) were appended."""
        base = self.width
        self.mask = block if self.mask is None else torch.cat([self.mask, block], dim=1)
        for row, (row_ids, row_mask) in enumerate(zip(ids.tolist(), block.tolist())):
            for j, (t, m) in enumerate(zip(row_ids, row_mask)):
                if m:
                    self.held[row].append(t)
                    self.cols[row].append(base + j)

    def _positions(self, block: torch.Tensor) -> torch.Tensor:
        before = self.mask.sum(1, keepdim=True) if self.mask is not None else torch.zeros_like(block[:, :1])
        return (before + block.cumsum(1) - 1).clamp(min=0)

    def run(self, ids: torch.Tensor, block: torch.Tensor) -> torch.Tensor:
        """Run the columns ``ids`` (``block`` marks the real ones) after the cache; append
        them; return their logits ``[rows, w, vocab]``."""
        attention = block if self.mask is None else torch.cat([self.mask, block], dim=1)
        kwargs = {} if self.kv is None else {self.cache_arg: self.kv}
        out = self.lm(input_ids=ids, attention_mask=attention, position_ids=self._positions(block), use_cache=True, **kwargs)
        self.kv = cache_of(out)
        if self.kv is None:
            raise RuntimeError("the model returned no KV cache (use_cache=True was ignored; is it in train mode with "
                               "gradient checkpointing?); call model.eval() before playing episodes")
        self._record(ids, block)
        return out.logits

    def extend(self, keys: Sequence[Hashable], contexts: Sequence[Sequence[int]]) -> torch.Tensor:
        """Make row ``i`` hold ``contexts[i]``, running only what it does not hold yet;
        the logits after each context ``[rows, vocab]``."""
        ids, block = self.block(keys, contexts)
        return self.run(ids, block)[:, -1]

    def step(self, tokens: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Append one token per row (``real`` False: filler after the row's reply ended,
        kept masked out); the logits after it ``[rows, vocab]``."""
        return self.run(tokens[:, None], real.long()[:, None])[:, -1]

    def generate_inputs(self, keys: Sequence[Hashable], contexts: Sequence[Sequence[int]]) -> dict[str, Any]:
        """Arguments for ``lm.generate`` that continue every context from the cache:
        ``input_ids`` and ``attention_mask`` span the cache and the new block (the cached
        columns' ids are filler: ``generate()`` runs only the ids after the cache, and takes
        the positions from the mask as :class:`TurnCache` does). Call :meth:`after_generate`
        with its output."""
        ids, block = self.block(keys, contexts)
        self._pending = (ids, block)
        if self.kv is None:
            return {"input_ids": ids, "attention_mask": block}
        filler = torch.full((ids.shape[0], self.width), self.pad_id, dtype=torch.long, device=ids.device)
        return {"input_ids": torch.cat([filler, ids], 1), "attention_mask": torch.cat([self.mask, block], 1),
                self.cache_arg: self.kv}

    def after_generate(self, out: Any, eos: int) -> None:
        """Note what ``generate()`` appended to the cache: the new block, then the sampled
        tokens it fed (each row's up to its first eos; later ones masked out)."""
        ids, block = self._pending
        del self._pending
        self.kv = cache_of(out) if cache_of(out) is not None else self.kv
        width = self.width + ids.shape[1]
        generated = out.sequences[:, width:]
        fed = self.kv.get_seq_length() - width
        if not 0 <= fed <= generated.shape[1]:
            raise RuntimeError(f"generate() left {self.kv.get_seq_length()} cached columns; expected {width} plus at most "
                               f"the {generated.shape[1]} generated tokens (rollout_kv_cache=false avoids the cache)")
        self._record(ids, block)
        tokens = generated[:, :fed]
        real = torch.ones_like(tokens)
        ended = torch.zeros(tokens.shape[0], dtype=torch.bool, device=tokens.device)
        for j in range(fed):
            real[:, j] = (~ended).long()
            ended = ended | (tokens[:, j] == eos)
        self._record(tokens, real)


def cache_arg(lm: Any) -> str:
    """The name under which this LM's forward takes a KV cache: ``cache`` (transformers >=
    5.2x, where ``past_key_values`` is deprecated) or ``past_key_values``."""
    import inspect

    base = getattr(lm, "get_base_model", lambda: lm)()
    try:
        params = inspect.signature(type(base).forward).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return "past_key_values"
    return "cache" if "cache" in params else "past_key_values"


def cache_of(out: Any) -> Any:
    cache = getattr(out, "cache", None)
    return cache if cache is not None else getattr(out, "past_key_values", None)


def device_of(lm: Any) -> torch.device:
    try:
        return next(lm.parameters()).device
    except StopIteration:  # pragma: no cover - a model without parameters
        return torch.device("cpu")


def _map_layers(cache: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Apply ``fn`` to the keys and values of every layer of a ``transformers`` cache."""
    if cache is None:
        return
    if hasattr(cache, "layers"):  # transformers >= 4.56
        for layer in cache.layers:
            if getattr(layer, "keys", None) is not None and layer.keys.numel():
                layer.keys, layer.values = fn(layer.keys), fn(layer.values)
        return
    for i in range(len(cache.key_cache)):  # pragma: no cover - older transformers
        cache.key_cache[i], cache.value_cache[i] = fn(cache.key_cache[i]), fn(cache.value_cache[i])


def gathered(cache: Any, rows: torch.Tensor) -> Any:
    """A new cache holding the rows ``rows`` of ``cache`` (repeats allowed); ``cache`` is
    left as it was."""
    from transformers import DynamicCache

    copy = DynamicCache()
    for i, (k, v) in enumerate(_layer_tensors(cache)):
        copy.update(k[rows], v[rows], i)
    return copy


def _layer_tensors(cache: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers]
    return list(zip(cache.key_cache, cache.value_cache))  # pragma: no cover - older transformers
