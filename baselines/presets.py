"""Named settings (``--preset``): the prompt's words, the observation shown each turn, how a
reply becomes a command, and the seed splits, bundled so one flag picks a whole format.

``default``
    Today's format: a system instruction, the env's observation as it comes, the reply's
    last line as the command, and textagent_envs' splits (train 30001-, sft 40001-, test 1-).
``paper``
    The released code of the paper (pearls-lab/meow-tea-taro), exactly:

    - prompt (``meow_tea_experiments/data_generation/multiturn_template.py``, as
      ``format_multiturn_prompt`` fills it): one first user message and no system message
      of ours (the tokenizer's chat template adds its default one, as it did for the paper's
      Qwen), later observations as ``"current state: {obs}\\n\\nyour action: "`` user
      messages after each assistant reply (``meow_tea_train/agentic_menu/sync_textworld/
      agent.py``); see :data:`PAPER_PROMPT`;
    - observation (``sync_textworld/env.py``, ``format_observation``): ``"You are now in the
      {room}.\\n"`` + the essential feedback + ``"\\n"`` + the inventory; see
      :func:`paper_observation`;
    - action: the whole reply with backslashes removed (``_sanitize_command``); see
      :func:`whole_reply_command`;
    - the splits of the released scripts: RL on ``released-train`` (50001-55000), SFT on
      ``released-validation`` (40001-40100), test on ``released-test`` (1-100);
    - text mode, 8 turns (``max_iter=8``), sampling temperature 0.7, on
      ``TextWorld-Custom-w2-o3-q4-v0`` (``examples/textworld/run_ppo_qwen-0.5b.sh``).

Seed splits (:data:`SEED_SPLITS`) are named ranges; the paper's *text* gives other ranges
than its scripts use, so both are here under their own names (``paper-rl``, ``paper-sft``
for the text; ``released-*`` for the scripts).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from textagent_envs import infos
from textagent_envs.tasksets.splits import SPLITS

#: Named seed ranges. ``train``/``valid``/``sft``/``test`` are textagent_envs' disjoint
#: splits; ``released-*`` are the ranges the paper's released scripts use; ``paper-rl`` and
#: ``paper-sft`` the ranges its text states (RL 30001-35000, SFT 40001-40101, both ends
#: included). ``released-validation`` and ``paper-sft`` overlap (same games).
SEED_SPLITS: dict[str, range] = {
    **SPLITS,
    "released-train": range(50_001, 55_001),
    "released-validation": range(40_001, 40_101),
    "released-test": range(1, 101),
    "paper-rl": range(30_001, 35_001),
    "paper-sft": range(40_001, 40_102),
}


def split_seeds(split: str, count: int | None = None) -> list[int]:
    """The first ``count`` seeds (all when None) of the named split :data:`SEED_SPLITS`."""
    if split not in SEED_SPLITS:
        raise ValueError(f"unknown seed split {split!r}; choose from {sorted(SEED_SPLITS)}")
    seeds = SEED_SPLITS[split]
    if count is not None and count > len(seeds):
        raise ValueError(f"split {split!r} has {len(seeds)} seeds ({seeds.start}-{seeds.stop - 1}); "
                         f"{count} were asked for: ask for fewer or choose a larger split")
    return list(seeds if count is None else seeds[:count])


# --- observations -------------------------------------------------------------------------
def raw_observation(obs: str, info: dict[str, Any]) -> str:
    """The env's observation as it comes."""
    return obs


_ROOM_TEXT = re.compile(r"-= (.+?) =-\n([\s\S]*?)(?=\s*>|$)")
_ACTION_LINE = re.compile(r"^([^-=>\n][^\n]*?)(?=\n\s*>)", re.MULTILINE)


def essential_feedback(text: str) -> str:
    """The released code's ``_extract_essential_feedback``: the non-empty lines of each room
    description, then each line that stands right before the game's ``>`` prompt, without
    repeats. ``text`` is TextWorld's raw feedback (ending in a ``>`` prompt)."""
    lines: list[str] = []
    for match in _ROOM_TEXT.finditer(text):
        lines.extend(line.strip() for line in match.group(2).strip().split("\n") if line.strip())
    for match in _ACTION_LINE.finditer(text):
        line = match.group(1).strip()
        if line and line not in lines:
            lines.append(line)
    return "\n".join(dict.fromkeys(lines))


def paper_observation(obs: str, info: dict[str, Any]) -> str:
    """The observation the paper's code shows: ``"You are now in the {room}.\\n"`` +
    :func:`essential_feedback` + ``"\\n"`` + the inventory.

    The env's observation is TextWorld's feedback without its ``>`` prompt, so the prompt is
    put back before extracting; the room is the game's name for it (lower case, as
    ``game.infos[room].name``; the env's ``location`` is the title-cased heading). Needs the
    env made with ``extra_infos=("location", "inventory")`` (the trainer does this)."""
    missing = [k for k in (infos.LOCATION, infos.INVENTORY) if info.get(k) is None]
    if missing:
        raise ValueError(f"the paper's observation needs info {missing}; make the env with "
                         f"extra_infos=('location', 'inventory')")
    room = f"You are now in the {info[infos.LOCATION].lower()}.\n"
    return room + essential_feedback(obs + "\n\n>") + "\n" + info[infos.INVENTORY]


#: How the observation shown to the agent is built from the env's ``(obs, info)``.
OBSERVATIONS: dict[str, Callable[[str, dict], str]] = {"raw": raw_observation, "paper": paper_observation}
#: Optional info keys each observation needs from the env.
OBSERVATION_INFOS: dict[str, tuple[str, ...]] = {"raw": (), "paper": (infos.LOCATION, infos.INVENTORY)}


# --- actions ------------------------------------------------------------------------------
def last_line_command(text: str) -> str:
    """The reply's last non-empty line, stripped (the prompt asks to end with the action)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def whole_reply_command(text: str) -> str:
    """The whole reply with every backslash removed, stripped (the released code's
    ``_sanitize_command``)."""
    return text.replace("\\", "").strip()


#: How a free-text reply (decoded without special tokens) becomes the command sent.
ACTIONS: dict[str, Callable[[str], str]] = {"last_line": last_line_command, "whole_reply": whole_reply_command}


# --- the named settings -------------------------------------------------------------------
#: The paper's prompt as :class:`~textagent_envs.chat.PromptTemplate` fields: the released
#: ``MULTITURN_PROMPT_TEMPLATE`` with ``interactions = "current state: {state}\\n\\n"`` and
#: ``"your action: "`` appended (``format_multiturn_prompt``), no system message, and each
#: later observation as the rollout agent appends it.
PAPER_PROMPT: dict[str, Any] = {
    "system": "",
    "first_user": (
        "You are an expert TextWorld game solver. Your goal is to generate the best next action that will lead "
        "to winning the game.\n\nEnd your output sequence with an action starting with a verb. Example: open box."
        "\n\nHere is how to win the game:\n{objective}\n\nHere is your interactions so far:\n"
        "current state: {observation}{choices_line}\n\nyour action: "
    ),
    "next_user": "current state: {observation}{choices_line}\n\nyour action: ",
    "show_choices": False,
}

#: ``--preset NAME``: TrainConfig fields each named setting fixes (flags given with it win).
SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "paper": {
        "env": "TextWorld-Custom-w2-o3-q4-v0", "mode": "text", "max_turns": 8, "temperature": 0.7,
        "prompt": PAPER_PROMPT, "observation": "paper", "action": "whole_reply",
        "train_split": "released-train", "sft_split": "released-validation", "eval_split": "released-test",
    },
}
