"""Self-checks for gpt1_reference.py. Run: /usr/bin/python3 tests/reference/check_reference.py

The goldens are only worth what the reference is worth, so this checks it against things
written differently: a per-head functional formulation, finite differences, torch's own
clip_grad_norm_ and AdamW, the published parameter count and the expected initial loss.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch.nn.utils.stateless import functional_call

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt1_reference import (GPT1, GPT1Config, AdamW, backward, clip_grad_norm, count_params_analytic,  # noqa: E402
                            hf_param_names, lm_loss, lr_at, update)
import make_goldens  # noqa: E402

MICRO = GPT1Config(vocab_size=11, n_positions=8, n_embd=12, n_layer=2, n_head=3,
                   resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)


def alt_logits(P, ids, cfg):
    """A second GPT-1 forward from a plain name -> tensor dict: one head at a time, einsum,
    a hand-written LayerNorm, torch's own tanh GELU and an additive mask. Shares no code with
    the module version, so the two agreeing means both read the spec the same way."""
    B, T = ids.shape
    C, H = cfg.n_embd, cfg.n_head
    hs = C // H
    mask = torch.triu(torch.full((T, T), float("-inf"), dtype=P["tokens_embed.weight"].dtype), diagonal=1)

    def ln(x, w, b):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)  # biased, as LayerNorm uses
        return (x - mu) / torch.sqrt(var + cfg.layer_norm_epsilon) * w + b

    x = P["tokens_embed.weight"][ids] + P["positions_embed.weight"][:T]  # (B, T, C)
    for i in range(cfg.n_layer):
        p = lambda leaf: P[f"h.{i}.{leaf}"]  # noqa: E731
        qkv = F.linear(x, p("attn.c_attn.weight").t(), p("attn.c_attn.bias"))  # (B, T, 3C)
        heads = []
        for h in range(H):
            q = qkv[..., 0 * C + h * hs: 0 * C + (h + 1) * hs]  # (B, T, hs)
            k = qkv[..., 1 * C + h * hs: 1 * C + (h + 1) * hs]
            v = qkv[..., 2 * C + h * hs: 2 * C + (h + 1) * hs]
            s = torch.einsum("btd,bsd->bts", q, k) / math.sqrt(hs) + mask  # (B, T, T)
            heads.append(torch.einsum("bts,bsd->btd", s.softmax(-1), v))  # (B, T, hs)
        a = F.linear(torch.cat(heads, -1), p("attn.c_proj.weight").t(), p("attn.c_proj.bias"))
        n = ln(x + a, p("ln_1.weight"), p("ln_1.bias"))
        f = F.gelu(F.linear(n, p("mlp.c_fc.weight").t(), p("mlp.c_fc.bias")), approximate="tanh")
        m = F.linear(f, p("mlp.c_proj.weight").t(), p("mlp.c_proj.bias"))
        x = ln(n + m, p("ln_2.weight"), p("ln_2.bias"))
    return torch.einsum("btc,vc->btv", x, P["tokens_embed.weight"])  # (B, T, V)


def alt_loss(P, ids, cfg):
    logp = alt_logits(P, ids[:, :-1], cfg).log_softmax(-1)  # (B, T, V)
    return -logp.gather(-1, ids[:, 1:, None]).mean()


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        check.failed = True


check.failed = False


def check_against_alternative():
    torch.manual_seed(0)
    model = GPT1(MICRO).double()
    with torch.no_grad():  # the paper init is too small to make every path matter; widen it
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    ids = torch.randint(0, MICRO.vocab_size, (3, MICRO.n_positions + 1))
    P = {n: p.detach().clone().requires_grad_() for n, p in model.named_parameters()}

    d = (model(ids[:, :-1]) - alt_logits(P, ids[:, :-1], MICRO)).abs().max().item()
    check(d < 1e-12, f"forward matches the per-head formulation in float64 (max |diff| {d:.1e})")

    backward(model, ids)
    alt_loss(P, ids, MICRO).backward()
    d = max((p.grad - P[n].grad).abs().max().item() for n, p in model.named_parameters())
    check(d < 1e-12, f"gradients match the per-head formulation in float64 (max |diff| {d:.1e})")

    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in model.parameters())

    def f(*ps):
        logits = functional_call(model, dict(zip(names, ps)), (ids[:, :-1],))
        return F.cross_entropy(logits.reshape(-1, MICRO.vocab_size), ids[:, 1:].reshape(-1))

    ok = torch.autograd.gradcheck(f, params, eps=1e-6, atol=1e-7, rtol=1e-5)
    check(ok, f"gradcheck: backward agrees with finite differences ({sum(p.numel() for p in params)} inputs)")


def check_clip_and_adamw():
    """Our clip + AdamW against torch's over 3 steps with a changing lr, in float32."""
    torch.manual_seed(1)
    cfg = GPT1Config(vocab_size=11, n_positions=8, n_embd=12, n_layer=1, n_head=3,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    ours, theirs = GPT1(cfg), GPT1(cfg)
    theirs.load_state_dict(ours.state_dict())
    decay = [p for p in theirs.parameters() if p.dim() >= 2]
    no_decay = [p for p in theirs.parameters() if p.dim() < 2]
    opt_t = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=1.0, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    opt_o = AdamW(ours.parameters(), 0.9, 0.999, 1e-8, 0.1)
    worst_norm = worst_param = 0.0
    for s in range(1, 4):
        ids = torch.randint(0, cfg.vocab_size, (2, 9))
        backward(ours, ids)
        n_o, lr = update(ours, opt_o, s, 3e-2, 2, 4, 0.05)  # tiny max_norm: clipping always active
        backward(theirs, ids)
        n_t = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.05)
        for g in opt_t.param_groups:
            g["lr"] = lr
        opt_t.step()
        worst_norm = max(worst_norm, abs(n_o.item() - n_t.item()))
        worst_param = max(worst_param, max((a - b).abs().max().item()
                                           for a, b in zip(ours.parameters(), theirs.parameters())))
    check(worst_norm == 0.0, "clip_grad_norm equals torch.nn.utils.clip_grad_norm_ bit for bit")
    check(worst_param == 0.0, f"AdamW equals torch.optim.AdamW(foreach=False) after 3 steps (max |diff| {worst_param:.1e})")
    lrs = [lr_at(s, 1.0, 2, 4) for s in range(1, 5)]
    check(lrs == [0.5, 1.0, 0.5, 0.0], f"schedule warms up linearly and ends at 0: {lrs}")


def check_goldens_replay():
    """The committed goldens, read back through their manifest, reproduce themselves."""
    manifest, T = make_goldens.load(make_goldens.OUT_DIR)
    cfg = GPT1Config(**{k: v for k, v in manifest["config"].items() if k != "afn"})
    model = GPT1(cfg)
    model.load_state_dict({n[5:]: t for n, t in T.items() if n.startswith("init.")})
    o = manifest["optimizer"]
    opt = AdamW(model.parameters(), o["beta1"], o["beta2"], o["eps"], o["weight_decay"])
    ids = T["input_ids"]
    with torch.no_grad():
        same_logits = torch.equal(model(ids[0][:, :-1]), T["logits"])
    losses = []
    for s in range(1, manifest["steps"] + 1):
        losses.append(backward(model, ids[s - 1]).item())
        if s == 1:
            same_grads = all(torch.equal(p.grad, T[f"grad.{n}"]) for n, p in model.named_parameters())
        update(model, opt, s, o["lr"], o["warmup_steps"], o["total_steps"], o["grad_clip"])
    same_final = all(torch.equal(p, T[f"final.{n}"]) for n, p in model.named_parameters())
    check(same_logits and same_grads and same_final and losses == manifest["scalars"]["step_losses"],
          "goldens replay bit for bit from their manifest (logits, step-1 grads, final params, losses)")


def check_full_size():
    cfg = GPT1Config()
    meta = GPT1(cfg, device="meta")  # shapes only, no memory
    n = sum(p.numel() for p in meta.parameters())
    check(n == count_params_analytic(cfg) == 116_534_784, f"full GPT-1 has {n:,} parameters (paper/HF: 116,534,784)")
    check([name for name, _ in meta.named_parameters()] == hf_param_names(cfg),
          "parameter names and order are HF openai-gpt's")
    shapes = dict((name, tuple(p.shape)) for name, p in meta.named_parameters())
    check(shapes["h.0.attn.c_attn.weight"] == (768, 2304) and shapes["h.11.mlp.c_proj.weight"] == (3072, 768),
          "Conv1D weights are stored (in, out)")

    torch.manual_seed(0)
    model = GPT1(cfg).eval()  # eval: dropout off, the loss of the init itself
    ids = torch.randint(0, cfg.vocab_size, (2, 65))
    with torch.no_grad():
        loss = lm_loss(model, ids).item()
    # Logits are tied to N(0, 0.02) embeddings against unit-variance LN output, so they have
    # std ~ 0.02 * sqrt(768) = 0.55 and the loss sits ~ std^2/2 = 0.15 above ln(V).
    expected = math.log(cfg.vocab_size) + (0.02 ** 2 * 768) / 2
    print(f"      initial loss, full width, ctx 64, 2x64 random tokens: {loss:.4f} "
          f"(ln V = {math.log(cfg.vocab_size):.4f}, expected ~{expected:.2f})")
    check(abs(loss - expected) < 0.05, "initial loss is near ln(40478) + 0.15 = 10.76")


if __name__ == "__main__":
    torch.set_num_threads(1)
    check_against_alternative()
    check_clip_and_adamw()
    check_goldens_replay()
    check_full_size()
    sys.exit(1 if check.failed else 0)
