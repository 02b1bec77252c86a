"""The SWE graders' test runner: pytest with a results channel the code under test
cannot forge, and checks that it did not tamper with the run.

This file runs as a script inside the sandbox (it imports nothing of textagent_envs,
only the standard library and the sandbox's own pytest)::

    python pytest_plugin.py CONFIG.json -- PYTEST_ARGS...

``CONFIG.json`` (written by :mod:`textagent_envs.swe.grading`, in a folder this script
deletes before any project code runs) holds a per-grading secret ``key`` and ``nonce``,
the workspace ``root``, the files the agent changed (``agent_files``), whether to put the
working directory first on ``sys.path`` (what ``python -m pytest`` does) and whether to
delete the collected test files once they are imported (``hide_test_files``).

What it does, in order, before any project code is imported:

1. reads and deletes the configuration;
2. keeps the real standard output as the results channel and points file descriptors
   1 and 2 at ``/dev/null``: whatever the code under test prints (``atexit`` handlers,
   ``os._exit`` after a forged summary) goes nowhere;
3. imports pytest, its built-in plugins and the standard modules they use, then takes a
   snapshot of ``builtins``, ``sys.modules`` and the attributes of pytest's, pluggy's and
   these modules (classes included);
4. installs an audit hook (:func:`sys.addaudithook`, which cannot be removed) that
   refuses, and records, introspection from the agent's files: frames
   (``sys._getframe``, ``tb_frame``, ``f_code``, ...), code objects of the tests,
   ``gc`` object walks, tracing and profiling hooks, ``ctypes``, and opening test files.

During the run a recorder hook takes each test's outcome from pytest's own call
information (a failure in the test's call phase is a failure whatever the report says),
and before and after every test the snapshot is compared with the live objects; the test
functions' code objects, the test modules and the hook implementations are checked too.
At the end one line goes to the results channel::

    TEXTAGENT-GRADING <json> <hmac-sha256 of the json with the key>

The json has ``nonce``, ``outcomes`` (test id -> ``passed``, ``failed``, ``error``,
``skipped``, ``xfailed`` or ``xpassed``), ``failures`` (short failure text), and
``tampering`` (what was found; empty when nothing was). No line, or a bad MAC, means the
run did not finish: every test counts as failing.
"""

import builtins
import hmac
import json
import json.encoder
import os
import sys

# The runner's own names for the builtins, taken before any project code runs: a later
# change to `builtins` (which the checks report) cannot change what the checks and the
# results writer do.
globals().update({name: value for name, value in vars(builtins).items() if not name.startswith("__")})
try:
    from _hashlib import hmac_digest as _hmac_digest  # C: cannot be patched from Python
except ImportError:  # pragma: no cover - Python without OpenSSL
    _hmac_digest = hmac.digest
_encode_str = json.encoder.encode_basestring_ascii  # C
_write = os.write
_exit = os._exit
_MODULES = sys.modules

MARKER = "TEXTAGENT-GRADING"
_FAILURE_CHARS = 3000
# Modules whose attributes (and whose classes' attributes) must not change during the run.
_GUARDED_PREFIXES = ("_pytest", "pytest", "pluggy", "iniconfig", "_pytest.", "pluggy.")
_GUARDED_STDLIB = ("builtins", "sys", "os", "posix", "posixpath", "genericpath", "io", "json", "json.encoder", "json.decoder", "hmac",
                   "hashlib", "unittest", "unittest.case", "traceback", "inspect", "functools", "types",
                   "importlib", "importlib.machinery", "importlib.util", "atexit", "gc")
# Attributes pytest itself changes while it runs (state, not code).
_VOLATILE = {
    ("_pytest.assertion.util", "_reprcompare"), ("_pytest.assertion.util", "_assertion_pass"),
    ("_pytest.assertion.util", "_config"), ("_pytest.assertion.rewrite", "_assertion_pass"),
    ("sys", "stdout"), ("sys", "stderr"), ("sys", "stdin"), ("sys", "last_value"), ("sys", "last_type"),
    ("sys", "last_traceback"), ("sys", "last_exc"), ("sys", "path_importer_cache"), ("sys", "argv"),
    ("sys", "ps1"), ("sys", "ps2"), ("sys", "exc_info"), ("sys", "tracebacklimit"), ("sys", "modules"),
    ("sys", "path"), ("sys", "meta_path"), ("sys", "path_hooks"), ("sys", "unraisablehook"),
    ("sys", "excepthook"), ("sys", "breakpointhook"), ("sys", "displayhook"), ("builtins", "_"),
    ("os", "environ"), ("gc", "garbage"), ("gc", "callbacks"), ("_pytest.pytester", "_pytest"),
    ("inspect", "_filesbymodname"), ("inspect", "modulesbyfile"), ("threading", "_trace_hook"),
    # set by pytest's own plugins as they configure (legacypath, debugging, config)
    ("_pytest.config", "Config", "_getini_unknown_type"), ("_pytest.debugging", "pytestPDB", "_pluginmanager"),
    ("_pytest.debugging", "pytestPDB", "_config"), ("_pytest.debugging", "pytestPDB", "_saved"),
    ("_pytest.debugging", "pytestPDB", "_recursive_debug"), ("_pytest.debugging", "pytestPDB", "_wrapped_pdb_cls"),
}
# Class attributes pytest's own plugins add as they configure.
_ADDED_BY_PYTEST = {"inifile", "invocation_dir", "rootdir", "fspath", "startdir", "makedir",
                    "_pytest_diamond_inheritance_warning_shown", "_getini_unknown_type", "_config", "_pluginmanager",
                    "_recursive_debug", "_saved", "_wrapped_pdb_cls"}
_VOLATILE_NAMES = {"__warningregistry__", "__dict__", "__weakref__", "_abc_impl", "__cached__"}
_TEST_DIRS = {"tests", "test", "testing"}

# The audited events that mean introspection of the run, and the stdlib helpers whose
# frames stand for their caller (inspect.stack() called by the agent is the agent's).
_WATCHED = frozenset({
    "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "object.__getattr__", "object.__setattr__", "object.__delattr__",
    "open", "sys.addaudithook",
})
_FRAME_ATTRS = {"f_code", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "gi_code", "cr_code", "ag_code"}
_HELPER_FILES = ("inspect.py", "traceback.py", "linecache.py", "tokenize.py", "dis.py", "pathlib.py", "codecs.py",
                 "_pyio.py", "shutil.py", "glob.py", "fileinput.py", "runpy.py", "pkgutil.py")


class _State:
    def __init__(self, config):
        self.key = bytes.fromhex(config["key"])
        self.nonce = config["nonce"]
        self.root = os.path.realpath(config["root"])
        self.agent_files = {os.path.realpath(p) for p in config.get("agent_files", [])}
        self.hide_test_files = bool(config.get("hide_test_files"))
        self.tampering = []
        self.seen = set()
        self.outcomes = {}
        self.failures = {}
        self.snapshot = []
        self.class_keys = {}
        self.real = {}
        self.modules = {}
        self.items = {}
        self.test_files = set()
        self.test_modules = {}
        self.busy = False
        self.stdlib = os.path.dirname(os.path.realpath(json.__file__)).rsplit(os.sep, 1)[0]

    def flag(self, what):
        """Record a finding (once: the same finding at a later check is not repeated)."""
        head = what.split(" (")[0]
        if head not in self.seen and len(self.tampering) < 50:
            self.seen.add(head)
            self.tampering.append(what)


_state = None


def _guarded_modules():
    names = [n for n in list(sys.modules) if n.startswith(_GUARDED_PREFIXES) or n in _GUARDED_STDLIB]
    return {n: sys.modules[n] for n in names if sys.modules.get(n) is not None}


def _take_snapshot(state):
    """Remember, by identity, what the guarded modules and their classes hold."""
    state.modules = dict(sys.modules)
    for name, module in _guarded_modules().items():
        members = []
        for attr, value in list(vars(module).items()):
            if (name, attr) in _VOLATILE or attr in _VOLATILE_NAMES:
                continue
            members.append((attr, value))
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                own = [(cattr, cvalue) for cattr, cvalue in list(vars(value).items())
                       if cattr not in _VOLATILE_NAMES and (name, attr, cattr) not in _VOLATILE]
                state.snapshot.append((f"{name}.{attr}", value, own))
                state.class_keys[f"{name}.{attr}"] = [value, {c for c, _ in own}, -1]
        state.snapshot.append((name, module, members))


def _check_snapshot(state, when):
    """Flag every guarded attribute that is no longer the object it was."""
    if sys.modules is not _MODULES:
        state.flag(f"sys.modules was replaced ({when})")
    for name, module in state.modules.items():
        if _MODULES.get(name, module) is not module:
            state.flag(f"sys.modules[{name!r}] was replaced ({when})")
    for label, holder, members in state.snapshot:
        current = vars(holder)
        for attr, value in members:
            if current.get(attr, _MISSING) is not value:
                state.flag(f"{label}.{attr} was changed ({when})")
    for label, entry in state.class_keys.items():
        cls, keys, seen = entry
        size = len(vars(cls))
        if size == seen:
            continue
        entry[2] = size
        added = {k for k in vars(cls) if k not in _VOLATILE_NAMES and k not in _ADDED_BY_PYTEST} - keys
        if added:
            state.flag(f"{label} got new attributes {sorted(added)} ({when})")


_MISSING = object()


def _real(state, path):
    """``os.path.realpath``, remembered (the checks ask for the same files again and again)."""
    real = state.real.get(path)
    if real is None:
        real = state.real[path] = os.path.realpath(path)
    return real


def _in_root(state, path):
    path = os.path.realpath(path)
    return path == state.root or path.startswith(state.root + os.sep)


def _is_test_path(state, path):
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    if real in state.test_files:
        return True
    if not _in_root(state, real):
        return False
    parts = os.path.relpath(real, state.root).split(os.sep)
    name = parts[-1]
    return (name == "conftest.py" or (name.endswith(".py") and (name.startswith("test_") or name[:-3].endswith("_test")))
            or any(p in _TEST_DIRS for p in parts[:-1]))


def _culprit(state, frame):
    """The frame that stands for the event: helper frames of the standard library stand
    for their caller."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(state.stdlib) and (
            os.path.basename(filename) in _HELPER_FILES or os.sep + "ctypes" + os.sep in filename
            or (frame.f_code.co_name == "<lambda>" and filename.endswith(os.path.join("logging", "__init__.py")))
        ):
            frame = frame.f_back
            continue
        return frame
    return None


def _audit(event, args):
    state = _state
    if event not in _WATCHED and not event.startswith("ctypes."):
        return
    if state is None or state.busy:
        return
    state.busy = True
    try:
        frame = _culprit(state, sys._getframe(1))
        if frame is None:
            return
        filename = _real(state, frame.f_code.co_filename)
        if filename not in state.agent_files:
            return
        if event == "open":
            if not _is_test_path(state, args[0]):
                return
            what = f"opened the test file {os.fsdecode(args[0])}"
        elif event in ("object.__getattr__", "object.__setattr__", "object.__delattr__"):
            name = args[1] if len(args) > 1 else ""
            if name in _FRAME_ATTRS:
                what = f"read a frame or code attribute ({name})"
            elif name == "__code__":
                what = f"{'read' if event == 'object.__getattr__' else 'replaced'} a function's __code__"
            else:
                return
        else:
            what = f"called {event}"
        where = f"{os.path.relpath(filename, state.root)}:{frame.f_lineno}"
        state.flag(f"introspection: the code under test {what} ({where})")
    finally:
        state.busy = False
    raise RuntimeError("introspection of the test run is not allowed during grading")


def _recorder(state, pytest):
    """The pytest plugin: outcomes from pytest's call information, and the checks."""
    from _pytest.runner import CallInfo

    skipped, xfailed = pytest.skip.Exception, pytest.xfail.Exception

    def check(session, when):
        state.busy = True
        try:
            _check_snapshot(state, when)
            for name, caller in list(vars(session.config.pluginmanager.hook).items()):
                for impl in getattr(caller, "get_hookimpls", lambda: [])():
                    code = getattr(impl.function, "__code__", None)
                    filename = _real(state, code.co_filename) if code is not None else ""
                    if filename in state.agent_files:
                        state.flag(f"the code under test registered a pytest hook ({name} in "
                                   f"{os.path.relpath(filename, state.root)})")
            for nodeid, (item, obj, code, kind) in state.items.items():
                if type(item) is not kind or getattr(item, "obj", None) is not obj:
                    state.flag(f"the test item {nodeid} was replaced or changed ({when})")
                elif code is not None and getattr(obj, "__code__", None) is not code:
                    state.flag(f"the code of test {nodeid} was replaced ({when})")
                for attr in ("runtest", "setup", "teardown"):
                    if attr in vars(item):
                        state.flag(f"the test item {nodeid}'s {attr} was replaced ({when})")
            for name, (module, members) in state.test_modules.items():
                if sys.modules.get(name) is not module:
                    state.flag(f"the test module {name} was replaced in sys.modules ({when})")
                for attr, value in members.items():
                    if vars(module).get(attr, _MISSING) is not value:
                        state.flag(f"{name}.{attr} was replaced ({when})")
        finally:
            state.busy = False

    class Recorder:
        def pytest_collection_finish(self, session):
            state.busy = True
            try:
                for item in session.items:
                    obj = getattr(item, "obj", None)
                    state.items[item.nodeid] = (item, obj, getattr(obj, "__code__", None), type(item))
                    path = str(getattr(item, "path", None) or getattr(item, "fspath", ""))
                    if path:
                        state.test_files.add(os.path.realpath(path))
                    module = getattr(getattr(item, "module", None), "__name__", None)
                    if module and sys.modules.get(module) is not None and module not in state.test_modules:
                        mod = sys.modules[module]
                        members = {k: v for k, v in vars(mod).items() if callable(v) and k.startswith(("test", "Test"))}
                        state.test_modules[module] = (mod, members)
            finally:
                state.busy = False
            check(session, "during collection")
            if state.hide_test_files:
                for path in state.test_files:
                    if _in_root(state, path):
                        try:
                            os.unlink(path)
                        except OSError:
                            pass

        @pytest.hookimpl(hookwrapper=True, tryfirst=True)
        def pytest_runtest_protocol(self, item, nextitem):
            check(item.session, f"before {item.nodeid}")
            yield
            check(item.session, f"during {item.nodeid}")

        @pytest.hookimpl(hookwrapper=True, tryfirst=True)
        def pytest_runtest_makereport(self, item, call):
            excinfo = call.excinfo  # read before any other implementation of the hook runs
            outcome = yield
            nodeid = item.nodeid
            status = None
            if type(call) is not CallInfo:
                state.flag(f"pytest's call information for {nodeid} is not pytest's ({type(call).__name__})")
                status = "error"
            elif excinfo is not None:
                error = excinfo.value
                if isinstance(error, xfailed):
                    status = "xfailed"
                elif isinstance(error, skipped):
                    status = "skipped"
                else:
                    status = "failed" if call.when == "call" else "error"
                try:
                    state.failures.setdefault(nodeid, str(outcome.get_result().longrepr)[:_FAILURE_CHARS])
                except BaseException:
                    pass
            elif call.when == "call":
                try:
                    report = outcome.get_result()
                    status = "xpassed" if hasattr(report, "wasxfail") else ("passed" if report.passed else "failed")
                except BaseException:
                    status = "error"
            if status is not None and state.outcomes.get(nodeid) in (None, "passed"):
                state.outcomes[nodeid] = status

    return Recorder()


def _shadowing(state):
    """Modules loaded from the workspace that hide an installed or standard module."""
    import importlib.machinery

    outside = [p for p in sys.path if p and not _in_root(state, p or ".")]
    found = []
    for name, module in list(sys.modules.items()):
        if name in state.modules or "." in name:
            continue
        filename = getattr(module, "__file__", None)
        if not filename or not _in_root(state, filename):
            continue
        rel = os.path.relpath(os.path.realpath(filename), state.root)
        if rel.split(os.sep)[0] in _TEST_DIRS or os.path.basename(rel) == "conftest.py":
            continue
        if name in getattr(sys, "stdlib_module_names", ()) or importlib.machinery.PathFinder.find_spec(name, outside):
            found.append(f"the workspace module {rel} shadows the installed module {name!r}")
    return found


def _json(value):
    """JSON of str, list of str and dict of str, written with the runner's own C
    functions only (json.dumps could have been patched by the code under test)."""
    if isinstance(value, str):
        return _encode_str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(_encode_str(str(k)) + ": " + _json(v) for k, v in value.items()) + "}"
    return "[" + ", ".join(_json(v) for v in value) + "]"


def _emit(state, fd):
    payload = _json({"nonce": state.nonce, "outcomes": dict(state.outcomes), "failures": dict(state.failures),
                     "tampering": list(state.tampering)})
    mac = _hmac_digest(state.key, payload.encode("ascii"), "sha256").hex()
    data = ("\n" + MARKER + " " + payload + " " + mac + "\n").encode("ascii")
    while data:
        written = _write(fd, data)
        data = data[written:]


def main(argv):
    global _state
    if len(argv) < 2 or argv[1] != "--":
        sys.stderr.write("usage: python pytest_plugin.py CONFIG.json -- PYTEST_ARGS...\n")
        return 2
    config_path, args = argv[0], argv[2:]
    with open(config_path, encoding="utf-8") as handle:
        config = json.load(handle)
    folder = os.path.dirname(os.path.abspath(config_path))
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    os.rmdir(folder)
    results = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    if not config.get("keep_output"):
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    os.dup2(devnull, 0)
    state = _State(config)
    import pytest
    import _pytest.config
    import _pytest.runner  # noqa: F401

    for name in _pytest.config.default_plugins:
        try:
            __import__(f"_pytest.{name}")
        except ImportError:
            pass
    for name in ("unittest", "doctest", "pdb", "inspect", "traceback", "logging", "importlib.util", "atexit", "gc",
                 "threading", "tomllib", "argparse", "shlex", "fnmatch", "tempfile", "warnings", "dataclasses"):
        try:
            __import__(name)
        except ImportError:
            pass
    if config.get("cwd_first"):
        sys.path.insert(0, os.getcwd())
    _take_snapshot(state)
    _state = state
    sys.addaudithook(_audit)
    recorder = _recorder(state, pytest)
    sys.modules["__main__"] = state.modules["__main__"] = type(sys)("__main__")  # `import __main__` does not hand out the grader
    try:
        pytest.main(list(args), plugins=[recorder])
    except BaseException as error:  # the run itself broke: what was recorded stands, the rest is missing
        state.flag(f"the test run raised {type(error).__name__}") if not isinstance(error, SystemExit) else None
    state.busy = True
    _check_snapshot(state, "after the run")
    for finding in _shadowing(state):
        state.flag(finding)
    _emit(state, results)
    _exit(0)  # no atexit handler of the code under test runs after the results


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
