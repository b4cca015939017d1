"""W1 and W3 in PyTorch as people write them: nn.Sequential of nn.Linear, F.cross_entropy,
torch.optim.SGD, on the CPU.

    python torch_peer.py --workload w1 --precision float32 --threads 1

Prints one JSON line: samples_per_second, train_seconds, epochs, loss (mean batch loss of the
last epoch).
"""
import time

import numpy as np
import torch
import torch.nn.functional as F

import common


def network(sizes, hidden, dtype, rng):
    """nn.Linear layers with `hidden` between them, He-uniform weights (the same draws as the
    numpy peer) and zero biases; the softmax is inside F.cross_entropy."""
    layers = []
    for i, (m, n) in enumerate(zip(sizes, sizes[1:])):
        linear = torch.nn.Linear(m, n, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(common.he_uniform(rng, m, n, np.float64).T.copy()))
            linear.bias.zero_()
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(hidden())
    return torch.nn.Sequential(*layers)


def w1(dtype):
    x, y = common.fashion_mnist(np.float32 if dtype == torch.float32 else np.float64)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    count = len(x)
    model = network(common.W1_SIZES, torch.nn.ReLU, dtype, np.random.default_rng(1))
    optimizer = torch.optim.SGD(model.parameters(), lr=common.W1_RATE, momentum=common.W1_MOMENTUM)
    torch.manual_seed(1)
    start = time.perf_counter()
    order = torch.randperm(count)
    total, batches = 0.0, 0
    for first in range(0, count, common.W1_BATCH):
        rows = order[first:first + common.W1_BATCH]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[rows]), y[rows])
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    seconds = time.perf_counter() - start
    return count, 1, seconds, total / batches


def w3(dtype, epochs):
    x, y = common.spiral(np.float32 if dtype == torch.float32 else np.float64)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = network(common.W3_SIZES, torch.nn.Sigmoid, dtype, np.random.default_rng(1))
    optimizer = torch.optim.SGD(model.parameters(), lr=common.W3_RATE)
    start = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    value = loss.item()
    seconds = time.perf_counter() - start
    return len(x) * epochs, epochs, seconds, value


def main():
    args = common.arguments(["w1", "w3"])
    torch.set_num_threads(args.threads)
    dtype = torch.float32 if args.precision == "float32" else torch.float64
    samples, epochs, seconds, loss = w1(dtype) if args.workload == "w1" else w3(dtype, args.epochs)
    common.report(samples_per_second=samples / seconds, train_seconds=seconds, epochs=epochs, loss=loss,
                  version=torch.__version__, threads=torch.get_num_threads())


if __name__ == "__main__":
    main()
