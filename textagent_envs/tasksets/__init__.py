"""Task sets: seed splits, task generators, ``make-tasks`` and manifests.

- :mod:`.splits`: disjoint seed ranges per split (``train``, ``valid``, ``test``, ``sft``);
- :mod:`.generators`: ``generator_for(family)`` and the :class:`TaskGenerator` base each
  family's generator subclasses (found through :mod:`textagent_envs.registry`);
- :mod:`.make_tasks`: write a JSONL manifest of tasks (and their games) for a split;
- manifests are read with :func:`textagent_envs.tasks.load_task_set`.

Curricula (samplers and the wrapper that feeds them) are in :mod:`textagent_envs.curriculum`.
"""

from ..tasks import load_task_set
from .generators import TaskGenerator, generator_for
from .make_tasks import MadeTasks, make_tasks, resolve_family
from .splits import SPLITS, split_of, split_seeds

__all__ = [
    "SPLITS", "MadeTasks", "TaskGenerator", "generator_for", "load_task_set", "make_tasks", "resolve_family",
    "split_of", "split_seeds",
]
