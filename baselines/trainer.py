"""One multi-turn trainer for PPO, GRPO, RLOO and REINFORCE.

Every iteration: draw ``tasks_per_iter`` training tasks, play each ``group_size`` times
(batched, token-exact, :mod:`baselines.rollout`), compute advantages with the algorithm's
estimator (:mod:`baselines.advantages`), and take ``epochs`` passes of minibatch updates of
the shared loss: PPO-clip on the sampled tokens, KL to the frozen initial policy (in the
reward for PPO as in the paper, as a loss otherwise), entropy bonus, value loss (PPO),
gradient clipping. The algorithms differ only in the estimator and the preset.

Runs go through ``accelerate`` (one process by default; ``accelerate launch
--multi_gpu --num_processes 2 -m baselines.train ...``: despite the flag's name this
starts CPU processes under torchrun, and ``Accelerator(cpu=True)`` makes it gloo DDP for DDP: each process plays its share of the
tasks and gradients are averaged). Everything a run needs to continue bit-exactly is in
its checkpoint: weights, optimizer, the sampling generator, the task-order RNG, the
iteration.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .advantages import ESTIMATORS
from .chat import ChatFormat
from .config import TrainConfig
from .losses import kl_to_reference, masked_mean, ppo_clip_loss, value_loss
from .policy import Agent, PolicyModel, token_entropy, token_logprobs
from .rollout import Episode, collect

#: Columns of metrics.csv, namespaced as in cleanrl (also the TensorBoard tags).
METRICS = (
    "iteration", "episodes", "time_s", "cpu_s",
    "charts/success_rate", "charts/return", "charts/episode_length",
    "losses/loss", "losses/policy", "losses/value", "losses/kl_ref", "losses/entropy", "losses/approx_kl",
    "losses/clip_fraction", "losses/grad_norm",
    "perf/tokens_per_s", "perf/env_share",
    "eval/success_rate", "eval/return", "eval/steps", "sft/loss",
)
CHECKPOINT = "checkpoint.pt"


def make_env(cfg: TrainConfig):
    """The env of a config: ``textagent_envs.make(env, reward=..., max_episode_steps=...)``."""
    import textagent_envs

    return textagent_envs.make(cfg.env, reward=cfg.reward, max_episode_steps=cfg.max_turns, **cfg.env_kwargs)


def split_seeds(split: str, count: int) -> list[int]:
    from textagent_envs.curriculum.splits import split_seeds as seeds_of

    return list(seeds_of(split)[:count])


def pad_batch(episodes: Sequence[Episode], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors of a list of episodes (``tokens``, ``attention``, ``mask``,
    ``logprobs``, ``turn_end``, ``rewards``, ``group``)."""
    width = max(len(ep.tokens) for ep in episodes)

    def pad(rows, value, dtype):
        return torch.tensor([list(r) + [value] * (width - len(r)) for r in rows], dtype=dtype)

    return {
        "tokens": pad([ep.tokens for ep in episodes], pad_id, torch.long),
        "attention": pad([[1] * len(ep.tokens) for ep in episodes], 0, torch.long),
        "mask": pad([ep.mask for ep in episodes], 0, torch.float32),
        "logprobs": pad([ep.logprobs for ep in episodes], 0.0, torch.float32),
        "turn_end": pad([ep.turn_end for ep in episodes], 0, torch.long),
        "rewards": pad([ep.rewards for ep in episodes], 0.0, torch.float32),
        "group": torch.tensor([ep.group for ep in episodes], dtype=torch.long),
    }


class MetricsLog:
    """metrics.csv (always) and TensorBoard events (when tensorboard is installed)."""

    def __init__(self, out: Path, resume_after: int | None = None):
        self.path = out / "metrics.csv"
        if resume_after is not None and self.path.exists():
            with open(self.path) as f:  # drop rows written after the checkpoint we resume from
                rows = [r for r in csv.DictReader(f) if int(r["iteration"]) <= resume_after]
            self._write_rows(rows)
        elif not self.path.exists() or resume_after is None:
            self._write_rows([])
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(out / "tensorboard"))
        except ImportError:
            self.writer = None

    def _write_rows(self, rows):
        with open(self.path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=METRICS)
            w.writeheader()
            w.writerows(rows)

    def log(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=METRICS).writerow({k: row.get(k, "") for k in METRICS})
        if self.writer is not None:
            for key, value in row.items():
                if key not in ("iteration",) and isinstance(value, (int, float)) and value == value:
                    self.writer.add_scalar(key, value, row["iteration"])
            self.writer.flush()


class Trainer:
    """Build with a config; ``train()`` runs it. ``resume=True`` continues the run in
    ``cfg.out`` from its checkpoint (same config). ``for_eval=True`` builds only what
    evaluation needs (nothing is written).

    >>> Trainer(TrainConfig(algo="grpo", env="TextWorld-CoinCollector-v0", env_kwargs={"level": 2},
    ...                     out="runs/grpo")).train()                      # doctest: +SKIP
    """

    def __init__(self, cfg: TrainConfig, *, resume: bool = False, for_eval: bool = False, accelerator: Any = None):
        from accelerate import Accelerator

        self.cfg = cfg = cfg.resolved()
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        self.accelerator = accelerator or Accelerator(cpu=True)
        self.rank, self.world = self.accelerator.process_index, self.accelerator.num_processes
        if cfg.tasks_per_iter % self.world:
            raise ValueError(f"tasks_per_iter ({cfg.tasks_per_iter}) must be a multiple of the number of processes ({self.world})")
        self.out = Path(cfg.out) if cfg.out else None
        self.iteration, self.sft_done = 0, False
        self.cpu_s = 0.0  # process CPU time spent in this run (SFT, rollouts, updates, evaluation)
        self.envs = [make_env(cfg) for _ in range(cfg.num_envs)]
        lm, tokenizer = self._build_model(resume)
        self.tokenizer = tokenizer
        from .chat import PromptTemplate

        self.chat = ChatFormat(tokenizer, PromptTemplate(**cfg.prompt))
        policy = PolicyModel(lm, value_head=cfg.value_head)
        self.reference = None
        if cfg.kl_coef > 0 and not cfg.lora and not for_eval:
            self.reference = copy.deepcopy(lm).eval()
            for p in self.reference.parameters():
                p.requires_grad_(False)
        groups = [{"params": [p for p in policy.lm.parameters() if p.requires_grad], "lr": cfg.lr}]
        if policy.value_head is not None:
            groups.append({"params": list(policy.value_head.parameters()), "lr": cfg.value_lr})
        optimizer = torch.optim.AdamW(groups, weight_decay=0.0)
        self.model, self.optimizer = self.accelerator.prepare(policy, optimizer)
        self.generator = torch.Generator().manual_seed(cfg.seed * 1_000_003 + self.rank)
        self.task_rng = np.random.default_rng(cfg.seed)
        self.agent = Agent(self.policy, self.chat, mode=cfg.mode, temperature=cfg.temperature,
                           max_new_tokens=cfg.max_new_tokens, generator=self.generator, choice_score=cfg.choice_score)
        self.train_seeds = split_seeds("train", cfg.train_tasks)
        if resume:
            self.load_checkpoint()
        self.log = None
        if self.out is not None and not for_eval and self.accelerator.is_main_process:
            self.log = MetricsLog(self.out, resume_after=self.iteration if resume else None)

    # -- model ---------------------------------------------------------------------------
    @property
    def policy(self) -> PolicyModel:
        return self.accelerator.unwrap_model(self.model)

    def _build_model(self, resume: bool):
        from .corpus import env_corpus
        from .models import LoraSettings, load_model

        cfg = self.cfg
        init_dir = self.out / "init_model" if self.out is not None else None
        lora = LoraSettings() if cfg.lora else None
        if cfg.model == "tiny" and init_dir is not None and (init_dir / "config.json").exists():
            return load_model(str(init_dir), lora=lora)  # this run's own tiny model (resume, or a restart)
        if resume and cfg.model == "tiny":
            raise FileNotFoundError(f"cannot resume: {init_dir} holds no initial model; was this run started?")
        if cfg.model == "tiny" and init_dir is not None:
            # built once, saved, and always used as reloaded from disk, so a resumed run has
            # the very same tokenizer and weights
            if self.accelerator.is_main_process:
                corpus = env_corpus(lambda: make_env(cfg), split_seeds("train", min(8, cfg.train_tasks)))
                lm, tok = load_model("tiny", corpus=corpus, seed=cfg.seed)
                init_dir.mkdir(parents=True, exist_ok=True)
                lm.save_pretrained(init_dir)
                tok.save_pretrained(init_dir)
            self.accelerator.wait_for_everyone()
            lm, tok = load_model(str(init_dir))
        else:
            corpus = env_corpus(lambda: make_env(cfg), split_seeds("train", min(8, cfg.train_tasks))) if cfg.model == "tiny" else None
            lm, tok = load_model(cfg.model, corpus=corpus, seed=cfg.seed)
        if lora is not None:
            from .models import apply_lora

            lm = apply_lora(lm, lora)
        return lm, tok

    # -- checkpoints ---------------------------------------------------------------------
    def save_checkpoint(self) -> None:
        if self.out is None or not self.accelerator.is_main_process:
            return
        state = {
            "iteration": self.iteration,
            "sft_done": self.sft_done,
            "cpu_s": self.cpu_s,
            "processes": self.world,
            "model": self.policy.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "task_rng": self.task_rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "config": json.loads(self.cfg.to_json()),
        }
        tmp = self.out / (CHECKPOINT + ".tmp")
        torch.save(state, tmp)
        tmp.replace(self.out / CHECKPOINT)

    def load_checkpoint(self) -> None:
        path = self.out / CHECKPOINT if self.out is not None else None
        if path is None or not path.exists():
            raise FileNotFoundError(f"no checkpoint at {path}; train first or drop --resume")
        state = torch.load(path, weights_only=False)
        self.policy.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.task_rng.bit_generator.state = state["task_rng"]
        torch.set_rng_state(state["torch_rng"])
        self.iteration, self.sft_done = int(state["iteration"]), bool(state["sft_done"])
        self.cpu_s = float(state["cpu_s"])

    # -- training ------------------------------------------------------------------------
    def train(self, progress: bool = True) -> list[dict]:
        """Run SFT (if configured) and the remaining RL iterations; returns their metric rows."""
        cfg = self.cfg
        if self.out is not None and self.accelerator.is_main_process:
            self.out.mkdir(parents=True, exist_ok=True)
            cfg.save(self.out / "config.json")
        start_row: dict[str, Any] = {}
        if cfg.sft_demos and not self.sft_done:
            cpu_start = time.process_time()
            start_row["sft/loss"] = self.warm_start()[-1]
            self.cpu_s += time.process_time() - cpu_start
        if self.iteration == 0 and cfg.eval_every and self.log is not None:
            # the starting point of the held-out curve (after the warm start, if any)
            cpu_start = time.process_time()
            summary, _ = self.evaluate(split_seeds("test", cfg.eval_tasks))
            self.cpu_s += time.process_time() - cpu_start
            start_row.update({"eval/success_rate": summary["success_rate"], "eval/return": summary["mean_return"],
                              "eval/steps": summary["mean_steps"]})
        if start_row and self.log is not None:
            self.log.log({"iteration": 0, "episodes": 0, "cpu_s": self.cpu_s, **start_row})
        rows = []
        bar = None
        if progress and self.accelerator.is_main_process:
            from tqdm import tqdm

            bar = tqdm(total=cfg.iterations, initial=self.iteration, desc=f"{cfg.algo} {cfg.env}", unit="it")
        while self.iteration < cfg.iterations:
            cpu_start = time.process_time()
            row = self.step()
            last = self.iteration == cfg.iterations
            if (cfg.eval_every and self.iteration % cfg.eval_every == 0) or last:
                summary, _ = self.evaluate(split_seeds("test", cfg.eval_tasks))
                row.update({"eval/success_rate": summary["success_rate"], "eval/return": summary["mean_return"],
                            "eval/steps": summary["mean_steps"]})
            self.cpu_s += time.process_time() - cpu_start
            row["cpu_s"] = self.cpu_s
            if (cfg.save_every and self.iteration % cfg.save_every == 0) or last:
                self.save_checkpoint()
            if self.log is not None:
                self.log.log(row)
            rows.append(row)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(success=f"{row['charts/success_rate']:.2f}", eval=row.get("eval/success_rate", ""))
        if bar is not None:
            bar.close()
        self.check_in_sync()
        return rows

    def check_in_sync(self) -> None:
        """With several processes, raise if their weights differ (DDP keeps them equal)."""
        if self.world == 1:
            return
        with torch.no_grad():
            local = torch.stack([p.double().sum() for p in self.policy.parameters()])
        every = self.accelerator.gather(local[None]).reshape(self.world, -1)
        if not torch.allclose(every, every[0].expand_as(every), rtol=0, atol=1e-6):
            raise RuntimeError("the processes' weights differ after training; gradients were not synchronised")

    def warm_start(self) -> list[float]:
        """SFT on ``sft_demos`` walkthroughs of the 'sft' split; returns the loss per step."""
        from .sft import demonstrations, sft_step

        cfg = self.cfg
        seeds = split_seeds("sft", cfg.sft_demos)[self.rank:: self.world]
        episodes = demonstrations(self.envs[0], seeds, self.agent)
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.sft_lr
        losses = []
        self.model.train()
        for _ in range(cfg.sft_epochs):
            order = torch.randperm(len(episodes), generator=self.generator).tolist()
            for start in range(0, len(order), cfg.minibatch):
                batch = pad_batch([episodes[i] for i in order[start: start + cfg.minibatch]], self.chat.eos_id)
                losses.append(sft_step(self.model, self.optimizer, batch, self.accelerator.backward, cfg.max_grad_norm))
        self.model.eval()
        for group, lr in zip(self.optimizer.param_groups, (cfg.lr, cfg.value_lr)):
            group["lr"] = lr
        self.sft_done = True
        return losses

    def _draw_tasks(self) -> tuple[list[int], list[int]]:
        """This process's seeds and group labels for one iteration (every process draws the
        same tasks and keeps its share)."""
        cfg = self.cfg
        tasks = self.task_rng.choice(len(self.train_seeds), size=cfg.tasks_per_iter, replace=False
                                     if cfg.tasks_per_iter <= len(self.train_seeds) else True)
        mine = list(range(self.rank, cfg.tasks_per_iter, self.world))
        seeds = [self.train_seeds[int(tasks[t])] for t in mine for _ in range(cfg.group_size)]
        groups = [int(t) for t in mine for _ in range(cfg.group_size)]
        return seeds, groups

    @torch.no_grad()
    def _score(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Values of the current critic and log-probs of the reference, per token."""
        cfg = self.cfg
        values = ref = None
        if cfg.value_head or (cfg.kl_coef > 0):
            values_list, ref_list = [], []
            for start in range(0, batch["tokens"].shape[0], cfg.minibatch):
                tokens = batch["tokens"][start: start + cfg.minibatch]
                attention = batch["attention"][start: start + cfg.minibatch]
                if cfg.value_head:
                    values_list.append(self.policy(tokens, attention)[1])
                if cfg.kl_coef > 0:
                    ref_list.append(token_logprobs(self._reference_logits(tokens, attention), tokens, cfg.temperature))
            values = torch.cat(values_list) if values_list else None
            ref = torch.cat(ref_list) if ref_list else None
        return values, ref

    def _reference_logits(self, tokens, attention):
        if self.reference is not None:
            return self.reference(input_ids=tokens, attention_mask=attention).logits
        with self.policy.lm.disable_adapter():  # LoRA: the base model is the reference
            return self.policy.lm(input_ids=tokens, attention_mask=attention).logits

    def step(self) -> dict[str, Any]:
        """One iteration: rollouts, advantages, updates. Returns its metrics row."""
        cfg = self.cfg
        start = time.perf_counter()
        seeds, groups = self._draw_tasks()
        episodes, stats = collect(self.agent, self.envs, seeds, groups, max_tokens=cfg.max_tokens)
        batch = pad_batch(episodes, self.chat.eos_id)
        mask, old_logp = batch["mask"], batch["logprobs"]
        values, ref_logp = self._score(batch)
        rewards = batch["rewards"]
        if cfg.kl_coef > 0 and cfg.kl_in_reward:
            rewards = rewards - cfg.kl_coef * (old_logp - ref_logp) * mask
        advantages, returns = ESTIMATORS[cfg.estimator](
            rewards, mask, batch["turn_end"], batch["group"], values, None,
            gamma=cfg.gamma, lam=cfg.lam, turn_level=cfg.turn_level)
        if cfg.normalize_advantages:
            mean = masked_mean(advantages, mask)
            std = masked_mean((advantages - mean) ** 2, mask).sqrt()
            advantages = (advantages - mean) / (std + 1e-8) * mask
        sums: dict[str, float] = {}
        count = 0
        self.model.train()
        params = [p for p in self.model.parameters() if p.requires_grad]
        for _ in range(cfg.epochs):
            order = torch.randperm(len(episodes), generator=self.generator)
            for first in range(0, len(episodes), cfg.minibatch):
                idx = order[first: first + cfg.minibatch]
                m = mask[idx]
                logits, new_values = self.model(batch["tokens"][idx], batch["attention"][idx])
                logp = token_logprobs(logits, batch["tokens"][idx], cfg.temperature)
                policy_loss, clip_fraction = ppo_clip_loss(logp, old_logp[idx], advantages[idx], m, cfg.clip)
                entropy = masked_mean(token_entropy(logits, cfg.temperature), m)
                loss = policy_loss - cfg.entropy_coef * entropy
                kl_ref = torch.zeros(())
                if ref_logp is not None:
                    kl_ref = masked_mean(kl_to_reference(logp, ref_logp[idx]), m)
                    if not cfg.kl_in_reward:
                        loss = loss + cfg.kl_coef * kl_ref
                v_loss = torch.zeros(())
                if new_values is not None:
                    v_loss = value_loss(new_values, returns[idx], m)
                    loss = loss + cfg.value_coef * v_loss
                self.optimizer.zero_grad()
                self.accelerator.backward(loss)
                grad_norm = self.accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
                self.optimizer.step()
                with torch.no_grad():
                    approx_kl = masked_mean((old_logp[idx] - logp), m)
                for key, value in (("losses/loss", loss), ("losses/policy", policy_loss), ("losses/value", v_loss),
                                   ("losses/kl_ref", kl_ref), ("losses/entropy", entropy), ("losses/approx_kl", approx_kl),
                                   ("losses/clip_fraction", clip_fraction), ("losses/grad_norm", grad_norm)):
                    sums[key] = sums.get(key, 0.0) + float(value.detach() if torch.is_tensor(value) else value)
                count += 1
        self.model.eval()
        self.iteration += 1
        summaries = [ep.summary() for ep in episodes]
        row = {k: v / max(count, 1) for k, v in sums.items()}
        local = torch.tensor([np.mean([s["success"] for s in summaries]), np.mean([s["return"] for s in summaries]),
                              np.mean([s["steps"] for s in summaries])], dtype=torch.float64)
        success, ret, length = (float(x) for x in self.accelerator.reduce(local, reduction="mean"))
        row.update({
            "iteration": self.iteration, "episodes": self.iteration * cfg.episodes_per_iter,
            "time_s": time.perf_counter() - start,
            "charts/success_rate": success, "charts/return": ret, "charts/episode_length": length,
            "perf/tokens_per_s": stats.tokens_per_s, "perf/env_share": stats.env_share,
        })
        return row

    # -- evaluation ----------------------------------------------------------------------
    def evaluate(self, seeds: Sequence[int], *, greedy: bool = True, num_envs: int | None = None) -> tuple[dict, list[dict]]:
        """Play ``seeds`` with the current policy (greedy by default); summary with 95%
        intervals and the episodes. The sampling generator is left untouched."""
        from .evaluate import evaluate_agent

        if num_envs is not None and num_envs > len(self.envs):
            self.envs.extend(make_env(self.cfg) for _ in range(num_envs - len(self.envs)))
        envs = self.envs if num_envs is None else self.envs[:num_envs]
        state = self.generator.get_state()
        try:
            return evaluate_agent(self.agent, envs, seeds, greedy=greedy, max_tokens=self.cfg.max_tokens)
        finally:
            self.generator.set_state(state)

    def close(self) -> None:
        for env in self.envs:
            env.close()
        if self.log is not None and self.log.writer is not None:
            self.log.writer.close()
