"""Real ALFWorld data: the games of a ``json_2.1.1`` folder as the alfworld package lays
it out.

::

    DATA_DIR/
      train/ | valid_seen/ | valid_unseen/
        <task_type>-<Object>-<Mrecep>-<Receptacle>-<scene>/
          trial_<id>/
            traj_data.json     # task_type, pddl_params (object_target, parent_target, ...)
            game.tw-pddl       # pddl_domain, grammar, pddl_problem, solvable[, walkthrough]

``alfworld-download`` (from ``pip install alfworld``) fetches it into ``$ALFWORLD_DATA``;
pass ``data_dir=$ALFWORLD_DATA/json_2.1.1``. Games marked ``"solvable": false`` are left
out, as ALFWorld does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .games import GAME_FILE, TRAJ_FILE
from .knobs import TASK_TYPES

SPLITS = ("train", "valid_seen", "valid_unseen")
_HOW_TO_GET = (
    "Get ALFWorld's data with `pip install alfworld && alfworld-download` (it fills $ALFWORLD_DATA) and pass "
    "data_dir=$ALFWORLD_DATA/json_2.1.1, or leave data_dir unset to play generated households (no download)."
)


class DataDirError(FileNotFoundError):
    """A data_dir that does not hold ALFWorld games; the message says what is missing."""


def find_games(data_dir: str | os.PathLike, split: str = "train", task_types=None) -> list[Path]:
    """The ``game.tw-pddl`` files of ``split`` in ``data_dir`` (sorted), of the given task
    types (all six by default)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    wanted = set(TASK_TYPES if task_types is None else task_types)
    unknown = wanted - set(TASK_TYPES)
    if unknown:
        raise ValueError(f"unknown task type(s) {sorted(unknown)}; ALFWorld's are {list(TASK_TYPES)}")
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataDirError(f"ALFWorld data_dir {str(root)!r} does not exist. {_HOW_TO_GET}")
    folder = root / split
    if not folder.is_dir():
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise DataDirError(
            f"ALFWorld data_dir {str(root)!r} has no {split!r} folder (it holds {present or 'no folders'}; "
            f"expected {', '.join(SPLITS)} as in json_2.1.1). {_HOW_TO_GET}"
        )
    games, without_game = [], []
    for traj_file in sorted(folder.rglob(TRAJ_FILE)):
        trial = traj_file.parent
        try:
            traj = json.loads(traj_file.read_text(encoding="utf-8"))
            task_type = traj["task_type"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as err:
            raise DataDirError(f"{traj_file} is not an ALFWorld traj_data.json (needs a JSON object with 'task_type'): {err!r}") from None
        if task_type not in wanted:
            continue
        game_file = trial / GAME_FILE
        if not game_file.is_file():
            without_game.append(trial)
            continue
        try:
            solvable = json.loads(game_file.read_text(encoding="utf-8")).get("solvable", True)
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as err:
            raise DataDirError(f"{game_file} is not a JSON tw-pddl game: {err!r}") from None
        if solvable:
            games.append(game_file)
    if not games:
        detail = (
            f"{len(without_game)} trial folder(s) have {TRAJ_FILE} but no {GAME_FILE} (e.g. {without_game[0]}); "
            "alfworld-download includes the game files"
            if without_game
            else f"no trial folder with {TRAJ_FILE} and {GAME_FILE} of task types {sorted(wanted)}"
        )
        raise DataDirError(f"ALFWorld data_dir {str(root)!r}, split {split!r}: {detail}. {_HOW_TO_GET}")
    return games


def read_traj(game_file: str | os.PathLike) -> dict | None:
    """The ``traj_data.json`` beside a game file, or ``None`` if there is none."""
    path = Path(game_file).with_name(TRAJ_FILE)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataDirError(f"{path} is not valid JSON: {err}") from None
    return data if isinstance(data, dict) else None
