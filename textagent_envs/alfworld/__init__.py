"""ALFWorld (text) environments: generated households offline, real ALFWorld data with
``data_dir=``, and a native engine that plays ALFWorld's games as alfworld's own PDDL
engine does, much faster. See docs/alfworld.md.

Nothing heavy is imported here: ``alfworld`` and ``textworld`` load only when a household
is generated or the ``"pddl"`` engine is used.
"""
