"""How the native engine reads a typed command, as Inform 7's parser reads it.

:class:`CommandParser` is the half of :class:`~.engine.NativeGame` that turns what the
player types into something the game can act on, with the parser's own replies on the way:
TextWorld's admissible commands first (an action that applies is played at once, with
Inform 7's note when a name it typed fits several things); otherwise the grammar of the
Standard Rules and of TextWorld's Inform 7 source: verbs and their noun phrases, read
against the things in view (:meth:`~CommandParser._scope`) and resolved as Inform 7 does
(its scores for a missing or ambiguous object, the "does the player mean" rules, "Which do
you mean, ...?" and reading the answer back), commas and what follows them, the parser's
buffer ("I only understood you as far as wanting to (go) north the old key."), the
look-ahead of "put"/"insert" for their prepositions, compass directions used as nouns, and
the verbs a game without tw-cooking's rules does not know.

What it hands to the game: a resolved verb and objects to
:meth:`~.engine.NativeGame._act_one` / :meth:`~.engine.NativeGame._act_two` (the game's
checks and reports), a grounded action to :meth:`~.engine.NativeGame._apply` (found with
:meth:`~.engine.NativeGame._valid`), "prepare meal" to
:meth:`~.engine.NativeGame._prepare`, and every reply to
:meth:`~.engine.NativeGame._finish`, which ends the turn when one passed.

What it relies on from the game (all set by ``NativeGame.__init__`` and ``reset``):
``game`` (the TextWorld ``Game``), ``names``, ``_kind``, ``_tables``, ``_exits``,
``_doors_of``, ``_has_cooking``, ``_has_recipe``, ``_has_drink``, ``_objective_text``,
``max_score``; the state ``_facts``, ``_world``, ``_room``, ``_order``, ``_score``,
``_turns``, ``_won``, ``_lost``, ``_changed``, ``last_action``; and the methods
``contents``, ``is_open``, ``look_text``, ``inventory_text``, ``get_state``,
``set_state``, ``_holder``, ``_the``, ``_is_sharp``.

What it keeps: tables built once per game by :meth:`~CommandParser._init_parser` (each
thing's words and phrases, the things whose names overlap), and per episode
(:meth:`~CommandParser._reset_parser`) what "it" refers to and the parser's buffer (both
part of :meth:`~.engine.NativeGame.get_state`), the question it last asked, and the
command being read.
"""

from __future__ import annotations

import re
from typing import Sequence

from .logic import GroundAction
from .text import tidy

_DIRECTIONS = {"north": "north", "n": "north", "south": "south", "s": "south", "east": "east", "e": "east",
               "west": "west", "w": "west"}
_OTHER_DIRECTIONS = {"up", "u", "down", "d", "northeast", "ne", "northwest", "nw", "southeast", "se", "southwest",
                     "sw", "inside", "in", "outside", "out"}
_ARTICLES = re.compile(r"^(?:the|a|an|some)\s+")
_NOUN = r"(.+?)"
#: Grammar lines with two objects (the Standard Rules' and TextWorld's): a pattern, the verb it means.
_TWO_NOUNS = [
    (re.compile(rf"^(?:take|get|remove) {_NOUN} (?:from|off|off of|out of) {_NOUN}$"), "take from"),
    (re.compile(rf"^(?:put|place|set|drop) {_NOUN} (?:on|onto|on top of|upon) {_NOUN}$"), "put"),
    (re.compile(rf"^(?:put|place|insert|drop) {_NOUN} (?:in|into|inside) {_NOUN}$"), "insert"),
    (re.compile(rf"^(?:unlock|open) {_NOUN} (?:with|using) {_NOUN}$"), "unlock"),
    (re.compile(rf"^lock {_NOUN} (?:with|using) {_NOUN}$"), "lock"),
    (re.compile(rf"^cook {_NOUN} (?:with|in|on|using) {_NOUN}$"), "cook"),
    (re.compile(rf"^slice {_NOUN} (?:with|using) {_NOUN}$"), "slice"),
    (re.compile(rf"^dice {_NOUN} (?:with|using) {_NOUN}$"), "dice"),
    (re.compile(rf"^chop {_NOUN} (?:with|using) {_NOUN}$"), "chop"),
]
_COOKING_VERBS = ("cook", "slice", "dice", "chop")
#: Grammar lines with one object (tried after the two-object ones and ``_MISSING_SECOND``).
_ONE_NOUN = [
    (re.compile(rf"^(?:examine|x|look at|check|describe|watch|read) {_NOUN}$"), "examine"),
    (re.compile(rf"^(?:take|get|pick up|carry|hold) {_NOUN}$"), "take"),
    (re.compile(rf"^pick {_NOUN} up$"), "take"),
    (re.compile(rf"^(?:drop|discard|put down) {_NOUN}$"), "drop"),
    (re.compile(rf"^put {_NOUN} down$"), "drop"),
    (re.compile(rf"^(?:open|unwrap|uncover) {_NOUN}$"), "open"),
    (re.compile(rf"^(?:close|shut|cover) {_NOUN}$"), "close"),
    (re.compile(rf"^(?:eat) {_NOUN}$"), "eat"),
    (re.compile(rf"^(?:drink|sip|swallow) {_NOUN}$"), "drink"),
    (re.compile(rf"^(?:look|l) {_NOUN}$"), "examine"),
    (re.compile(rf"^(?:cut|prune|slice|chop) {_NOUN}$"), "cut"),
    (re.compile(rf"^remove {_NOUN}$"), "remove"),
    (re.compile(rf"^put {_NOUN} on$"), "wear"),  # "put [something preferably held] on": wearing
]
#: A verb typed alone: (verb, its grammar token, the second object's token or None, the
#: preposition between them), from the Standard Rules' and TextWorld's grammar lines.
_BARE = {
    "take": ("take", "multi", None, ""), "get": ("take", "multi", None, ""), "carry": ("take", "multi", None, ""),
    "hold": ("take", "multi", None, ""), "pick up": ("take", "multi", None, ""),
    "drop": ("drop", "multiheld", None, ""), "discard": ("drop", "multiheld", None, ""), "throw": ("drop", "multiheld", None, ""),
    "put": ("wear", "held", None, "on"), "insert": ("insert", "multiexcept", "noun", "in"),
    "open": ("open", "noun", None, ""), "unwrap": ("open", "noun", None, ""), "uncover": ("open", "noun", None, ""),
    "close": ("close", "noun", None, ""), "shut": ("close", "noun", None, ""), "cover": ("close", "noun", None, ""),
    "examine": ("examine", "noun", None, ""), "x": ("examine", "noun", None, ""), "check": ("examine", "noun", None, ""),
    "read": ("examine", "noun", None, ""), "watch": ("examine", "noun", None, ""), "describe": ("examine", "noun", None, ""),
    "look at": ("examine", "noun", None, ""), "eat": ("eat", "held", None, ""), "drink": ("drink", "noun", None, ""),
    "sip": ("drink", "noun", None, ""), "swallow": ("drink", "noun", None, ""), "remove": ("remove", "held", None, ""),
    "unlock": ("unlock", "noun", "held", "with"), "lock": ("lock", "noun", "held", "with"),
    "cook": ("cook", "noun", "noun", "with"), "slice": ("slice", "noun", "noun", "with"),
    "dice": ("dice", "noun", "noun", "with"), "chop": ("chop", "noun", "noun", "with"), "prune": ("cut", "noun", None, ""),
    "cut": ("cut", "noun", None, ""), "wear": ("wear", "held", None, ""), "don": ("wear", "held", None, ""),
}
#: The Standard Rules' verbs (and TextWorld's): a first word Inform 7's parser knows.
_VERB_WORDS = frozenset(
    "adjust answer ask attach attack awake awaken break burn buy carry check chop clean clear climb close consult cover "
    "crack cross cut describe destroy discard display disrobe doff don drag drink drop dust eat embrace enter examine exit "
    "fasten feed feel fight get give go hear hit hold hop hug i insert inv inventory jump kill kiss l leave light listen "
    "lock look move murder nap no offer open out pay pick polish present press prune pull punch purchase push put "
    "read remove rotate rub run say scale score screw scrub search set shed shift shine shout show shut sip sit skip sleep "
    "slice smash smell sniff sorry speak squash squeeze stand swallow sweep swing switch take taste tell think throw thump "
    "tie torture touch turn twist uncover unlock unscrew unwrap wait wake walk watch wave wear wipe wreck x y yes z goal "
    "help".split()
)
#: Standard Rules actions on nothing and what they print (a turn passes).
_NO_OBJECT_REPLIES = {
    "wait": "Time passes.", "z": "Time passes.", "jump": "You jump on the spot.", "skip": "You jump on the spot.",
    "hop": "You jump on the spot.", "think": "What a good idea.", "sleep": "You aren't feeling especially drowsy.",
    "nap": "You aren't feeling especially drowsy.", "wake": "The dreadful truth is, this is not a dream.",
    "wake up": "The dreadful truth is, this is not a dream.", "awake": "The dreadful truth is, this is not a dream.",
    "awaken": "The dreadful truth is, this is not a dream.", "yes": "That was a rhetorical question.",
    "y": "That was a rhetorical question.", "no": "That was a rhetorical question.", "sorry": "Oh, don't apologise.",
    "smell": "You smell nothing unexpected.", "sniff": "You smell nothing unexpected.",
    "listen": "You hear nothing unexpected.", "hear": "You hear nothing unexpected.", "wave": "You wave.",
    "go": "You'll have to say which compass direction to go in.", "walk": "You'll have to say which compass direction to go in.",
    "run": "You'll have to say which compass direction to go in.", "out": "But you aren't in anything at the moment.",
    "exit": "But you aren't in anything at the moment.", "leave": "But you aren't in anything at the moment.",
}
#: First words that make a whole command with nothing after them.
_NO_OBJECT_VERBS = frozenset({"wait", "z", "jump", "skip", "hop", "think", "sleep", "nap", "wake", "awake", "awaken", "yes", "y",
                              "no", "sorry", "smell", "sniff", "listen", "hear", "wave", "go", "walk", "run", "score", "goal", "help", "out"})
_NO_OBJECT_COMMANDS = frozenset(set(_NO_OBJECT_REPLIES) | {"look", "l", "inventory", "inv", "i", "score", "goal", "prepare meal"})
#: Words of the grammar lines after their verb (Inform 7's prepositions): the Standard
#: Rules' and TextWorld's own commands ("tw-print max_score", "restrict commands").
_PREPOSITIONS = frozenset(
    "about against at down for from in inside into inventory of off on onto out through to top under up with "
    "description score moves version max_score player id endofobject print state option commands all each "
    "everything".split()
)
#: tw-cooking's ("prepare meal", "slice [something] using [something]").
_COOKING_PREPOSITIONS = frozenset({"meal", "using"})
#: Verbs with a line whose second object follows the first ("take X from Y", "drop X in
#: Y"): on leading words that fit several things, Inform 7 asks which (measured).
_WHICH_VERBS = frozenset({"take", "get", "carry", "hold", "open", "remove", "drop", "discard"})
_UPTO = "I only understood you as far as wanting to "
#: The compass directions' words and the names Inform 7 prints for them.
_DIRECTION_NAMES = {"north": "north", "n": "north", "south": "south", "s": "south", "east": "east", "e": "east",
                    "west": "west", "w": "west", "up": "up", "u": "up", "down": "down", "d": "down",
                    "northeast": "northeast", "ne": "northeast", "northwest": "northwest", "nw": "northwest",
                    "southeast": "southeast", "se": "southeast", "southwest": "southwest", "sw": "southwest",
                    "inside": "inside", "in": "inside", "outside": "outside", "out": "outside"}
#: Verbs with a grammar line of their own (no object): more words after them leave
#: nothing in the parser's buffer (see CommandParser._remember_upto).
_LINE_ALONE = frozenset({"look", "l", "go", "walk", "run", "smell", "sniff", "listen", "hear", "wait", "z", "jump", "skip",
                         "hop", "think", "sleep", "nap", "wake", "awake", "awaken", "yes", "y", "no", "sorry", "wave", "out",
                         "exit", "leave", "i", "inv", "inventory", "score", "help", "goal"})
#: How Inform 7 names a verb in "I only understood you as far as wanting to ...".
_LANGUAGE_VERB = {"i": "take inventory", "inv": "take inventory", "inventory": "take inventory", "l": "look", "x": "examine",
                  "z": "wait"}
_ARTICLES_ONLY = re.compile(r"^(?:(?:the|a|an|some)\s*)+$")
#: Two-object commands cut short after the first object: Inform 7 asks for the second.
_MISSING_SECOND = [
    (re.compile(rf"^put (?!down ){_NOUN}(?<! down)(?<! on)( (?:in|into|inside))?$"), "insert", "What do you want to put {} in?"),
    (re.compile(rf"^insert {_NOUN}( (?:in|into))?$"), "insert", "What do you want to insert {} in?"),
    (re.compile(rf"^(?:take|get|remove) {_NOUN}( from)$"), "take from", "What do you want to take {} from?"),
    (re.compile(rf"^(?:unlock|open) {_NOUN}( with)$"), "unlock", "What do you want to unlock {} with?"),
    (re.compile(rf"^unlock {_NOUN}()$"), "unlock", "What do you want to unlock {} with?"),
    (re.compile(rf"^lock {_NOUN}( with)?$"), "lock", "What do you want to lock {} with?"),
    (re.compile(rf"^cook {_NOUN}( (?:with|in|on|using))?$"), "cook", "What do you want to cook {} with?"),
    (re.compile(rf"^slice {_NOUN}( (?:with|using))?$"), "slice", "What do you want to slice {} with?"),
    (re.compile(rf"^dice {_NOUN}( (?:with|using))?$"), "dice", "What do you want to dice {} with?"),
    (re.compile(rf"^chop {_NOUN}( (?:with|using))?$"), "chop", "What do you want to chop {} with?"),
]


def _phrases(name: str, synonyms) -> list[tuple[str, ...]]:
    """The word sequences the generated Inform 7 source understands as a thing, in its
    order: each synonym, the whole name, then each word of a longer name but "the" and "of"."""
    out = [tuple(s.lower().split()) for s in synonyms or ()] + [tuple(name.lower().split())]
    if len(name.split()) > 1:
        out += [(w.lower(),) for w in name.split() if w.lower() not in ("the", "of")]
    return [p for p in dict.fromkeys(out) if p]


def _words(name: str, synonyms) -> set[str]:
    words = {w.lower() for w in name.split()}
    for synonym in synonyms or ():
        words |= {w.lower() for w in synonym.split()}
    return words - {"the", "of"} | {name.lower()}


class CommandParser:
    """Inform 7's parser for :class:`~.engine.NativeGame` (a mixin: see the module
    docstring for what it reads, what it hands to the game and what it relies on)."""

    def _init_parser(self, infos: dict, objects: Sequence[str]) -> None:
        """Build the parser's tables for ``objects`` (``infos``: the game's ``infos``)."""
        self._words = {o: _words(self.names[o], infos[o].synonyms if o in infos else None) for o in objects}
        self._phrases = {o: _phrases(self.names[o], infos[o].synonyms if o in infos else None) for o in objects}
        # Objects whose full name another object's words also cover ("key" and "rusty key"):
        # naming them makes Inform 7 say which one it took.
        self._rivals = {o: [r for r in objects if r != o and self._names(r, self.names[o].lower().split())] for o in objects}
        self._help: str | None = None

    def _reset_parser(self) -> None:
        """Forget what the parser knows of an episode (at the game's ``reset``)."""
        self._it: str | None = None  # what "it" refers to: the first object of the last parsed command
        self._question: str | None = None  # the command a "What do you want to ...?" asked to complete
        self._which_q: str | None = None  # the command a "Which do you mean, ...?" asked about ("take {} red flurb")
        self._asked = ""
        self._cmd = ""  # the command being parsed ("the player's command" of the "does the player mean" rules)
        # What Inform 7's parser last understood of a command it could not read to the end
        # (its "pattern2" buffer, printed after the verb: " the old key"): a direction
        # followed by other words prints it again, whatever the command was.
        self._upto = ""
        self._fast = False  # whether the last command was played as an admissible one

    # -- a typed command: answers to the parser's questions, commas, the parser's buffer --
    def _step(self, command: str) -> str:
        """Read and play one typed command (the game's turn starts here: no action yet,
        nothing changed); returns its text, not yet tidied."""
        self.last_action = None
        self._changed = 0
        cmd = re.sub(r"\s+", " ", command.strip().lower()).rstrip(".!")
        if not cmd:
            return "I beg your pardon?"
        question, self._question = self._question, None
        which, self._which_q = self._which_q, None
        if which and "," not in cmd and not self._is_verb(cmd.split(" ")[0]):
            cmd = which.format(cmd)  # the answer to "Which do you mean, ...?"
        elif question and "," not in cmd and not self._is_verb(cmd.split(" ")[0]):
            # The answer to "What do you want to take?": Inform 7 completes the command
            # with it, unless it starts with a verb (a new command).
            direction = _DIRECTIONS.get(cmd) if " " not in cmd else None
            if direction and question.split(" ")[0] in ("take", "get", "pick"):
                return self._finish("You must name something more substantial.", turn=True)
            if direction and question in ("lock", "unlock"):
                self._question = self._asked = f"{question} {cmd} with"
                return f"What do you want to {question} {direction} with?"
            cmd = f"{question} {cmd}"
        self._fast = False
        if "," in cmd:
            reply = self._with_commas(cmd)
            self._remember_upto("", reply)
            if not reply.startswith("Which do you mean, "):
                self._which_q = None
            return reply
        reply = self._command(cmd)
        if reply.startswith("What do you want to ") and "\n" not in reply:
            self._question = self._asked
        if not reply.startswith("Which do you mean, "):
            self._which_q = None
        self._remember_upto(cmd, reply)
        return reply

    def _remember_upto(self, cmd: str, reply: str) -> None:
        """Keep what Inform 7's parser stores when a grammar line matches the start of a
        command and words are left over (measured on the reference): what "I only
        understood you as far as ..." prints after the verb; for a verb that has a line
        of its own ("look", "go", "smell"), nothing, when more words follow it; for
        "take X from Y", "drop X on Y", "open X with Y" (their one-object line is tried
        first), the object the leading words name. ``cmd`` is "" for a line with commas."""
        if reply.startswith(_UPTO) and "\n" not in reply:
            said = reply[len(_UPTO):-1]
            if not said.startswith("(go) "):  # the compass reply prints the buffer and keeps it
                verb = "take inventory" if said.startswith("take inventory") else said.split(" ")[0]
                self._upto = said[len(verb):]
            return
        words = cmd.split(" ")
        if len(words) < 2:
            return
        if words[0] in _LINE_ALONE:
            self._upto = ""
        elif words[0] in ("take", "get", "remove", "drop", "open"):
            action = self.last_action if self._fast else None
            if action is not None and action.rule in ("take/c", "take/s"):
                self._upto = " " + self._the(action.binding["o"])
            elif action is None:
                named = self._named_first(words[1:])
                if len(named) == 1:
                    self._upto = " " + self._the(named[0])

    def _command(self, cmd: str) -> str:
        """Play one normalised command without commas; returns its text."""
        # "prepare meal" goes through tw-cooking's checks even when admissible: TextWorld's
        # rules include recipes of fewer ingredients than the game's, which its own
        # Inform 7 rule refuses ("Something still needs to be cut.").
        admissible = () if cmd == "prepare meal" and self._has_recipe else self._tables.by_command(self._room).get(cmd, ())
        for action in admissible:
            if self._facts & action.pre == action.pre and self._world & action.pre == action.pre:
                nouns = self._tables.nouns(action)
                if nouns:
                    self._it = nouns[0]
                ambiguous = [self._is_ambiguous(o) for o in nouns]
                if action.rule in ("take/c", "take/s") and ambiguous[0]:
                    # "take [things inside] from [something]": only what is in the second
                    # object fits, so a namesake elsewhere needs no choosing.
                    ambiguous[0] = any(self._holder(r) == nouns[1] for r in self._rivals[nouns[0]])
                if len(nouns) == 2 and ambiguous[1]:
                    which = self._asks_which(cmd, nouns)
                    if which is not None:  # TextWorld's own command is ambiguous to Inform 7
                        return which
                notes = self._clarified(action, nouns, ambiguous)
                self._fast = True
                return self._finish(notes + self._apply(action), turn=True)
        reply, turn = self._parse(cmd)
        return self._finish(reply, turn)

    def _asks_which(self, cmd: str, nouns: Sequence[str]) -> str | None:
        """Inform 7's question when the second object's name in an admissible command also
        names another thing in view and its "does the player mean" rules do not decide
        (TextWorld's rule needs the printed names in the command, a case-sensitive match:
        "take Henderson's style keycard from locker" asks which locker), else None."""
        first, second = nouns
        phrase = self.names[second].lower()
        candidates = [o for o in self._scope() if self._names(o, phrase.split())]
        if len(candidates) < 2:
            return None
        self._cmd = cmd
        context = "held" if cmd.startswith(("lock ", "unlock ")) else "noun"
        if self._likeliest(context, cmd.split(" ")[0], first, typed=cmd, candidates=candidates) is not None:
            return None
        return self._which(candidates, phrase)

    def _clarified(self, action: GroundAction, nouns: Sequence[str], ambiguous: Sequence[bool]) -> str:
        """Inform 7's note on the objects it chose: from the first chosen one to the end
        of the command ("(the chest with the latchkey)", or "(the latchkey)")."""
        if not any(ambiguous):
            return ""
        if len(nouns) == 2 and ambiguous[0]:
            template = self.game.kb.rules[action.rule].command_template or ""
            words = re.findall(r"\{[^}]+\}|[^{}\s]+", template)
            slots = [i for i, w in enumerate(words) if w.startswith("{")]
            preposition = " ".join(words[slots[0] + 1:slots[1]]) if len(slots) == 2 else "with"
            return f"({self._the(nouns[0])} {preposition} {self._the(nouns[1])})\n"
        return "".join(f"({self._the(o)})\n" for o, flag in zip(nouns, ambiguous) if flag)

    # -- noun phrases: what is in view, what words name, which thing is meant ------------
    def _scope(self) -> list[str]:
        # Inform 7's order: the room's children, the most recently moved in first (its
        # doors are moved in as the player enters: see NativeGame._enter), each followed by
        # what it shows; then what the player carries.
        room = self._room
        here = set(self.contents(room)) | set(self._doors_of.get(room, ()))
        seen = []
        for obj in self._order:
            if obj in here:
                seen.append(obj)
                if self._kind[obj] == "s" or (self._kind[obj] == "c" and self.is_open(obj)):
                    seen.extend(self.contents(obj))
        seen.extend(self.contents("I"))
        return seen

    def _names(self, obj: str, words: Sequence[str]) -> bool:
        """Whether ``words`` all name ``obj``, as the Inform 7 source TextWorld writes
        understands them: a run of its synonyms, its whole name and its name's single
        words but "the" and "of" ("stick of butter", "butter stick", not "stick of"),
        each tried in the source's order at each word."""
        phrases = self._phrases[obj]
        i = 0
        while i < len(words):
            i += next((len(p) for p in phrases if tuple(words[i:i + len(p)]) == p), 0) or len(words) + 1
        return i == len(words)

    def _is_ambiguous(self, obj: str) -> bool:
        rivals = self._rivals.get(obj)
        if not rivals:
            return False
        scope = self._scope()
        return any(r in scope for r in rivals)

    def _resolve(self, phrase: str, prefer: str | None = None) -> tuple[str | None, str | None]:
        """(object id, None) or (None, the parser's complaint). ``prefer``: ``"held"``
        (drop, put, eat: Inform 7 prefers what is carried) or ``"not held"`` (take)."""
        self._note = ""
        phrase = _ARTICLES.sub("", phrase.strip())
        if phrase in ("me", "myself", "self", "yourself"):
            return "P", None
        words = phrase.split()
        if not [w for w in words if w not in ("of", "the")]:
            return None, "You can't see any such thing."
        matches = [o for o in self._scope() if self._names(o, words)]
        if not matches:
            return None, "You can't see any such thing."
        if len(matches) == 1:
            return matches[0], None
        # Several things fit the words: Inform 7 scores them as for a missing object.
        context = {"held": "held", "not held": "multi"}.get(prefer or "", "noun")
        best = self._likeliest(context, "take" if prefer == "not held" else "", typed=self._cmd, candidates=matches)
        if best is not None:
            self._note = f"({self._the(best)})\n"
            return best, None
        return None, self._which(matches, phrase)

    def _which(self, matches: Sequence[str], phrase: str) -> str:
        """The parser's question when several things fit the words of ``phrase`` equally
        well. An answer that does not start with a verb goes before those words in the
        command, which is read again ("take red flurb", "tuna": "take tuna red flurb")."""
        at = self._cmd.find(phrase, len(self._cmd.split(" ")[0]))
        self._which_q = self._cmd[:at] + "{} " + self._cmd[at:] if phrase and at > 0 else None
        listed = [self._the(o) for o in matches]
        return f"Which do you mean, {', '.join(listed[:-1])} or {listed[-1]}?"

    # -- the grammar for everything that is not an admissible command ---------------------
    def _parse(self, cmd: str) -> tuple[str, bool]:
        """Inform 7's reply to a command no valid action matched, and whether a turn passed."""
        self._cmd = cmd
        if cmd in ("look", "l", "inventory", "inv", "i"):  # abbreviations of TextWorld actions
            action = self._valid(("look",) if cmd in ("look", "l") else ("inventory",))
            if action:
                return self._apply(action), True
            return (self.look_text() if cmd in ("look", "l") else self.inventory_text()), True
        if cmd.startswith(("inventory ", "i ", "inv ")):
            return f"{_UPTO}take inventory.", False
        if cmd == "out":  # a verb (exit) before it is a direction
            return _NO_OBJECT_REPLIES[cmd], True
        m = re.match(r"^(?:go |walk |run )?(\w+)$", cmd)
        if m and (m.group(1) in _DIRECTIONS or m.group(1) in _OTHER_DIRECTIONS) and (cmd.startswith(("go ", "walk ", "run ")) or " " not in cmd):
            direction = _DIRECTIONS.get(m.group(1))
            exit_ = self._exits.get(self._room, {}).get(direction) if direction else None
            if exit_ is None:
                return "You can't go that way.", True
            door = exit_[1]
            if door and not self.is_open(door):
                return f"You have to open the {self.names[door]} first.", True
            action = self._valid(("go", direction))
            if action:
                return self._apply(action), True
            return "You can't go that way.", True
        m = re.match(r"^(\w+) ", cmd)
        if m and m.group(1) in _DIRECTIONS or m and m.group(1) in _OTHER_DIRECTIONS and m.group(1) not in _VERB_WORDS:
            # Inform 7 prints the direction, then what its parser's buffer holds from an
            # earlier command (see _remember_upto).
            return f"{_UPTO}(go) {m.group(1)}{self._upto}.", False
        m = re.match(r"^(?:go|walk|run) (\w+) ", cmd)
        if m and m.group(1) in ("in", "inside"):
            return "You can't see any such thing.", False  # "go in [something]": entering
        if m and (m.group(1) in _DIRECTIONS or m.group(1) in _OTHER_DIRECTIONS):
            return f"{_UPTO}{cmd.split(' ')[0]} {_DIRECTION_NAMES[m.group(1)]}.", False
        if re.match(r"^(?:take|get|pick up) (?:all|each|everything)$", cmd):
            return "You have to be more specific!", True
        if cmd == "goal":
            return self._objective_text, True
        if cmd == "help":
            return self._help_text(), True
        if cmd == "score":
            # Inform 7's turn counter, which starts at 1 (the end-of-game line reads it too).
            turns = "turn" if self._turns == 1 else "turns"
            return f"You have so far scored {self._score} out of a possible {self.max_score}, in {self._turns} {turns}.", False
        words = cmd.split(" ")
        verb = words[0]
        if cmd in _NO_OBJECT_REPLIES:
            return _NO_OBJECT_REPLIES[cmd], True
        if verb in _NO_OBJECT_VERBS and not (verb in self._cooking_words and not self._has_cooking):
            return self._no_object_verb(verb, " ".join(words[1:]))
        if cmd == "prepare meal" and self._has_recipe:
            return self._prepare(), True
        if cmd.startswith("prepare meal ") and self._has_recipe:
            return "I didn't understand that sentence.", False
        if verb in self._cooking_words and not self._has_cooking:
            if verb in ("cook", "dice", "prepare"):
                return "That's not a verb I recognise.", False
        bare = None
        if len(words) > 1 and _ARTICLES_ONLY.match(" ".join(words[1:])):
            bare = verb  # "take the": no object named
        elif len(words) > 2 and words[1] in ("up", "at") and _ARTICLES_ONLY.match(" ".join(words[2:])):
            bare = " ".join(words[:2])
        if bare is not None and bare not in ("eat", "drop", "discard", "throw", "remove", "wear", "don") and (
                {"a", "an", "some"} & set(words[len(bare.split(" ")):])):
            return "You can't see any such thing.", False  # an indefinite article names nothing (measured)
        if bare == "put":  # "put on [something]" needs "on": the line that asks is "put [things] in"
            if self._likeliest("held", "wear", typed=cmd) not in (None, "P"):
                return "You can't see any such thing.", False  # what "put" alone would infer (not the player)
            self._asked = "put"
            return "What do you want to put?", False
        if bare == "pick up" and all(self._holder(o) == "I" for o in self._scope()):
            return "You can't see any such thing.", False  # nothing here but what is carried (measured)
        if bare in _BARE and not (bare in self._cooking_words and not self._has_cooking):
            # After "the" Inform 7 asks when nothing stands out, and infers nothing otherwise.
            # (Where the verb wants something carried, as "remove the", it still infers.)
            # Something stands out when it scores best and the "does the player mean" rules
            # do not call it very unlikely (taking what is carried): alone, it still does not.
            verb_, context, _, _ = _BARE[bare]
            if context == "held":
                return self._bare(bare)
            best = self._likeliest(context, verb_, typed=cmd, alone=False)
            if best is None or not self._does_the_player_mean(verb_, best, None, self._holder(best) == "I", cmd):
                return self._bare(bare, ask=True)
            return "You can't see any such thing.", False
        if cmd in _BARE and not (cmd in self._cooking_words and not self._has_cooking):
            return self._bare(cmd)
        if verb in ("put", "insert") and self._stuck_put(words):
            return "I didn't understand that sentence.", False
        for pattern, verb_ in _TWO_NOUNS:
            m = pattern.match(cmd)
            if m:
                if verb_ in _COOKING_VERBS and not self._has_cooking:
                    return self._not_cooking(verb_, m.group(1))
                return self._two(verb_, m.group(1), m.group(2), cmd)
        for pattern, verb_, question in _MISSING_SECOND:
            m = pattern.match(cmd)
            if m and not (verb_ in _COOKING_VERBS and not self._has_cooking):
                return self._missing_second(verb_, m.group(1), question, typed_preposition=bool(m.group(2)))
        for pattern, verb_ in _ONE_NOUN:
            m = pattern.match(cmd)
            if m:
                return self._one(verb_, m.group(1), cmd)
        if verb in _VERB_WORDS and not (verb in self._cooking_words and not self._has_cooking):
            return "You can't see any such thing.", False  # a verb, then words that name nothing here
        return "That's not a verb I recognise.", False

    def _stuck(self, verb: str, phrase: str) -> str | None:
        """A two-object verb whose first object's words do not all name something in view:
        when the leading ones do, Inform 7 reads the object from them and stops at the next
        word, which is not the line's preposition ("I didn't understand that sentence."),
        or first asks which thing was meant when several fit and none scores best; None
        when no leading words name anything."""
        named = self._named_first(phrase.split(" "))
        if not named:
            return None
        context = "held" if verb in ("put", "insert") else "noun"
        if len(named) > 1 and self._likeliest(context, verb, typed=self._cmd, candidates=named) is None:
            return self._which(named, phrase)
        return "I didn't understand that sentence."

    def _stuck_put(self, words: Sequence[str]) -> bool:
        """Whether every grammar line of "put"/"insert" fails at a preposition: the lines
        whose first object is "[other things]" look ahead for their preposition, and a
        preposition of another line before the last word ("put block of cheese", "insert
        top hat") makes them fail; "put on", "put down" and the lines ending with a
        preposition fail too unless it is there."""
        rest = list(words[1:])
        if not rest:
            return False
        if words[0] == "insert":
            return self._lookahead_fails(rest, ("in", "into"))
        if rest[0] in ("on", "down") or rest[-1] in ("on", "down"):
            return False
        return self._lookahead_fails(rest, ("in", "inside", "into")) and self._lookahead_fails(rest, ("on", "onto"))

    def _lookahead_fails(self, rest: Sequence[str], chain: Sequence[str]) -> bool:
        """Inform 7's look-ahead (Parser.i6t, letter F) for a line whose prepositions are
        ``chain``, over the words after the verb: it skips to the first preposition word
        before the last word; none there, the line is read as usual; one of ``chain``, too;
        another, it looks on (up to the last word but one) and fails if none fits."""
        preps = _PREPOSITIONS | (_COOKING_PREPOSITIONS if self._has_cooking else frozenset())
        n = len(rest)
        j = next((i for i in range(n - 1) if rest[i] in preps), None)
        if j is None:
            return False
        while True:
            if rest[j] in chain:
                return False
            j += 1
            while j < n - 2 and rest[j] not in preps:
                j += 1
            if j >= n or rest[j] not in preps:
                return True

    @property
    def _cooking_words(self) -> tuple[str, ...]:
        return ("cook", "dice", "prepare")

    def _help_text(self) -> str:
        """What TextWorld's "help" prints: the list of commands its Inform 7 source
        writes for this game (read from that source once, when first asked)."""
        if self._help is None:
            from textworld.generator.inform7 import Inform7Game

            source = Inform7Game(self.game).gen_source()
            block = source.split("Carry out displaying help message:", 1)[1].split("\n\n", 1)[0]
            lines = re.findall(r'say "(.*)";', block)
            text = "".join(lines).replace("[fixed letter spacing]", "").replace("[variable letter spacing]", "")
            self._help = text.replace("[line break]", "\n")
        return self._help

    def _no_object_verb(self, verb: str, rest: str) -> tuple[str, bool]:
        """A Standard Rules verb that takes no object ("wait", "jump") or one optional
        object that changes nothing ("smell the chest")."""
        if verb in ("smell", "sniff"):
            obj, error = self._resolve(rest)
            if error:
                return self._direction_noun("smell", verb, rest) or (self._understood_as_far_as(verb, rest) or error, False)
            return self._note + "You smell nothing unexpected.", True
        if verb in ("wake", "awake", "awaken") and rest not in ("up",):
            phrase = rest[:-3] if rest.endswith(" up") else rest[3:] if rest.startswith("up ") else rest
            obj, error = self._resolve(phrase)
            if error and not self._named_first(phrase.split(" ")):
                return error, False
            return "You can only do that to something animate.", False  # its leading words name a thing, too
        if verb == "listen" and rest.startswith("to "):
            obj, error = self._resolve(rest[3:])
            return (error, False) if error else (self._note + "You hear nothing unexpected.", True)
        if verb == "go":
            return "You can't see any such thing.", False  # "go [something]": entering, nothing here to enter
        return f"{_UPTO}{_LANGUAGE_VERB.get(verb, verb)}.", False

    # -- a verb without its objects: Inform 7 infers them when one thing is likeliest -----
    def _bare(self, cmd: str, ask: bool = False) -> tuple[str, bool]:
        """A verb typed without its object(s). Inform 7's parser scores every thing in
        view as its ``Adjudicate`` does (what the grammar token prefers, then where the
        thing is: carried, here, or inside something; then the "does the player mean"
        rules) and acts on the single best one, noting it ("(the key)"); on a tie it asks
        (``ask``: it asks whatever scores best)."""
        verb, context, second_context, preposition = _BARE[cmd]
        if verb in ("slice", "dice", "chop") and not self._has_cooking:
            verb, context, second_context, preposition = "cut", "noun", None, ""
        first = None if ask else self._likeliest(context, verb, typed=self._cmd)
        said = " ".join(_LANGUAGE_VERB.get(w, w) for w in cmd.split(" "))
        if cmd == "pick up" and first is None and not self._scope():
            # Nothing to take: "pick [things] up" reads "up" as the direction.
            return "(up)\nYou must name something more substantial.", True
        if first is None:
            self._asked = f"{cmd} {preposition}" if preposition and second_context is None else cmd
            return f"What do you want to {said}{' ' + preposition if preposition and second_context is None else ''}?", False
        if second_context is None:
            self._it = first
            reply, turn = self._act_one(verb, first, cmd)
            shown = f"{preposition} {self._the(first)}" if preposition else self._the(first)
            return f"({shown})\n{reply}", turn
        second = self._likeliest(second_context, verb, first, typed=self._cmd)
        if second is None:
            self._asked = f"{cmd} {self.names.get(first, 'me')} {preposition}"
            return f"What do you want to {said} {self._the(first)} {preposition}?", False
        self._it = first
        reply, turn = self._act_two(verb, first, second)
        return f"({self._the(first)} {preposition} {self._the(second)})\n{reply}", turn

    def _likeliest(self, context: str, verb: str, first: str | None = None, typed: str = "",
                   candidates: Sequence[str] | None = None, alone: bool = True) -> str | None:
        """The thing Inform 7's parser infers for a missing object, or picks among
        ``candidates`` that the typed words all fit (None: it would ask). ``context``: the
        grammar token (``noun``, ``held``, ``multi``, ``multiheld``, ``multiexcept``);
        ``first``: the first object, when choosing the second; ``typed``: the words typed;
        ``alone``: whether the only thing the token fits is chosen without scoring."""
        room = self._room
        # The player is a candidate only where the token wants something carried.
        if candidates is not None:
            scope = list(candidates)
        else:
            scope = (["P"] if context == "held" else []) + list(dict.fromkeys(self._scope()))
        held = {o for o in scope if o != "P" and self._holder(o) == "I"}
        if context in ("held", "multiheld"):
            good = [o for o in scope if o in held]
        elif context == "multi":
            good = [o for o in scope if o != "P"]
        elif context == "multiexcept":
            good = list(scope)
        else:
            good = []
        if len(good) == 1 and alone:
            return good[0]
        # Carried things score best, except for taking (the library's PREFER_HELD).
        carried_score, here_score = (40, 60) if verb in ("take", "remove from") else (60, 40)
        best, best_score = None, None
        for obj in scope:
            holder = room if obj == "P" or self._kind.get(obj) == "d" else self._holder(obj)  # a door is in the room
            score = 1000 * (obj in good) + (0 if obj == "P" else 100 + 5) + 10
            score += carried_score if obj in held else here_score if holder == room else 20
            score += 1000 * self._does_the_player_mean(verb, obj, first, obj in held, typed)
            if best_score is None or score > best_score:
                best, best_score = obj, score
            elif score == best_score:
                best = None
        return best

    def _does_the_player_mean(self, verb: str, obj: str, first: str | None, carried: bool, typed: str = "") -> int:
        """The "does the player mean" rules' verdict on ``obj`` (0 very unlikely, 2
        possible, 3 likely, 4 very likely), the most specific rule first: tw-cooking's
        (no cutting with a blunt carried thing, no cooking with a carried one), the
        Standard Rules' (no taking what is carried), then TextWorld's (what the command
        names by its whole printed name: "matches the text" is case-sensitive and the
        command is in lower case, so a name with a capital never matches)."""
        if first is None:
            if verb == "take" and carried:
                return 0
            return 3 if obj != "P" and self.names[obj] in typed else 2
        if verb in ("slice", "dice", "chop") and carried and not self._is_sharp(obj):
            return 0
        if verb == "cook" and carried:
            return 0
        if obj != "P" and first != "P" and self.names[obj] in typed and self.names[first] in typed:
            return 4
        return 2

    def _understood_as_far_as(self, verb: str, phrase: str) -> str | None:
        """Inform 7's reply when the first words of ``phrase`` name one thing in view and
        more words follow ("examine peanut banana"), else None."""
        matches = self._named_first(phrase.strip().split(" "))
        if len(matches) == 1:
            return f"{_UPTO}{_LANGUAGE_VERB.get(verb, verb)} {self._the(matches[0])}."
        if matches and verb in _WHICH_VERBS:
            # Several things fit the first words: for a verb that also has a line with a
            # second object after this one, Inform 7 asks, unless one scores best (measured;
            # "examine" and the like say "You can't see any such thing.").
            prefer = {"take": "multi", "get": "multi", "carry": "multi", "hold": "multi", "drop": "multiheld",
                      "discard": "multiheld", "remove": "held"}.get(verb, "noun")
            if self._likeliest(prefer, "take" if prefer == "multi" else verb, typed=self._cmd, candidates=matches) is None:
                return self._which(matches, phrase.strip())
        return None

    def _named_first(self, words: Sequence[str]) -> list[str]:
        """The things in view that the most leading ``words`` name, when words are left
        after them (none when all the words name something)."""
        words = _ARTICLES.sub("", " ".join(words)).split(" ")
        scope = self._scope()
        for k in range(len(words), 0, -1):
            head = words[:k]
            matches = [o for o in scope if [w for w in head if w not in ("of", "the")] and self._names(o, head)]
            if matches:
                return matches if k < len(words) else []
        return []

    def _missing_second(self, verb: str, phrase: str, question: str, typed_preposition: bool) -> tuple[str, bool]:
        """A two-object command without its second object. Inform 7 asks for it, unless
        the command names the first object by its whole name: then TextWorld's "does the
        player mean" rule makes the first object the likeliest second one too."""
        if phrase.split(" ")[-1] in ("the", "a", "an", "some") and len(phrase.split(" ")) > 1:
            if len(self._named_first(phrase.split(" "))) == 1:
                return "I didn't understand that sentence.", False  # an article where a preposition should be
            return "You can't see any such thing.", False
        obj, error = self._resolve(phrase, "held" if verb in ("put", "insert") else None)
        if error:
            if error.startswith("You can't see"):
                return self._stuck(verb, phrase) or error, False
            return error, False
        note = self._note
        context = "held" if verb in ("unlock", "lock") else "noun"
        other = self._likeliest(context, verb, obj, typed=self._cmd)
        if other is None:
            self._asked = f"{self._cmd} {'' if typed_preposition else question.split(' ')[-1].rstrip('?')}".strip()
            return question.format(self._the(obj)), False
        preposition = "" if typed_preposition else question.split(" ")[-1].rstrip("?") + " "
        self._it = obj
        if verb == "take from" and other == obj:  # removing it from itself: the first check fails
            reply, turn = "But it isn't there now.", True
        else:
            reply, turn = self._act_two(verb, obj, other)
        if note and preposition:  # both objects chosen: one note from the first
            return f"({self._the(obj)} {preposition}{self._the(other)})\n{reply}", turn
        if verb == "take from":
            reply = "But it isn't there now." if reply.startswith("But the") else reply
        return f"{note}({preposition}{self._the(other)})\n{reply}", turn

    # -- commas -----------------------------------------------------------------------
    def _with_commas(self, cmd: str) -> str:
        """A command with a comma, read as Inform 7's parser reads it: a leading comma is
        an error; "name, ..." speaks to someone (there is no one to talk to here); after
        a complete command a comma ends it and what follows is the next command; after
        an object it starts a list of objects (a verb that takes one object refuses it)."""
        if cmd.startswith(","):
            return "You can't begin with a comma."
        head, _, rest = cmd.partition(",")
        head, rest = head.strip(), rest.strip()
        words = head.split(" ")
        verb = words[0]
        if not (verb in _DIRECTIONS or verb in _OTHER_DIRECTIONS and verb not in _VERB_WORDS):
            addressee = self._addressee(words)
            if addressee is not None:
                return f"You can't talk to {self._the(addressee)}."
            if not self._is_verb(verb):
                return "You seem to want to talk to someone, but I can't see whom."
        if len(words) == 2 and words[0] in ("go", "walk", "run") and (words[1] in _DIRECTIONS or words[1] in _OTHER_DIRECTIONS):
            return "You can't use multiple objects with that verb."  # "go [direction]": a list of directions
        if head in _NO_OBJECT_COMMANDS or verb in _DIRECTIONS or verb in _OTHER_DIRECTIONS or (
                len(words) == 1 and verb in _NO_OBJECT_VERBS and self._is_verb(verb)):
            return self._then(head, rest)
        if len(words) == 1 or (len(words) == 2 and words[1] in ("up", "at")):
            return "You can't see any such thing."  # the verb's object is missing before the comma
        if head == "prepare meal" and self._has_recipe:
            return "I didn't understand that sentence."
        if any(pattern.match(head) for pattern, _ in _TWO_NOUNS):
            if verb in ("lock", "unlock"):
                return "You can't use multiple objects with that verb."  # measured on the reference
            if not rest:
                return self._command(head)  # after a second object a comma ends the command
            return self._upto_two(head)
        state, turns = self.get_state(), self._turns
        reply = self._command(head)
        if self._turns == turns:
            return reply  # the command before the comma is already wrong
        self.set_state(state)
        self.last_action = None
        if verb in ("take", "get", "drop", "carry", "hold", "discard", "throw") or head.startswith(("pick up ", "put down ")):
            if rest:
                return "You can't see any such thing."
            reply = self._command(head)
            return f"{self.names.get(self._it, 'yourself')}: {reply}"
        return "You can't use multiple objects with that verb."

    def _then(self, head: str, rest: str) -> str:
        """``head``, then ``rest`` read as the next command of the same line. The
        reference shows what a parser error in ``rest`` prints; an action in it runs
        among TextWorld's own commands and its text is lost, so it is not played here."""
        reply = self._command(head)
        if not rest or self._won or self._lost:
            return reply
        state, turns = self.get_state(), self._turns
        last = self.last_action
        more = self._step(rest)
        if self._turns != turns:
            self.set_state(state)
            self.last_action = last
            return reply
        return reply + "\n\n" + tidy(more)

    def _upto_two(self, head: str) -> str:
        """"I only understood you as far as ..." for a whole two-object command (or its
        own complaint when its objects are not in view)."""
        for pattern, verb in _TWO_NOUNS:
            m = pattern.match(head)
            if m:
                obj, error = self._resolve(m.group(1))
                other, error2 = self._resolve(m.group(2))
                if error or error2:
                    return self._command(head)
                said = head[: m.start(1)].strip()
                between = head[m.end(1): m.start(2)].strip()
                return f"{_UPTO}{said} {self._the(obj)} {between} {self._the(other)}."
        return self._command(head)

    def _is_verb(self, word: str) -> bool:
        return word in _VERB_WORDS or (word in self._cooking_words and self._has_cooking) or (word == "drink" and self._has_drink)

    def _addressee(self, words: list[str]) -> str | None:
        """The object in view that the first words of ``words`` name, if any (whom
        "chest, open" would speak to)."""
        words = [w for w in words if w not in ("the", "a", "an", "some")]
        best, best_length = None, 0
        for obj in self._scope():  # the thing that the most leading words name (the first on a tie)
            length = 0
            while length < len(words) and words[length] in self._words[obj]:
                length += 1
            if length > best_length:
                best, best_length = obj, length
        return best

    def _not_cooking(self, verb: str, phrase: str) -> tuple[str, bool]:
        """Outside tw-cooking, "cook" and "dice" are no verbs, and Inform 7's own "slice"/"chop"
        (cutting) takes one object: the "with ..." part is left over."""
        if verb in ("cook", "dice"):
            return "That's not a verb I recognise.", False
        obj, error = self._resolve(phrase)
        if error:
            return self._understood_as_far_as(verb, phrase) or error, False
        return f"{_UPTO}{verb} {self._the(obj)}.", False

    # -- one and two objects: resolved here, acted on by the game -------------------------
    def _one(self, verb: str, phrase: str, cmd: str = "") -> tuple[str, bool]:
        prefer = "held" if verb in ("drop", "eat", "drink", "remove") else "not held" if verb == "take" else None
        said = cmd[: len(cmd) - len(phrase)].strip() or verb
        if len(phrase.split(" ")) > 1 and phrase.split(" ")[-1] in ("the", "a", "an", "some"):
            obj, error = None, "You can't see any such thing."  # an article after the name ends nothing
        else:
            obj, error = self._resolve(phrase, prefer)
        if error:
            if said in ("look at", "l at"):
                if _ARTICLES.sub("", phrase) in _DIRECTION_NAMES:
                    return "You see nothing unexpected in that direction.", True
                return error, False  # "look [something]" reads "at" as a name: that error wins
            direction = self._direction_noun(verb, said, phrase)
            if direction is not None:
                return direction
            return self._understood_as_far_as(said, phrase) or error, False
        self._it = obj
        note = self._note
        reply, turn = self._act_one(verb, obj, said)
        return note + reply, turn

    def _direction_noun(self, verb: str, said: str, phrase: str) -> tuple[str, bool] | None:
        """Inform 7's reply when the object is a compass direction (they are always in
        view for its parser), else None: examining one sees nothing, other actions want
        something more substantial; with words after it, "... as far as wanting to shut north"."""
        words = _ARTICLES.sub("", phrase).split(" ")
        if words[0] not in _DIRECTION_NAMES or verb in ("eat", "wear", "remove"):
            return None
        if len(words) > 1:
            return f"{_UPTO}{_LANGUAGE_VERB.get(said, said)} {_DIRECTION_NAMES[words[0]]}.", False
        if verb == "examine":
            return "You see nothing unexpected in that direction.", True
        return "You must name something more substantial.", True

    def _two(self, verb: str, first: str, second: str, cmd: str) -> tuple[str, bool]:
        obj, error = self._resolve(first, "held" if verb in ("put", "insert", "cook", "slice", "dice", "chop") else None)
        if error:
            if error.startswith("You can't see") and cmd.split(" ")[0] == "open":
                # "open [something]" reads the first object from the leading words and stops.
                return self._understood_as_far_as("open", cmd[len("open "):]) or error, False
            if error.startswith("You can't see") and verb not in ("take from",):
                return self._stuck(verb, first) or error, False
            return error, False
        note = self._note
        other, error = self._resolve(second, "held" if verb in ("lock", "unlock", "slice", "dice", "chop") else None)
        if error:
            named = self._named_first(second.split(" ")) if error.startswith("You can't see") else []
            if len(named) == 1 and not (verb == "take from" and self._holder(obj) != named[0]):
                # The whole line read, words left over ("take X from Y" sees for X only
                # what is in or on Y).
                m = re.match(rf"^(.*?){re.escape(first)} (.+?) {re.escape(second)}$", cmd)
                if m:
                    return f"{_UPTO}{m.group(1).strip()} {self._the(obj)} {m.group(2)} {self._the(named[0])}.", False
            return error, False
        if verb == "take from" and self._holder(obj) != other:
            # "take [things inside] from [something]": the parser looks ahead to the second
            # object and sees for the first only what is in or on it.
            return "You can't see any such thing.", False
        self._it = obj
        if note:  # Inform 7 notes the rest of the command from the first object it chose
            typed = re.match(rf"^.*?{re.escape(first)} (.+?) {re.escape(second)}$", cmd)
            note = f"({self._the(obj)} {typed.group(1) if typed else 'with'} {self._the(other)})\n"
        else:
            note = self._note
        reply, turn = self._act_two(verb, obj, other)
        return note + reply, turn
