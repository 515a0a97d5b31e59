#!/usr/bin/env python3
"""Export coldbench's shipped models as scripted TorchScript with JSON sidecars.

Run by the build (src/torch/CMakeLists.txt) with an interpreter that imports
torch and torchvision (scripts/find-torch-python), e.g.:

    /usr/bin/python3 models/export.py --out-dir build/models
    /usr/bin/python3 models/export.py --out-dir build/models --only tiny_cnn

Nothing is downloaded: every model is built from its torchvision (or local)
definition with weights=None and deterministic, seeded initial weights, so the
same torch version always writes the same weights and the same reference
outputs. Each <name>.pt gets a <name>.json sidecar:

    input_shape   full input shape at batch 1, e.g. [1, 3, 224, 224]
    dtype         "float32"
    input         how the reference input is made (torch.manual_seed(seed);
                  torch.rand(input_shape)) plus checksums of it, so a consumer
                  can tell "my generator differs" from "the model differs"
    reference     the scripted model's output for that input in eval mode:
                  its shape, sum, abs sum, argmax and the first N values (all
                  values for small outputs)
    regenerate    the command that rewrites the pair
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

try:
    import torch
    import torch.nn as nn
    import torchvision
except ImportError as error:  # the build calls us with a torch-capable interpreter
    sys.exit(f"export.py: cannot import torch/torchvision ({error}); run it with the interpreter "
             f"scripts/find-torch-python prints")

FORMAT = "coldbench-model/1"
REFERENCE_VALUES = 64  # outputs with more elements store this many leading values


class TinyCnn(nn.Module):
    """A few hundred microseconds of conv/bn/relu/pool/linear: the e2e test model.

    It has the layer types freeze and optimize_for_inference rewrite (conv+bn
    folding, mkldnn conversion), so every mode does real work on it.
    """

    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.Conv2d(8, 16, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def randomize_batchnorm(model: nn.Module) -> None:
    """Freshly built BatchNorm layers are identity (mean 0, var 1, weight 1, bias 0).

    Seeded non-trivial statistics make conv+bn folding in freeze() change the
    numbers, so the cross-mode accuracy check tests something real.
    """
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            with torch.no_grad():
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.1, 0.1)


def build(name: str) -> nn.Module:
    if name == "mobilenet_v2":
        model = torchvision.models.mobilenet_v2(weights=None)
    elif name == "resnet18":
        model = torchvision.models.resnet18(weights=None)
    elif name == "tiny_cnn":
        model = TinyCnn()
    else:
        raise KeyError(name)
    randomize_batchnorm(model)
    return model.eval()


MODELS = {
    # name: (input shape at batch 1, description)
    "mobilenet_v2": ([1, 3, 224, 224], "torchvision MobileNetV2 (1.0x), seeded random weights"),
    "resnet18": ([1, 3, 224, 224], "torchvision ResNet-18, seeded random weights"),
    "tiny_cnn": ([1, 3, 32, 32], "2-conv CNN for tests: conv-bn-relu x2, pool, linear"),
}


def count_flops(model: nn.Module, example: torch.Tensor) -> int:
    """FLOPs of one forward pass (2 per multiply-accumulate) of conv and linear layers.

    Counted with forward hooks on the eager model; batch norm, activations,
    pooling and additions are left out (they are < 2% of MobileNetV2's total).
    """
    total = 0

    def conv_hook(module, inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        macs_per_output = (module.in_channels // module.groups) * kh * kw
        total += 2 * output.numel() * macs_per_output

    def linear_hook(module, inputs, output):
        nonlocal total
        total += 2 * output.numel() * module.in_features

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(example)
    for handle in handles:
        handle.remove()
    return total // example.shape[0]


def describe(tensor: torch.Tensor) -> dict:
    flat = tensor.detach().reshape(-1).double()
    values = flat if flat.numel() <= 4 * REFERENCE_VALUES else flat[:REFERENCE_VALUES]
    return {
        "shape": list(tensor.shape),
        "numel": flat.numel(),
        "sum": flat.sum().item(),
        "abs_sum": flat.abs().sum().item(),
        "max_abs": flat.abs().max().item(),
        "argmax": int(flat.argmax().item()),
        "values": [float(v) for v in values.tolist()],
    }


def export(name: str, out_dir: str, seed: int) -> None:
    input_shape, description = MODELS[name]
    torch.manual_seed(seed)
    eager = build(name)
    scripted = torch.jit.script(eager)
    path = os.path.join(out_dir, f"{name}.pt")
    # Saved under its final file name (the archive's root folder is named after
    # it) in a scratch directory, then renamed: a killed build never leaves a
    # half-written model.
    scratch = tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir)
    try:
        scripted.save(os.path.join(scratch, f"{name}.pt"))
        os.replace(os.path.join(scratch, f"{name}.pt"), path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    # The reference input: the generator the C++ side reproduces with
    # torch::manual_seed(seed); torch::rand(shape).
    torch.manual_seed(seed)
    example = torch.rand(input_shape)
    loaded = torch.jit.load(path)
    loaded.eval()
    with torch.no_grad():
        output = loaded(example)
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"{name}: expected a tensor output, got {type(output).__name__}")

    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    sidecar = {
        "format": FORMAT,
        "name": name,
        "file": f"{name}.pt",
        "description": description,
        "kind": "torchscript-scripted",
        "sha256": digest,
        "size_bytes": os.path.getsize(path),
        "input_shape": input_shape,
        "batch_dim": 0,
        "dtype": "float32",
        "parameters": sum(p.numel() for p in eager.parameters()),
        "flops_per_sample": count_flops(eager, example),
        "flops_note": "2 x multiply-accumulates of Conv2d and Linear layers, counted with forward hooks",
        "seed": seed,
        "input": {
            "generator": "torch.manual_seed(seed); torch.rand(input_shape)",
            "sum": example.double().sum().item(),
            "first_values": [float(v) for v in example.reshape(-1)[:8].tolist()],
        },
        "reference": describe(output),
        "exported_with": {
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "python": sys.version.split()[0],
        },
        "regenerate": f"{os.path.basename(sys.executable)} models/export.py --out-dir DIR --only {name} --seed {seed}",
    }
    tmp = os.path.join(out_dir, f"{name}.json.tmp")
    with open(tmp, "w") as handle:
        json.dump(sidecar, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, os.path.join(out_dir, f"{name}.json"))


def main() -> int:
    # TorchScript writes module constants in set order, which follows string
    # hashing: a fixed hash seed makes the archive byte-for-byte reproducible.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    parser = argparse.ArgumentParser(description="Export coldbench's TorchScript models and sidecars.")
    parser.add_argument("--out-dir", required=True, help="directory for <name>.pt and <name>.json")
    parser.add_argument("--only", action="append", choices=sorted(MODELS),
                        help="export only this model (repeatable; default: all)")
    parser.add_argument("--seed", type=int, default=0, help="weights and reference-input seed (default 0)")
    parser.add_argument("--stamp", help="touch this file when done (for the build system)")
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    for name in args.only or sorted(MODELS):
        started = time.monotonic()
        export(name, args.out_dir, args.seed)
        print(f"export.py: {name} -> {os.path.join(args.out_dir, name + '.pt')} "
              f"({time.monotonic() - started:.1f}s)", flush=True)
    if args.stamp:
        with open(args.stamp, "w") as handle:
            handle.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
