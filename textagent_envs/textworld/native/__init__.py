"""The native TextWorld engine: games played from their ``Game`` object, in Python, with
the reference's text and state (``engine="native"``; see docs/textworld/native.md).

Modules: :mod:`.logic` (grounding the rules into bit masks), :mod:`.incremental`
(admissible actions and quest checks updated from the facts that changed), :mod:`.tables`
(what a command names, per room), :mod:`.text` (Inform 7 text templates and lists),
:mod:`.engine` (:class:`~.engine.NativeGame`: the game's state, rules and text), :mod:`.parser`
(how a typed command is read, as Inform 7's parser reads it),
:mod:`.backend` (the env's backend interface), :mod:`.search` (breadth-first search),
:mod:`.walkthrough` (recording a generated game's walkthrough without compiling it).
The side-by-side equivalence with the Inform 7 reference is
:mod:`textagent_envs.textworld.compare` (it plays both engines, so it sits beside them).
"""
