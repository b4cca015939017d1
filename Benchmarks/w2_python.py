"""W2 in pure Python (floats and lists, no numpy): the seed's 2-2-2 sigmoid network, the same
maths as w2.c.

    python w2_python.py [steps]      (steps: 1000000 unless given)

Prints one JSON line: ns_per_step, steps, loss (E after the last update).
"""
import json
import math
import sys
import time


def forward(x, w1, w2, b1, b2):
    """Hidden and output activations; w[j][k] connects unit j below to unit k above."""
    h = [1 / (1 + math.exp(-(x[0] * w1[0][k] + x[1] * w1[1][k] + b1))) for k in range(2)]
    o = [1 / (1 + math.exp(-(h[0] * w2[0][k] + h[1] * w2[1][k] + b2))) for k in range(2)]
    return h, o


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    x, target = (0.05, 0.10), (0.01, 0.99)
    b1, b2, rate = 0.35, 0.60, 0.5
    w1 = [[0.15, 0.25], [0.20, 0.30]]
    w2 = [[0.40, 0.50], [0.45, 0.55]]
    start = time.perf_counter()
    for _ in range(steps):
        h, o = forward(x, w1, w2, b1, b2)
        # dE/dnet_o = (o - t) o (1 - o); dE/dnet_h = sum_k w2[j][k] dE/dnet_o[k] * h (1 - h).
        delta_o = [(o[k] - target[k]) * o[k] * (1 - o[k]) for k in range(2)]
        delta_h = [(w2[j][0] * delta_o[0] + w2[j][1] * delta_o[1]) * h[j] * (1 - h[j]) for j in range(2)]
        for j in range(2):
            for k in range(2):
                w2[j][k] -= rate * h[j] * delta_o[k]
                w1[j][k] -= rate * x[j] * delta_h[k]
    seconds = time.perf_counter() - start
    _, o = forward(x, w1, w2, b1, b2)
    loss = 0.5 * sum((t - y) ** 2 for t, y in zip(target, o))
    print(json.dumps({"ns_per_step": seconds / steps * 1e9, "steps": steps, "loss": loss}), flush=True)


if __name__ == "__main__":
    main()
