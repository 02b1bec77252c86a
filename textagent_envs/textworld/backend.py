"""The TextWorld game backend: a compiled ``.z8`` played through textworld's Jericho
interpreter with its state tracking (score, won/lost, admissible commands).

:class:`JerichoBackend` returns plain dicts of the values asked for, so it can run in
this process or in a child (:class:`textagent_envs.worker.ProcessRunner`).
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Sequence

from .. import infos
from .shared import TEXTWORLD_LOCK

# The interpreter's closing prompt line: ">", padding, then the status line
# ("-= Studio =-0/2": room, score/moves).
_PROMPT_TAIL = re.compile(r"(?:^|\n)[ \t]*>[^\n]*$")
_ROOM_HEADING = re.compile(r"-= (.+?) =-")
_BANNER_CHARS = set(" _|\\/$<>()")


# After the end, Inform offers interpreter commands that the env refuses.
_END_PROMPT = re.compile(r"\s*Would you like to RESTART, RESTORE a saved game, QUIT or UNDO the last command\?\s*$")


def clean_feedback(text: str) -> str:
    """Game text without the interpreter's prompts, trailing spaces, blank-line runs and
    TextWorld's ASCII-art title banner."""
    text = _PROMPT_TAIL.sub("", (text or "").rstrip())
    text = _END_PROMPT.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    lines = [line for line in lines if not (line.strip() and set(line) <= _BANNER_CHARS)]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


class JerichoBackend:
    """Plays ``.z8`` TextWorld games. ``extra_infos`` names optional info keys to compute."""

    _OPTIONAL = {
        infos.ADMISSIBLE_COMMANDS: "admissible_commands",
        infos.DESCRIPTION: "description",
        infos.INVENTORY: "inventory",
        infos.LOCATION: "location",
        infos.POLICY_COMMANDS: "policy_commands",
    }

    def __init__(self, extra_infos: Sequence[str] = ()):
        self.extra_infos = infos.check_requested(extra_infos, tuple(self._OPTIONAL), who="the inform7 TextWorld engine")
        self._env = None
        self._game_file: str | None = None
        self._walkthrough: list[str] = []

    def load(self, game_file: str) -> None:
        """Open ``game_file`` (its ``.json`` must lie beside it); cheap if already open."""
        if game_file == self._game_file and self._env is not None:
            return
        import textworld

        asked = {self._OPTIONAL[name]: True for name in self.extra_infos}
        if infos.LOCATION in self.extra_infos:  # textworld leaves location empty with Jericho: read it off the description
            asked["description"] = True
        request = textworld.EnvInfos(
            feedback=True, score=True, max_score=True, moves=True, won=True, lost=True,
            objective=True, extras=["walkthrough"], **asked,
        )
        self.close()
        with TEXTWORLD_LOCK, warnings.catch_warnings():  # Jericho warns it cannot track score itself; textworld's state tracking does
            warnings.simplefilter("ignore")
            self._env = textworld.start(game_file, request_infos=request)
        self._game_file = game_file

    def reset(self) -> dict[str, Any]:
        with TEXTWORLD_LOCK:  # textworld re-reads the game's logic at reset
            state = self._env.reset()
        walkthrough = state.get("extra.walkthrough") or state.get("policy_commands")
        if walkthrough is None:
            walkthrough = state["game"].walkthrough or []
        self._walkthrough = list(walkthrough)
        return self._result(state)

    def step(self, command: str) -> dict[str, Any]:
        state, _, _ = self._env.step(command)
        return self._result(state)

    def _result(self, state) -> dict[str, Any]:
        out = {
            "feedback": clean_feedback(state["feedback"]),
            infos.SCORE: int(state["score"] or 0),
            infos.MAX_SCORE: int(state["max_score"] or 0),
            infos.MOVES: int(state["moves"] or 0),
            infos.WON: bool(state["won"]),
            infos.LOST: bool(state["lost"]),
            infos.OBJECTIVE: state["objective"] or "",
            infos.WALKTHROUGH: list(self._walkthrough),
        }
        for name in self.extra_infos:
            value = state.get(self._OPTIONAL[name])
            if name == infos.LOCATION and not value:
                match = _ROOM_HEADING.search(state.get("description") or "")
                value = match.group(1) if match else ""
            elif name in (infos.DESCRIPTION, infos.INVENTORY):
                value = clean_feedback(value or "")
            elif value is not None and not isinstance(value, str):
                value = list(value)
            out[name] = value
        return out

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
        self._env = None
        self._game_file = None
