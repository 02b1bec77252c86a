"""One multi-turn trainer for PPO, GRPO, RLOO and REINFORCE.

Every iteration: draw ``tasks_per_iter`` training tasks, play each ``group_size`` times
(batched, token-exact, :mod:`baselines.rollout`), compute advantages with the algorithm's
estimator (:mod:`baselines.advantages`), and take ``epochs`` passes of minibatch updates of
the shared loss: PPO-clip on the agent's actions, KL to the frozen reference policy (the
policy after the SFT warm start, or the initial one; in the reward for PPO as in the paper,
as a loss otherwise), entropy bonus, value loss (PPO), gradient clipping. The algorithms
differ only in the estimator and the preset.

The action the loss is taken on depends on the mode: in text mode every sampled token; in
choice mode the choice itself, one step per turn, with the log-probability of the chosen
command under the softmax over the offered commands (the very distribution it was sampled
from), so the ratio, the KL and the entropy are those of the choice.

Runs go through ``accelerate`` on its device (``device="auto"``: a GPU when there is one)
in the ``precision`` of the config (bfloat16 on a GPU that supports it). One process by
default; ``accelerate launch --multi_gpu --num_processes 2 -m baselines.train ...`` runs
DDP (on a CPU machine two CPU processes under gloo): each process plays its share of the
tasks and gradients are averaged. Everything a run needs to continue bit-exactly is in
its checkpoint: weights, optimizer, the sampling generator, the task-order RNG, the
iteration.
"""

from __future__ import annotations

import contextlib
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
from .play import evaluate_agent, make_env, progress_bar
from .policy import Agent, PolicyModel, masked_logprobs, turn_choice_distributions
from .rollout import Episode, collect

#: Columns of metrics.csv, namespaced as in cleanrl (also the TensorBoard tags).
METRICS = (
    "iteration", "episodes", "time_s", "cpu_s",
    "charts/success_rate", "charts/return", "charts/episode_length",
    "losses/loss", "losses/policy", "losses/value", "losses/kl_ref", "losses/entropy", "losses/approx_kl",
    "losses/approx_kl_k1", "losses/clip_fraction", "losses/grad_norm",
    "perf/tokens_per_s", "perf/env_share",
    "time/rollout_s", "time/env_s", "time/reference_s", "time/forward_s", "time/backward_s",
    "eval/success_rate", "eval/return", "eval/steps", "sft/loss",
)
CHECKPOINT = "checkpoint.pt"


def split_seeds(split: str, count: int) -> list[int]:
    """The first ``count`` seeds of a named split (:data:`baselines.presets.SEED_SPLITS`)."""
    from .presets import split_seeds as seeds_of

    return seeds_of(split, count)


TRANSCRIPTS = "transcripts.jsonl"


def write_transcripts(path: Path, episodes: Sequence[Episode], *, kind: str, iteration: int, task: str) -> None:
    """Append ``episodes`` to the JSONL ``path`` (one line per episode) for the run viewer."""
    with open(path, "a") as f:
        for ep in episodes:
            f.write(json.dumps({"kind": kind, "iteration": iteration, "task": task, **ep.summary(),
                                "turns": ep.transcript(), "final_observation": ep.final_observation[:2000]}) + "\n")


def drop_transcripts_after(path: Path, iteration: int) -> None:
    """Keep only the transcript lines of iterations up to ``iteration`` (on resume)."""
    if path.exists():
        lines = [line for line in path.read_text().splitlines() if line and json.loads(line)["iteration"] <= iteration]
        path.write_text("".join(line + "\n" for line in lines))


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
        self.accelerator = accelerator or Accelerator(cpu=not wants_accelerator(cfg.device))
        self.device = self.accelerator.device
        if cfg.device not in ("auto", "cpu") and self.device.type != torch.device(cfg.device).type:
            raise ValueError(f"device {cfg.device!r} was asked for but accelerate chose {self.device}; "
                             "is the device visible to this process (CUDA_VISIBLE_DEVICES, drivers)?")
        self.dtype = resolve_precision(cfg.precision, self.device)
        self.rank, self.world = self.accelerator.process_index, self.accelerator.num_processes
        if cfg.tasks_per_iter % self.world:
            raise ValueError(f"tasks_per_iter ({cfg.tasks_per_iter}) must be a multiple of the number of processes ({self.world})")
        self.out = Path(cfg.out) if cfg.out else None
        self.iteration, self.sft_done = 0, False
        self.cpu_s = 0.0  # process CPU time spent in this run (SFT, rollouts, updates, evaluation)
        self.envs = [make_env(cfg) for _ in range(cfg.num_envs)]
        lm, tokenizer = self._build_model(resume)
        lm.to(self.device)  # float32 master weights; `precision` is the autocast compute dtype
        if cfg.gradient_checkpointing and not for_eval:
            if hasattr(lm, "activation_checkpointing_enable"):  # transformers >= 5.2x
                lm.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            else:
                lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self.tokenizer = tokenizer
        from .chat import PromptTemplate

        self.chat = ChatFormat(tokenizer, PromptTemplate(**cfg.prompt))
        policy = PolicyModel(lm, value_head=cfg.value_head, detach_critic=cfg.value_detach).to(self.device)
        # The KL reference: the initial policy, replaced by the policy after the SFT warm
        # start. A full frozen copy only without LoRA (with LoRA the base model, adapters
        # off, or after SFT the warm-started adapters swapped in) and only with a KL term.
        self.reference = None
        self.reference_adapters: dict[str, torch.Tensor] | None = None
        if cfg.kl_coef > 0 and not cfg.lora and not for_eval:
            self.reference = copy.deepcopy(lm).to(self.dtype).eval()  # frozen: kept in the compute dtype
            for p in self.reference.parameters():
                p.requires_grad_(False)
        groups = [{"params": [p for p in policy.lm.parameters() if p.requires_grad], "lr": cfg.lr}]
        if policy.value_head is not None:
            groups.append({"params": list(policy.value_head.parameters()), "lr": cfg.value_lr})
        optimizer = torch.optim.AdamW(groups, weight_decay=0.0)
        self.model, self.optimizer = self.accelerator.prepare(policy, optimizer)
        self.generator = torch.Generator().manual_seed(cfg.seed * 1_000_003 + self.rank)
        self.task_rng = np.random.default_rng(cfg.seed)
        from .presets import ACTIONS, OBSERVATIONS

        self.agent = Agent(self.policy, self.chat, mode=cfg.mode, temperature=cfg.temperature,
                           max_new_tokens=cfg.max_new_tokens, generator=self.generator, choice_score=cfg.choice_score,
                           backend=cfg.rollout_backend, observe=OBSERVATIONS[cfg.observation], command=ACTIONS[cfg.action],
                           kv_cache=cfg.rollout_kv_cache)
        self.train_seeds = split_seeds(cfg.train_split, cfg.train_tasks)
        self.last_episodes: list[Episode] = []
        self.last_eval_episodes: list[Episode] = []
        #: Picks the training transcripts kept (its own generator: sampling is untouched).
        self.transcript_rng = torch.Generator().manual_seed(cfg.seed)
        if resume:
            self.load_checkpoint()
        self.log = None
        if self.out is not None and not for_eval and self.accelerator.is_main_process:
            self.log = MetricsLog(self.out, resume_after=self.iteration if resume else None)
            if resume:
                drop_transcripts_after(self.out / TRANSCRIPTS, self.iteration)
            else:
                (self.out / TRANSCRIPTS).unlink(missing_ok=True)

    # -- model ---------------------------------------------------------------------------
    @property
    def policy(self) -> PolicyModel:
        return self.accelerator.unwrap_model(self.model)

    def _build_model(self, resume: bool):
        from .corpus import env_corpus
        from .models import LoraSettings, TinyModelSettings, load_model

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
                seeds = split_seeds(cfg.train_split, min(8, cfg.train_tasks))
                bar = progress_bar(True, total=len(seeds), desc="tiny model: tokenizer text from games", unit="game")
                corpus = env_corpus(lambda: make_env(cfg), seeds, progress=bar.update if bar is not None else None)
                if bar is not None:
                    bar.close()
                lm, tok = load_model("tiny", corpus=corpus, seed=cfg.seed, tiny=TinyModelSettings(**cfg.tiny_model))
                init_dir.mkdir(parents=True, exist_ok=True)
                lm.save_pretrained(init_dir)
                tok.save_pretrained(init_dir)
            self.accelerator.wait_for_everyone()
            lm, tok = load_model(str(init_dir))
        else:
            corpus = env_corpus(lambda: make_env(cfg), split_seeds(cfg.train_split, min(8, cfg.train_tasks))) if cfg.model == "tiny" else None
            lm, tok = load_model(cfg.model, corpus=corpus, seed=cfg.seed, tiny=TinyModelSettings(**cfg.tiny_model))
        if lora is not None:
            from .models import apply_lora

            lm = apply_lora(lm, lora)
        return lm, tok

    def _take_reference(self) -> None:
        """Make the current policy the KL reference (after the SFT warm start)."""
        if self.cfg.kl_coef <= 0:
            return
        if self.reference is not None:
            self.reference.load_state_dict(self.policy.lm.state_dict())
        elif self.cfg.lora:
            self.reference_adapters = {name: p.detach().clone() for name, p in self.policy.lm.named_parameters()
                                       if p.requires_grad}

    @contextlib.contextmanager
    def _reference_lm(self):
        """The reference as a causal LM, for the duration of a ``with`` block."""
        if self.reference is not None:
            yield self.reference
            return
        lm = self.policy.lm
        if self.reference_adapters is None:
            with lm.disable_adapter():  # LoRA: the base model is the reference
                yield lm
            return
        params = dict(lm.named_parameters())
        current = {name: params[name].detach().clone() for name in self.reference_adapters}
        with torch.no_grad():
            for name, value in self.reference_adapters.items():
                params[name].copy_(value)
        try:
            yield lm
        finally:
            with torch.no_grad():
                for name, value in current.items():
                    params[name].copy_(value)

    # -- checkpoints ---------------------------------------------------------------------
    def save_checkpoint(self) -> None:
        if self.out is None or not self.accelerator.is_main_process:
            return
        tmp = self.out / (CHECKPOINT + ".tmp")
        torch.save(self.checkpoint_state(), tmp)
        tmp.replace(self.out / CHECKPOINT)

    def checkpoint_state(self) -> dict[str, Any]:
        """What :meth:`save_checkpoint` writes (tensors by reference, not copied)."""
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
        if self.sft_done and self.reference is not None:
            state["reference"] = self.reference.state_dict()
        if self.reference_adapters is not None:
            state["reference_adapters"] = self.reference_adapters
        return state

    def load_checkpoint(self) -> None:
        path = self.out / CHECKPOINT if self.out is not None else None
        if path is None or not path.exists():
            raise FileNotFoundError(f"no checkpoint at {path}; train first or drop --resume")
        state = torch.load(path, weights_only=False, map_location=self.device)
        self.policy.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"].cpu())
        self.task_rng.bit_generator.state = state["task_rng"]
        torch.set_rng_state(state["torch_rng"].cpu())
        self.iteration, self.sft_done = int(state["iteration"]), bool(state["sft_done"])
        self.cpu_s = float(state["cpu_s"])
        if self.reference is not None and "reference" in state:
            self.reference.load_state_dict(state["reference"])
        if "reference_adapters" in state:
            self.reference_adapters = state["reference_adapters"]

    # -- training ------------------------------------------------------------------------
    def train(self, progress: bool = True) -> list[dict]:
        """Run SFT (if configured) and the remaining RL iterations; returns their metric rows."""
        cfg = self.cfg
        if self.out is not None and self.accelerator.is_main_process:
            self.out.mkdir(parents=True, exist_ok=True)
            cfg.save(self.out / "config.json")
        show = progress and self.accelerator.is_main_process
        start_row: dict[str, Any] = {}
        if cfg.sft_demos and not self.sft_done:
            cpu_start = time.process_time()
            start_row["sft/loss"] = self.warm_start(progress=show)[-1]
            self.cpu_s += time.process_time() - cpu_start
        if self.iteration == 0 and cfg.eval_every and self.log is not None:
            # the starting point of the held-out curve (after the warm start, if any)
            cpu_start = time.process_time()
            summary, _ = self.evaluate(split_seeds(cfg.eval_split, cfg.eval_tasks), progress=show)
            self._keep_transcripts(self.last_eval_episodes[: cfg.transcripts_eval], "eval")
            self.cpu_s += time.process_time() - cpu_start
            start_row.update({"eval/success_rate": summary["success_rate"], "eval/return": summary["mean_return"],
                              "eval/steps": summary["mean_steps"]})
        if start_row and self.log is not None:
            self.log.log({"iteration": 0, "episodes": 0, "cpu_s": self.cpu_s, **start_row})
        rows = []
        bar = progress_bar(show, total=cfg.iterations, initial=self.iteration, desc=f"{cfg.algo} {cfg.env}", unit="it")
        while self.iteration < cfg.iterations:
            cpu_start = time.process_time()
            row = self.step()
            picked = torch.randperm(len(self.last_episodes), generator=self.transcript_rng)[: cfg.transcripts_per_iter]
            self._keep_transcripts([self.last_episodes[int(i)] for i in sorted(picked.tolist())], "train")
            last = self.iteration == cfg.iterations
            if (cfg.eval_every and self.iteration % cfg.eval_every == 0) or last:
                summary, _ = self.evaluate(split_seeds(cfg.eval_split, cfg.eval_tasks))
                self._keep_transcripts(self.last_eval_episodes[: cfg.transcripts_eval], "eval")
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

    def _keep_transcripts(self, episodes: Sequence[Episode], kind: str) -> None:
        if self.log is not None and episodes:
            write_transcripts(self.out / TRANSCRIPTS, episodes, kind=kind, iteration=self.iteration, task=self.cfg.env)

    def check_in_sync(self) -> None:
        """With several processes, raise if their weights differ (DDP keeps them equal)."""
        if self.world == 1:
            return
        with torch.no_grad():
            local = torch.stack([p.double().sum() for p in self.policy.parameters()])
        every = self.accelerator.gather(local[None]).reshape(self.world, -1)
        if not torch.allclose(every, every[0].expand_as(every), rtol=0, atol=1e-6):
            raise RuntimeError("the processes' weights differ after training; gradients were not synchronised")

    def warm_start(self, progress: bool = False) -> list[float]:
        """SFT on ``sft_demos`` walkthroughs of the 'sft' split; returns the loss per step.
        Afterwards the warm-started policy is the KL reference."""
        from .sft import demonstrations, sft_step

        cfg = self.cfg
        seeds = split_seeds(cfg.sft_split, cfg.sft_demos)[self.rank:: self.world]
        bar = progress_bar(progress, total=len(seeds), desc="SFT demonstrations", unit="game")
        episodes = demonstrations(self.envs[0], seeds, self.agent, progress=bar.update if bar is not None else None)
        if bar is not None:
            bar.close()
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.sft_lr
        losses = []
        self.model.train()
        steps = cfg.sft_epochs * -(-len(episodes) // cfg.minibatch)
        bar = progress_bar(progress, total=steps, desc="SFT", unit="step")
        for _ in range(cfg.sft_epochs):
            order = torch.randperm(len(episodes), generator=self.generator).tolist()
            for start in range(0, len(order), cfg.minibatch):
                chunk = [episodes[i] for i in order[start: start + cfg.minibatch]]
                batch = to_device(pad_batch(chunk, self.chat.eos_id), self.device)
                losses.append(sft_step(self.model, self.optimizer, batch, self.accelerator.backward, cfg.max_grad_norm,
                                       chunk, loss=cfg.sft_loss, temperature=cfg.temperature, score=cfg.choice_score))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{losses[-1]:.3f}")
        if bar is not None:
            bar.close()
        self.model.eval()
        for group, lr in zip(self.optimizer.param_groups, (cfg.lr, cfg.value_lr)):
            group["lr"] = lr
        self.sft_done = True
        self._take_reference()
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

    # -- what the loss is taken on ----------------------------------------------------------
    def _actions(self, episodes: Sequence[Episode], batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The steps the estimators and the loss see, ``[B, T]``: in text mode every agent
        token (the episodes' own mask, log-probs, turn ends and rewards); in choice mode one
        step per turn at its reply's first token, with the choice's log-probability and the
        turn's reward there."""
        if self.cfg.mode != "choice":
            return {"mask": batch["mask"], "logprobs": batch["logprobs"], "turn_end": batch["turn_end"],
                    "rewards": batch["rewards"]}
        mask = torch.zeros_like(batch["mask"])
        logprobs, rewards = torch.zeros_like(batch["logprobs"]), torch.zeros_like(batch["rewards"])
        for row, ep in enumerate(episodes):
            ends = [j for j, e in enumerate(ep.turn_end) if e]
            for k, start in enumerate(ep.reply_start):
                mask[row, start] = 1.0
                logprobs[row, start] = ep.choice_logprobs[k]
                rewards[row, start] = ep.rewards[ends[k]]
        return {"mask": mask, "logprobs": logprobs, "turn_end": mask.long(), "rewards": rewards}

    def _choice_logprobs(self, lm: Any, episodes: Sequence[Episode], shape: tuple[int, int], entropy: bool = False,
                         critic: Any = None):
        """``[B, T]`` log-probabilities (and entropies) of each turn's choice under ``lm``,
        at the reply's first token (as :meth:`_actions` places them), and with ``critic``
        (:meth:`PolicyModel.head_values`) the values of the states the turns were decided
        in, at the same places (0 elsewhere; the loss reads them nowhere else), else None."""
        rows, cols, logps, ents, vals = [], [], [], [], []
        for row, ep in enumerate(episodes):
            for k, start, dist, *value in turn_choice_distributions(lm, ep, self.cfg.temperature, self.cfg.choice_score,
                                                                    critic=critic):
                rows.append(row)
                cols.append(start)
                logps.append(dist[ep.choice[k]])
                vals += value
                if entropy:
                    ents.append(-(dist.exp() * dist).sum())
        index = (torch.tensor(rows, device=self.device), torch.tensor(cols, device=self.device))
        zeros = torch.zeros(shape, device=self.device)
        logp = zeros.index_put(index, torch.stack(logps)) if logps else zeros
        ent = (zeros.index_put(index, torch.stack(ents)) if ents else zeros) if entropy else None
        values = (zeros.index_put(index, torch.stack(vals)) if vals else zeros) if critic is not None else None
        return logp, ent, values

    def _policy_outputs(self, episodes, batch, act_mask, entropy: bool):
        """Log-probs, entropy (or None) and values (or None) of the trained policy on a
        minibatch, through the prepared (DDP) module."""
        tokens, attention = batch["tokens"].to(self.device), batch["attention"].to(self.device)
        if self.cfg.mode == "choice":
            return self.model(tokens, attention, choices=lambda lm, critic: self._choice_logprobs(
                lm, episodes, tuple(tokens.shape), entropy, critic))
        return self.model(tokens, attention, act_mask.to(self.device), self.cfg.temperature, entropy)

    @torch.no_grad()
    def _score(self, episodes: Sequence[Episode], batch: dict[str, torch.Tensor], act_mask: torch.Tensor):
        """Values of the current critic (``[B, T]``), its value of the state each cut-short
        episode was cut in (``[B]``, 0 for episodes that ended), and the reference's
        log-probs of the actions (``[B, T]``), all on the CPU; None where not needed."""
        cfg = self.cfg
        values = bootstrap = ref = None
        if cfg.value_head:
            values = torch.cat([self.policy(batch["tokens"][s: s + cfg.minibatch].to(self.device),
                                            batch["attention"][s: s + cfg.minibatch].to(self.device))[1].cpu()
                                for s in range(0, len(episodes), cfg.minibatch)])
            bootstrap = torch.zeros(len(episodes))
            if cfg.bootstrap_truncated:
                for row, ep in enumerate(episodes):
                    if ep.final_turn is not None:
                        state = torch.tensor([ep.tokens + ep.final_turn], device=self.device)
                        out = self.policy.lm(input_ids=state, output_hidden_states=True, use_cache=False)
                        bootstrap[row] = self.policy.head_values(out.hidden_states[-1])[0, -1].cpu()
        if cfg.kl_coef > 0:
            with self._reference_lm() as ref_lm:
                if cfg.mode == "choice":
                    ref = self._choice_logprobs(ref_lm, episodes, tuple(batch["tokens"].shape))[0].cpu()
                else:
                    ref = torch.cat([masked_logprobs(ref_lm, batch["tokens"][s: s + cfg.minibatch].to(self.device),
                                                     batch["attention"][s: s + cfg.minibatch].to(self.device),
                                                     act_mask[s: s + cfg.minibatch].to(self.device),
                                                     cfg.temperature)[0].cpu()
                                     for s in range(0, len(episodes), cfg.minibatch)])
        return values, bootstrap, ref

    def _autocast(self):
        """Autocast to the compute dtype (``precision``), or nothing in float32."""
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def step(self) -> dict[str, Any]:
        """One iteration: rollouts, advantages, updates. Returns its metrics row (with the
        time of each part under ``time/``)."""
        cfg = self.cfg
        start = time.perf_counter()
        seeds, groups = self._draw_tasks()
        with self._autocast():
            episodes, stats = collect(self.agent, self.envs, seeds, groups, max_tokens=cfg.max_tokens)
        self.last_episodes = episodes
        timing = {"time/rollout_s": stats.wall_s - stats.env_s, "time/env_s": stats.env_s,
                  "time/reference_s": 0.0, "time/forward_s": 0.0, "time/backward_s": 0.0}
        batch = pad_batch(episodes, self.chat.eos_id)
        act = self._actions(episodes, batch)
        mask, old_logp = act["mask"], act["logprobs"]
        t0 = time.perf_counter()
        with self._autocast():
            values, bootstrap, ref_logp = self._score(episodes, batch, mask)
        self._sync()
        timing["time/reference_s"] = time.perf_counter() - t0
        rewards = act["rewards"]
        if cfg.kl_coef > 0 and cfg.kl_in_reward:
            rewards = rewards - cfg.kl_coef * (old_logp - ref_logp) * mask
        advantages, returns = ESTIMATORS[cfg.estimator](
            rewards, mask, act["turn_end"], batch["group"], values, bootstrap,
            gamma=cfg.gamma, lam=cfg.lam, turn_level=cfg.turn_level)
        if cfg.normalize_advantages:
            mean = masked_mean(advantages, mask)
            std = masked_mean((advantages - mean) ** 2, mask).sqrt()
            advantages = (advantages - mean) / (std + 1e-8) * mask
        device = self.device
        mask_d, old_d, adv_d, ret_d = (x.to(device) for x in (mask, old_logp, advantages, returns))
        ref_d = ref_logp.to(device) if ref_logp is not None else None
        sums: dict[str, float] = {}
        count = 0
        self.model.train()
        params = [p for p in self.model.parameters() if p.requires_grad]
        want_entropy = cfg.entropy_coef != 0
        for _ in range(cfg.epochs):
            order = torch.randperm(len(episodes), generator=self.generator)
            for first in range(0, len(episodes), cfg.minibatch):
                idx = order[first: first + cfg.minibatch]
                m = mask_d[idx]
                t0 = time.perf_counter()
                with self._autocast():
                    logp, entropy_t, new_values = self._policy_outputs(
                        [episodes[int(i)] for i in idx], {k: batch[k][idx] for k in ("tokens", "attention")}, mask[idx],
                        want_entropy)
                policy_loss, clip_fraction = ppo_clip_loss(logp, old_d[idx], adv_d[idx], m, cfg.clip)
                loss = policy_loss
                entropy = None
                if entropy_t is not None:
                    entropy = masked_mean(entropy_t, m)
                    loss = loss - cfg.entropy_coef * entropy
                kl_ref = torch.zeros((), device=device)
                if ref_d is not None:
                    kl_ref = masked_mean(kl_to_reference(logp, ref_d[idx]), m)
                    if not cfg.kl_in_reward:
                        loss = loss + cfg.kl_coef * kl_ref
                v_loss = torch.zeros((), device=device)
                if new_values is not None:
                    v_loss = value_loss(new_values, ret_d[idx], m)
                    loss = loss + cfg.value_coef * v_loss
                self._sync()
                t1 = time.perf_counter()
                self.optimizer.zero_grad()
                self.accelerator.backward(loss)
                grad_norm = self.accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
                self.optimizer.step()
                self._sync()
                timing["time/forward_s"] += t1 - t0
                timing["time/backward_s"] += time.perf_counter() - t1
                with torch.no_grad():
                    log_ratio = logp - old_d[idx]
                    approx_kl = masked_mean(torch.exp(log_ratio) - 1.0 - log_ratio, m)  # k3 of KL(old || new), >= 0
                    approx_kl_k1 = masked_mean(-log_ratio, m)
                metrics = [("losses/loss", loss), ("losses/policy", policy_loss), ("losses/value", v_loss),
                           ("losses/kl_ref", kl_ref), ("losses/approx_kl", approx_kl),
                           ("losses/approx_kl_k1", approx_kl_k1), ("losses/clip_fraction", clip_fraction),
                           ("losses/grad_norm", grad_norm)]
                if entropy is not None:
                    metrics.append(("losses/entropy", entropy))
                for key, value in metrics:
                    sums[key] = sums.get(key, 0.0) + float(value.detach() if torch.is_tensor(value) else value)
                count += 1
        self.model.eval()
        self.iteration += 1
        summaries = [ep.summary() for ep in episodes]
        row = {k: v / max(count, 1) for k, v in sums.items()}
        local = torch.tensor([np.mean([s["success"] for s in summaries]), np.mean([s["return"] for s in summaries]),
                              np.mean([s["steps"] for s in summaries])], dtype=torch.float64, device=device)
        success, ret, length = (float(x) for x in self.accelerator.reduce(local, reduction="mean"))
        row.update({
            "iteration": self.iteration, "episodes": self.iteration * cfg.episodes_per_iter,
            "time_s": time.perf_counter() - start,
            "charts/success_rate": success, "charts/return": ret, "charts/episode_length": length,
            "perf/tokens_per_s": stats.tokens_per_s, "perf/env_share": stats.env_share,
            **timing,
        })
        return row

    # -- evaluation ----------------------------------------------------------------------
    def evaluate(self, seeds: Sequence[int], *, greedy: bool = True, num_envs: int | None = None,
                 progress: bool = False) -> tuple[dict, list[dict]]:
        """Play ``seeds`` with the current policy (greedy by default); summary with 95%
        intervals and the episodes. The sampling generator is left untouched."""
        if num_envs is not None and num_envs > len(self.envs):
            self.envs.extend(make_env(self.cfg) for _ in range(num_envs - len(self.envs)))
        envs = self.envs if num_envs is None else self.envs[:num_envs]
        state = self.generator.get_state()
        try:
            with self._autocast():
                self.last_eval_episodes = []
                return evaluate_agent(self.agent, envs, seeds, greedy=greedy, max_tokens=self.cfg.max_tokens, progress=progress,
                                      keep=self.last_eval_episodes)
        finally:
            self.generator.set_state(state)

    def close(self) -> None:
        for env in self.envs:
            env.close()
        if self.log is not None and self.log.writer is not None:
            self.log.writer.close()


def wants_accelerator(device: str) -> bool:
    """Whether ``device`` asks accelerate for a GPU (``auto``: when one is visible). On a
    machine without one, ``cpu=True`` is what makes ``accelerate launch`` processes join one
    gloo DDP group (with ``cpu=False`` each would train alone)."""
    if device == "auto":
        mps = getattr(torch.backends, "mps", None)
        return torch.cuda.is_available() or bool(mps is not None and mps.is_available())
    return torch.device(device).type != "cpu"


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """The compute dtype: ``"auto"`` is bfloat16 on a GPU that supports it, float32 otherwise."""
    if precision == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[precision]


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in batch.items()}
