"""Generated ALFWorld households: a seeded room of receptacles and objects with one task
of the six ALFWorld types, written as a real ALFWorld game.

:func:`generate_household` draws the room from ``(knobs, seed)`` with its own
``numpy`` generator (the same household in any process). :func:`write_game` writes it in
the layout of ALFWorld's ``json_2.1.1`` data: a folder with ``game.tw-pddl`` (the
alfworld package's own domain ``alfred.pddl`` and grammar ``alfred.twl2``, a PDDL problem
in ALFRED's naming, the goal from alfworld's goal library) and ``traj_data.json`` (task
type and targets), plus a walkthrough that :func:`write_game` checks wins.

Needs the ``alfworld`` package (``pip install "textagent_envs[alfworld]"``) for the
domain, grammar, goal library and ALFRED's tables of which receptacle holds what.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..textworld.games import GameGenerationError
from .knobs import TASK_TYPES, ALFWorldKnobs

#: Receptacle types a household is built from (ALFRED's static receptacles).
RECEPTACLE_TYPES = (
    "ArmChair", "BathtubBasin", "Bed", "Cabinet", "Cart", "CoffeeMachine", "CoffeeTable", "CounterTop", "Desk",
    "DiningTable", "Drawer", "Dresser", "Fridge", "GarbageCan", "HandTowelHolder", "LaundryHamper", "Microwave",
    "Ottoman", "Safe", "Shelf", "SideTable", "SinkBasin", "Sofa", "StoveBurner", "TVStand", "Toaster", "Toilet",
    "ToiletPaperHanger", "TowelHolder",
)
#: Types that appear several times in a room (cabinet 1, cabinet 2, ...) are drawn more often.
_COMMON = ("Cabinet", "Drawer", "Shelf", "CounterTop", "StoveBurner", "SideTable")
_APPLIANCE = {
    "pick_clean_then_place_in_recep": ("SinkBasin", "Cleanable"),
    "pick_heat_then_place_in_recep": ("Microwave", "Heatable"),
    "pick_cool_then_place_in_recep": ("Fridge", "Coolable"),
}
_LAMP_HOLDERS = ("Desk", "SideTable", "Dresser")
# The domain names these types in its actions, so every problem must declare them.
_DOMAIN_RTYPES = ("SinkBasinType", "MicrowaveType", "FridgeType")
_DOMAIN_OTYPES = ("KnifeType", "ButterKnifeType")


class GenerationError(GameGenerationError):
    """No household fits these knobs (a :class:`GameGenerationError`, as for TextWorld games)."""


def alfworld_data_dir() -> Path:
    """The folder of the installed alfworld package's ``alfred.pddl`` and ``alfred.twl2``."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("alfworld")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "generating ALFWorld households needs the alfworld package (its PDDL domain and grammar): "
            'pip install "textagent_envs[alfworld]"'
        )
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _tables():
    import alfworld.gen.constants as constants
    import alfworld.gen.goal_library as goals

    return constants, goals.gdict


@dataclass
class Household:
    """A room and its task. Entity ids use ALFRED's mangled names."""

    task_type: str
    object_target: str
    parent_target: str
    toggle_target: str
    task_desc: str
    start: str
    receptacles: list[tuple[str, str, str]] = field(default_factory=list)  # (id, type, location)
    objects: list[tuple[str, str, str]] = field(default_factory=list)  # (id, type, receptacle id)
    properties: dict[str, list[str]] = field(default_factory=dict)  # object id -> flags
    can_contain: list[tuple[str, str]] = field(default_factory=list)

    def traj_data(self) -> dict:
        """ALFWorld's ``traj_data.json`` fields that describe the task."""
        return {
            "task_type": self.task_type,
            "pddl_params": {
                "object_target": self.object_target,
                "parent_target": self.parent_target,
                "toggle_target": self.toggle_target,
                "mrecep_target": "",
                "object_sliced": False,
            },
            "turk_annotations": {"anns": [{"task_desc": self.task_desc}]},
            "generated_by": "textagent_envs",
        }

    def problem(self) -> str:
        """The PDDL problem (objects, initial facts, goal) in ALFRED's layout."""
        constants, gdict = _tables()
        rtypes = sorted({f"{t}Type" for _, t, _ in self.receptacles} | {f"{r}Type" for r, _ in self.can_contain} | set(_DOMAIN_RTYPES))
        otypes = sorted({f"{t}Type" for _, t, _ in self.objects} | {f"{o}Type" for _, o in self.can_contain} | set(_DOMAIN_OTYPES))
        locations = [self.start] + [loc for _, _, loc in self.receptacles]
        lines = ["(define (problem plan_trial)", "(:domain alfred)", "(:objects", "agent1 - agent"]
        lines += [f"{loc} - location" for loc in locations]
        lines += [f"{oid} - object" for oid, _, _ in self.objects]
        lines += [f"{rid} - receptacle" for rid, _, _ in self.receptacles]
        lines += [f"{t} - otype" for t in otypes] + [f"{t} - rtype" for t in rtypes]
        lines += [")", "(:init", f"(atLocation agent1 {self.start})"]
        openable = set(constants.OPENABLE_CLASS_LIST)
        for rid, rtype, loc in self.receptacles:
            lines += [f"(receptacleAtLocation {rid} {loc})", f"(receptacleType {rid} {rtype}Type)"]
            if rtype in openable:
                lines.append(f"(openable {rid})")
        location_of = {rid: loc for rid, _, loc in self.receptacles}
        for oid, otype, rid in self.objects:
            lines += [f"(objectType {oid} {otype}Type)", f"(inReceptacle {oid} {rid})", f"(objectAtLocation {oid} {location_of[rid]})"]
            lines += [f"({flag} {oid})" for flag in self.properties.get(oid, ())]
        lines += [f"(canContain {r}Type {o}Type)" for r, o in self.can_contain]
        lines.append(")")
        goal = gdict[self.task_type]["pddl"].replace("#", "-")
        goal = goal.format(obj=self.object_target, recep=self.parent_target, toggle=self.toggle_target, mrecep="")
        return "\n".join(lines) + "\n" + goal.strip() + "\n"


def _coordinate(rng: np.random.Generator) -> str:
    value = float(rng.integers(-400, 400)) / 100.0
    sign = "minus" if value < 0 else "plus"
    whole, frac = divmod(round(abs(value) * 100), 100)
    return f"_{sign}_{whole:02d}_dot_{frac:02d}"


class _Ids:
    """Unique ALFRED-style ids (``Apple_bar__minus_01_dot_25_bar__plus_00_dot_90_bar_...``)."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.used = rng, set()

    def entity(self, kind: str) -> str:
        while True:
            coords = "_bar_".join(_coordinate(self.rng) for _ in range(3))
            if kind.endswith("Basin"):  # ALFRED names basins after their sink or bathtub
                name = f"{kind[: -len('Basin')]}_bar_{coords}_bar_{kind}"
            else:
                name = f"{kind}_bar_{coords}"
            if name not in self.used:
                self.used.add(name)
                return name

    def location(self) -> str:
        while True:
            parts = [int(self.rng.integers(-12, 12)), int(self.rng.integers(-12, 12)), int(self.rng.choice([0, 1, 2, 3])), 30]
            name = "loc" + "".join(f"_bar__minus_{-p}" if p < 0 else f"_bar_{p}" for p in parts)
            if name not in self.used:
                self.used.add(name)
                return name


def generate_household(knobs: ALFWorldKnobs, seed: int) -> Household:
    """The household ``knobs`` make with ``seed``."""
    constants, gdict = _tables()
    rng = np.random.default_rng([seed, 5])
    holds_what = {r: set(constants.VAL_RECEPTACLE_OBJECTS.get(r, ())) for r in RECEPTACLE_TYPES}
    portable = sorted(
        {o for r in RECEPTACLE_TYPES for o in holds_what[r]} - {"Box"}
        - {o for r in RECEPTACLE_TYPES for o in holds_what[r] if o.endswith("Sliced")}
    )
    task_type = knobs.task_type or TASK_TYPES[int(rng.integers(len(TASK_TYPES)))]
    appliance, ability = _APPLIANCE.get(task_type, (None, None))

    # The task's object, where it goes, and what the task needs besides.
    candidates = portable
    if ability:
        candidates = sorted(set(portable) & constants.VAL_ACTION_OBJECTS[ability])
    candidates = [o for o in candidates if sum(o in holds_what[r] for r in RECEPTACLE_TYPES) >= 2]  # somewhere to move it
    target = str(rng.choice(candidates))
    places = [r for r in RECEPTACLE_TYPES if target in holds_what[r]]
    required: list[str] = []
    parent, toggle = "", ""
    if task_type == "look_at_obj_in_light":
        toggle = "DeskLamp"
        required.append(str(rng.choice(_LAMP_HOLDERS)))
    else:
        goal_places = [r for r in places if r != appliance] or places
        parent = str(rng.choice(goal_places))
        required.append(parent)
    if appliance:
        required.append(appliance)
    sources = [r for r in places if r != parent]
    if not sources:
        raise GenerationError(f"no receptacle other than {parent} holds {target}")
    needs_source = not any(r in sources for r in required)
    if needs_source:
        required.append(str(rng.choice(sources)))
    if len(required) > knobs.nb_receptacles:
        raise GenerationError(f"a {task_type} task with these targets needs {len(required)} receptacles, knobs allow {knobs.nb_receptacles}")

    # The room's receptacles: the required ones, then a draw that favours repeated kinds.
    weights = np.array([4.0 if r in _COMMON else 1.0 for r in RECEPTACLE_TYPES])
    extra = rng.choice(RECEPTACLE_TYPES, size=knobs.nb_receptacles - len(required), p=weights / weights.sum())
    kinds = required + [str(k) for k in extra]
    ids = _Ids(rng)
    start = ids.location()
    receptacles = [(ids.entity(kind), kind, ids.location()) for kind in kinds]

    # Objects: the target(s) in source receptacles, distractors beside the first, then the rest.
    source_ids = [rid for rid, kind, _ in receptacles if kind in sources]
    nb_targets = 2 if task_type == "pick_two_obj_and_place" else 1
    objects: list[tuple[str, str, str]] = []
    for _ in range(nb_targets):
        objects.append((ids.entity(target), target, str(rng.choice(source_ids))))
    others = [o for o in portable if o != target]
    first = objects[0][2]
    first_kind = next(kind for rid, kind, _ in receptacles if rid == first)
    for _ in range(knobs.nb_distractors):
        fits = [o for o in others if o in holds_what[first_kind]]
        if not fits:
            break
        kind = str(rng.choice(fits))
        objects.append((ids.entity(kind), kind, first))
    hosts = [(rid, kind) for rid, kind, _ in receptacles if any(o in holds_what[kind] for o in others)]
    if not hosts and len(objects) < knobs.nb_objects:
        raise GenerationError("no receptacle in this room holds any other object")
    while len(objects) < knobs.nb_objects:
        rid, kind_r = hosts[int(rng.integers(len(hosts)))]
        fits = [o for o in others if o in holds_what[kind_r]]
        if fits:
            kind = str(rng.choice(fits))
            objects.append((ids.entity(kind), kind, rid))
    if toggle:
        holder = next(rid for rid, kind, _ in receptacles if kind == required[0])
        objects.append((ids.entity(toggle), toggle, holder))

    properties = {}
    for oid, kind, _ in objects:
        flags = [] if kind == toggle else ["pickupable"]
        for ability_name, flag in (("Cleanable", "cleanable"), ("Heatable", "heatable"), ("Coolable", "coolable"),
                                   ("Toggleable", "toggleable"), ("Sliceable", "sliceable")):
            if kind in constants.VAL_ACTION_OBJECTS[ability_name]:
                flags.append(flag)
        properties[oid] = flags
    room_kinds = {kind for _, kind, _ in receptacles}
    object_kinds = {kind for _, kind, _ in objects}
    can_contain = sorted((r, o) for r in room_kinds for o in object_kinds if o in holds_what[r])

    templates = gdict[task_type]["templates"]
    template = templates[int(rng.integers(len(templates)))]
    desc = template.format(obj=target.lower(), recep=parent.lower(), toggle=toggle.lower(), mrecep="")
    return Household(task_type, target, parent, toggle, desc, start, receptacles, objects, properties, can_contain)


def game_data(household: Household) -> dict:
    """The ``game.tw-pddl`` JSON of ``household`` (without its walkthrough)."""
    data_dir = alfworld_data_dir()
    domain = (data_dir / "alfred.pddl").read_text(encoding="utf-8")
    grammar = (data_dir / "alfred.twl2").read_text(encoding="utf-8").replace("UNKNOWN GOAL", household.task_desc)
    return {"pddl_domain": domain, "grammar": grammar, "pddl_problem": household.problem(), "solvable": True}


def write_game(household: Household, folder: str | os.PathLike) -> Path:
    """Write ``household`` as an ALFWorld trial folder: ``game.tw-pddl`` (with a
    walkthrough checked to win on the native engine) and ``traj_data.json``.
    Returns the path of ``game.tw-pddl``."""
    from .engine import AlfredEngine, AlfredGame
    from .expert import solve

    data = game_data(household)
    traj = household.traj_data()
    engine = AlfredEngine(AlfredGame(data))
    engine.reset()
    walkthrough = solve(engine, traj)
    engine.reset()
    for command in walkthrough:
        if engine.won:
            break
        engine.step(command)
    if not engine.won or engine.moves != len(walkthrough):
        raise GenerationError(f"the expert's walkthrough {walkthrough} does not win this {household.task_type} household")
    data["walkthrough"] = walkthrough
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "traj_data.json").write_text(json.dumps(traj, indent=1), encoding="utf-8")
    game_file = folder / "game.tw-pddl"
    game_file.write_text(json.dumps(data), encoding="utf-8")
    return game_file
