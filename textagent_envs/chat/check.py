"""The drift check: is an episode's ledger the sequence a fresh rendering would give, and is
it the sequence that was sampled?

:func:`check_token_exact` answers two questions about a :class:`~textagent_envs.chat.Ledger`:

1. Is the ledger itself sound? Its ids must be the prompt, then each reply exactly as
   sampled, then each observation delta as handed to the agent, in order (append-only),
   with the loss mask on the replies and only there. A rollout loop that rebuilds the
   sequence by re-tokenising the chat fails here (``"not_append_only"``,
   ``"masked_tokens_not_sampled"``, ``"mask_misplaced"``).
2. Does ``tokenizer.apply_chat_template(ledger.messages)`` tokenised afresh give the same
   ids? When it does not, a trainer that re-renders the conversation would train on other
   tokens than were sampled, and the report says why, at the first differing token:

   - ``"template_rewrites_history"``: rendering the conversation so far and then one more
     turn changes the earlier text (e.g. Qwen3-style templates strip ``<think>`` blocks
     from earlier replies). The ledger is right; re-rendering is not.
   - ``"template_rewrites_reply"``: the template changes a reply's text (e.g. Llama 3
     trims leading/trailing whitespace).
   - ``"non_canonical_reply"``: the sampled reply tokens decode to a text that the
     tokenizer encodes differently (models do sample such splits).
   - ``"boundary_merge"``: tokens merge across the border of two pieces when the whole
     text is tokenised at once.

   And one more way the ledger itself can be wrong: ``"not_the_template_text"``, its
   observation tokens are not the template's text tokenised piece by piece (a loop that
   slices each turn's delta out of a re-tokenised rendering ends up here after any reply
   sampled non-canonically).

After the last reply the fresh rendering may go on with the template's closing text
(special tokens and whitespace): that tail is not drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from .format import render_messages
from .ledger import OBSERVATION, PROMPT, REPLY, Ledger

#: Reasons that mean the ledger itself is wrong (``DriftReport.sound`` is False).
UNSOUND = ("not_append_only", "masked_tokens_not_sampled", "mask_misplaced", "not_the_template_text")
#: Reasons that mean only a fresh rendering differs from a sound ledger.
TEMPLATE = ("template_rewrites_history", "template_rewrites_reply", "non_canonical_reply", "boundary_merge")
REASONS = UNSOUND + TEMPLATE


@dataclass
class DriftReport:
    """The answer of :func:`check_token_exact`: ``ok``, or where (token ``position``, the
    ``segment`` kind and index holding it) and why (``reason``, one of ``REASONS``; ``detail``
    in words) the ledger and the fresh rendering part."""

    ok: bool
    position: int | None = None
    segment: str | None = None
    segment_index: int | None = None
    reason: str | None = None
    detail: str = ""
    ledger_tokens: list[int] = field(default_factory=list)
    #: The other side's tokens at ``position`` (the fresh rendering's, or the expected ones).
    fresh_tokens: list[int] = field(default_factory=list)
    #: False when the ledger is not what the agent saw and sampled (a broken rollout loop);
    #: True when only a fresh rendering differs (the template or the tokenizer's doing).
    sound: bool = True

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return "token-exact: the ledger is append-only and equals a fresh rendering"
        where = f" at token {self.position}" if self.position is not None else ""
        seg = f" ({self.segment} {self.segment_index})" if self.segment is not None else ""
        kind = "the ledger is wrong" if not self.sound else "a fresh rendering differs"
        return (f"drift{where}{seg} ({kind}): {self.reason}: {self.detail}\n  ledger: {self.ledger_tokens}\n"
                f"  fresh:  {self.fresh_tokens}")


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False))


def _soundness(ledger: Ledger) -> DriftReport | None:
    expected: list[int] = []
    mask: list[int] = []
    replies = iter(ledger.replies)
    deltas = iter(ledger.deltas)
    for seg in ledger.segments:
        piece = next(replies, None) if seg.kind == REPLY else next(deltas, None)
        if piece is None:
            return DriftReport(False, seg.start, seg.kind, seg.index, "not_append_only",
                               "the ledger has more pieces than were handed out or sampled")
        if seg.kind == REPLY and ledger.ids[seg.start:seg.end] != piece:
            pos = seg.start + next((i for i, (a, b) in enumerate(zip(ledger.ids[seg.start:seg.end], piece)) if a != b),
                                   min(seg.end - seg.start, len(piece)))
            return DriftReport(False, pos, REPLY, seg.index, "masked_tokens_not_sampled",
                               "the ids trained on at this reply are not the ids that were sampled (the sequence "
                               "was re-tokenised after sampling)", ledger.ids[pos:pos + 8], piece[pos - seg.start:][:8])
        expected += piece
        mask += [int(seg.kind == REPLY)] * len(piece)
    if ledger.ids != expected:
        pos = next((i for i, (a, b) in enumerate(zip(ledger.ids, expected)) if a != b), min(len(ledger.ids), len(expected)))
        seg = ledger.segment_at(pos)
        return DriftReport(False, pos, seg.kind if seg else None, seg.index if seg else None, "not_append_only",
                           "the ledger's ids are not the prompt, replies and deltas in the order they were handed "
                           "out: an earlier part changed after the agent saw it", ledger.ids[pos:pos + 8], expected[pos:pos + 8])
    if ledger.mask != mask:
        pos = next(i for i, (a, b) in enumerate(zip(ledger.mask, mask)) if a != b)
        seg = ledger.segment_at(pos)
        return DriftReport(False, pos, seg.kind, seg.index, "mask_misplaced",
                           "the loss mask is not 1 exactly on the sampled reply tokens")
    return None


def _special(tokenizer: Any) -> set[int]:
    ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    if getattr(tokenizer, "eos_token_id", None) is not None:
        ids.add(int(tokenizer.eos_token_id))
    return ids


def _piecewise(tokenizer: Any, ledger: Ledger, full: str, tools: Sequence[dict] | None) -> tuple[list[int], int | None]:
    """The sequence the template's text gives when each piece is tokenised alone and each
    reply is taken as sampled: what a token-exact rollout loop builds. Returns it and None,
    or the index of a reply the template does not hold verbatim where the generation
    prompt before it ends."""
    special = _special(tokenizer)
    reference: list[int] = []
    p = 0
    at_messages = [i for i, m in enumerate(ledger.messages) if m["role"] == "assistant"]
    for k, reply in enumerate(ledger.replies):
        text = ledger.messages[at_messages[k]]["content"]
        at = len(render_messages(tokenizer, ledger.messages[:at_messages[k]], True, tools))
        if at < p or not full.startswith(text, at):
            return reference, k
        reference += _encode(tokenizer, full[p:at]) + reply
        p = at + len(text)
        if reply and reply[-1] in special:
            close = tokenizer.decode([reply[-1]], skip_special_tokens=False)
            if full.startswith(close, p):
                p += len(close)
    if ledger.segments[-1].kind != REPLY:
        reference += _encode(tokenizer, full[p:])
    return reference, None


def _assistant_texts(ledger: Ledger) -> list[str]:
    return [m["content"] for m in ledger.messages if m["role"] == "assistant"]


def _first_difference(a: Sequence[int], b: Sequence[int]) -> int | None:
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), None if len(a) == len(b) else n)


def check_token_exact(tokenizer: Any, episode: Ledger | Any, tools: Sequence[dict] | None = None) -> DriftReport:
    """Compare an episode's ledger with a fresh rendering of its messages by ``tokenizer``.

    ``episode`` is a :class:`Ledger` or anything with a ``ledger`` attribute (a
    :class:`~textagent_envs.chat.ChatEnv`). ``tools``: the tool schemas the episode was
    rendered with, if any. Returns a :class:`DriftReport`: truthy (``ok``) when the ledger
    equals ``tokenizer.apply_chat_template(messages)`` tokenised at once; ``sound`` when the
    ledger is what the agent saw and sampled (append-only, the template's text piece by
    piece, the replies' sampled tokens). Print it to see where and why they part.
    """
    ledger = episode if isinstance(episode, Ledger) else getattr(episode, "ledger", None)
    if not isinstance(ledger, Ledger):
        raise TypeError(f"check_token_exact needs a Ledger or an env with a .ledger, got {type(episode).__name__}")
    if not ledger.segments:
        raise ValueError("the ledger is empty; play an episode (reset, then step) before checking it")
    unsound = _soundness(ledger)
    if unsound is not None:
        unsound.sound = False
        return unsound
    ids = ledger.ids
    last_is_reply = ledger.segments[-1].kind == REPLY
    full = render_messages(tokenizer, ledger.messages, not last_is_reply, tools)
    fresh = _encode(tokenizer, full)
    position = _first_difference(ids, fresh)
    if position is None or (position == len(ids) and last_is_reply and _closing_only(tokenizer, fresh[len(ids):])):
        return DriftReport(True)

    def report(pos, reason, detail, other, sound=True):
        seg = ledger.segment_at(pos)
        return DriftReport(False, pos, seg.kind if seg else None, seg.index if seg else None, reason, detail,
                           ids[pos:pos + 8], other[pos:pos + 8], sound)

    rewrite = _history_rewrite(tokenizer, ledger.messages, full, tools)
    if rewrite is not None:
        return report(position, "template_rewrites_history", rewrite, fresh)
    reference, missing = _piecewise(tokenizer, ledger, full, tools)
    if missing is not None:
        k = missing
        at = [i for i, m in enumerate(ledger.messages) if m["role"] == "assistant"][k]
        text = ledger.messages[at]["content"]
        if text in render_messages(tokenizer, ledger.messages[:at + 1], False, tools):
            return report(position, "template_rewrites_history",
                          f"the template holds reply {k} verbatim while it is the latest turn but rewrites it once more "
                          "turns follow (e.g. strips its reasoning block): the model saw it whole, a fresh rendering "
                          "does not", fresh)
        return report(position, "template_rewrites_reply",
                      f"the template does not hold reply {k} ({text!r}) verbatim; it changes reply text (e.g. trims "
                      "whitespace)", fresh)
    wrong = _first_difference(ids, reference)
    if wrong is not None:
        return report(wrong, "not_the_template_text",
                      "the ledger's tokens here are not the template's text tokenised piece by piece with the replies "
                      "as sampled: the rollout loop built them another way (e.g. sliced from a re-tokenised rendering)",
                      reference, sound=False)
    seg = ledger.segment_at(position)
    if seg is not None and seg.kind == REPLY:
        text = _assistant_texts(ledger)[seg.index]
        return report(position, "non_canonical_reply",
                      f"reply {seg.index} was sampled as tokens that its text {text!r} does not encode to; a trainer "
                      "that re-tokenises the conversation trains on other tokens than were sampled", fresh)
    return report(position, "boundary_merge",
                  "tokens merge across the border of two pieces when the whole text is tokenised at once", fresh)


def _history_rewrite(tokenizer: Any, messages: list[dict], full: str, tools) -> str | None:
    for end in range(1, len(messages)):
        if messages[end - 1]["role"] in ("assistant", "system"):
            continue
        head = render_messages(tokenizer, messages[:end], True, tools)
        if not full.startswith(head):
            cut = next((i for i, (a, b) in enumerate(zip(head, full)) if a != b), min(len(head), len(full)))
            return (f"the template renders messages[:{end}] as text that the whole conversation does not start with "
                    f"(they part at character {cut}: {head[cut:cut + 30]!r} vs {full[cut:cut + 30]!r}); it rewrites "
                    "earlier turns, e.g. strips reasoning blocks from earlier replies")
    return None


def _closing_only(tokenizer: Any, tail: list[int]) -> bool:
    special = _special(tokenizer)
    return all(t in special or not tokenizer.decode([t]).strip() for t in tail)


__all__ = ["DriftReport", "REASONS", "TEMPLATE", "UNSOUND", "check_token_exact", "PROMPT", "OBSERVATION", "REPLY"]
