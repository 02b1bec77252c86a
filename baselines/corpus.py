"""Local text to train the tiny model's tokenizer on: the prompt's own words and the text
of a few played games (observations, objectives, admissible commands, walkthroughs).
Nothing is downloaded."""

from __future__ import annotations

from typing import Any, Iterable

from textagent_envs import infos

from .chat import PromptTemplate


def template_corpus(template: PromptTemplate = PromptTemplate()) -> list[str]:
    """The fixed words of the prompt template."""
    return [template.system, template.first_user, template.next_user, template.choices_line]


def env_corpus(make_env: Any, seeds: Iterable[int], template: PromptTemplate = PromptTemplate(),
               progress: Any = None) -> list[str]:
    """Text of the games for ``seeds``, played along their walkthroughs, plus the template.
    ``make_env()`` returns a fresh env (closed afterwards); ``progress(1)``, when given, is
    called after each game."""
    texts = template_corpus(template)
    env = make_env()
    try:
        for seed in seeds:
            obs, info = env.reset(seed=int(seed))
            texts += [obs, str(info.get(infos.OBJECTIVE, ""))]
            texts += list(info.get(infos.ADMISSIBLE_COMMANDS, []))
            for command in info.get(infos.WALKTHROUGH, []):
                obs, _, terminated, truncated, info = env.step(command)
                texts += [command, obs] + list(info.get(infos.ADMISSIBLE_COMMANDS, []))
                if terminated or truncated:
                    break
            if progress is not None:
                progress(1)
    finally:
        env.close()
    return texts
