"""Adapters to the trainers and servers people use. Each module imports its library lazily
(when the module itself is imported), so ``import textagent_envs`` never loads them.

- :mod:`textagent_envs.integrations.openenv`: serve any id over OpenEnv's HTTP/WebSocket
  protocol (``textagent-envs serve``), with OpenEnv's own server.

Install the libraries with ``pip install -e ".[integrations]"``; see docs/integrations.md.
"""
