"""The equivalence sweep's own contract (no game needed: two stand-in backends)."""

from textagent_envs import infos
from textagent_envs.textworld.compare import Comparison, compare_game


class _Backend:
    """A backend that records the commands it is sent and always answers the same."""

    def __init__(self):
        self.sent = []

    def load(self, path):
        pass

    def entity_names(self):
        return ["old key", "chest"]

    def _state(self):
        return {"feedback": "ok", infos.DESCRIPTION: "", infos.INVENTORY: "", infos.LOCATION: "room", infos.SCORE: 0,
                infos.MAX_SCORE: 1, infos.WON: False, infos.LOST: False, infos.MOVES: 0,
                infos.ADMISSIBLE_COMMANDS: ["take old key", "open chest"], infos.OBJECTIVE: "", infos.WALKTHROUGH: []}

    def reset(self):
        return self._state()

    def step(self, command):
        self.sent.append(command)
        return self._state()


def test_the_sweep_plays_only_what_the_env_lets_through():
    # Commas, empty input and "all" are refused by the env before either backend sees
    # them: such a step is equal by construction and counted as refused, by kind.
    reference, native = _Backend(), _Backend()
    result = compare_game("unused.z8", seed=3, n_random=300, reference=reference, native=native)
    assert reference.sent == native.sent
    assert not [c for c in native.sent if "," in c or not c.strip() or "all" in c.split()]
    assert result.refused.get("comma", 0) == result.steps_by_kind["comma"] > 0
    assert result.refused.get("empty", 0) == result.steps_by_kind["empty"] > 0
    assert result.steps == 1 + 300 + 1 and result.equal_steps == result.steps  # two resets, 300 commands
    assert len(native.sent) == 300 - sum(result.refused.values())
    assert Comparison.from_json(result.to_json()).refused == result.refused
