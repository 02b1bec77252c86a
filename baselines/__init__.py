"""Reference PPO, GRPO and RLOO agents for textagent_envs (filled by its own issue)."""
