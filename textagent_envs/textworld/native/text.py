"""The Inform 7 text of TextWorld games, without Inform 7.

TextWorld writes room and object descriptions with Inform 7 substitutions
(``[if c_0 is open and there is something in the c_0] The chest contains [a list of
things in the c_0].[end if]``). :func:`parse_template` turns such a text into a small
tree once; :func:`render` fills it in against a game state through a :class:`World`
(the questions the text asks: is it open, what is in it, how is it named in a list).
:func:`list_sentence` writes a list the way Inform 7's list writer does.
"""

from __future__ import annotations

import re
from typing import Protocol, Sequence, Union

_TOKEN = re.compile(r"\[([^\]]*)\]")
_LINE_START = re.compile(r"\n[ \t]+")
_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
            "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


class World(Protocol):
    """What a description can ask about the current state."""

    def is_open(self, obj: str) -> bool: ...
    def is_locked(self, obj: str) -> bool: ...
    def contents(self, holder: str) -> Sequence[str]: ...
    def indefinite(self, obj: str) -> str: ...
    def name(self, obj: str) -> str: ...


class UnsupportedText(ValueError):
    """A description uses an Inform 7 substitution this engine does not know."""


# A parsed template: a list of str pieces, substitutions ("list", holder) and
# conditionals ("if", [(condition, body), ...], else_body).
Node = Union[str, tuple]


def parse_template(text: str) -> list[Node]:
    """Parse Inform 7 text with ``[if]/[else if]/[otherwise]/[end if]`` and the
    substitutions TextWorld's grammars use."""
    text = inform_quotes(text)
    pos = 0
    stack: list[tuple[list, list, list | None]] = []  # (parent, branches, else_body)
    out: list[Node] = []
    current = out
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            current.append(text[pos:match.start()])
        pos = match.end()
        token = match.group(1).strip()
        low = token.lower()
        if low.startswith("if "):
            node_branches: list = [(_parse_condition(token[3:]), [])]
            stack.append((current, node_branches, None))
            current = node_branches[-1][1]
        elif low.startswith("else if ") or low.startswith("otherwise if "):
            if not stack:
                raise UnsupportedText(f"[{token}] without [if] in {text!r}")
            parent, branches, _ = stack[-1]
            branches.append((_parse_condition(token.split(" if ", 1)[1]), []))
            current = branches[-1][1]
        elif low in ("otherwise", "else"):
            if not stack:
                raise UnsupportedText(f"[{token}] without [if] in {text!r}")
            parent, branches, _ = stack[-1]
            else_body: list = []
            stack[-1] = (parent, branches, else_body)
            current = else_body
        elif low in ("end if", "end"):
            if not stack:
                raise UnsupportedText(f"[{token}] without [if] in {text!r}")
            parent, branches, else_body = stack.pop()
            parent.append(("if", branches, else_body or []))
            current = parent
        elif low == "line break":
            current.append("\n")
        elif low == "paragraph break":
            current.append("\n\n")
        elif low == "noun":
            current.append(("noun",))
        elif low.startswith("a list of things in the ") or low.startswith("a list of things on the "):
            current.append(("list", token.split(" the ", 1)[1].strip()))
        else:
            raise UnsupportedText(f"unsupported Inform 7 substitution [{token}] in {text!r}")
    if pos < len(text):
        current.append(text[pos:])
    while stack:  # an unclosed [if] ends with the text, as Inform 7 reads it
        parent, branches, else_body = stack.pop()
        parent.append(("if", branches, else_body or []))
    return out


_APOSTROPHE = re.compile(r"(?<![A-Za-z])'(?!s(?![A-Za-z]))|'(?![A-Za-z])")


def inform_quotes(text: str) -> str:
    """Inform 7 prints a single quote as a double quote unless it stands between two
    letters (``don't`` keeps its apostrophe) or starts a text's ``'s`` (measured on an
    objective cut before ``'s it!``)."""
    return _APOSTROPHE.sub('"', text)


def inform_parts(text: str, cutoff: int = 200) -> str:
    """``text`` as Inform 7 prints it when TextWorld's source holds it in parts (the
    objective): split at new lines and every ``cutoff`` characters into separate
    strings, each with its quotes converted on its own (so "you've" cut after "you"
    prints as ``you"ve``)."""
    lines = text.replace("\n", "[line break]").split("[line break]")
    return "\n".join("".join(inform_quotes(line[i:i + cutoff]) for i in range(0, len(line), cutoff)) for line in lines)


def _parse_condition(text: str) -> tuple:
    parts = [p.strip() for p in text.split(" and ")]
    return ("and", tuple(_parse_atom(p) for p in parts))


_ATOMS = (
    (re.compile(r"^(open|closed|locked|unlocked)$"), lambda m: (m.group(1), None)),
    (re.compile(r"^(?:the )?(\S+) is (open|closed|locked|unlocked)$"), lambda m: (m.group(2), m.group(1))),
    (re.compile(r"^there is something (?:in|on) the (\S+)$"), lambda m: ("nonempty", m.group(1))),
    (re.compile(r"^there is nothing (?:in|on) the (\S+)$"), lambda m: ("empty", m.group(1))),
    (re.compile(r"^(?:the )?(\S+) contains nothing$"), lambda m: ("empty", m.group(1))),
)


def _parse_atom(text: str) -> tuple:
    for pattern, build in _ATOMS:
        match = pattern.match(text.strip().lower())
        if match:
            return build(match)
    raise UnsupportedText(f"unsupported Inform 7 condition {text!r}")


def _holds(condition: tuple, world: World, subject: str | None) -> bool:
    for kind, obj in condition[1]:
        obj = obj or subject
        if kind == "open":
            ok = world.is_open(obj)
        elif kind == "closed":  # Inform 7: closed means not open (a locked thing is closed too)
            ok = not world.is_open(obj)
        elif kind == "locked":
            ok = world.is_locked(obj)
        elif kind == "unlocked":
            ok = not world.is_locked(obj)
        elif kind == "nonempty":
            ok = bool(world.contents(obj))
        else:
            ok = not world.contents(obj)
        if not ok:
            return False
    return True


def render(nodes: Sequence[Node], world: World, subject: str | None = None, source_lines: bool = True) -> str:
    """The text of a parsed template in the current state; ``subject`` is what a bare
    ``[if open]`` is about (the object being described). ``source_lines``: the text's
    new lines stand in the Inform 7 source as they are (room descriptions), so the
    spaces that start a line are dropped; TextWorld writes an object's new lines as
    ``[line break]``, which keeps them (a recipe's indented lines)."""
    out: list[str] = []
    _render(nodes, world, subject, out)
    return _LINE_START.sub("\n", "".join(out)) if source_lines else "".join(out)


def _render(nodes, world, subject, out) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node[0] == "noun":
            out.append(world.name(subject) if subject else "nothing")
        elif node[0] == "list":
            out.append(list_sentence([world.indefinite(o) for o in world.contents(node[1])]))
        else:
            _, branches, else_body = node
            for condition, body in branches:
                if _holds(condition, world, subject):
                    _render(body, world, subject, out)
                    break
            else:
                _render(else_body, world, subject, out)


_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")


def tidy(text: str) -> str:
    """Game text as the reference backend returns it after its clean-up: no trailing
    spaces on lines, at most one blank line in a row, no blank ends."""
    if " \n" in text or "\t\n" in text:
        text = _TRAILING.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def list_sentence(items: Sequence[str]) -> str:
    """``a, b and c`` as Inform 7 writes a list (no serial comma); ``nothing`` if empty."""
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def indefinite_article(name: str, given: str | None) -> str:
    """The article Inform 7 puts before ``name``: the game's own, else "a"/"an"."""
    if given:
        return given
    return "an" if name[:1].lower() in "aeiou" else "a"


def number_in_words(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def centred(text: str, width: int = 125) -> str:
    """``text`` centred as the interpreter's status window centres it (Jericho's width)."""
    return " " * max(0, (width - len(text)) // 2) + text
