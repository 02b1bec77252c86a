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

Present at ``reset`` of the envs that choose an engine (TextWorld, ALFWorld):

=====================  ==========================================================
``ENGINE``             str: the engine playing the episode (``engine=``; TextWorld:
                       ``"native"`` by default or ``"inform7"``, the reference).
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
#: At reset only (see the module docstring).
ENGINE = "engine"

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
#: Every key an env or engine can be asked for (``admissible_commands=`` and ``extra_infos=``).
REQUESTABLE = (ADMISSIBLE_COMMANDS, *OPTIONAL)


def check_requested(names, allowed=OPTIONAL, *, who: str = "extra_infos", hint: str = "") -> tuple[str, ...]:
    """``names`` as a tuple if each is one of ``allowed``; else ``ValueError`` naming the
    unknown ones and the choices (``who`` names the argument or engine asking, ``hint``
    ends the message). The one check of info names for every env and engine.

    >>> check_requested(["inventory"])
    ('inventory',)
    >>> check_requested(["inventroy"])
    Traceback (most recent call last):
        ...
    ValueError: extra_infos cannot give ['inventroy']; choose from ['description', 'inventory', 'location', 'policy_commands']
    """
    if isinstance(names, (str, bytes)):
        raise TypeError(f"{who} must be a list of info names, got the string {names!r}")
    names = tuple(names)
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise ValueError(f"{who} cannot give {unknown}; choose from {list(allowed)}{hint}")
    return names
