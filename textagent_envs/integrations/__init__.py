"""Adapters to the trainers and servers people use. Each module imports its library when it
is itself imported, so ``import textagent_envs`` never loads them:

- :mod:`~textagent_envs.integrations.trl`: a ``rollout_func`` for TRL's ``GRPOTrainer``;
- :mod:`~textagent_envs.integrations.openenv`: serve ids over OpenEnv's HTTP/WebSocket
  protocol (``textagent-envs serve``);
- :mod:`~textagent_envs.integrations.ray`: a pool of Ray actors holding many envs;
- :mod:`~textagent_envs.integrations.skyrl`: a SkyRL-gym ``BaseTextEnv``;
- :mod:`~textagent_envs.integrations.gem`: a GEM env (and GEM's vector envs over it);
- :mod:`~textagent_envs.integrations.verl`: an agent loop for verl (verl imported only by ``agent_loop_class``);
- :mod:`~textagent_envs.integrations.verifiers`: a verifiers ``MultiTurnEnv`` over any id.

Install the libraries with ``pip install -e ".[integrations]"`` (verifiers and verl: the
Makefile's ``--no-deps`` step); see docs/integrations.md.
"""
