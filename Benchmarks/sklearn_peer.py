"""W1 with scikit-learn's MLPClassifier: solver sgd, momentum 0.9 (not Nesterov), rate 0.01,
batches of 128, no L2 penalty, one epoch (max_iter=1). scikit-learn draws its own initial
weights (Glorot-uniform); that does not change the work per sample.

    python sklearn_peer.py --workload w1 --precision float64

Prints one JSON line: samples_per_second, train_seconds (the fit call), epochs, loss (the
epoch's mean batch loss).
"""
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import common


def main():
    args = common.arguments(["w1"])
    x, y = common.fashion_mnist(np.dtype(args.precision))
    model = MLPClassifier(hidden_layer_sizes=tuple(common.W1_SIZES[1:-1]), activation="relu", solver="sgd",
                          alpha=0, batch_size=common.W1_BATCH, learning_rate_init=common.W1_RATE,
                          momentum=common.W1_MOMENTUM, nesterovs_momentum=False, max_iter=1, shuffle=True,
                          random_state=1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch is all we ask for
        model.fit(x, y)
    seconds = time.perf_counter() - start
    common.report(samples_per_second=len(x) / seconds, train_seconds=seconds, epochs=1, loss=model.loss_,
                  version=sklearn.__version__, precision=str(model.coefs_[0].dtype))


if __name__ == "__main__":
    main()
