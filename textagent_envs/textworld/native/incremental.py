"""Admissible actions and quest checks kept up to date from the facts that changed.

A step changes a handful of a game's facts (a large tw-cooking game has ~1,000 facts and
~6,700 grounded actions). Instead of testing every action of the room and every quest
condition after each step:

* :class:`ActionIndex` keeps, per room, the set of the room's actions whose
  preconditions hold (all but the player being there) for the facts it last saw, and
  brings it up to date by re-testing only the actions that read a fact that changed
  since (an index from each fact to the actions reading it, built for a room the first
  time it is asked about). Actions that need no particular room form one more group.
* :class:`QuestIndex` maps each fact to the quest conditions (win and fail events) that
  read it, so the end-of-turn check looks only at conditions a changed fact can have
  made true.

Both are caches of pure functions of the facts: the copies of a game (forks, the G envs
of a group) share them, and any state, reached by play or by ``set_state``, reads the
same answer a from-scratch computation gives (tests check this along random walks).

A state seen again (a random walk's back-and-forth, a group's anchor state, a tree
search) skips even that update: each keeps a :class:`StateMemo` of the answers of the
last few thousand states, keyed by everything the answer is computed from (the facts and
the room for admissible commands; the facts and the quests done for the quest check), so
a state reached by ``set_state`` or a fork reads what a recomputation would give.
"""

from __future__ import annotations

from .logic import CompiledLogic, GroundAction

#: How many states' answers a :class:`StateMemo` keeps in its newer half (it holds at
#: most twice this many).
MEMO_STATES = 2048

#: Above this many changed facts a room's set is recomputed from scratch (a far jump
#: by ``set_state``: re-testing the readers would cost more).
REBUILD_BITS = 48


def bits(mask: int):
    """The indices of the set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class StateMemo:
    """A bounded memo of per-state answers: at most ``2 * size`` entries, in two halves.
    New answers go to the newer half; when it is full it becomes the older half (the
    older one is dropped), and an answer found in the older half is copied to the newer,
    so the states in use survive a turnover. Costs O(1) per call, whatever the game.

    >>> memo = StateMemo(size=2)
    >>> memo.put("a", 1); memo.put("b", 2); memo.put("c", 3)  # "a" and "b" are now the older half
    >>> memo.get("a"), memo.get("z"), len(memo) <= 4
    (1, None, True)
    """

    __slots__ = ("size", "new", "old")

    def __init__(self, size: int = MEMO_STATES):
        self.size = size
        self.new: dict = {}
        self.old: dict = {}

    def get(self, key):
        """The answer remembered for ``key``, or None."""
        value = self.new.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.put(key, value)
        return value

    def put(self, key, value) -> None:
        """Remember ``value`` (not None) for ``key``."""
        if len(self.new) >= self.size:
            self.old, self.new = self.new, {}
        self.new[key] = value

    def clear(self) -> None:
        """Forget every answer."""
        self.new, self.old = {}, {}

    def __len__(self) -> int:
        return len(self.new) + len(self.old)


class _Group:
    """The actions of one room (or of no room): each with its preconditions minus the
    player's presence in the room, and the index from fact to the actions reading it."""

    __slots__ = ("pairs", "readers", "reader_sets", "mask", "here", "command")

    def __init__(self, actions: list[GroundAction], here: int):
        self.here = here  # the bit of at(P, room); 0 for the actions of no room
        self.command = {a.index: a.command for a in actions}
        self.pairs = [(a.index, a.pre & ~here) for a in actions]
        self.readers: dict[int, list[tuple[int, int]]] = {}  # fact -> [(action index, preconditions)]
        mask = 0
        for pair in self.pairs:
            mask |= pair[1]
            for i in bits(pair[1]):
                self.readers.setdefault(i, []).append(pair)
        self.mask = mask  # every fact one of these actions reads
        self.reader_sets = {bit: frozenset(i for i, _ in pairs) for bit, pairs in self.readers.items()}


class ActionIndex:
    """The valid actions and admissible commands of a state, kept up to date per room,
    the commands memoised per state (see the module docstring). One per compiled game;
    shared by its copies."""

    def __init__(self, logic: CompiledLogic):
        self._logic = logic
        self._here = {room: mask for mask, room in logic.player_at.items()}
        self._groups: dict[str | None, _Group] = {}
        # room -> (facts, indices of the valid actions, their commands sorted): the answer
        # for the last facts seen in that room.
        self._last: dict[str | None, tuple[int, frozenset[int], tuple[str, ...]]] = {}
        self._merged: tuple = ((), (), ())  # the last merge of a room's and the no-room commands
        self.memo = StateMemo()  # (facts, room) -> admissible commands (a tuple)

    def _group(self, room: str | None) -> _Group:
        group = self._groups.get(room)
        if group is None:
            group = self._groups[room] = _Group(self._logic.room_actions(room), self._here.get(room, 0) if room else 0)
        return group

    def _entry(self, facts: int, room: str | None) -> tuple[int, frozenset[int], tuple[str, ...]]:
        last = self._last.get(room)
        if last is not None and last[0] == facts:
            return last
        group = self._group(room)
        if room is not None and not facts & group.here:
            return (facts, frozenset(), ())  # the player is not there: none of its actions
        changed = None if last is None else (last[0] ^ facts) & group.mask
        if changed == 0:
            entry = (facts, last[1], last[2])
        else:
            if changed is None or changed.bit_count() > REBUILD_BITS:
                valid = frozenset(i for i, pre in group.pairs if facts & pre == pre)
            else:
                # A fact that went away invalidates every action reading it; one that
                # appeared can validate only actions reading it, tested in full.
                valid = set(last[1])
                reader_sets, readers = group.reader_sets, group.readers
                gone = changed & ~facts
                while gone:
                    low = gone & -gone
                    gone ^= low
                    valid.difference_update(reader_sets.get(low.bit_length() - 1, ()))
                came = changed & facts
                while came:
                    low = came & -came
                    came ^= low
                    for i, pre in readers.get(low.bit_length() - 1, ()):
                        if facts & pre == pre:
                            valid.add(i)
                valid = frozenset(valid)
            if last is not None and valid == last[1]:
                commands = last[2]
            else:
                command = group.command
                commands = tuple(sorted({command[i] for i in valid}))
            entry = (facts, valid, commands)
        self._last[room] = entry
        return entry

    def valid(self, facts: int, room: str) -> list[GroundAction]:
        """The actions whose preconditions hold in ``facts`` (the player being in ``room``):
        the room's, then those of no room, each in the order of the action table."""
        action = self._logic.action
        here, anywhere = self._entry(facts, room)[1], self._entry(facts, None)[1]
        return [action(i) for i in sorted(here)] + [action(i) for i in sorted(anywhere)]

    def commands(self, facts: int, room: str) -> list[str]:
        """TextWorld's admissible commands: those of :meth:`valid`, sorted, without duplicates."""
        key = (facts, room)
        memo = self.memo
        known = memo.get(key)
        if known is None:
            known = self._commands(facts, room)
            memo.put(key, known)
        return list(known)

    def _commands(self, facts: int, room: str) -> tuple[str, ...]:
        here = self._entry(facts, room)[2]
        anywhere = self._entry(facts, None)[2]
        if not anywhere:
            return here
        if not here:
            return anywhere
        merged = self._merged
        if merged[0] is not here or merged[1] is not anywhere:  # the entries keep unchanged tuples
            merged = self._merged = (here, anywhere, tuple(sorted(set(here).union(anywhere))))
        return merged[2]


class QuestIndex:
    """From each fact to the quest conditions that read it (see the module docstring).

    ``quests``: the engine's list of ``(win masks, fail masks, reward, required)``."""

    def __init__(self, quests: list[tuple[list[int], list[int], int, bool]]):
        self.quests = quests
        self.memo = StateMemo()  # (facts, quests done) -> the outcome of check_changed
        self.readers: dict[int, list[tuple[int, bool, int]]] = {}  # fact -> [(quest, is a fail, mask)]
        for q, (wins, fails, _, _) in enumerate(quests):
            for is_fail, masks in ((False, wins), (True, fails)):
                for mask in masks:
                    for i in bits(mask):
                        self.readers.setdefault(i, []).append((q, is_fail, mask))

    def check(self, facts: int, done: int) -> tuple[bool, int, int]:
        """(lost, quests done, reward gained) after a turn, testing every condition, in
        the order the generated Inform 7 code tests them."""
        gained = 0
        for i, (wins, fails, reward, _) in enumerate(self.quests):
            if done >> i & 1:
                continue
            if any(facts & m == m for m in fails):
                return True, done, gained
            if any(facts & m == m for m in wins):
                gained += reward
                done |= 1 << i
        return False, done, gained

    def check_changed(self, facts: int, done: int, changed: int) -> tuple[bool, int, int]:
        """The same as :meth:`check`, given that no condition of a quest not yet done held
        before the facts in ``changed`` changed (true after any turn the game went on
        from): only the conditions reading a changed fact are tested. Under that condition
        the answer is :meth:`check`'s, a function of ``facts`` and ``done`` alone: it is
        memoised by them."""
        if not changed:
            return False, done, 0
        key = (facts, done)
        outcome = self.memo.get(key)
        if outcome is None:
            outcome = self._check_changed(facts, done, changed)
            self.memo.put(key, outcome)
        return outcome

    def _check_changed(self, facts: int, done: int, changed: int) -> tuple[bool, int, int]:
        touched: dict[int, tuple[list[int], list[int]]] = {}
        readers = self.readers
        for i in bits(changed):
            for q, is_fail, mask in readers.get(i, ()):
                if not done >> q & 1:
                    touched.setdefault(q, ([], []))[is_fail].append(mask)
        gained = 0
        for q in sorted(touched):
            wins, fails = touched[q]
            if any(facts & m == m for m in fails):
                return True, done, gained
            if any(facts & m == m for m in wins):
                gained += self.quests[q][2]
                done |= 1 << q
        return False, done, gained
