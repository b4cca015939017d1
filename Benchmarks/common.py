"""What every reference implementation shares: its command line, the data of W1 and W3, and the
one JSON line it prints. Imports only the standard library and numpy.

The workloads (Benchmarks/README section of the top-level README):
  W1  Fashion-MNIST 784-256-128-10 ReLU, softmax + cross-entropy, SGD momentum 0.9, rate 0.01,
      batches of 128, shuffled, one epoch over the 60000 training images (pixels / 255).
  W3  2 -> 8 x 64 sigmoid -> 2 softmax + cross-entropy on 2000 spiral points, full batch, plain
      SGD at rate 0.1.
Weights are He-uniform, U(-sqrt(6 / fan_in), +sqrt(6 / fan_in)), biases zero, as bp-pipeline's
`init: he_uniform`.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys

FASHION = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
W1_SIZES = [784, 256, 128, 10]
W1_RATE, W1_MOMENTUM, W1_BATCH = 0.01, 0.9, 128
W3_SIZES = [2] + [64] * 8 + [2]
W3_RATE, W3_SAMPLES = 0.1, 2000


def arguments(workloads):
    """--workload, --precision, --threads and --epochs (W3), as the driver passes them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=workloads, required=True)
    parser.add_argument("--precision", choices=["float32", "float64"], default="float64")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1000, help="W3 epochs")
    return parser.parse_args()


def idx(path):
    """An IDX file (gzip) as (dimensions, bytes): big-endian magic 0x0000 08 <rank>, then the
    rank's dimensions as big-endian uint32, then unsigned bytes."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def fashion_mnist(dtype):
    """The 60000 training images as (60000, 784) of `dtype` in [0, 1] and their labels (int64)."""
    import numpy as np
    dims, pixels = idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))
    _, labels = idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"))
    x = np.frombuffer(pixels, dtype=np.uint8).reshape(dims[0], dims[1] * dims[2]).astype(dtype)
    x /= 255
    return x, np.frombuffer(labels, dtype=np.uint8).astype(np.int64)


def spiral(dtype, count=W3_SAMPLES, seed=4):
    """The Playground's two-arm spiral: half the points on each arm, r = i / n * 5,
    t = 1.75 * i / n * 2pi + delta (delta = 0 or pi), plus uniform noise in +-0.1 on each
    coordinate, as bp-pipeline's `dataset: spiral, noise: 0.1`. The noise comes from another
    generator, so the points differ slightly; the speed does not depend on them."""
    import numpy as np
    rng = np.random.default_rng(seed)
    half = count // 2
    i = np.arange(half)
    r = i / half * 5
    x, y = [], []
    for label, delta in ((0, 0.0), (1, math.pi)):
        t = 1.75 * i / half * 2 * math.pi + delta
        x.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-0.1, 0.1, (half, 2)))
        y.append(np.full(half, label))
    return np.concatenate(x).astype(dtype), np.concatenate(y).astype(np.int64)


def he_uniform(rng, fan_in, fan_out, dtype):
    """(fan_in, fan_out) weights from U(-sqrt(6 / fan_in), sqrt(6 / fan_in))."""
    bound = math.sqrt(6 / fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype)


def report(**fields):
    """The one machine-readable line the driver reads: the figures and what produced them."""
    print(json.dumps(fields), flush=True)


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)
