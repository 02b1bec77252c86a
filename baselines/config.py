"""Training configuration: one dataclass whose field comments are the documentation, the
per-algorithm presets, and the paper's fixed SFT:RL budget.

The resolved config is written to ``<out>/config.json`` in every run directory; a run is
resumed from that file.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textagent_envs.checks import require_bool, require_choice

from .policy import BACKENDS, MODES

PRECISIONS = ("auto", "float32", "bfloat16", "float16")
#: Values of ``textworld_engine`` (the TextWorld envs' ``engine`` kwarg).
TEXTWORLD_ENGINES = ("native", "inform7")
#: Defaults of fields added after runs were saved, as those runs had them (``load``).
_SAVED_BEFORE = {"textworld_engine": "inform7", "rollout_kv_cache": False}

#: What differs between the algorithms: the advantage estimator, whether there is a critic,
#: and a few defaults (applied only to fields the user did not set). The group estimators
#: default to trajectory-level credit (``turn_level=False``): with a sparse success reward
#: turn-level GRPO normalises turn rewards within the group, which charges every extra turn
#: of a successful episode like a step penalty (see docs/baselines.md, "Who prefers short
#: episodes").
PRESETS: dict[str, dict[str, Any]] = {
    "ppo": {"estimator": "gae", "value_head": True, "group_size": 1, "normalize_advantages": True,
            "kl_coef": 0.01, "kl_in_reward": True, "turn_level": True},
    "grpo": {"estimator": "grpo", "value_head": False, "group_size": 4, "normalize_advantages": False,
             "kl_coef": 0.01, "kl_in_reward": False, "turn_level": False},
    "rloo": {"estimator": "rloo", "value_head": False, "group_size": 4, "normalize_advantages": False,
             "kl_coef": 0.01, "kl_in_reward": False, "turn_level": False},
    "reinforce": {"estimator": "reinforce", "value_head": False, "group_size": 1, "normalize_advantages": False,
                  "kl_coef": 0.01, "kl_in_reward": False, "turn_level": False},
}


@dataclass
class Budget:
    """The paper's fixed-budget SFT:RL split: ``units`` in total, a demonstration costs
    ``demo_cost`` units and an RL episode ``episode_cost``."""

    units: int = 1000
    demo_cost: int = 10
    episode_cost: int = 1

    def rl_episodes(self, demos: int) -> int:
        """RL episodes left after ``demos`` demonstrations."""
        left = self.units - demos * self.demo_cost
        if demos < 0 or left < 0:
            raise ValueError(f"{demos} demonstrations cost {demos * self.demo_cost} units, more than the budget of {self.units}")
        return left // self.episode_cost


@dataclass
class TrainConfig:
    """Everything a training run depends on (``python -m baselines.train --help`` lists the
    same fields as flags)."""

    #: ppo | grpo | rloo | reinforce (see PRESETS).
    algo: str = "ppo"
    #: A textagent_envs id.
    env: str = "TextWorld-CoinCollector-v0"
    #: Knobs and other keyword arguments for the env (e.g. {"level": 2}).
    env_kwargs: dict = field(default_factory=dict)
    #: Reward density: game | sparse | dense | balanced (textagent_envs.make).
    reward: str = "sparse"
    #: Turn budget (the env's max_episode_steps).
    max_turns: int = 4
    #: text (free-text replies) | choice (pick one admissible command).
    mode: str = "choice"
    #: Prompt wording: overrides of baselines.chat.PromptTemplate fields (system, first_user,
    #: next_user, choices_line, show_choices); empty = the paper's template.
    prompt: dict = field(default_factory=dict)
    #: How the observation shown each turn is built: raw (the env's) | paper (room, essential
    #: feedback, inventory; see baselines.presets.OBSERVATIONS).
    observation: str = "raw"
    #: How a text-mode reply becomes the command: last_line | whole_reply (backslashes
    #: removed, the paper's code); see baselines.presets.ACTIONS.
    action: str = "last_line"
    #: Choice mode: score a command by the mean or the sum of its token log-probabilities.
    choice_score: str = "mean"
    #: tiny | smollm2 | a Hugging Face id or local folder.
    model: str = "tiny"
    #: model=tiny: overrides of baselines.models.TinyModelSettings fields (vocab_size,
    #: hidden_size, num_layers, num_heads, intermediate_size, max_positions); empty = its defaults.
    tiny_model: dict = field(default_factory=dict)
    #: Train LoRA adapters (peft) instead of all weights.
    lora: bool = False
    #: Sampling temperature, also used for the training log-probabilities.
    temperature: float = 1.0
    #: Longest free-text reply, in tokens.
    max_new_tokens: int = 12
    #: Longest episode sequence, in tokens.
    max_tokens: int = 4096
    #: Distinct tasks per iteration; each is played group_size times.
    tasks_per_iter: int = 8
    #: Rollouts per task (GRPO/RLOO groups); None = the algorithm's preset.
    group_size: int | None = None
    #: Environments stepped in lockstep (the generation batch).
    num_envs: int = 16
    #: Training iterations (rollout batch + update).
    iterations: int = 40
    #: Passes over each rollout batch.
    epochs: int = 2
    #: Episodes per minibatch.
    minibatch: int = 16
    lr: float = 1e-3
    #: Learning rate of the value head (PPO).
    value_lr: float = 1e-3
    value_coef: float = 0.5
    #: The critic's head reads the LM's hidden states detached (PPO): the value loss trains
    #: the head alone and none of its gradient reaches the backbone the policy shares.
    value_detach: bool = False
    clip: float = 0.2
    #: KL to the frozen initial policy; None = preset.
    kl_coef: float | None = None
    #: KL as a per-token penalty in the reward (PPO, the paper) instead of a loss term; None = preset.
    kl_in_reward: bool | None = None
    entropy_coef: float = 0.0
    max_grad_norm: float = 1.0
    gamma: float = 1.0
    lam: float = 1.0
    #: Credit assignment of turn-level rewards (see baselines.advantages); None = preset
    #: (PPO true, the group estimators false).
    turn_level: bool | None = None
    #: PPO: at a budget cut (turn budget or token limit) bootstrap from the critic's value of
    #: the state the episode was cut in, as cleanrl does for time limits outside the task.
    #: False (the default) treats the cut as the end: these games are won within their turn
    #: budget or lost, and the reward wrappers pay the failure reward at the cut. With true, a
    #: critic can value a loop above a win (docs/baselines.md, "Episodes cut short").
    bootstrap_truncated: bool = False
    #: Whiten advantages per batch; None = preset.
    normalize_advantages: bool | None = None
    #: Training tasks: the first train_tasks seeds of train_split.
    train_tasks: int = 64
    #: Held-out evaluation: the first eval_tasks seeds of eval_split.
    eval_tasks: int = 50
    #: Named seed splits (baselines.presets.SEED_SPLITS) of the RL tasks, the held-out
    #: evaluation and the SFT demonstrations.
    train_split: str = "train"
    eval_split: str = "test"
    sft_split: str = "sft"
    #: Transcripts kept in transcripts.jsonl for the viewer: this many sampled training
    #: episodes per iteration, and the first transcripts_eval episodes of each evaluation.
    transcripts_per_iter: int = 2
    transcripts_eval: int = 10
    #: Evaluate every this many iterations (0: only at the end).
    eval_every: int = 10
    #: Checkpoint every this many iterations (0: only at the end).
    save_every: int = 10
    #: SFT warm start: walkthrough demonstrations from sft_split.
    sft_demos: int = 0
    sft_epochs: int = 3
    sft_lr: float = 1e-3
    #: What SFT minimises: token (NLL of the reply tokens) | choice (choice mode: the
    #: cross-entropy of the demonstrated command among the offered ones, the log-probability
    #: RL trains) | both (their sum); see baselines.sft.
    sft_loss: str = "token"
    #: Fixed SFT:RL budget in units (the paper: 1000); when set, the RL episodes are what is
    #: left after sft_demos demonstrations and fix the number of iterations.
    budget_units: int | None = None
    demo_cost: int = 10
    episode_cost: int = 1
    #: auto (the accelerator's choice: a GPU when there is one) | cpu | cuda | cuda:1 | mps.
    device: str = "auto"
    #: Compute dtype (autocast; trained weights stay float32, the frozen reference copy is
    #: stored in it): auto (bfloat16 on a GPU that supports it, else float32) | float32 |
    #: bfloat16 | float16.
    precision: str = "auto"
    #: Recompute activations in the backward pass (less memory, about a third more compute).
    gradient_checkpointing: bool = False
    #: Text mode's sampler: loop (own token loop) | generate (transformers' generate()).
    rollout_backend: str = "loop"
    #: Keep each episode's KV cache across turns, so a turn runs only its new tokens (the
    #: replies are the same; false runs every context whole each turn).
    rollout_kv_cache: bool = True
    #: TextWorld ids: the game engine, native (the game's logic in Python, far faster) |
    #: inform7 (the compiled game through Jericho, TextWorld's reference); passed to the env
    #: as its `engine` kwarg unless env_kwargs sets it. Other envs ignore it.
    textworld_engine: str = "native"
    #: Seed of the model init, sampling and task order.
    seed: int = 0
    #: Run directory (config, metrics.csv, transcripts.jsonl, TensorBoard events, checkpoints).
    out: str = "runs/baseline"
    #: The named setting the run started from (baselines.presets.SETTINGS; --preset).
    preset: str = "default"

    # resolved preset fields
    estimator: str = ""
    value_head: bool = False

    def resolved(self) -> "TrainConfig":
        """A copy with the preset filled in and every field checked."""
        if self.algo not in PRESETS:
            raise ValueError(f"algo must be one of {sorted(PRESETS)}, got {self.algo!r}")
        cfg = dataclasses.replace(self)
        preset = PRESETS[self.algo]
        cfg.estimator, cfg.value_head = preset["estimator"], preset["value_head"]
        for name in ("group_size", "kl_coef", "kl_in_reward", "normalize_advantages", "turn_level"):
            if getattr(cfg, name) is None:
                setattr(cfg, name, preset[name])
        if cfg.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {cfg.mode!r}")
        if cfg.rollout_backend not in BACKENDS:
            raise ValueError(f"rollout_backend must be one of {BACKENDS}, got {cfg.rollout_backend!r}")
        require_bool("rollout_kv_cache", cfg.rollout_kv_cache, error=ValueError)
        require_bool("value_detach", cfg.value_detach, error=ValueError)
        require_choice("textworld_engine", cfg.textworld_engine, TEXTWORLD_ENGINES)
        from .sft import SFT_LOSSES

        require_choice("sft_loss", cfg.sft_loss, SFT_LOSSES)
        if cfg.sft_loss != "token" and cfg.mode != "choice":
            raise ValueError(f"sft_loss={cfg.sft_loss!r} trains the choice among offered commands, which only choice mode "
                             "makes; use sft_loss='token' in text mode")
        from .models import TinyModelSettings

        unknown = set(cfg.tiny_model) - {f.name for f in dataclasses.fields(TinyModelSettings)}
        if unknown:
            raise ValueError(f"unknown tiny_model field(s) {sorted(unknown)}; see baselines.models.TinyModelSettings")
        if cfg.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {cfg.precision!r}")
        if cfg.device != "auto":
            import torch

            try:
                torch.device(cfg.device)
            except RuntimeError:
                raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps, got {cfg.device!r}") from None
        if cfg.estimator in ("grpo", "rloo") and cfg.group_size < 2:
            raise ValueError(f"{cfg.algo} compares rollouts of the same task; group_size must be >= 2, got {cfg.group_size}")
        if cfg.kl_in_reward and cfg.estimator != "gae":
            raise ValueError("kl_in_reward puts a per-token KL penalty in the reward, which only token-level GAE (ppo) uses; "
                             "use the KL loss (kl_in_reward=False) with grpo, rloo and reinforce")
        for name in ("max_turns", "tasks_per_iter", "group_size", "num_envs", "epochs", "minibatch", "train_tasks", "eval_tasks"):
            if getattr(cfg, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")
        from .presets import ACTIONS, OBSERVATIONS, SEED_SPLITS, SETTINGS

        for name, value, known in (("preset", cfg.preset, SETTINGS), ("observation", cfg.observation, OBSERVATIONS),
                                   ("action", cfg.action, ACTIONS), ("train_split", cfg.train_split, SEED_SPLITS),
                                   ("eval_split", cfg.eval_split, SEED_SPLITS), ("sft_split", cfg.sft_split, SEED_SPLITS)):
            if value not in known:
                raise ValueError(f"{name} must be one of {sorted(known)}, got {value!r}")
        for name in ("iterations", "sft_demos", "eval_every", "save_every", "sft_epochs", "transcripts_per_iter",
                     "transcripts_eval"):
            if getattr(cfg, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(cfg, name)}")
        from .chat import PromptTemplate

        unknown = set(cfg.prompt) - {f.name for f in dataclasses.fields(PromptTemplate)}
        if unknown:
            raise ValueError(f"unknown prompt field(s) {sorted(unknown)}; see baselines.chat.PromptTemplate")
        if cfg.budget_units is not None:
            episodes = self.budget().rl_episodes(cfg.sft_demos)
            cfg.iterations = episodes // (cfg.tasks_per_iter * cfg.group_size)
        return cfg

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> "TrainConfig":
        """The config of the named setting ``name`` (``default`` | ``paper``, see
        baselines.presets.SETTINGS) with ``overrides`` on top."""
        from .presets import SETTINGS

        if name not in SETTINGS:
            raise ValueError(f"unknown preset {name!r}; choose from {sorted(SETTINGS)}")
        return cls(**{**copy.deepcopy(SETTINGS[name]), **overrides, "preset": name})

    def budget(self) -> Budget:
        return Budget(self.budget_units or 0, self.demo_cost, self.episode_cost)

    @property
    def episodes_per_iter(self) -> int:
        return self.tasks_per_iter * int(self.group_size or 1)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        data = json.loads(Path(path).read_text())
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{path}: unknown config field(s) {sorted(unknown)}")
        return cls(**{**_SAVED_BEFORE, **data})  # a run saved before a field existed keeps what it ran with
