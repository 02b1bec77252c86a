"""Reference PPO, GRPO, RLOO and REINFORCE LLM agents for textagent_envs.

One multi-turn trainer; the algorithms differ only in the advantage estimator
(:mod:`baselines.advantages`) and a small preset (:data:`baselines.config.PRESETS`).

- :mod:`baselines.chat`: the prompt (the paper's by default) and its token-exact, turn-by-turn tokenisation;
- :mod:`baselines.policy`: the LM (+ value head) acting in free text or by choosing an admissible command;
- :mod:`baselines.rollout`: batched multi-turn rollouts with loss mask and sampling-time log-probs;
- :mod:`baselines.advantages`, :mod:`baselines.losses`: estimators and the shared losses;
- :mod:`baselines.trainer`, :mod:`baselines.config`, :mod:`baselines.sft`: training, config, SFT warm start;
- :mod:`baselines.models`: the tiny offline model, SmolLM2 from its GGUF, any HF model, LoRA;
- :mod:`baselines.presets`: named settings (``--preset default|paper``): prompt, observation, action, seed splits;
- command lines: ``python -m baselines.train``, ``baselines.evaluate``, ``baselines.plot``, ``baselines.report``,
  ``baselines.view`` (a run as one HTML page).

See docs/baselines.md. Importing this package imports nothing heavy; torch and transformers
load with the submodules that need them.
"""
