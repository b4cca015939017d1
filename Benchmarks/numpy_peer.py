"""W1 and W3 as hand-written numpy backprop: the same maths as bp-pipeline, every buffer allocated
once before the timed loop (a partial last batch uses views of the first rows).

    python numpy_peer.py --workload w1 --precision float32 --threads 1

Threads are pinned by the driver through OPENBLAS_NUM_THREADS before numpy loads.
Prints one JSON line: samples_per_second, train_seconds, epochs, loss (mean batch loss of the
last epoch).
"""
import time

import numpy as np

import common


class MLP:
    """Dense layers with a hidden activation ("relu" or "sigmoid") and a softmax output, trained
    on softmax cross-entropy with SGD (PyTorch's form: v <- mu v + g; w <- w - rate v).

    Shapes for a batch of B: a[l] (B, sizes[l]) is layer l's output (a[0] the inputs),
    d[l] (B, sizes[l+1]) is dE/dnet of layer l + 1, W[l] (sizes[l], sizes[l+1]), b[l] (sizes[l+1],).
    """

    def __init__(self, sizes, hidden, batch, dtype, rng):
        self.hidden = hidden
        self.W = [common.he_uniform(rng, m, n, dtype) for m, n in zip(sizes, sizes[1:])]
        self.b = [np.zeros(n, dtype) for n in sizes[1:]]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        self.vW = [np.zeros_like(w) for w in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.a = [np.empty((batch, n), dtype) for n in sizes]
        self.d = [np.empty((batch, n), dtype) for n in sizes[1:]]
        self.scratch = [np.empty((batch, n), dtype) for n in sizes[1:]]
        self.mask = [np.empty((batch, n), bool) for n in sizes[1:]]
        self.rows = np.arange(batch)
        self.row_max = np.empty((batch, 1), dtype)

    def step(self, n, labels, rate, momentum):
        """One update on the first n rows of a[0] with integer `labels`; returns the batch loss."""
        a = [buffer[:n] for buffer in self.a]
        d = [buffer[:n] for buffer in self.d]
        last = len(self.W) - 1
        for l, (w, b) in enumerate(zip(self.W, self.b)):
            np.matmul(a[l], w, out=a[l + 1])
            a[l + 1] += b
            if l < last:
                if self.hidden == "relu":
                    np.maximum(a[l + 1], 0, out=a[l + 1])
                else:  # sigmoid: 1 / (1 + e^-x)
                    np.negative(a[l + 1], out=a[l + 1])
                    np.exp(a[l + 1], out=a[l + 1])
                    a[l + 1] += 1
                    np.reciprocal(a[l + 1], out=a[l + 1])
        # Softmax in place, shifted by the row maximum: p = e^(z - max) / sum e^(z - max).
        p = a[last + 1]
        row_max = self.row_max[:n]
        np.max(p, axis=1, keepdims=True, out=row_max)
        p -= row_max
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        rows = self.rows[:n]
        loss = -float(np.log(p[rows, labels]).mean())
        # dE/dnet of the output = (p - onehot) / n.
        np.copyto(d[last], p)
        d[last][rows, labels] -= 1
        d[last] *= 1 / n
        for l in range(last, -1, -1):
            np.matmul(a[l].T, d[l], out=self.gW[l])
            np.sum(d[l], axis=0, out=self.gb[l])
            if l > 0:
                np.matmul(d[l], self.W[l].T, out=d[l - 1])
                if self.hidden == "relu":
                    mask = self.mask[l - 1][:n]
                    np.greater(a[l], 0, out=mask)
                    np.multiply(d[l - 1], mask, out=d[l - 1])
                else:  # sigmoid' = y (1 - y)
                    slope = self.scratch[l - 1][:n]
                    np.subtract(1, a[l], out=slope)
                    slope *= a[l]
                    d[l - 1] *= slope
        for w, g, v in zip(self.W + self.b, self.gW + self.gb, self.vW + self.vb):
            if momentum:
                v *= momentum
                v += g
                np.multiply(v, rate, out=g)
            else:
                g *= rate
            w -= g
        return loss


def w1(dtype):
    x, y = common.fashion_mnist(dtype)
    count = len(x)
    rng = np.random.default_rng(1)
    net = MLP(common.W1_SIZES, "relu", common.W1_BATCH, dtype, rng)
    start = time.perf_counter()
    order = rng.permutation(count)
    losses = []
    for first in range(0, count, common.W1_BATCH):
        rows = order[first:first + common.W1_BATCH]
        n = len(rows)
        np.take(x, rows, axis=0, out=net.a[0][:n])
        losses.append(net.step(n, y[rows], common.W1_RATE, common.W1_MOMENTUM))
    seconds = time.perf_counter() - start
    return count, 1, seconds, sum(losses) / len(losses)


def w3(dtype, epochs):
    x, y = common.spiral(dtype)
    rng = np.random.default_rng(1)
    net = MLP(common.W3_SIZES, "sigmoid", len(x), dtype, rng)
    np.copyto(net.a[0], x)
    start = time.perf_counter()
    for _ in range(epochs):
        loss = net.step(len(x), y, common.W3_RATE, 0)
    seconds = time.perf_counter() - start
    return len(x) * epochs, epochs, seconds, loss


def main():
    args = common.arguments(["w1", "w3"])
    dtype = np.dtype(args.precision)
    samples, epochs, seconds, loss = w1(dtype) if args.workload == "w1" else w3(dtype, args.epochs)
    common.report(samples_per_second=samples / seconds, train_seconds=seconds, epochs=epochs, loss=loss,
                  version=np.__version__)


if __name__ == "__main__":
    main()
