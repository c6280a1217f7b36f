"""Golden numbers for plankterm's NN tests, computed independently with numpy (float64).

Run: python3 Scripts/golden_nn.py — prints the numbers that Tests/NNTests/GoldenTests.swift hard-codes.
Inputs are defined by formulas, the same ones the Swift test uses:
  smooth(count, seed)[i] = 0.9 * (v + 0.1 if v >= 0 else v - 0.1), v = 0.9 * sin(0.731 i + seed)
Layout NHWC; the conv weight is [k, k, Cin, Cout].
"""
import numpy as np


def smooth(count, seed):
    v = 0.9 * np.sin(np.arange(count) * 0.731 + seed)
    return 0.9 * np.where(v >= 0, v + 0.1, v - 0.1)


def conv_bn_relu():
    n, h, w, cin, cout, k, stride, pad = 2, 6, 5, 3, 4, 3, 2, 1
    x = smooth(n * h * w * cin, 0.3).reshape(n, h, w, cin)
    weight = smooth(k * k * cin * cout, 1.3).reshape(k, k, cin, cout) * 0.5
    ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((n, ho, wo, cout))
    for oy in range(ho):
        for ox in range(wo):
            patch = xp[:, oy * stride:oy * stride + k, ox * stride:ox * stride + k, :]
            out[:, oy, ox, :] = np.einsum("nhwc,hwcd->nd", patch, weight)
    flat = out.reshape(-1, cout)
    gamma = 0.5 + 0.25 * np.arange(cout)
    beta = 0.1 * np.arange(cout) - 0.15
    mean, var = flat.mean(0), flat.var(0)
    y = np.maximum((flat - mean) / np.sqrt(var + 1e-5) * gamma + beta, 0)
    running_var = 0.9 + 0.1 * flat.var(0, ddof=1)
    print("conv_bn_relu shape", (n, ho, wo, cout))
    print("conv_bn_relu sum %.6f" % y.sum())
    print("conv_bn_relu first8", " ".join("%.6f" % v for v in y.reshape(-1)[:8]))
    print("conv_bn_relu running_var", " ".join("%.6f" % v for v in running_var))


def nt_xent():
    views, d, tau = 8, 6, 0.5
    z = smooth(views * d, 0.77).reshape(views, d)
    zh = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = zh @ zh.T / tau
    np.fill_diagonal(s, -np.inf)
    half = views // 2
    partner = np.concatenate([np.arange(half, views), np.arange(half)])
    logsum = np.log(np.exp(s).sum(1))
    loss = np.mean(logsum - s[np.arange(views), partner])
    print("nt_xent loss %.6f" % loss)


if __name__ == "__main__":
    conv_bn_relu()
    nt_xent()
