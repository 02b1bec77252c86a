"""Backends that misbehave on purpose, for the isolation tests (run in a child process)."""

import os
import time

from textagent_envs.textworld.backend import JerichoBackend


class Echo:
    def __init__(self, prefix: str = ""):
        self.prefix = prefix

    def say(self, text):
        return self.prefix + text

    def pid(self):
        return os.getpid()

    def fail(self):
        raise ValueError("bad thing")

    def sleep(self, seconds):
        time.sleep(seconds)
        return "woke"

    def spin(self):
        while True:
            pass

    def spin_for(self, seconds):
        """Busy (in Python code) for ``seconds``, then answer."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        return "done"

    def die(self):
        os._exit(3)


class HangOnCommand(JerichoBackend):
    """A real TextWorld backend that hangs (busy, like a stuck interpreter) on one command."""

    def step(self, command):
        if command == "hang now":
            while True:
                pass
        if command == "hang a while":  # busy for 20 s, then on as if nothing happened
            end = time.monotonic() + 20
            while time.monotonic() < end:
                pass
        return super().step(command)
