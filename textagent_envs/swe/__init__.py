"""Software-engineering tasks (SWE-Gym style): the tool-call protocol and file tools.

The environments themselves (``SWE-Mini-v0``, ``SWE-Gym-v0``) are being built on these in
their own issue; nothing here is registered yet.
"""
