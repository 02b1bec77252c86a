"""Software-engineering tasks (SWE-Gym style): ``SWE-Mini-v0`` (generated tasks in a
bubblewrap sandbox) and ``SWE-Gym-v0`` (SWE-bench-style instances in Docker).

Actions are tool calls; :data:`TOOL_SCHEMAS` are their JSON schemas for chat templates
and :func:`format_tool_call` writes one. See docs/swe.md.
"""

from .tools import TOOL_NAMES, TOOL_SCHEMAS, InvalidToolCall, format_tool_call, parse_tool_call

__all__ = ["TOOL_NAMES", "TOOL_SCHEMAS", "InvalidToolCall", "format_tool_call", "parse_tool_call"]
