"""Signpost: a two-turn text task that no fixed or positional rule solves, for the learning
regression of the baselines (built here, no game files).

Turn 1: the observation names a direction ("A signpost points east."); the four ``go``
commands are offered in a random order; the right one leads on, a wrong one ends the
episode (reward 0). Turn 2: ``take coin`` among three commands in a random order wins
(reward 1); anything else ends it (reward 0). The best fixed policy ("go north", then
"take coin") wins a quarter of the games; choosing by position (first, last, ...) at best
a quarter too; a policy must read the sign to do better.
"""

from __future__ import annotations

import string

import gymnasium as gym
import numpy as np

from textagent_envs import infos

ENV_ID = "BaselinesTest/Signpost-v0"
DIRECTIONS = ("north", "south", "east", "west")
SECOND = ("take coin", "look", "wait")


class Signpost(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = gym.spaces.Text(max_length=200, charset=string.printable)
        self.action_space = gym.spaces.Text(max_length=50, charset=string.printable)

    def _info(self, won: bool = False, lost: bool = False) -> dict:
        return {infos.OBJECTIVE: "Find the coin.", infos.ADMISSIBLE_COMMANDS: list(self.offered),
                infos.SUCCESS: won, infos.WON: won, infos.LOST: lost, infos.WALKTHROUGH: list(self.walkthrough)}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        rng = np.random.default_rng(seed)
        self.direction = DIRECTIONS[int(rng.integers(4))]
        self.order_1 = [f"go {d}" for d in rng.permutation(DIRECTIONS)]
        self.order_2 = [str(c) for c in rng.permutation(SECOND)]
        self.walkthrough = [f"go {self.direction}", "take coin"]
        self.turn, self.offered = 0, self.order_1
        return f"A signpost points {self.direction}.", self._info()

    def step(self, action: str):
        self.turn += 1
        if self.turn == 1:
            if action.strip() == f"go {self.direction}":
                self.offered = self.order_2
                return "You see a coin.", 0.0, False, False, self._info()
            self.offered = self.order_1
            return "You fall into a pit.", 0.0, True, False, self._info(lost=True)
        won = action.strip() == "take coin"
        return ("You take the coin." if won else "The coin rolls away."), float(won), True, False, self._info(won, not won)


def register() -> None:
    if ENV_ID not in gym.registry:
        gym.register(ENV_ID, entry_point=Signpost)
