"""Names of the keys in the ``info`` dict that every textagent_envs environment returns.

Use the constants, not the strings, so a typo is an ``AttributeError`` rather than a
silent ``KeyError`` later::

    from textagent_envs import infos
    obs, info = env.reset(seed=1)
    info[infos.OBJECTIVE]

Present at ``reset`` and after every ``step``:

=====================  ==========================================================
``WON``                bool: the game is won.
``LOST``               bool: the game is lost (e.g. eating the food in tw-simple).
``SUCCESS``            bool: the task is accomplished (for games: won). Evaluation
                       reads this, never a shaped reward.
``SCORE``              int: the game's own score so far (never shaped).
``MAX_SCORE``          int: the highest score the game can give.
``MOVES``              int: moves the game counted (only commands it accepted).
``OBJECTIVE``          str: the goal text.
``WALKTHROUGH``        list[str]: a reference solution *from the start of the
                       episode* (it does not change as you play).
``LAST_ACTION_VALID``  bool: the game accepted the last command as an in-world
                       action (its move counter advanced, or the score or the
                       outcome changed). False at reset and for refused commands.
``TASK``               dict: the ``TaskSpec`` being played, as ``TaskSpec.to_dict()``.
=====================  ==========================================================

Present only when asked for (information that costs time, as in TextWorld's
``EnvInfos``):

=========================  =====================================================
``ADMISSIBLE_COMMANDS``    list[str]: the commands the game accepts in this state
                           (TextWorld's admissible commands, ``look``,
                           ``inventory`` and ``examine ...`` included); on by
                           default, turn off with ``admissible_commands=False``.
``DESCRIPTION``            str: the current room's description.
``INVENTORY``              str: what the player carries.
``LOCATION``               str: the current room's name.
``POLICY_COMMANDS``        list[str]: a winning command sequence *from the
                           current state*.
=========================  =====================================================

Present only when it happened:

=====================  ==========================================================
``TRUNCATION_REASON``  str: why an episode was cut off by the environment itself:
                       ``"step_timeout"`` (the game did not answer in time) or
                       ``"backend_crashed"`` (its process died). The step budget
                       is enforced by gymnasium's ``TimeLimit`` and sets no reason.
``INVALID_REASON``     str: why a command was refused before reaching the game
                       (several commands in one, control characters, ...).
=====================  ==========================================================

Added by wrappers: ``curriculum_level`` (int, the level the
:class:`~textagent_envs.curriculum.CurriculumWrapper` chose for this episode).
"""

WON = "won"
LOST = "lost"
SUCCESS = "success"
SCORE = "score"
MAX_SCORE = "max_score"
MOVES = "moves"
OBJECTIVE = "objective"
WALKTHROUGH = "walkthrough"
LAST_ACTION_VALID = "last_action_valid"
TASK = "task"

ADMISSIBLE_COMMANDS = "admissible_commands"
DESCRIPTION = "description"
INVENTORY = "inventory"
LOCATION = "location"
POLICY_COMMANDS = "policy_commands"

TRUNCATION_REASON = "truncation_reason"
INVALID_REASON = "invalid_reason"

#: Keys present in every info dict.
ALWAYS = (WON, LOST, SUCCESS, SCORE, MAX_SCORE, MOVES, OBJECTIVE, WALKTHROUGH, LAST_ACTION_VALID, TASK)
#: Keys a user may request in addition (``extra_infos=...``).
OPTIONAL = (DESCRIPTION, INVENTORY, LOCATION, POLICY_COMMANDS)
